"""The only way a unit's status changes.

`move` asks the domain's transition table, then changes the row with a
compare-and-set UPDATE (`WHERE status = <what this transaction read>`): if
another transaction moved the unit in between, this one fails with a clear
Conflict instead of overwriting it. The unit's event and the audit entry are
written in the same transaction.

Quarantined → available is release, and `move` makes it only with the
`ReleaseClearance` the release check hands over (`shared.release_clearance`,
which only `blood.release` may import): any other caller is refused, whatever
the route. Quarantined → issued likewise needs the `FieldIssueClearance` of
the signed issue of blood not fully tested (`field.issue`).
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from bloodbank.adapters.db.models import Unit, UnitEvent
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.errors import Conflict, InvalidTransition, NotFound
from bloodbank.domain.field_issue import may_enter_stock
from bloodbank.domain.unit_status import UnitStatus, transition
from bloodbank.service_layer.shared.field_issue_clearance import FieldIssueClearance
from bloodbank.service_layer.shared.release_clearance import ReleaseClearance
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


def load_unit(session: Session, unit_id: int, *, lock: bool = False) -> Unit:
    statement = select(Unit).where(Unit.id == unit_id)
    if lock:
        statement = statement.with_for_update()
    unit = session.execute(statement).scalar_one_or_none()
    if unit is None:
        raise NotFound(f"No unit with id {unit_id}.")
    return unit


def move(uow: UnitOfWork, unit: Unit, target: UnitStatus | str, *, event: str,
         reason: str | None = None, detail: dict | None = None,
         clearance: ReleaseClearance | FieldIssueClearance | None = None, **fields) -> UnitStatus:
    """Move `unit` to `target`, setting any other `fields` in the same UPDATE.

    Out of quarantine into stock only with the release check's `clearance` for this unit.
    """
    before = unit.status
    after = transition(before, target)
    if after is UnitStatus.AVAILABLE and not may_enter_stock(bool(unit.emergency_use)):
        raise InvalidTransition(
            f"Unit {unit.din} {unit.product_code} was collected in an emergency and is not fully tested: it never "
            "joins ordinary stock; nothing was changed."
        )
    if before == UnitStatus.QUARANTINED.value and after is UnitStatus.AVAILABLE and not (
            isinstance(clearance, ReleaseClearance) and clearance.unit_id == unit.id):
        raise InvalidTransition(
            f"Unit {unit.din} {unit.product_code} is in quarantine: only the release check puts it in stock "
            "(release it, or release it after review if it is held); nothing was changed."
        )
    if before == UnitStatus.QUARANTINED.value and after is UnitStatus.ISSUED and not (
            isinstance(clearance, FieldIssueClearance) and clearance.unit_id == unit.id):
        raise InvalidTransition(
            f"Unit {unit.din} {unit.product_code} is in quarantine: only the signed issue of blood not fully "
            "tested, during an emergency, hands it to a patient; nothing was changed."
        )
    now = utcnow()
    values = {"status": after.value, "status_changed_at": now, **fields}
    result = uow.session.execute(
        update(Unit).where(Unit.id == unit.id, Unit.status == before).values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict(
            f"Unit {unit.din} {unit.product_code} was changed by someone else a moment ago; "
            "reload it and try again."
        )
    for key, value in values.items():
        set_committed_value(unit, key, value)
    record_event(uow, unit, event, from_status=before, to_status=after.value, detail=detail)
    uow.audit(event, "unit", unit.id, old={"status": before},
              new={"status": after.value, **_plain(fields)}, reason=reason)
    return after


def record_event(uow: UnitOfWork, unit: Unit, event: str, *, from_status: str | None = None,
                 to_status: str | None = None, detail: dict | None = None) -> None:
    """A line in the unit's own history (trace shows these), status change or not."""
    uow.session.add(UnitEvent(
        unit_id=unit.id, at=utcnow(), actor=uow.actor, event=event, from_status=from_status,
        to_status=to_status, site_id=unit.site_id, detail=detail or {},
    ))


def _plain(fields: dict) -> dict:
    return {k: v for k, v in fields.items() if k not in {"status_changed_at"}}
