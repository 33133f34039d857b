"""What every processing step shares: the unit view, creating a unit, changing one, the site's clock.

Processing makes a unit only through `create_unit`, which writes its
"created" event and the audit entry in the same transaction. Column changes
without a status change go through `update_unit`, a compare-and-set UPDATE
like `unit_moves.move`, so a unit discarded a moment ago is not relabelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from bloodbank.adapters.db.models import Unit, UnitParent
from bloodbank.domain.errors import Conflict, InvalidInput
from bloodbank.domain.isbt128 import Din, default_product_table
from bloodbank.domain.messages import N_, Text
from bloodbank.domain.unit_status import UnitStatus
from bloodbank.service_layer.blood.hold_records import carry_holds
from bloodbank.service_layer.shared.audit_snapshots import snapshot
from bloodbank.service_layer.shared.unit_moves import record_event
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class UnitView:
    id: int
    din: str
    din_eye_readable: str
    product_code: str
    product_name: str
    division: str
    kind: str
    blood_group: str | None
    status: str
    volume_ml: int | None
    collected_at: datetime
    expires_at: datetime
    site_id: int | None
    irradiated: bool
    leucoreduced: bool
    cmv_negative: bool
    low_titer: bool
    label_verified: bool
    parent_ids: tuple[int, ...]
    donation_id: int | None


def din_of(din13: str) -> Din:
    return Din(din13[:5], din13[5:7], din13[7:])


def product_name(code: str) -> str:
    table = default_product_table()
    return table.get(code).name if code in table else Text(N_("%(code)s (not in this site's product table)"), code=code)


def unit_view(session: Session, unit: Unit) -> UnitView:
    parents = session.execute(
        select(UnitParent.parent_id).where(UnitParent.child_id == unit.id).order_by(UnitParent.parent_id)
    ).scalars()
    return UnitView(
        id=unit.id, din=unit.din, din_eye_readable=din_of(unit.din).eye_readable,
        product_code=unit.product_code, product_name=product_name(unit.product_code), division=unit.division,
        kind=unit.kind, blood_group=unit.blood_group, status=unit.status, volume_ml=unit.volume_ml,
        collected_at=unit.collected_at, expires_at=unit.expires_at, site_id=unit.site_id,
        irradiated=unit.irradiated, leucoreduced=unit.leucoreduced, cmv_negative=unit.cmv_negative,
        low_titer=unit.low_titer, label_verified=unit.label_verified_at is not None,
        parent_ids=tuple(parents), donation_id=unit.donation_id,
    )


def create_unit(uow: UnitOfWork, *, parents: tuple[int, ...] = (), reason: str, detail: dict,
                **fields) -> Unit:
    """A new unit in quarantine, linked to its parents, with its first event and audit entry.

    It carries its parents' open holds: the same blood is held for the same reasons until its own review.
    """
    unit = Unit(status=UnitStatus.QUARANTINED.value, **fields)
    uow.session.add(unit)
    uow.session.flush()
    for parent_id in parents:
        uow.session.add(UnitParent(child_id=unit.id, parent_id=parent_id))
    record_event(uow, unit, "created", to_status=unit.status, detail=detail)
    uow.audit("create", "unit", unit.id, new={**snapshot(unit), "parent_ids": list(parents)}, reason=reason)
    uow.session.flush()
    if parents:
        carry_holds(uow, unit, parents)
    return unit


def update_unit(uow: UnitOfWork, unit: Unit, *, event: str, reason: str, detail: dict, **values) -> None:
    """Change columns of `unit` (not its status) if no one changed its status since it was read."""
    old = {key: getattr(unit, key) for key in values}
    result = uow.session.execute(
        update(Unit).where(Unit.id == unit.id, Unit.status == unit.status).values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict(
            f"Unit {din_of(unit.din).eye_readable} {unit.product_code} was changed by someone else a moment ago; "
            "reload it and try again."
        )
    for key, value in values.items():
        set_committed_value(unit, key, value)
    record_event(uow, unit, event, detail=detail)
    uow.audit(event, "unit", unit.id, old=old, new=values, reason=reason)


def refuse_if_expired(expires_at: datetime, now: datetime, what: str) -> None:
    if expires_at <= now:
        raise InvalidInput(f"{what} would already be expired ({expires_at:%Y-%m-%d %H:%M}): it cannot be made.")


def plain_time(value: datetime | None) -> str | None:
    """Unit events hold JSON-plain values only."""
    return None if value is None else value.isoformat()
