"""Check-in at the desk: the start of every visit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Appointment, Consent, Donation, Donor, Site, Visit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.consent import OPEN_STATUSES
from bloodbank.domain.eligibility import DonationKind
from bloodbank.domain.errors import Conflict, DonorIneligible, InvalidInput, NotFound
from bloodbank.domain.messages import N_
from bloodbank.service_layer.donors.deferral_lookup import donor_ids_of_person, ensure_not_deferred
from bloodbank.service_layer.donors.deferrals import current_donor
from bloodbank.service_layer.donors.readiness import ensure_may_give
from bloodbank.service_layer.donors.registry import ERASED_NAME
from bloodbank.service_layer.shared.audit_snapshots import changes, snapshot
from bloodbank.service_layer.shared.clocks import day_bounds, site_clock, site_day_bounds, today_on
from bloodbank.service_layer.shared.sites import load_site
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class VisitView:
    id: int
    donor_id: int
    donor_number: str
    site_id: int
    appointment_id: int | None
    kind: str
    status: str
    checked_in_at: datetime
    checked_in_by: str
    eligible: bool | None
    next_eligible_date: date | None
    screened_at: datetime | None
    withdrawn_at: datetime | None
    withdrawn_step: str | None


def visit_view(visit: Visit, donor_number: str) -> VisitView:
    return VisitView(
        id=visit.id, donor_id=visit.donor_id, donor_number=donor_number, site_id=visit.site_id,
        appointment_id=visit.appointment_id, kind=visit.kind, status=visit.status,
        checked_in_at=visit.checked_in_at, checked_in_by=visit.checked_in_by, eligible=visit.eligible,
        next_eligible_date=visit.next_eligible_date, screened_at=visit.screened_at,
        withdrawn_at=visit.withdrawn_at, withdrawn_step=visit.withdrawn_step,
    )


def check_kind(kind: str) -> None:
    kinds = [k.value for k in DonationKind]
    if kind not in kinds:
        raise InvalidInput(f"Unknown donation kind {kind!r}: use one of {', '.join(kinds)}.")


def check_in(uow: UnitOfWork, *, donor_id: int, site_id: int, appointment_id: int | None = None,
             kind: str = "whole_blood") -> VisitView:
    check_kind(kind)
    with uow:
        s = uow.session
        donor = current_donor(s, donor_id)
        # Locking the donor row queues a second desk checking in the same person at once.
        s.execute(select(Donor.id).where(Donor.id == donor.id).with_for_update())
        site = load_site(s, site_id)
        if not site.active:
            raise Conflict(N_("Site %(code)s is not active: donors cannot be checked in there."),
                           params={"code": site.code})
        now = utcnow()
        clock = site_clock(site)
        today = today_on(clock, now)
        # Told at the desk, before anything is written: no visit for a deferred donor.
        ensure_not_deferred(s, donor.id, today)
        ensure_may_give(s, donor, on=today, kind=kind, rule_set=site.rule_set)
        person = donor_ids_of_person(s, donor.id)
        _refuse_if_found_not_eligible_today(s, person, today, clock)
        _refuse_second_open_visit(s, person, today, clock)
        appointment = _take_appointment(uow, appointment_id, person, site, now) if appointment_id else None
        visit = Visit(donor_id=donor.id, site_id=site.id, appointment_id=appointment_id, kind=kind,
                      status="checked_in", checked_in_at=now, checked_in_by=uow.actor)
        s.add(visit)
        s.flush()
        uow.audit("create", "visit", visit.id, new=snapshot(visit),
                  reason="checked in" + (f" for appointment {appointment.id}" if appointment else ""))
        result = visit_view(visit, donor.donor_number)
        uow.commit()
        return result


def _first_visit_today(s: Session, person: list[int], day: date, clock: tzinfo, *conditions) -> int | None:
    """The person's latest visit checked in on `day` (on the site's clock) that meets `conditions`, if any."""
    start, end = day_bounds(day, clock)
    return s.execute(
        select(Visit.id).where(Visit.donor_id.in_(person), Visit.checked_in_at >= start, Visit.checked_in_at < end,
                               *conditions).order_by(Visit.id.desc()).limit(1)
    ).scalar()


def _refuse_second_open_visit(s: Session, person: list[int], day: date, clock: tzinfo) -> None:
    open_visit = _first_visit_today(s, person, day, clock, Visit.status.in_(OPEN_STATUSES))
    if open_visit is not None:
        raise Conflict(N_("This donor already has an open visit today (visit %(open_visit)s): continue that one."),
                       params={"open_visit": open_visit})


def _refuse_if_found_not_eligible_today(s: Session, person: list[int], day: date, clock: tzinfo) -> None:
    """A result found not eligible stands for its day unless a medical director allowed another screening."""
    standing = _first_visit_today(s, person, day, clock, Visit.status == "deferred", Visit.eligible.is_(False),
                                  Visit.rescreen_allowed_at.is_(None))
    if standing is not None:
        raise DonorIneligible(
            f"This donor was found not eligible at screening today (visit {standing}): the day's result "
            "stands. Another screening today needs a medical director's signed override."
        )


def _take_appointment(uow: UnitOfWork, appointment_id: int, person: list[int], site: Site,
                      now: datetime) -> Appointment:
    s = uow.session
    appointment = s.execute(
        select(Appointment).where(Appointment.id == appointment_id).with_for_update()
    ).scalar_one_or_none()
    if appointment is None:
        raise NotFound(N_("No appointment with id %(appointment_id)s."), params={"appointment_id": appointment_id})
    if appointment.donor_id not in person:
        raise InvalidInput(N_("Appointment %(appointment_id)s belongs to another donor."),
                           params={"appointment_id": appointment_id})
    if appointment.site_id != site.id:
        raise InvalidInput(N_("Appointment %(appointment_id)s is at another site, not %(code)s."),
                           params={"appointment_id": appointment_id, "code": site.code})
    if appointment.status != "booked":
        raise Conflict(f"Appointment {appointment_id} is {appointment.status.replace('_', ' ')}, not booked.")
    before = snapshot(appointment)
    appointment.status, appointment.status_changed_at = "checked_in", now
    old, new = changes(before, snapshot(appointment))
    uow.audit("update", "appointment", appointment.id, old=old, new=new, reason="donor checked in")
    return appointment


def get_visit(uow: UnitOfWork, visit_id: int) -> VisitView:
    with uow:
        visit = uow.session.get(Visit, visit_id)
        if visit is None:
            raise NotFound(N_("No visit with id %(visit_id)s."), params={"visit_id": visit_id})
        return visit_view(visit, uow.session.get(Donor, visit.donor_id).donor_number)


def list_open_visits(uow: UnitOfWork, site_id: int) -> list[VisitView]:
    """Today's visits at the site (its day, on its clock) still in progress, in order of arrival."""
    with uow:
        site = load_site(uow.session, site_id)
        start, end = site_day_bounds(site)
        rows = uow.session.execute(
            select(Visit, Donor.donor_number).join(Donor, Donor.id == Visit.donor_id)
            .where(Visit.site_id == site_id, Visit.status.in_(OPEN_STATUSES),
                   Visit.checked_in_at >= start, Visit.checked_in_at < end)
            .order_by(Visit.checked_in_at, Visit.id)
        ).all()
        return [visit_view(visit, number) for visit, number in rows]


