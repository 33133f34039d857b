"""Units held for review, and the review's decision: release after review, or discard.

A hold (`domain.holds`) keeps a quarantined unit out of stock until someone
decides: the release rules refuse it while a hold is open, so complete
negative results and a verified label are not enough. Only a review decision
ends a hold, and each entry point signs it with the reviewer's password:

- `release_after_review` decides every open hold "released" and releases the
  unit through the one release path (`release.release_locked`), in one
  transaction: if any other release check fails, nothing is changed and the
  holds stay open;
- `discard_after_review` decides them "discarded" and discards the unit, with
  the discard reason the hold's kind leads to and the review's words as note.

Both are audited (each hold's decision, the unit's move, and the review).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from bloodbank.adapters.db.models import Site, Unit, UnitHold
from bloodbank.domain.errors import InvalidTransition
from bloodbank.domain.holds import HoldDecision, check_reason, discard_reason_for, hold_label
from bloodbank.domain.unit_status import UnitStatus
from bloodbank.service_layer.blood import release
from bloodbank.service_layer.blood.discards import DiscardView, discard_unit, discard_view, unit_subject
from bloodbank.service_layer.blood.hold_records import decide_holds, open_holds
from bloodbank.service_layer.blood.units import din_of
from bloodbank.service_layer.shared.sites import check_site
from bloodbank.service_layer.shared.unit_moves import load_unit
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

S = UnitStatus


@dataclass(frozen=True)
class HoldView:
    id: int
    unit_id: int
    kind: str
    kind_label: str
    reason: str
    opened_at: datetime
    opened_by: str
    decision: str | None  # None while open; "released" (after review) or "discarded"
    decided_by: str | None
    decision_reason: str | None
    decided_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.decision is None


@dataclass(frozen=True)
class HeldUnit:
    """A unit and its holds: the open ones first to decide, the decided ones as its history."""

    unit_id: int
    din: str
    din_eye_readable: str
    product_code: str
    division: str
    kind: str
    blood_group: str | None
    status: str
    expires_at: datetime
    site_id: int | None
    site_code: str | None
    storage_location: str
    holds: tuple[HoldView, ...]
    # The words of the review's signature for this unit (domain.access.signature_meaning's subject).
    signature_subject: str

    @property
    def open_holds(self) -> tuple[HoldView, ...]:
        return tuple(h for h in self.holds if h.is_open)

    @property
    def awaiting_review(self) -> bool:
        return self.status == S.QUARANTINED.value and bool(self.open_holds)


def held_units(uow: UnitOfWork, *, site_id: int | None = None, limit: int | None = None,
               offset: int = 0) -> list[HeldUnit]:
    """Quarantined units with at least one open hold, oldest hold first (`limit` and `offset` for a page)."""
    return held_page(uow, site_id=site_id, limit=limit, offset=offset)[0]


def held_page(uow: UnitOfWork, *, site_id: int | None = None, limit: int | None = None,
              offset: int = 0) -> tuple[list[HeldUnit], int]:
    """A page of the held units, read by the database, and how many are held in all."""
    with uow:
        session = uow.session
        check_site(session, site_id)
        oldest = (select(UnitHold.unit_id, func.min(UnitHold.opened_at).label("since"))
                  .where(UnitHold.decided_at.is_(None)).group_by(UnitHold.unit_id).subquery())
        query = select(Unit).join(oldest, oldest.c.unit_id == Unit.id).where(Unit.status == S.QUARANTINED.value)
        if site_id is not None:
            query = query.where(Unit.site_id == site_id)
        total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        units = list(session.execute(query.order_by(oldest.c.since, Unit.id).limit(limit).offset(offset)).scalars())
        return _views(session, units, open_only=True), total


def unit_holds(uow: UnitOfWork, *, unit_id: int) -> HeldUnit:
    """One unit with every hold it ever had, open and decided."""
    with uow:
        session = uow.session
        [view] = _views(session, [load_unit(session, unit_id)], open_only=False)
        return view


def release_after_review(uow: UnitOfWork, *, unit_id: int, reason: str) -> release.ReleasedUnitView:
    """Decide the unit's open holds "released" and release it, only if every other release check passes."""
    reason = check_reason(reason, "releasing the unit after review")
    with uow:
        session = uow.session
        unit = release.lock_for_release(session, unit_id)
        holds = _open_holds_of(session, unit)
        decided = decide_holds(uow, holds, HoldDecision.RELEASED, reason)
        view = release.release_locked(uow, unit, reason=f"released after review: {reason}",
                                      detail={"hold_ids": decided})
        uow.audit("release_after_review", "unit", unit.id, new={
            "hold_ids": decided, "kinds": sorted({h.kind for h in holds}), "status": view.status}, reason=reason)
        uow.commit()
        return view


def discard_after_review(uow: UnitOfWork, *, unit_id: int, reason: str) -> DiscardView:
    """Decide the unit's open holds "discarded" and discard it (reason from the holds' kind, the review as note)."""
    reason = check_reason(reason, "discarding the unit after review")
    with uow:
        session = uow.session
        unit = load_unit(session, unit_id, lock=True)
        holds = _open_holds_of(session, unit)
        decided = decide_holds(uow, holds, HoldDecision.DISCARDED, reason)
        code = discard_reason_for([h.kind for h in holds])
        discard_unit(uow, unit, code, reason, detail={"hold_ids": decided})
        uow.audit("discard_after_review", "unit", unit.id, new={
            "hold_ids": decided, "kinds": sorted({h.kind for h in holds}), "discard_reason": code}, reason=reason)
        uow.commit()
        return discard_view(unit)


def _open_holds_of(session, unit: Unit) -> list[UnitHold]:
    holds = open_holds(session, [unit.id], lock=True)
    subject = unit_subject(unit.din, unit.product_code, unit.division)
    if unit.status != S.QUARANTINED.value:
        raise InvalidTransition(f"Unit {subject} is {unit.status.replace('_', ' ')}, not in quarantine: "
                                "there is nothing to review.")
    if not holds:
        raise InvalidTransition(f"Unit {subject} is not held for review: release it at the bench, where every "
                                "release check is made, or discard it with its own reason.")
    return holds


def _views(session, units: list[Unit], *, open_only: bool) -> list[HeldUnit]:
    ids = [u.id for u in units]
    if not ids:
        return []
    query = select(UnitHold).where(UnitHold.unit_id.in_(ids)).order_by(UnitHold.id)
    if open_only:
        query = query.where(UnitHold.decided_at.is_(None))
    by_unit: dict[int, list[HoldView]] = {i: [] for i in ids}
    for h in session.execute(query).scalars():
        by_unit[h.unit_id].append(HoldView(
            id=h.id, unit_id=h.unit_id, kind=h.kind, kind_label=hold_label(h.kind), reason=h.reason,
            opened_at=h.opened_at, opened_by=h.opened_by, decision=h.decision, decided_by=h.decided_by,
            decision_reason=h.decision_reason, decided_at=h.decided_at))
    codes = dict(session.execute(select(Site.id, Site.code).where(
        Site.id.in_({u.site_id for u in units if u.site_id is not None}))).all())
    return [
        HeldUnit(
            unit_id=u.id, din=u.din, din_eye_readable=din_of(u.din).eye_readable, product_code=u.product_code,
            division=u.division, kind=u.kind, blood_group=u.blood_group, status=u.status, expires_at=u.expires_at,
            site_id=u.site_id, site_code=codes.get(u.site_id), storage_location=u.storage_location,
            holds=tuple(by_unit[u.id]), signature_subject=unit_subject(u.din, u.product_code, u.division),
        )
        for u in units
    ]
