"""Deferrals decided by staff: add, lift, list, and the reason-free status.

Why a donor is deferred is health information: the desk sees only "deferred
until", and reading the reasons is a sensitive read that is itself audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Deferral, Donor
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.eligibility import DEFERRAL_VOCABULARY
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.domain.messages import N_
from bloodbank.service_layer.donors import deferral_lookup
from bloodbank.service_layer.shared.audit_snapshots import snapshot
from bloodbank.service_layer.shared.clocks import clock_of_site, today_on
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

KINDS = ("temporary", "permanent")
PRIVATE = ("reason", "lift_reason")
COULD_NOT_CONFIRM = N_(
    "Deferral status could not be confirmed (the records could not be read): treat the donor as deferred; "
    "try again or call the supervisor."
)


@dataclass(frozen=True)
class DeferralView:
    id: int
    donor_id: int
    code: str
    kind: str
    starts_on: date
    ends_on: date | None
    decided_by: str
    visit_id: int | None
    lifted_at: datetime | None
    lifted_by: str | None
    # None unless the reasons were asked for (and that read was audited).
    reason: str | None = None
    lift_reason: str | None = None


@dataclass(frozen=True)
class DeferralStatus:
    deferred: bool
    permanent: bool
    until: date | None
    note: str | None = None


def view(row: Deferral, *, with_reasons: bool) -> DeferralView:
    return DeferralView(
        id=row.id, donor_id=row.donor_id, code=row.code, kind=row.kind, starts_on=row.starts_on,
        ends_on=row.ends_on, decided_by=row.decided_by, visit_id=row.visit_id, lifted_at=row.lifted_at,
        lifted_by=row.lifted_by,
        reason=row.reason if with_reasons else None,
        lift_reason=row.lift_reason if with_reasons else None,
    )


def current_donor(session: Session, donor_id: int) -> Donor:
    """The donor record to act on; a merged record is refused with its survivor named."""
    donor = session.get(Donor, donor_id)
    if donor is None:
        raise NotFound(f"No donor with id {donor_id}.")
    if donor.merged_into_id is not None:
        survivor = session.get(Donor, donor.merged_into_id)
        number = survivor.donor_number if survivor else f"id {donor.merged_into_id}"
        raise Conflict(
            f"Donor {donor.donor_number} was merged into donor {number}: use that record instead."
        )
    return donor


def donor_today(session: Session, donor: Donor) -> date:
    """Today on the clock of the donor's own site: the day a deferral given now starts."""
    return today_on(clock_of_site(session, donor.preferred_site_id))


def check_deferral_terms(code: str, kind: str, starts_on: date, ends_on: date | None) -> None:
    if code not in DEFERRAL_VOCABULARY:
        raise InvalidInput(f"Unknown deferral code {code!r}: use one of {', '.join(DEFERRAL_VOCABULARY)}.")
    if kind not in KINDS:
        raise InvalidInput(f"Unknown deferral kind {kind!r}: use 'temporary' or 'permanent'.")
    if kind == "temporary" and ends_on is None:
        raise InvalidInput("A temporary deferral needs an end date.")
    if kind == "temporary" and ends_on <= starts_on:
        raise InvalidInput(
            f"The end date {ends_on.isoformat()} must be after the start date {starts_on.isoformat()}."
        )
    if kind == "permanent" and ends_on is not None:
        raise InvalidInput("A permanent deferral has no end date; lift it instead if it no longer applies.")


def add_deferral(uow: UnitOfWork, *, donor_id: int, code: str, kind: str, reason: str,
                 starts_on: date | None = None, ends_on: date | None = None) -> DeferralView:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Give the reason for the deferral (it is shown only to authorised staff).")
    with uow:
        donor = current_donor(uow.session, donor_id)
        starts_on = starts_on or donor_today(uow.session, donor)
        check_deferral_terms(code, kind, starts_on, ends_on)
        row = create_deferral(uow, donor_id=donor_id, code=code, kind=kind, reason=reason,
                              starts_on=starts_on, ends_on=ends_on, visit_id=None)
        result = view(row, with_reasons=True)
        uow.commit()
        return result


def create_deferral(uow: UnitOfWork, *, donor_id: int, code: str, kind: str, reason: str,
                    starts_on: date, ends_on: date | None, visit_id: int | None) -> Deferral:
    """Insert and audit, inside the caller's transaction (screening uses it too)."""
    row = Deferral(donor_id=donor_id, visit_id=visit_id, code=code, kind=kind, reason=reason,
                   starts_on=starts_on, ends_on=ends_on, decided_by=uow.actor)
    uow.session.add(row)
    uow.session.flush()
    # The reason text stays out of the audit log: reading it is a sensitive read of its own.
    uow.audit("create", "deferral", row.id, new=snapshot(row, exclude=PRIVATE), reason="deferral decided")
    return row