# ---------------------------------------------------------------- what the desk and the chair read


@dataclass(frozen=True)
class VisitDetail:
    """A visit with what the people looking after the donor need to see on one page.

    The donor's confidential choice is not here, on purpose: no staff screen may know it.
    """

    visit: VisitView
    donor_name: str
    donor_sex: str
    donor_date_of_birth: date
    donor_blood_group: str | None
    site_code: str
    site_name: str
    rule_set: str | None
    # Why the donor was found not eligible: only for those who may read deferral reasons (a sensitive read).
    decision_reasons: tuple[str, ...]
    reasons_withheld: bool
    weight_kg: float | None
    hemoglobin_g_dl: float | None
    systolic: int | None
    diastolic: int | None
    pulse: int | None
    temperature_c: float | None
    consent_text_version: str | None
    consent_given_at: datetime | None
    consent_withdrawn_at: datetime | None
    din: str | None
    donation_status: str | None


@dataclass(frozen=True)
class VisitHistoryItem:
    visit_id: int
    donor_number: str
    checked_in_at: datetime
    site_code: str
    kind: str
    status: str
    eligible: bool | None
    next_eligible_date: date | None
    din: str | None
    volume_ml: int | None
    donation_status: str | None


def _detail(s: Session, visit: Visit, *, reasons: bool = False) -> VisitDetail:
    donor, site = s.get(Donor, visit.donor_id), s.get(Site, visit.site_id)
    consent = s.execute(select(Consent).where(Consent.visit_id == visit.id)).scalar_one_or_none()
    donation = s.execute(select(Donation).where(Donation.visit_id == visit.id)).scalar_one_or_none()
    return VisitDetail(
        visit=visit_view(visit, donor.donor_number),
        donor_name=ERASED_NAME if donor.erasure is not None else f"{donor.given_name} {donor.family_name}",
        donor_sex=donor.sex, donor_date_of_birth=donor.date_of_birth, donor_blood_group=donor.blood_group,
        site_code=site.code, site_name=site.name, rule_set=visit.rule_set,
        decision_reasons=tuple(visit.decision_reasons or ()) if reasons else (),
        reasons_withheld=bool(visit.decision_reasons) and not reasons, weight_kg=visit.weight_kg,
        hemoglobin_g_dl=visit.hemoglobin_g_dl, systolic=visit.systolic, diastolic=visit.diastolic,
        pulse=visit.pulse, temperature_c=visit.temperature_c,
        consent_text_version=consent.text_version if consent else None,
        consent_given_at=consent.given_at if consent else None,
        consent_withdrawn_at=consent.withdrawn_at if consent else None,
        din=donation.din if donation else None, donation_status=donation.status if donation else None,
    )


