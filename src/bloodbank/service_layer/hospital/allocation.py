"""Holding units for an order: allocate, reserve by hand, release.

Two clerks may reach for the last O-negative unit at once. Candidates are
read with a row lock (PostgreSQL; SQLite's single writer does the same), the
status change is a compare-and-set and the reservation table allows one live
reservation per unit: whichever guard trips, the whole allocation is rolled
back and the clerk is told to allocate again. Nothing is ever half-reserved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Hospital, Issue, Order, Reservation, Unit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.allocation import (
    O_NEGATIVE, choose_units, kinds_for_order, needs_o_negative, o_negative_note, possible_groups, unit_refusals,
)
from bloodbank.domain.errors import Conflict, InvalidInput
from bloodbank.domain.patient_profile import PatientProfile
from bloodbank.domain.requirements import UnitFacts
from bloodbank.service_layer.blood.unit_lookup import unit_by_scan
from bloodbank.service_layer.hospital import scope
from bloodbank.service_layer.hospital.orders import set_order_status
from bloodbank.service_layer.hospital.patient_profile import load_profile
from bloodbank.service_layer.shared import unit_moves
from bloodbank.service_layer.shared.reservations import end_reservation
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

EMERGENCY_URGENCIES = ("emergency", "massive_transfusion")


@dataclass(frozen=True)
class ReservationView:
    id: int
    order_id: int
    unit_id: int
    din: str
    product_code: str
    kind: str
    blood_group: str | None
    expires_at: datetime
    reserved_at: datetime
    reserved_by: str
    note: str
    released_at: datetime | None = None
    release_reason: str | None = None


@dataclass(frozen=True)
class AllocationView:
    order_id: int
    order_status: str
    quantity: int
    reserved: tuple[ReservationView, ...]  # every live reservation of the order, new ones included
    notes: tuple[str, ...]
    shortfall: int


def unit_facts(unit: Unit) -> UnitFacts:
    return UnitFacts(
        id=unit.id, din=unit.din, kind=unit.kind, blood_group=unit.blood_group, expires_at=unit.expires_at,
        irradiated=unit.irradiated, cmv_negative=unit.cmv_negative, low_titer=unit.low_titer,
        status=unit.status, site_id=unit.site_id, product_code=unit.product_code, division=unit.division,
    )


def allocate(uow: UnitOfWork, *, order_id: int) -> AllocationView:
    """Reserve the best units in stock for the order; a shortfall leaves it open."""
    with uow:
        session = uow.session
        order = _open_order(uow, order_id)
        remaining = order.quantity - held_count(session, order.id)
        if remaining <= 0:
            raise Conflict(f"Order {order.id} already has all {order.quantity} units it asked for.")
        profile = _profile(session, order)
        now = utcnow()
        rows = _best_candidates(session, order, profile, now, remaining)
        chosen = choose_units([unit_facts(u) for u in rows], kind=order.kind, quantity=remaining,
                              profile=profile, needed_by=order.needed_by, now=now,
                              emergency=order.urgency in EMERGENCY_URGENCIES)
        by_id = {u.id: u for u in rows}
        o_neg_note = o_negative_note(profile, emergency=order.urgency in EMERGENCY_URGENCIES)
        for facts in chosen.units:
            note = o_neg_note if facts.group == O_NEGATIVE and o_neg_note in chosen.notes else ""
            hold_unit(uow, order, by_id[facts.id], note)
        update_order_status(uow, order)
        view = _view(session, order, chosen.notes, chosen.shortfall)
        uow.commit()
    return view


def reserve_unit(uow: UnitOfWork, *, order_id: int, unit_id: int) -> AllocationView:
    """Reserve one unit chosen by hand, under the same rules as `allocate`."""
    with uow:
        session = uow.session
        order = _open_order(uow, order_id)
        if order.quantity - held_count(session, order.id) <= 0:
            raise Conflict(f"Order {order.id} already has all {order.quantity} units it asked for.")
        unit = unit_moves.load_unit(session, unit_id, lock=True)
        profile = _profile(session, order)
        now = utcnow()
        if unit.status == "reserved":
            raise Conflict(f"Unit {unit.din} {unit.product_code} was just reserved by someone else; choose another.")
        if unit.site_id != _site_id(session, order):
            raise InvalidInput(f"Unit {unit.din} {unit.product_code} is not in the stock of the blood bank "
                               "serving this order's hospital.")
        facts = unit_facts(unit)
        refusals = unit_refusals(facts, kind=order.kind, profile=profile, needed_by=order.needed_by, now=now)
        if refusals:
            raise InvalidInput(" ".join(refusals))
        note = _manual_o_negative_note(session, order, facts, profile, now)
        hold_unit(uow, order, unit, note)
        update_order_status(uow, order)
        view = _view(session, order, (note,) if note else (), 0)
        uow.commit()
    return view


def reserve_scanned_unit(uow: UnitOfWork, *, order_id: int, scanned_unit: str,
                         scanned_product: str | None = None) -> AllocationView:
    """Reserve the unit in hand by scanning its label, under the same rules as a unit chosen from the list."""
    with uow.again() as first:
        order = _open_order(first, order_id)
        wanted = kinds_for_order(order.kind)
        unit = unit_by_scan(first.session, scanned_unit, scanned_product, fits=lambda u: u.kind in wanted)
        unit_id = unit.id
    return reserve_unit(uow, order_id=order_id, unit_id=unit_id)


def release_reservation(uow: UnitOfWork, *, reservation_id: int, reason: str) -> ReservationView:
    """Give a held unit back to stock; the order is open again for what it now lacks."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why the reservation is released (e.g. 'patient no longer needs it').")
    with uow:
        session = uow.session
        reservation = scope.reservation(uow, reservation_id, lock=True)
        if reservation.released_at is not None:
            raise Conflict(f"Reservation {reservation_id} was already released "
                           f"({reservation.release_reason or 'no reason recorded'}).")
        unit = unit_moves.load_unit(session, reservation.unit_id, lock=True)
        if unit.status != "reserved":
            raise Conflict(f"Unit {unit.din} {unit.product_code} is {unit.status}: only a reserved unit can go back "
                           "to stock this way.")
        end_reservation(uow, reservation, reason)
        unit_moves.move(uow, unit, "available", event="reservation_released", reason=reason,
                        detail={"reservation_id": reservation.id, "order_id": reservation.order_id})
        order = session.get(Order, reservation.order_id)
        update_order_status(uow, order)
        session.flush()
        view = reservation_view(reservation, unit)
        uow.commit()
    return view


