"""Orders for blood from the hospitals: placing, cancelling, listing.

Allocation and issue move an order on through `set_order_status`; the
transitions themselves are the domain's table (`domain.patients.ORDER_TRANSITIONS`).
An order names its patient, except a stock-replenishment order for the
hospital's own fridge (`for_stock=True`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from bloodbank.adapters.db.models import Order, Reservation
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.domain.patients import order_kind, order_quantity, order_transition, urgency_code
from bloodbank.domain.unit_status import UnitStatus
from bloodbank.service_layer.hospitals import load_hospital
from bloodbank.service_layer.patients import current_patient
from bloodbank.service_layer.unit_moves import load_unit, move
from bloodbank.service_layer.unit_of_work import UnitOfWork

# Further ahead than this is almost always a mistyped date.
MAX_LEAD_TIME = timedelta(days=90)
MAX_NOTE = 1000
MAX_PAGE = 500


@dataclass(frozen=True)
class OrderView:
    id: int
    hospital_id: int
    patient_id: int | None
    kind: str
    quantity: int
    needed_by: datetime
    urgency: str
    status: str
    ordered_by: str
    note: str
    created_at: datetime
    reserved_unit_ids: tuple[int, ...]  # units held for it now (live reservations)

    @property
    def for_stock(self) -> bool:
        return self.patient_id is None


def order_view(session, row: Order) -> OrderView:
    units = session.execute(
        select(Reservation.unit_id).where(Reservation.order_id == row.id, Reservation.released_at.is_(None))
        .order_by(Reservation.id)
    ).scalars().all()
    return OrderView(row.id, row.hospital_id, row.patient_id, row.kind, row.quantity, row.needed_by, row.urgency,
                     row.status, row.ordered_by, row.note, row.created_at, tuple(units))


def place_order(uow: UnitOfWork, *, hospital_id: int, kind: str, quantity: int, needed_by: datetime,
                urgency: str = "routine", patient_id: int | None = None, for_stock: bool = False,
                note: str = "") -> OrderView:
    fields = dict(kind=order_kind(kind), quantity=order_quantity(quantity), urgency=urgency_code(urgency),
                  needed_by=_needed_by(needed_by), note=_note(note))
    if for_stock and patient_id is not None:
        raise InvalidInput("A stock order is for the hospital's fridge, not a patient: leave the patient out.")
    if not for_stock and patient_id is None:
        raise InvalidInput("Name the patient (register an emergency patient if they are not yet identified), "
                           "or mark the order as for stock.")
    with uow:
        session = uow.session
        load_hospital(session, hospital_id)
        # The surviving record: an order under a merged-away number must still meet the person's flags.
        patient = current_patient(session, patient_id).id if patient_id is not None else None
        row = Order(hospital_id=hospital_id, patient_id=patient, status="open", ordered_by=uow.actor, **fields)
        session.add(row)
        session.flush()
        uow.audit("place", "order", row.id, new=_audited(row))
        view = order_view(session, row)
        uow.commit()
        return view


def cancel_order(uow: UnitOfWork, *, order_id: int, reason: str) -> OrderView:
    """Cancel the order and put every unit still reserved for it back into available stock."""
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise InvalidInput("Give the reason for cancelling the order.")
    with uow:
        session = uow.session
        order = load_order(session, order_id, lock=True)
        set_order_status(uow, order, "cancelled", reason=reason)
        released = release_reservations(uow, order.id, reason=f"order {order.id} cancelled: {reason}")
        uow.audit("release_reservations", "order", order.id, new={"units": released}, reason=reason)
        view = order_view(session, order)
        uow.commit()
        return view


def release_reservations(uow: UnitOfWork, order_id: int, *, reason: str) -> list[int]:
    """Release the order's live reservations on units still reserved; ids of the units made available.

    A unit already issued keeps its reservation as the record of why it went.
    """
    session = uow.session
    live = session.execute(
        select(Reservation).where(Reservation.order_id == order_id, Reservation.released_at.is_(None))
        .order_by(Reservation.unit_id)
    ).scalars().all()
    released = []
    for reservation in live:
        unit = load_unit(session, reservation.unit_id, lock=True)
        if unit.status != UnitStatus.RESERVED.value:
            continue
        reservation.released_at, reservation.released_by = utcnow(), uow.actor
        reservation.release_reason = reason
        move(uow, unit, UnitStatus.AVAILABLE, event="reservation_released", reason=reason,
             detail={"order_id": order_id, "reservation_id": reservation.id})
        released.append(unit.id)
    session.flush()
    return released


def set_order_status(uow: UnitOfWork, order: Order, status: str, *, reason: str | None = None) -> str:
    """Move an order along ORDER_TRANSITIONS, compare-and-set, audited. Same status: nothing to do."""
    before = order.status
    after = order_transition(before, status)
    if after == before:
        return after
    result = uow.session.execute(
        update(Order).where(Order.id == order.id, Order.status == before).values(status=after)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict(f"Order {order.id} was changed by someone else a moment ago; reload it and try again.")
    set_committed_value(order, "status", after)
    uow.audit("status", "order", order.id, old={"status": before}, new={"status": after}, reason=reason)
    return after


def list_orders(uow: UnitOfWork, *, hospital_id: int | None = None, status: str | None = None,
                limit: int = 50, offset: int = 0) -> list[OrderView]:
    """Soonest needed first."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"Show between 1 and {MAX_PAGE} orders at a time.")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidInput("The offset is a whole number, 0 or more.")
    if status is not None:
        order_transition(status, status)  # refuses an unknown status
    with uow:
        statement = select(Order)
        if hospital_id is not None:
            statement = statement.where(Order.hospital_id == hospital_id)
        if status is not None:
            statement = statement.where(Order.status == status)
        rows = uow.session.execute(statement.order_by(Order.needed_by, Order.id).limit(limit).offset(offset))
        return [order_view(uow.session, row) for row in rows.scalars()]


def get_order(uow: UnitOfWork, order_id: int) -> OrderView:
    with uow:
        return order_view(uow.session, load_order(uow.session, order_id))


def load_order(session, order_id: int, *, lock: bool = False) -> Order:
    statement = select(Order).where(Order.id == order_id)
    if lock:
        statement = statement.with_for_update()
    row = session.execute(statement).scalar_one_or_none()
    if row is None:
        raise NotFound(f"There is no order {order_id}.")
    return row


def _needed_by(value: object) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidInput("Give the date and time the blood is needed, with its time zone.")
    now = utcnow()
    if value <= now:
        raise InvalidInput(f"The time needed ({value.isoformat(timespec='minutes')}) has already passed: "
                           "give a time in the future.")
    if value - now > MAX_LEAD_TIME:
        raise InvalidInput(f"The time needed is more than {MAX_LEAD_TIME.days} days ahead: check the date.")
    return value


def _note(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value.strip()) > MAX_NOTE:
        raise InvalidInput(f"The note is text of at most {MAX_NOTE} characters.")
    return value.strip()


def _audited(row: Order) -> dict:
    return {"hospital_id": row.hospital_id, "patient_id": row.patient_id, "kind": row.kind,
            "quantity": row.quantity, "needed_by": row.needed_by.isoformat(), "urgency": row.urgency,
            "status": row.status, "note": row.note}