def visit_detail(uow: UnitOfWork, visit_id: int, *, reasons: bool = False) -> VisitDetail:
    """The visit; `reasons` (for those granted deferral reasons) adds why, and the read is audited."""
    with uow:
        visit = uow.session.get(Visit, visit_id)
        if visit is None:
            raise NotFound(N_("No visit with id %(visit_id)s."), params={"visit_id": visit_id})
        detail = _detail(uow.session, visit, reasons=reasons)
        if detail.decision_reasons:
            uow.audit("read", "visit_reasons", visit.id, reason="eligibility reasons displayed")
            uow.commit()
        return detail


def open_visit_details(uow: UnitOfWork, site_id: int) -> list[VisitDetail]:
    """Today's visits at the site (its day, on its clock) still in progress, in order of arrival, with names."""
    with uow:
        s = uow.session
        site = load_site(s, site_id)
        start, end = site_day_bounds(site)
        rows = s.execute(
            select(Visit).where(Visit.site_id == site_id, Visit.status.in_(OPEN_STATUSES),
                                Visit.checked_in_at >= start, Visit.checked_in_at < end)
            .order_by(Visit.checked_in_at, Visit.id)
        ).scalars().all()
        return [_detail(s, visit) for visit in rows]


MAX_HISTORY = 500


def donor_history(uow: UnitOfWork, donor_id: int) -> list[VisitHistoryItem]:
    """The person's visits, newest first, merged records included, each with its donation if one was taken."""
    with uow:
        s = uow.session
        if s.get(Donor, donor_id) is None:
            raise NotFound(N_("No donor with id %(donor_id)s."), params={"donor_id": donor_id})
        rows = s.execute(
            select(Visit, Donor.donor_number, Site.code, Donation)
            .join(Donor, Donor.id == Visit.donor_id).join(Site, Site.id == Visit.site_id)
            .outerjoin(Donation, Donation.visit_id == Visit.id)
            .where(Visit.donor_id.in_(donor_ids_of_person(s, donor_id)))
            .order_by(Visit.checked_in_at.desc(), Visit.id.desc()).limit(MAX_HISTORY)
        ).all()
        return [VisitHistoryItem(
            visit_id=visit.id, donor_number=number, checked_in_at=visit.checked_in_at, site_code=code,
            kind=visit.kind, status=visit.status, eligible=visit.eligible,
            next_eligible_date=visit.next_eligible_date, din=donation.din if donation else None,
            volume_ml=donation.volume_ml if donation else None,
            donation_status=donation.status if donation else None,
        ) for visit, number, code, donation in rows]