def get_allocation(uow: UnitOfWork, *, order_id: int) -> AllocationView:
    with uow:
        order = scope.order(uow, order_id)
        held = held_count(uow.session, order.id)
        return _view(uow.session, order, (), max(order.quantity - held, 0))


# ---------------------------------------------------------------- helpers

def _open_order(uow: UnitOfWork, order_id: int) -> Order:
    # The lock stops two clerks allocating the same order twice over.
    order = scope.order(uow, order_id, lock=True)
    if order.status != "open":
        raise Conflict(f"Order {order.id} is {order.status}: only an open order can have units reserved.")
    return order


def _profile(session: Session, order: Order) -> PatientProfile | None:
    return load_profile(session, order.patient_id) if order.patient_id is not None else None


def _site_id(session: Session, order: Order) -> int:
    hospital = session.get(Hospital, order.hospital_id)
    if hospital is None or hospital.site_id is None:
        raise InvalidInput("The order's hospital has no blood bank assigned: record which site serves it first.")
    return hospital.site_id


def _candidates(session: Session, order: Order, *, lock: bool) -> list[Unit]:
    statement = (
        select(Unit)
        .where(Unit.site_id == _site_id(session, order), Unit.status == "available",
               Unit.kind.in_(sorted(kinds_for_order(order.kind))))
        .order_by(Unit.id)
    )
    if lock:
        statement = statement.with_for_update()
    return list(session.execute(statement).scalars())


# Units read per group and page: enough for most orders in one round trip.
_PAGE = 25


