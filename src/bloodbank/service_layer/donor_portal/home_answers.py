"""The pre-donation questionnaire answered at home on the day of an appointment, given to the desk as a QR code.

The answers are read as the desk reads them (`domain.questionnaire`), sealed,
and lapse at the end of the appointment's day on its site's clock. The desk
scans the code on the donor's screening page: the answers fill the form, which
staff confirm with the donor and record as usual; the donor still signs
consent. A code is good only for its own donor's visit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from bloodbank.adapters.db.models import Appointment, HomeQuestionnaire, Site, Visit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.adapters.labels.qr import qr_svg
from bloodbank.adapters.passwords import new_token, token_digest
from bloodbank.domain import donor_portal as portal, questionnaire
from bloodbank.domain.errors import Conflict, NotFound
from bloodbank.domain.messages import N_
from bloodbank.service_layer.donor_portal.my_record import own_donor
from bloodbank.service_layer.donors.deferral_lookup import donor_ids_of_person
from bloodbank.service_layer.shared.clocks import day_bounds, site_clock, today_on
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

# Today on any clock lies within a day and a half of now (zones run from UTC-12 to UTC+14).
TODAY_ANYWHERE = timedelta(hours=38)
NO_APPOINTMENT_TODAY = N_("The questionnaire is answered at home on the day of your appointment: you have none today.")
NOT_THIS_DONORS = N_("This questionnaire code is not valid for this visit, or it has expired: ask the questions here.")


@dataclass(frozen=True)
class HomeAnswersTicket:
    code: str  # what the QR code holds; only its digest is stored
    qr_svg: str
    expires_at: datetime


def _todays_appointment(s, donor_id: int, now: datetime) -> tuple[Appointment, Site] | None:
    rows = s.execute(select(Appointment, Site).join(Site, Site.id == Appointment.site_id).where(
        Appointment.donor_id.in_(donor_ids_of_person(s, donor_id)), Appointment.status == "booked",
        Appointment.starts_at > now - TODAY_ANYWHERE, Appointment.starts_at < now + TODAY_ANYWHERE)
        .order_by(Appointment.starts_at)).all()
    for appointment, site in rows:
        clock = site_clock(site)
        if appointment.starts_at.astimezone(clock).date() == today_on(clock, now):
            return appointment, site
    return None


def answer_at_home(uow: UnitOfWork, *, donor_id: int, answers: dict) -> HomeAnswersTicket:
    now = utcnow()
    with uow:
        s = uow.session
        donor = own_donor(s, donor_id)
        today = _todays_appointment(s, donor.id, now)
        if today is None:
            raise Conflict(NO_APPOINTMENT_TODAY)
        appointment, site = today
        clock = site_clock(site)
        read = questionnaire.read_answers(answers, today_on(clock, now), sex=donor.sex)
        token = new_token()
        expires = day_bounds(today_on(clock, now), clock)[1]
        row = HomeQuestionnaire(token_hash=token_digest(token), donor_id=donor.id,
                                answers=questionnaire.stored_answers(read), filled_at=now, expires_at=expires)
        s.add(row)
        s.flush()
        # That it was answered, never what: the answers stay sealed on the row.
        uow.audit("answer_at_home", "home_questionnaire", row.id, new={"appointment_id": appointment.id})
        uow.commit()
    code = portal.HOME_ANSWERS_PREFIX + token
    return HomeAnswersTicket(code=code, qr_svg=qr_svg(code), expires_at=expires)


def answers_for_visit(uow: UnitOfWork, *, visit_id: int, scanned: str) -> dict[str, str]:
    """The screening form's values from a scanned code, if it is this visit's donor's and still good today."""
    token = portal.home_answers_token(scanned)
    now = utcnow()
    with uow:
        s = uow.session
        visit = s.get(Visit, visit_id)
        if visit is None:
            raise NotFound(f"No visit with id {visit_id}.")
        row = s.execute(select(HomeQuestionnaire).where(
            HomeQuestionnaire.token_hash == token_digest(token or ""))).scalar_one_or_none() if token else None
        if row is None or row.expires_at <= now or row.donor_id not in donor_ids_of_person(s, visit.donor_id):
            raise Conflict(NOT_THIS_DONORS)
        values = portal.answers_as_form(row.answers)
        uow.audit("read", "home_questionnaire", row.id, reason="answers from home scanned at the desk")
        uow.commit()
        return values
