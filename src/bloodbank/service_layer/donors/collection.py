"""Collection: the needle goes in, a DIN is assigned, the bag is filled and recorded.

`start_collection` is the only way a Donation row comes into being: every
entry point (CLI, API, web) calls it, so the deferral, consent, eligibility
and volume gates cannot be bypassed. Every time here is the server's
(`utcnow()`); no use case accepts a time from the client, so an end before
its start cannot be typed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import AdverseReaction, Donation, Donor, Site, Visit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import collection as rules
from bloodbank.domain.eligibility import check_collection_volume, load_rule_set
from bloodbank.domain.errors import (
    Conflict, ConsentWithdrawn, DonorIneligible, InvalidInput, NotFound,
)
from bloodbank.domain.isbt128 import Din, parse_din
from bloodbank.service_layer.donors.consent import ensure_consent_for_collection
from bloodbank.service_layer.donors.deferral_lookup import ensure_not_deferred
from bloodbank.service_layer.donors.din_allocation import next_din
from bloodbank.service_layer.shared.audit_snapshots import changes, snapshot
from bloodbank.service_layer.shared.clocks import clock_of_site, today_on
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

IN_PROGRESS, COMPLETE, ABORTED = "in_progress", "complete", "aborted"


@dataclass(frozen=True)
class CollectionView:
    donation_id: int
    din: str  # the 13 characters, as stored and encoded
    din_eye_readable: str  # as printed under the barcode, with the boxed check character
    din_check_character: str
    din_barcode: str  # the barcode's data content, data identifier and flags included
    visit_id: int
    donor_id: int
    site_id: int
    kind: str
    bag_type: str
    bag_lot: str
    phlebotomist: str
    planned_volume_ml: int | None
    max_volume_ml: int | None
    volume_ml: int | None
    volume_flag: str | None
    started_at: datetime
    ended_at: datetime | None
    status: str


@dataclass(frozen=True)
class ReactionView:
    id: int
    donation_id: int
    din: str
    kind: str
    severity: str
    outcome: str
    recorded_by: str
    recorded_at: datetime


def donation_view(row: Donation) -> CollectionView:
    din = donation_din(row)
    return CollectionView(
        donation_id=row.id, din=str(din), din_eye_readable=din.eye_readable, din_check_character=din.check,
        din_barcode=din.barcode, visit_id=row.visit_id, donor_id=row.donor_id, site_id=row.site_id,
        kind=row.kind, bag_type=row.bag_type, bag_lot=row.bag_lot, phlebotomist=row.phlebotomist,
        planned_volume_ml=row.planned_volume_ml, max_volume_ml=row.max_volume_ml, volume_ml=row.volume_ml,
        volume_flag=row.volume_flag, started_at=row.started_at, ended_at=row.ended_at, status=row.status,
    )


def donation_din(row: Donation) -> Din:
    return Din(row.din[:5], row.din[5:7], row.din[7:])


def start_collection(uow: UnitOfWork, *, visit_id: int, bag_type: str, bag_lot: str,
                     planned_volume_ml: int | None = None) -> CollectionView:
    bag = rules.bag_type(bag_type)
    lot = rules.validate_lot(bag_lot)
    if planned_volume_ml is not None:
        rules.check_volume_is_plausible(planned_volume_ml, "planned volume")
    with uow:
        s = uow.session
        now = utcnow()
        visit = _locked_visit(s, visit_id)
        _refuse_second_collection(s, visit)
        ensure_not_deferred(s, visit.donor_id, today_on(clock_of_site(s, visit.site_id), now))
        ensure_consent_for_collection(s, visit)
        refuse_ineligible(visit)
        rules.ensure_bag_fits(bag, visit.kind)
        planned = planned_volume_ml if planned_volume_ml is not None else rules.planned_volume_for(visit.kind, bag)
        rules.check_planned_fits_bag(planned, bag)
        site = s.get(Site, visit.site_id)
        maximum = _maximum_volume(s, visit, site, planned)
        # The DIN is taken last, once nothing else can refuse: a refusal must not move the counter
        # (it would roll back anyway, but there is no reason to hold the counter's lock for it).
        din = next_din(s, site.facility_code, now.year)
        row = Donation(
            din=str(din), facility_code=din.facility, din_year=int(din.year), serial=int(din.serial),
            visit_id=visit.id, donor_id=visit.donor_id, site_id=visit.site_id, kind=visit.kind,
            bag_type=bag.code, bag_lot=lot, phlebotomist=uow.actor, planned_volume_ml=planned,
            max_volume_ml=maximum, started_at=now, status=IN_PROGRESS,
        )
        s.add(row)
        old_status, visit.status = visit.status, "collected"
        s.flush()
        uow.audit("create", "donation", row.id, new=snapshot(row), reason=f"collection started, DIN {din}")
        uow.audit("update", "visit", visit.id, old={"status": old_status}, new={"status": visit.status},
                  reason=f"collection started, DIN {din}")
        result = donation_view(row)
        uow.commit()
        return result


def _locked_visit(session: Session, visit_id: int) -> Visit:
    # Locked so two chairs cannot both start a collection for the same visit.
    visit = session.execute(select(Visit).where(Visit.id == visit_id).with_for_update()).scalar_one_or_none()
    if visit is None:
        raise NotFound(f"No visit with id {visit_id}.")
    return visit


def _refuse_second_collection(session: Session, visit: Visit) -> None:
    existing = session.execute(select(Donation).where(Donation.visit_id == visit.id)).scalar_one_or_none()
    if existing is not None:
        raise Conflict(
            f"This visit already has a donation (DIN {donation_din(existing).eye_readable}, {existing.status}). "
            "One visit, one collection: a new attempt needs a new visit."
        )


def refuse_ineligible(visit: Visit) -> None:
    if visit.eligible is True:
        return
    reasons = list(visit.decision_reasons or [])
    if visit.eligible is None:
        raise DonorIneligible("The donor has not been screened at this visit: screen before collecting.", reasons)
    detail = "; ".join(str(r) for r in reasons) or "no reason recorded"
    raise DonorIneligible(f"The screening found this donor not eligible: {detail}.", reasons)


def _maximum_volume(session: Session, visit: Visit, site: Site, planned: int) -> int | None:
    """The donor's weight-based maximum; a planned volume above it is refused before the needle."""
    if visit.kind != rules.WHOLE_BLOOD:
        # Apheresis volumes follow the device's nomogram, not the whole-blood cap.
        return None
    if visit.weight_kg is None:
        raise DonorIneligible("No weight was recorded at screening: the safe volume cannot be worked out.")
    sex = session.get(Donor, visit.donor_id).sex
    rule_set = load_rule_set(visit.rule_set or site.rule_set)
    return int(check_collection_volume(planned, visit.weight_kg, sex, rule_set))