def _best_candidates(session: Session, order: Order, profile: PatientProfile | None, now: datetime,
                     quantity: int) -> list[Unit]:
    """The first-expiring suitable units of each group that could suit the patient, locked.

    The rules rank units by group (ABO-identical first, O-negative last) and
    then by expiry, so the best `quantity` units overall are among the best
    `quantity` suitable units of each group: reading each group in expiry
    order until that many are found gives the same choice as reading the
    whole shelf, at a cost that does not grow with stock. Keyset pages with
    a row lock: a unit another clerk takes meanwhile drops out, and the
    page after it is still read.
    """
    base = (
        select(Unit)
        .where(Unit.site_id == _site_id(session, order), Unit.status == "available",
               Unit.kind.in_(sorted(kinds_for_order(order.kind))), Unit.expires_at > order.needed_by)
        .order_by(Unit.expires_at, Unit.id)
        .limit(max(_PAGE, 2 * quantity))
        .with_for_update()
    )
    found: list[Unit] = []
    for group in sorted(possible_groups(order.kind, profile, now=now)):
        suitable, last = 0, None
        while suitable < quantity:
            statement = base.where(Unit.blood_group == group)
            if last is not None:
                statement = statement.where(or_(Unit.expires_at > last.expires_at,
                                                and_(Unit.expires_at == last.expires_at, Unit.id > last.id)))
            page = list(session.execute(statement).scalars())
            if not page:
                break
            found += page
            last = page[-1]
            suitable += sum(1 for u in page if not unit_refusals(
                unit_facts(u), kind=order.kind, profile=profile, needed_by=order.needed_by, now=now))
    return found


def held_count(session: Session, order_id: int) -> int:
    """Live reservations, issued units included: an issued unit keeps its reservation as the record of why."""
    return session.scalar(select(func.count()).select_from(Reservation).where(
        Reservation.order_id == order_id, Reservation.released_at.is_(None)))


def hold_unit(uow: UnitOfWork, order: Order, unit: Unit, note: str) -> Reservation:
    session = uow.session
    label = f"{unit.din} {unit.product_code}"  # read now: after a failed flush the row cannot be reloaded
    reservation = Reservation(order_id=order.id, unit_id=unit.id, reserved_at=utcnow(), reserved_by=uow.actor,
                              note=note)
    session.add(reservation)
    try:
        session.flush()
        unit_moves.move(uow, unit, "reserved", event="reserved", reason=note or None,
                        detail={"order_id": order.id, "reservation_id": reservation.id})
    except (IntegrityError, OperationalError, Conflict) as error:
        if isinstance(error, OperationalError) and not _is_lock_failure(error):
            raise
        raise Conflict(f"Unit {label} was just reserved by someone else; allocate again.") from None
    uow.audit("reserve", "reservation", reservation.id, new={
        "order_id": order.id, "unit_id": unit.id, "din": unit.din, "patient_id": order.patient_id, "note": note,
    })
    return reservation


def _is_lock_failure(error: OperationalError) -> bool:
    text = str(error.orig).lower()
    return "deadlock" in text or "could not serialize" in text or "database is locked" in text


def _manual_o_negative_note(session: Session, order: Order, facts: UnitFacts, profile: PatientProfile | None,
                            now: datetime) -> str:
    """O-negative by hand for someone who does not need it: only when nothing else suits, and say so."""
    if order.kind != "red_cells" or facts.group != O_NEGATIVE or needs_o_negative(profile, now=now):
        return ""
    others = [unit_facts(u) for u in _candidates(session, order, lock=False) if u.id != facts.id]
    suitable = [u for u in others if u.group != O_NEGATIVE and not unit_refusals(
        u, kind=order.kind, profile=profile, needed_by=order.needed_by, now=now)]
    if suitable:
        raise Conflict(f"Unit {facts.label} is O-negative, kept for O-negative patients and emergencies: "
                       f"{len(suitable)} other suitable unit(s) are in stock. Reserve one of those.")
    return o_negative_note(profile, emergency=order.urgency in EMERGENCY_URGENCIES)


def update_order_status(uow: UnitOfWork, order: Order) -> None:
    """Open, allocated or issued, from what is held and handed out; closed orders are left alone."""
    if order.status not in ("open", "allocated"):
        return
    issued = uow.session.scalar(select(func.count()).select_from(Issue).where(Issue.order_id == order.id))
    if issued >= order.quantity:
        target = "issued"
    elif held_count(uow.session, order.id) >= order.quantity:
        target = "allocated"
    else:
        target = "open"
    uow.session.flush()
    set_order_status(uow, order, target)


