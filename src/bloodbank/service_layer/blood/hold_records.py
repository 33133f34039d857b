"""Opening and deciding holds inside the caller's transaction: the steps excursions, transfers, discards
and the review share. The use cases that decide a hold are in `holds`.

Each hold opened or decided writes its audit entry (entity `unit_hold`) in the
same transaction as the act that caused it.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from bloodbank.adapters.db.models import Unit, UnitHold
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.holds import HoldDecision, HoldKind
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


def open_hold(uow: UnitOfWork, unit: Unit, kind: HoldKind | str, reason: str, *,
              detail: dict | None = None) -> UnitHold:
    """Hold a (quarantined) unit for a review decision; the reason is the system's own words (not length-capped)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("A hold needs its reason: it is what the reviewer decides on.")
    row = UnitHold(unit_id=unit.id, kind=str(kind), reason=reason, detail=detail or {},
                   opened_at=utcnow(), opened_by=uow.actor)
    uow.session.add(row)
    uow.session.flush()
    uow.audit("open_hold", "unit_hold", row.id, new={
        "unit_id": unit.id, "kind": row.kind, "reason": row.reason, "detail": row.detail}, reason=row.reason)
    return row


def open_holds(session, unit_ids: Iterable[int], *, lock: bool = False) -> list[UnitHold]:
    """The holds not yet decided on these units, oldest first; one query."""
    ids = sorted(set(unit_ids))
    if not ids:
        return []
    statement = select(UnitHold).where(UnitHold.unit_id.in_(ids), UnitHold.decided_at.is_(None)).order_by(UnitHold.id)
    if lock:
        statement = statement.with_for_update()
    return list(session.execute(statement).scalars())


def decide_holds(uow: UnitOfWork, holds: Iterable[UnitHold], decision: HoldDecision, reason: str) -> list[int]:
    """Record the review's decision on each hold; their ids."""
    now, decided = utcnow(), []
    for row in holds:
        row.decision, row.decided_by, row.decision_reason, row.decided_at = decision.value, uow.actor, reason, now
        uow.audit("decide_hold", "unit_hold", row.id, old={"decision": None}, new={
            "unit_id": row.unit_id, "kind": row.kind, "decision": decision.value, "decided_by": uow.actor},
            reason=reason)
        decided.append(row.id)
    uow.session.flush()
    return decided


def end_holds_of_discarded(uow: UnitOfWork, unit_id: int, reason: str) -> list[int]:
    """A unit discarded by any route takes its open holds with it: decided 'discarded', with the discard's reason."""
    return decide_holds(uow, open_holds(uow.session, [unit_id], lock=True), HoldDecision.DISCARDED, reason)


def carry_holds(uow: UnitOfWork, child: Unit, parent_ids: Iterable[int]) -> list[UnitHold]:
    """A unit made from held units is the same blood: it is held for the same reasons until its own review."""
    return [
        open_hold(uow, child, parent.kind,
                  f"{parent.reason.rstrip('.')} (held on unit {parent.unit_id}, which it was made from)",
                  detail={**(parent.detail or {}), "from_hold_id": parent.id})
        for parent in open_holds(uow.session, parent_ids)
    ]