def finish_collection(uow: UnitOfWork, *, donation_id: int, volume_ml: int) -> CollectionView:
    """The bag is off the donor. The end time is the server's: there is no parameter for it."""
    with uow:
        s = uow.session
        row = _locked_donation(s, donation_id)
        _refuse_unless_in_progress(row, "finished")
        _refuse_if_donor_withdrew(s, row)
        assessment = rules.assess_volume(volume_ml, row.planned_volume_ml, row.max_volume_ml,
                                         nominal_ml=rules.bag_type(row.bag_type).nominal_ml)
        before = snapshot(row)
        row.volume_ml, row.volume_flag = volume_ml, assessment.flag_message
        row.ended_at, row.status = _end_time(row), COMPLETE
        s.flush()
        old, new = changes(before, snapshot(row))
        uow.audit("finish", "donation", row.id, old=old, new=new,
                  reason=assessment.flag_message or "collection complete")
        result = donation_view(row)
        uow.commit()
        return result


def _refuse_if_donor_withdrew(s, row: Donation) -> None:
    """A donor who withdrew with the needle in did not consent to a full bag: abort, never finish."""
    visit = s.get(Visit, row.visit_id)
    if visit is not None and visit.status == "withdrawn":
        raise ConsentWithdrawn(
            f"The donor withdrew during collection {row.din}: record it as stopped (abort), not finished."
        )


def abort_collection(uow: UnitOfWork, *, donation_id: int, reason: str,
                     volume_ml: int | None = None) -> CollectionView:
    """Stopped before a full bag (vein lost, donor withdrew). The DIN stays used: it is never reissued."""
    why = (reason or "").strip()
    if not why:
        raise InvalidInput("Say why the collection stopped (for example: vein lost, donor withdrew).")
    with uow:
        s = uow.session
        row = _locked_donation(s, donation_id)
        _refuse_unless_in_progress(row, "aborted")
        before = snapshot(row)
        if volume_ml is not None:
            assessment = rules.assess_volume(volume_ml, row.planned_volume_ml, row.max_volume_ml,
                                             nominal_ml=rules.bag_type(row.bag_type).nominal_ml)
            row.volume_ml, row.volume_flag = volume_ml, assessment.flag_message
        row.ended_at, row.status = _end_time(row), ABORTED
        s.flush()
        old, new = changes(before, snapshot(row))
        uow.audit("abort", "donation", row.id, old=old, new=new, reason=why)
        result = donation_view(row)
        uow.commit()
        return result