def reservation_view(reservation: Reservation, unit: Unit) -> ReservationView:
    return ReservationView(
        id=reservation.id, order_id=reservation.order_id, unit_id=unit.id, din=unit.din,
        product_code=unit.product_code, kind=unit.kind, blood_group=unit.blood_group, expires_at=unit.expires_at,
        reserved_at=reservation.reserved_at, reserved_by=reservation.reserved_by, note=reservation.note,
        released_at=reservation.released_at, release_reason=reservation.release_reason,
    )


def _view(session: Session, order: Order, notes: tuple[str, ...], shortfall: int) -> AllocationView:
    session.flush()
    rows = session.execute(
        select(Reservation, Unit).join(Unit, Unit.id == Reservation.unit_id)
        .where(Reservation.order_id == order.id, Reservation.released_at.is_(None))
        .order_by(Reservation.id)
    ).all()
    return AllocationView(order_id=order.id, order_status=order.status, quantity=order.quantity,
                          reserved=tuple(reservation_view(r, u) for r, u in rows), notes=notes, shortfall=shortfall)


# ---------------------------------------------------------------- choosing by hand

@dataclass(frozen=True)
class CandidateUnit:
    """A unit in stock that could be held for an order, and every reason it may not be."""

    unit_id: int
    din: str
    product_code: str
    kind: str
    blood_group: str | None
    expires_at: datetime
    irradiated: bool
    cmv_negative: bool
    refusals: tuple[str, ...]
    o_negative_kept: bool  # O-negative, not needed by this patient: reserve it only if nothing else suits

    @property
    def suitable(self) -> bool:
        return not self.refusals


MAX_CANDIDATES = 100


def reservation_candidates(uow: UnitOfWork, *, order_id: int, limit: int = 30) -> list[CandidateUnit]:
    """The first-expiring units of every group that could suit the order's patient, suitable ones first.

    What a technician chooses from when reserving by hand; `reserve_unit`
    applies the same rules again, so a list read a minute ago cannot let an
    unsuitable unit through.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_CANDIDATES:
        raise InvalidInput(f"Show between 1 and {MAX_CANDIDATES} candidate units.")
    with uow:
        session = uow.session
        order = scope.order(uow, order_id)
        if order.status != "open":
            return []
        profile = _profile(session, order)
        now = utcnow()
        spare_o_negative = order.kind == "red_cells" and not needs_o_negative(profile, now=now)
        rows = session.execute(
            select(Unit).where(Unit.site_id == _site_id(session, order), Unit.status == "available",
                               Unit.kind.in_(sorted(kinds_for_order(order.kind))), Unit.expires_at > now,
                               Unit.blood_group.in_(sorted(possible_groups(order.kind, profile, now=now))))
            .order_by(Unit.expires_at, Unit.id).limit(limit * 4)
        ).scalars().all()
        return ranked_candidates(rows, kind=order.kind, profile=profile, needed_by=order.needed_by, now=now,
                                 spare_o_negative=spare_o_negative, limit=limit)


def ranked_candidates(units, *, kind: str, profile, needed_by: datetime, now: datetime, spare_o_negative: bool,
                      limit: int) -> list[CandidateUnit]:
    """Units as a person choosing by hand sees them: suitable first, spare O-negative after, soonest expiry first."""
    found = []
    for unit in units:
        facts = unit_facts(unit)
        found.append(CandidateUnit(
            unit_id=unit.id, din=unit.din, product_code=unit.product_code, kind=unit.kind,
            blood_group=unit.blood_group, expires_at=unit.expires_at, irradiated=unit.irradiated,
            cmv_negative=unit.cmv_negative,
            refusals=unit_refusals(facts, kind=kind, profile=profile, needed_by=needed_by, now=now),
            o_negative_kept=spare_o_negative and facts.group == O_NEGATIVE))
    found.sort(key=lambda c: (not c.suitable, c.o_negative_kept, c.expires_at, c.unit_id))
    return found[:limit]
