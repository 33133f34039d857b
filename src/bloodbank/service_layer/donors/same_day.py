"""The override of the day's result: a medical director lets a donor found not eligible be screened again.

Check-in refuses a second screening the same day (`visits.check_in`), so a low
haemoglobin or a high blood pressure is not measured again at another desk
until it passes. This signed override, with its reason, is the only way past.
"""

from __future__ import annotations

from sqlalchemy import select

from bloodbank.adapters.db.models import Donor, Visit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.domain.messages import N_, Text
from bloodbank.service_layer.donors.visits import VisitView, visit_view
from bloodbank.service_layer.shared.clocks import clock_of_site, local_date, today_on
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


def allow_rescreen(uow: UnitOfWork, *, visit_id: int, reason: str) -> VisitView:
    """A medical director lets a donor found not eligible today be screened once more, and says why."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why the donor may be screened again today (e.g. 'haemoglobin analyser "
                           "failed its control').")
    with uow:
        s = uow.session
        visit = s.execute(select(Visit).where(Visit.id == visit_id).with_for_update()).scalar_one_or_none()
        if visit is None:
            raise NotFound(f"No visit with id {visit_id}.")
        if visit.status != "deferred" or visit.eligible is not False:
            raise Conflict(f"Visit {visit_id} was not found not eligible at screening: there is nothing to override.")
        clock = clock_of_site(s, visit.site_id)
        if local_date(visit.checked_in_at, clock) != today_on(clock):
            raise Conflict(f"Visit {visit_id} was not today: its result only stood for its own day.")
        if visit.rescreen_allowed_at is not None:
            raise Conflict(f"Another screening after visit {visit_id} was already allowed by "
                           f"{visit.rescreen_allowed_by}.")
        visit.rescreen_allowed_at, visit.rescreen_allowed_by, visit.rescreen_reason = utcnow(), uow.actor, reason
        s.flush()
        uow.audit("allow_rescreen", "visit", visit.id, old={"rescreen_allowed_at": None},
                  new={"rescreen_allowed_at": visit.rescreen_allowed_at, "rescreen_allowed_by": uow.actor},
                  reason=reason)
        view = visit_view(visit, s.get(Donor, visit.donor_id).donor_number)
        uow.commit()
        return view


def override_subject(view: VisitView) -> Text:
    """What the override's signature names: the same words on the page the signer reads and in the record."""
    return Text(N_("a second screening today for donor %(donor)s after visit %(visit)s"),
                donor=view.donor_number, visit=view.id)