def _locked_donation(session: Session, donation_id: int) -> Donation:
    stmt = select(Donation).where(Donation.id == donation_id).with_for_update()
    row = session.execute(stmt).scalar_one_or_none()
    if row is None:
        raise NotFound(f"No donation with id {donation_id}.")
    return row


def _refuse_unless_in_progress(row: Donation, verb: str) -> None:
    if row.status == IN_PROGRESS:
        return
    when = f" at {row.ended_at:%Y-%m-%d %H:%M} UTC" if row.ended_at else ""
    raise Conflict(f"Donation {donation_din(row).eye_readable} cannot be {verb}: it was already {row.status}{when}.")


def _end_time(row: Donation) -> datetime:
    # A server clock stepped back (time sync) must not turn into an end before the start.
    return max(utcnow(), row.started_at)


def record_adverse_reaction(uow: UnitOfWork, *, donation_id: int, kind: str, severity: str,
                            outcome: str) -> ReactionView:
    reaction = rules.reaction_kind(kind)
    grade = rules.severity(severity)
    what_happened = rules.outcome(outcome)
    with uow:
        s = uow.session
        donation = s.get(Donation, donation_id)
        if donation is None:
            raise NotFound(f"No donation with id {donation_id}.")
        row = AdverseReaction(donation_id=donation.id, kind=reaction.code, severity=grade,
                              outcome=what_happened, recorded_by=uow.actor, created_at=utcnow())
        s.add(row)
        s.flush()
        uow.audit("create", "adverse_reaction", row.id, new=snapshot(row),
                  reason=f"{grade} {reaction.code} during donation {donation_din(donation)}")
        result = ReactionView(id=row.id, donation_id=donation.id, din=donation.din, kind=row.kind,
                              severity=row.severity, outcome=row.outcome, recorded_by=row.recorded_by,
                              recorded_at=row.created_at)
        uow.commit()
        return result


def get_donation(uow: UnitOfWork, donation_id: int) -> CollectionView:
    with uow:
        row = uow.session.get(Donation, donation_id)
        if row is None:
            raise NotFound(f"No donation with id {donation_id}.")
        return donation_view(row)


def find_by_din(uow: UnitOfWork, text: str) -> CollectionView:
    """Any form of DIN: scanned, typed with or without spaces and check character."""
    din = parse_din(text)
    with uow:
        row = uow.session.execute(select(Donation).where(Donation.din == str(din))).scalar_one_or_none()
        if row is None:
            raise NotFound(f"No donation with DIN {din.eye_readable}.")
        return donation_view(row)


def reactions_at(session: Session, donation: Donation) -> list[ReactionView]:
    rows = session.execute(
        select(AdverseReaction).where(AdverseReaction.donation_id == donation.id).order_by(AdverseReaction.id)
    ).scalars()
    return [ReactionView(id=r.id, donation_id=donation.id, din=donation.din, kind=r.kind, severity=r.severity,
                         outcome=r.outcome, recorded_by=r.recorded_by, recorded_at=r.created_at) for r in rows]


def reactions_of(uow: UnitOfWork, *, donation_id: int) -> list[ReactionView]:
    with uow:
        donation = uow.session.get(Donation, donation_id)
        if donation is None:
            raise NotFound(f"No donation with id {donation_id}.")
        return reactions_at(uow.session, donation)


DONATION_STATUSES = (IN_PROGRESS, COMPLETE, ABORTED)


def list_donations(uow: UnitOfWork, *, site_id: int | None = None, status: str | None = None,
                   din: str | None = None, limit: int = 50, offset: int = 0) -> tuple[list[CollectionView], int]:
    """Donations newest first, filtered by site, status and DIN (any form); with the total before paging."""
    if status is not None and status not in DONATION_STATUSES:
        raise InvalidInput(f"Unknown donation status {status!r}: use one of {', '.join(DONATION_STATUSES)}.")
    wanted = str(parse_din(din)) if din else None
    with uow:
        where = []
        if site_id is not None:
            where.append(Donation.site_id == site_id)
        if status is not None:
            where.append(Donation.status == status)
        if wanted is not None:
            where.append(Donation.din == wanted)
        total = uow.session.scalar(select(func.count()).select_from(Donation).where(*where))
        rows = uow.session.execute(
            select(Donation).where(*where).order_by(Donation.started_at.desc(), Donation.id.desc())
            .limit(limit).offset(offset)
        ).scalars()
        return [donation_view(row) for row in rows], int(total or 0)