def lift_deferral(uow: UnitOfWork, *, deferral_id: int, reason: str, donor_id: int | None = None) -> DeferralView:
    """Lift a deferral; given `donor_id`, only one of that person's (a page names the donor it acts for)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Give the reason for lifting the deferral.")
    with uow:
        # Locked so two people lifting at once do not both succeed, the second overwriting the first.
        row = uow.session.execute(
            select(Deferral).where(Deferral.id == deferral_id).with_for_update()
        ).scalar_one_or_none()
        if row is None or (donor_id is not None and row.donor_id not in
                           deferral_lookup.donor_ids_of_person(uow.session, donor_id)):
            raise NotFound(f"No deferral with id {deferral_id}.")
        if row.lifted_at is not None:
            raise Conflict(f"This deferral was already lifted on {row.lifted_at.date().isoformat()}.")
        row.lifted_at, row.lifted_by, row.lift_reason = utcnow(), uow.actor, reason
        uow.session.flush()
        uow.audit("lift", "deferral", row.id, old={"lifted_at": None},
                  new={"lifted_at": row.lifted_at, "lifted_by": row.lifted_by}, reason="deferral lifted")
        result = view(row, with_reasons=True)
        uow.commit()
        return result


def list_deferrals(uow: UnitOfWork, donor_id: int, *, include_reasons: bool = False) -> list[DeferralView]:
    """Every deferral of the person (merged records included), newest first."""
    with uow:
        if uow.session.get(Donor, donor_id) is None:
            raise NotFound(f"No donor with id {donor_id}.")
        ids = deferral_lookup.donor_ids_of_person(uow.session, donor_id)
        rows = uow.session.execute(
            select(Deferral).where(Deferral.donor_id.in_(ids))
            .order_by(Deferral.starts_on.desc(), Deferral.id.desc())
        ).scalars().all()
        result = [view(row, with_reasons=include_reasons) for row in rows]
        if include_reasons:
            uow.audit("read", "deferral", donor_id, new={"deferrals": len(rows)},
                      reason="deferral reasons displayed")
            uow.commit()
        return result


def deferral_status(uow: UnitOfWork, donor_id: int, on: date | None = None) -> DeferralStatus:
    """Deferred or not, and until when, without reasons; "deferred" when it cannot be confirmed."""
    with uow:
        try:
            donor = uow.session.get(Donor, donor_id)
            if donor is None:
                raise NotFound(f"No donor with id {donor_id}.")
            on = on or donor_today(uow.session, donor)
            active = [(d.kind, d.ends_on) for d in deferral_lookup.active_deferrals(uow.session, donor_id, on)]
        except SQLAlchemyError:
            return DeferralStatus(deferred=True, permanent=False, until=None, note=COULD_NOT_CONFIRM)
    if not active:
        return DeferralStatus(deferred=False, permanent=False, until=None)
    if any(kind == "permanent" for kind, _ in active):
        return DeferralStatus(deferred=True, permanent=True, until=None)
    return DeferralStatus(deferred=True, permanent=False, until=max(ends for _, ends in active))


@dataclass(frozen=True)
class DeferralSummary:
    """A deferral as anyone at the desk may see it: when and for how long, never why.

    The code is left out with the reason: "hiv" or "tattoo" says why as plainly as the text does.
    """

    id: int
    donor_id: int
    kind: str
    starts_on: date
    ends_on: date | None
    active: bool
    lifted_at: datetime | None


def list_deferral_dates(uow: UnitOfWork, donor_id: int, on: date | None = None) -> list[DeferralSummary]:
    """Every deferral of the person (merged records included), newest first, without code or reason."""
    with uow:
        donor = uow.session.get(Donor, donor_id)
        if donor is None:
            raise NotFound(f"No donor with id {donor_id}.")
        on = on or donor_today(uow.session, donor)
        ids = deferral_lookup.donor_ids_of_person(uow.session, donor_id)
        rows = uow.session.execute(
            select(Deferral).where(Deferral.donor_id.in_(ids))
            .order_by(Deferral.starts_on.desc(), Deferral.id.desc())
        ).scalars().all()
        return [DeferralSummary(
            id=row.id, donor_id=row.donor_id, kind=row.kind, starts_on=row.starts_on, ends_on=row.ends_on,
            active=row.lifted_at is None and row.starts_on <= on and (row.kind == "permanent" or row.ends_on > on),
            lifted_at=row.lifted_at,
        ) for row in rows]
