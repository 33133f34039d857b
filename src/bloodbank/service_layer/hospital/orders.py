"""Orders for blood from the hospitals: placing, cancelling, listing.

Allocation and issue move an order on through `set_order_status`; the
transitions themselves are the domain's table (`domain.patients.ORDER_TRANSITIONS`).
An order names its patient, except a stock-replenishment order for the
hospital's own fridge (`for_stock=True`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields as dataclass_fields
from datetime import datetime, timedelta, tzinfo

from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from bloodbank.adapters.db.models import Hospital, Issue, Order, Patient, PatientIdentifier, Reservation
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import scheduling
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.domain.patients import (
    normalize_group, order_kind, order_quantity, order_transition, urgency_code,
)
from bloodbank.domain.unit_status import UnitStatus
from bloodbank.service_layer.hospital import scope
from bloodbank.service_layer.hospital.patient_profile import load_profile
from bloodbank.service_layer.hospital.patients import records_of_person
from bloodbank.service_layer.shared.clocks import hospital_clock
from bloodbank.service_layer.shared.reservations import end_reservation
from bloodbank.service_layer.shared.unit_moves import load_unit, move
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

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
                  note=_note(note))
    if for_stock and patient_id is not None:
        raise InvalidInput("A stock order is for the hospital's fridge, not a patient: leave the patient out.")
    if not for_stock and patient_id is None:
        raise InvalidInput("Name the patient (register an emergency patient if they are not yet identified), "
                           "or mark the order as for stock.")
    with uow:
        session = uow.session
        hospital = scope.hospital(uow, hospital_id)
        fields["needed_by"] = _needed_by(needed_by, hospital_clock(session, hospital))
        # The surviving record: an order under a merged-away number must still meet the person's flags.
        patient = scope.patient(uow, patient_id).id if patient_id is not None else None
        view = _insert_order(uow, hospital_id, patient, fields)
        uow.commit()
        return view


def _insert_order(uow: UnitOfWork, hospital_id: int, patient_id: int | None, fields: dict,
                  extra_audit: dict | None = None) -> OrderView:
    session = uow.session
    row = Order(hospital_id=hospital_id, patient_id=patient_id, status="open", ordered_by=uow.actor, **fields)
    session.add(row)
    session.flush()
    uow.audit("place", "order", row.id, new={**_audited(row), **(extra_audit or {})})
    return order_view(session, row)


def cancel_order(uow: UnitOfWork, *, order_id: int, reason: str) -> OrderView:
    """Cancel the order and put every unit still reserved for it back into available stock."""
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise InvalidInput("Give the reason for cancelling the order.")
    with uow:
        session = uow.session
        order = scope.order(uow, order_id, lock=True)
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
        end_reservation(uow, reservation, reason, audit=False)
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
        statement = select(Order).where(scope.hospitals_visible(uow.scope, Order.hospital_id))
        if hospital_id is not None:
            statement = statement.where(Order.hospital_id == hospital_id)
        if status is not None:
            statement = statement.where(Order.status == status)
        rows = uow.session.execute(statement.order_by(Order.needed_by, Order.id).limit(limit).offset(offset))
        return [order_view(uow.session, row) for row in rows.scalars()]


def get_order(uow: UnitOfWork, order_id: int) -> OrderView:
    with uow:
        return order_view(uow.session, scope.order(uow, order_id))


def load_order(session, order_id: int, *, lock: bool = False) -> Order:
    """Any hospital's order, for the system's own work; a use case run for a person loads through `scope.order`."""
    statement = select(Order).where(Order.id == order_id)
    if lock:
        statement = statement.with_for_update()
    row = session.execute(statement).scalar_one_or_none()
    if row is None:
        raise NotFound(f"There is no order {order_id}.")
    return row


def _needed_by(value: object, clock: tzinfo) -> datetime:
    """An aware time as given; a naive one is read on the hospital's wall clock, as the ward says it."""
    if not isinstance(value, datetime):
        raise InvalidInput("Give the date and time the blood is needed.")
    if value.tzinfo is None:
        wall = value
        value = scheduling.local_to_utc(wall, clock)
        if value is None:
            raise InvalidInput(f"{wall:%H:%M} on {wall:%Y-%m-%d} does not exist on the hospital's clock "
                               "(the clocks go forward then): give another time.")
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


# ---------------------------------------------------------------- the hospital's screens and API

OPEN_STATUSES = ("open", "allocated", "issued")


@dataclass(frozen=True)
class OrderSummary(OrderView):
    """An order as a list shows it: whose it is and how far it has gone."""

    hospital_code: str
    patient_name: str | None
    patient_identifier: str | None  # "system:value", the first the person was given
    issued_count: int


@dataclass(frozen=True)
class OrderList:
    items: tuple[OrderSummary, ...]
    total: int


