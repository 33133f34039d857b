"""What each affected site must still do about a recall, until it records what it did with each unit.

A recall changes the units' status at once, but a bag in a fridge or on a ward
only comes back when someone there acts. So every unit a recall reached stays
on the home page of those who must act (the blood bank's stock, or the ward
for an issued or transfused unit) until they record what they did with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import func, select, true

from bloodbank.adapters.db.models import Issue, Order, Patient, Recall, RecallUnit, Site, Unit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.service_layer.hospital import scope
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.traceability.recall import ACTIONS

Side = Literal["stock", "ward"]
# "already_out" needs nobody: the unit was discarded, recalled or processed before.
SIDES: dict[str, tuple[str, ...]] = {
    "stock": ("recalled",),
    "ward": ("recalled_from_ward", "in_transfusion", "listed"),
}
MAX_NOTE = 2000
MAX_SHOWN = 200


@dataclass(frozen=True)
class RecallTask:
    recall_id: int
    reason: str
    opened_at: datetime
    unit_id: int
    din: str
    product_code: str
    division: str
    kind: str
    site_id: int | None
    site_code: str | None
    action: str
    to_do: str
    handled_at: datetime | None = None
    handled_by: str | None = None
    handled_note: str | None = None


def side_of(action: str) -> Side | None:
    return next((side for side, actions in SIDES.items() if action in actions), None)  # type: ignore[return-value]


def _query():
    return (select(RecallUnit, Recall, Unit, Site.code)
            .join(Recall, Recall.id == RecallUnit.recall_id).join(Unit, Unit.id == RecallUnit.unit_id)
            .outerjoin(Site, Site.id == Unit.site_id))


def _task(link: RecallUnit, recall: Recall, unit: Unit, site_code: str | None) -> RecallTask:
    return RecallTask(
        recall_id=recall.id, reason=recall.reason, opened_at=recall.opened_at, unit_id=unit.id, din=unit.din,
        product_code=unit.product_code, division=unit.division, kind=unit.kind, site_id=unit.site_id,
        site_code=site_code, action=link.action, to_do=ACTIONS.get(link.action, link.action),
        handled_at=link.handled_at, handled_by=link.handled_by, handled_note=link.handled_note,
    )


def open_recall_tasks(uow: UnitOfWork, *, side: Side, site_id: int | None = None,
                      hospital_id: int | None = None) -> list[RecallTask]:
    """The units recalled that the stock (or the wards) must still act on, newest recall first.

    `hospital_id` keeps the units issued to that hospital (its order's, or else its patient's): each
    hospital sees what is on its own wards. The wards' side only ever shows the caller's hospitals' units.
    """
    if side not in SIDES:
        raise InvalidInput(f"Unknown side {side!r}: use stock or ward.")
    query = _query().where(RecallUnit.handled_at.is_(None), RecallUnit.action.in_(SIDES[side]))
    if side == "ward":
        query = query.where(_on_wards_seen(uow))
    if site_id is not None:
        query = query.where(Unit.site_id == site_id)
    if hospital_id is not None:
        issued_there = (select(Issue.unit_id).join(Patient, Patient.id == Issue.patient_id)
                        .outerjoin(Order, Order.id == Issue.order_id)
                        .where(func.coalesce(Order.hospital_id, Patient.hospital_id) == hospital_id))
        query = query.where(Unit.id.in_(issued_there))
    with uow:
        rows = uow.session.execute(
            query.order_by(Recall.opened_at.desc(), Recall.id.desc(), Unit.id).limit(MAX_SHOWN)).all()
        return [_task(*row) for row in rows]


def _on_wards_seen(uow: UnitOfWork):
    """Units issued to a hospital the caller sees."""
    if uow.scope.everything:
        return true()
    return Unit.id.in_(select(Issue.unit_id).where(scope.issues_visible(uow.scope, Issue.id)))


def record_handling(uow: UnitOfWork, *, recall_id: int, unit_id: int, side: Side, note: str) -> RecallTask:
    """What the site did with one recalled unit (sent back, destroyed, recipient's doctor told…).

    `side` is who records it: the stock records units taken out of stock, a ward those issued to it.
    """
    note = (note or "").strip()
    if not note:
        raise InvalidInput("Say what was done with the unit (e.g. 'bag returned to the blood bank, 14:05').")
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"Keep the note under {MAX_NOTE} characters.")
    with uow:
        s = uow.session
        link = s.execute(select(RecallUnit).where(RecallUnit.recall_id == recall_id, RecallUnit.unit_id == unit_id)
                         .with_for_update()).scalar_one_or_none()
        # A ward records what it did with its own hospitals' units; another hospital's are not its to see.
        if link is None or (side == "ward" and not s.execute(
                select(Unit.id).where(Unit.id == unit_id, _on_wards_seen(uow))).first()):
            raise NotFound(f"Recall {recall_id} did not reach unit {unit_id}.")
        if side_of(link.action) is None:
            raise Conflict(f"Unit {unit_id} needed nothing for recall {recall_id}: "
                           f"{ACTIONS.get(link.action, link.action)}.")
        if side_of(link.action) != side:
            raise Conflict(f"Unit {unit_id} of recall {recall_id} is for the {side_of(link.action)} to act on: "
                           f"{ACTIONS.get(link.action, link.action)}.")
        if link.handled_at is not None:
            raise Conflict(f"What was done with unit {unit_id} for recall {recall_id} was already recorded by "
                           f"{link.handled_by}.")
        link.handled_at, link.handled_by, link.handled_note = utcnow(), uow.actor, note
        s.flush()
        uow.audit("handle_recall", "recall", recall_id, old={"unit_id": unit_id, "handled_at": None},
                  new={"unit_id": unit_id, "handled_at": link.handled_at, "handled_by": uow.actor}, reason=note)
        task = _task(*s.execute(_query().where(RecallUnit.recall_id == recall_id,
                                               RecallUnit.unit_id == unit_id)).one())
        uow.commit()
        return task
