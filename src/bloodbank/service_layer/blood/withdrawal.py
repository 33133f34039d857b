"""Taking a donation's blood out of use: every unit that holds it, pools and aliquots included.

Two reasons, said differently. A reactive marker is named. A donor's
confidential self-exclusion is not: its units are discarded as "not suitable
for transfusion", the unit row keeps the code `self_excluded` in
`discard_reason` (a column no ordinary screen shows), and the audit entry and
unit event say only "not suitable".

Both run inside the caller's transaction, so the record that triggers them
and the discards land together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Unit
from bloodbank.domain.unit_status import DISCARD_REASONS, UnitStatus
from bloodbank.service_layer.blood.discards import discard_unit
from bloodbank.service_layer.blood.hold_records import end_holds_of_discarded
from bloodbank.service_layer.shared import unit_graph
from bloodbank.service_layer.shared.reservations import end_live_reservation
from bloodbank.service_layer.shared.unit_moves import move
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

S = UnitStatus
NOT_SUITABLE_LABEL = DISCARD_REASONS["self_excluded"]
# Nothing left to take out of use: already gone, or living on in its children.
_OUT_OF_USE = frozenset({S.DISCARDED.value, S.PROCESSED.value})


@dataclass(frozen=True)
class Withdrawn:
    """What taking a donation's blood out of use did, unit by unit."""

    discarded: tuple[int, ...] = ()
    recalled: tuple[int, ...] = ()
    transfused: tuple[int, ...] = ()


def units_holding(session: Session, donation_ids: list[int]) -> list[Unit]:
    ids = unit_graph.units_containing(session, donation_ids)
    if not ids:
        return []
    return list(session.execute(select(Unit).where(Unit.id.in_(ids)).order_by(Unit.id).with_for_update()).scalars())


def withdraw_reactive(uow: UnitOfWork, donation_ids: list[int]) -> Withdrawn:
    """Inside the caller's transaction: every unit holding this blood is discarded, or recalled if issued."""
    discarded, recalled, transfused = [], [], []
    for unit in units_holding(uow.session, donation_ids):
        if unit.status in _OUT_OF_USE:
            continue
        if unit.status == S.TRANSFUSED.value:
            transfused.append(unit.id)
        elif unit.status == S.ISSUED.value:
            move(uow, unit, S.RECALLED, event="recall", reason=DISCARD_REASONS["reactive"],
                 detail={"reason": "reactive"})
            recalled.append(unit.id)
        else:
            discard_unit(uow, unit, "reactive", None)
            discarded.append(unit.id)
    return Withdrawn(tuple(discarded), tuple(recalled), tuple(transfused))


def withdraw_not_suitable(uow: UnitOfWork, donation_ids: list[int]) -> Withdrawn:
    """Inside the caller's transaction: the same, for a self-exclusion, said neutrally."""
    discarded, recalled = [], []
    neutral = {"reason": NOT_SUITABLE_LABEL}
    for unit in units_holding(uow.session, donation_ids):
        if unit.status in _OUT_OF_USE or unit.status == S.TRANSFUSED.value:
            continue
        if unit.status == S.ISSUED.value:
            move(uow, unit, S.RECALLED, event="recall", reason=NOT_SUITABLE_LABEL, detail=neutral)
            recalled.append(unit.id)
            continue
        if unit.status == S.RESERVED.value:
            end_live_reservation(uow, unit.id, f"unit discarded: {NOT_SUITABLE_LABEL}")
        move(uow, unit, S.DISCARDED, event="discard", reason=NOT_SUITABLE_LABEL, detail=neutral)
        end_holds_of_discarded(uow, unit.id, f"unit discarded: {NOT_SUITABLE_LABEL}")
        # Set apart from `move`, whose audit entry lists every field it sets.
        uow.session.execute(update(Unit).where(Unit.id == unit.id).values(discard_reason="self_excluded")
                            .execution_options(synchronize_session=False))
        discarded.append(unit.id)
    return Withdrawn(tuple(discarded), tuple(recalled))