def place_requested_order(uow: UnitOfWork, *, hospital_id: int, kind: str, quantity: int, needed_by: datetime,
                          urgency: str = "routine", patient_id: int | None = None,
                          patient_identifier: str | None = None, for_stock: bool = False,
                          blood_group: str | None = None, note: str = "") -> OrderView:
    """An order as a request form gives it: the patient by record id or identifier, and the group asked for.

    The group written on a request is a check, not a choice: units are chosen
    by the patient's recorded group. A request naming another group than the
    one on record may be for someone else (wrong patient on the form), so it
    is refused rather than quietly corrected.
    """
    fields = dict(kind=order_kind(kind), quantity=order_quantity(quantity), urgency=urgency_code(urgency),
                  note=_note(note))
    identifier = (patient_identifier or "").strip() if isinstance(patient_identifier, str) else ""
    if patient_id is not None and identifier:
        raise InvalidInput("Name the patient by record id or by identifier, not both.")
    named = patient_id is not None or bool(identifier)
    if for_stock and named:
        raise InvalidInput("A stock order is for the hospital's fridge, not a patient: leave the patient out.")
    if not for_stock and not named:
        raise InvalidInput("Name the patient (register an emergency patient if they are not yet identified), "
                           "or mark the order as for stock.")
    group = blood_group.strip() if isinstance(blood_group, str) else blood_group
    if group and for_stock:
        raise InvalidInput("A stock order is not for one group of patient: leave the blood group out.")
    with uow:
        session = uow.session
        hospital = scope.hospital(uow, hospital_id)
        fields["needed_by"] = _needed_by(needed_by, hospital_clock(session, hospital))
        patient = None
        if patient_id is not None:
            patient = scope.patient(uow, patient_id).id
        elif identifier:
            found = scope.patient_by_identifier(uow, identifier)
            if found is None:
                raise NotFound(f"No patient has the identifier {identifier}: register the patient first.")
            patient = found.id
        requested = _requested_group(session, patient, group) if group else None
        view = _insert_order(uow, hospital_id, patient, fields,
                             {"requested_group": requested} if requested else None)
        uow.commit()
        return view


def _requested_group(session, patient_id: int, text: str) -> str:
    wanted = normalize_group(text)
    on_record = set()
    for grouping in load_profile(session, patient_id).groupings:
        try:
            on_record.add(normalize_group(grouping.blood_group))
        except InvalidInput:
            return wanted  # an unreadable result makes the record discrepant: group O whatever is asked
    if len(on_record) == 1 and wanted not in on_record:
        recorded = next(iter(on_record))
        raise InvalidInput(f"The request asks for group {wanted}, but this patient is grouped {recorded} on "
                           "record: check the request form and the patient's identity. Nothing was ordered.")
    return wanted


def find_orders(uow: UnitOfWork, *, hospital_id: int | None = None, statuses: tuple[str, ...] | None = None,
                urgency: str | None = None, kind: str | None = None, patient_id: int | None = None,
                limit: int = 50, offset: int = 0) -> OrderList:
    """A page of orders, soonest needed first, with the count of all that match."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"Show between 1 and {MAX_PAGE} orders at a time.")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidInput("The offset is a whole number, 0 or more.")
    for status in statuses or ():
        order_transition(status, status)  # refuses an unknown status
    urgency = urgency_code(urgency) if urgency else None
    kind = order_kind(kind) if kind else None
    with uow:
        session = uow.session
        conditions = [scope.hospitals_visible(uow.scope, Order.hospital_id)]
        if hospital_id is not None:
            conditions.append(Order.hospital_id == hospital_id)
        if statuses:
            conditions.append(Order.status.in_(list(statuses)))
        if urgency:
            conditions.append(Order.urgency == urgency)
        if kind:
            conditions.append(Order.kind == kind)
        if patient_id is not None:
            # Every record of the person: orders placed under a merged-away number are theirs too.
            conditions.append(Order.patient_id.in_(records_of_person(session, scope.patient(uow, patient_id).id)))
        total = session.scalar(select(func.count()).select_from(Order).where(*conditions))
        rows = session.execute(select(Order).where(*conditions).order_by(Order.needed_by, Order.id)
                               .limit(limit).offset(offset)).scalars().all()
        return OrderList(tuple(_summaries(session, rows)), total)


def _summaries(session, rows: list[Order]) -> list[OrderSummary]:
    order_ids = [r.id for r in rows]
    patient_ids = sorted({r.patient_id for r in rows if r.patient_id is not None})
    hospitals = dict(session.execute(select(Hospital.id, Hospital.code).where(
        Hospital.id.in_(sorted({r.hospital_id for r in rows})))).all())
    names = {pid: f"{given} {family}".strip() or "Unknown patient" for pid, given, family in session.execute(
        select(Patient.id, Patient.given_name, Patient.family_name).where(Patient.id.in_(patient_ids))).all()}
    identifiers: dict[int, str] = {}
    for pid, system, value in session.execute(
            select(PatientIdentifier.patient_id, PatientIdentifier.system, PatientIdentifier.value)
            .where(PatientIdentifier.patient_id.in_(patient_ids)).order_by(PatientIdentifier.id)).all():
        identifiers.setdefault(pid, f"{system}:{value}")
    issued = dict(session.execute(select(Issue.order_id, func.count()).where(Issue.order_id.in_(order_ids))
                                  .group_by(Issue.order_id)).all())
    summaries = []
    for row in rows:
        view = order_view(session, row)
        summaries.append(OrderSummary(
            **{f.name: getattr(view, f.name) for f in dataclass_fields(OrderView)},
            hospital_code=hospitals.get(row.hospital_id, ""), patient_name=names.get(row.patient_id),
            patient_identifier=identifiers.get(row.patient_id), issued_count=issued.get(row.id, 0)))
    return summaries
