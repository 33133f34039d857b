"""Handing a unit out for a patient: the scans, the last checks, the record.

Nothing leaves unless the unit scanned is the unit held and the identifier
scanned belongs to the patient it is held for (SHOT: wrong blood to the
wrong patient starts with a skipped check). Every refusal lists all its
reasons and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import (
    Issue, Order, Reservation, Unit,
)
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.domain.issue import (
    IssueRefused, Refusal, electronic_issue_allowed, issue_checks,
)
from bloodbank.domain.patient_profile import PatientProfile
from bloodbank.domain.requirements import (
    RED_CELL_KINDS, manual_checks,
)
from bloodbank.service_layer.hospital.allocation import (
    unit_facts,
    update_order_status,
)
from bloodbank.service_layer.blood.unit_lookup import unit_by_scan
from bloodbank.service_layer.hospital import scope
from bloodbank.service_layer.hospital.crossmatch import current_crossmatch
from bloodbank.service_layer.hospital.patient_profile import load_profile, records_of_person
from bloodbank.service_layer.hospital.patients import find_patient_by_identifier
from bloodbank.service_layer.messaging.blood_used import note_blood_used
from bloodbank.service_layer.shared import unit_moves
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class IssueView:
    id: int
    unit_id: int
    din: str
    product_code: str
    kind: str
    blood_group: str | None
    patient_id: int
    order_id: int | None
    reservation_id: int | None
    crossmatch_id: int | None
    electronic: bool
    emergency: bool
    issued_at: datetime
    issued_by: str
    follow_up_done_at: datetime | None = None
    follow_up_note: str | None = None
    manual_checks: tuple[str, ...] = ()  # requirements whoever hands the unit over must check by hand
    incident_id: int | None = None  # the mass-casualty incident of its order


def issue_unit(uow: UnitOfWork, *, reservation_id: int, scanned_unit: str, scanned_patient: str,
               scanned_product: str | None = None) -> IssueView:
    """Issue a reserved unit after scanning its label and the patient's identifier."""
    with uow:
        session = uow.session
        reservation = scope.reservation(uow, reservation_id, lock=True)
        if reservation.released_at is not None:
            raise Conflict(f"Reservation {reservation_id} is no longer held "
                           f"({reservation.release_reason or 'released'}): allocate again.")
        done = session.execute(select(Issue.id).where(Issue.reservation_id == reservation.id)).scalar()
        if done is not None:
            raise Conflict(f"The unit held by reservation {reservation_id} was already issued (issue {done}).")
        order = session.get(Order, reservation.order_id)
        if order.patient_id is None:
            raise InvalidInput(f"Order {order.id} is a stock order: its units are transferred, "
                               "not issued to a patient.")
        unit = unit_moves.load_unit(session, reservation.unit_id, lock=True)
        profile = load_profile(session, order.patient_id)
        now = utcnow()
        crossmatch = current_crossmatch(session, patient_ids=records_of_person(session, profile.patient_id),
                                        unit_id=unit.id, now=now)
        refuse_if_any(session, issue_checks(
            unit_facts(unit), profile, now=now, scanned_unit_din=scanned_unit, scanned_patient_id=scanned_patient,
            crossmatch=crossmatch.result if crossmatch else None, emergency=False,
            reserved_for=profile.patient_id if unit.status == "reserved" else None, scanned_product=scanned_product,
        ), scanned_patient, profile, uow)
        electronic = unit.kind in RED_CELL_KINDS and crossmatch is None
        issue = record_issue(uow, unit=unit, reservation=reservation, order=order, profile=profile,
                       crossmatch_id=crossmatch.id if crossmatch else None, electronic=electronic, emergency=False,
                       scanned_unit=scanned_unit, scanned_patient=scanned_patient, reason=None)
        view = issue_view(session, issue, unit)
        uow.commit()
    return view


def reservation_of_scan(uow: UnitOfWork, *, order_id: int, scanned_unit: str,
                        scanned_product: str | None = None) -> int:
    """The reservation of this order that holds the bag in hand: the scan is the choice, never a list."""
    with uow:
        session = uow.session
        order = scope.order(uow, order_id)
        # Held and not yet issued: an issued unit keeps its reservation as the record of what it was issued under.
        held = dict(session.execute(
            select(Reservation.unit_id, Reservation.id).join(Unit, Unit.id == Reservation.unit_id)
            .where(Reservation.order_id == order.id, Reservation.released_at.is_(None), Unit.status == "reserved")
        ).all())
        try:
            unit = unit_by_scan(session, scanned_unit, scanned_product, fits=lambda u: u.id in held)
        except (InvalidInput, NotFound):
            unit = None
        if unit is not None and unit.id in held:
            return held[unit.id]
        if len(held) == 1:
            # One unit is held: the issue checks compare the scans with it and list every reason they differ.
            return next(iter(held.values()))
        if unit is None:
            raise InvalidInput("Scan the DIN of a bag held for this order (listed above): the scan does not name "
                               "one.")
        raise Conflict(f"Unit {unit.din} {unit.product_code} is not held for order {order.id}: issue only a bag "
                       "held for this order (listed above), or allocate it first.")


def get_issue(uow: UnitOfWork, *, issue_id: int) -> IssueView:
    with uow:
        issue = scope.issue(uow, issue_id)
        return issue_view(uow.session, issue, uow.session.get(Unit, issue.unit_id))


# ---------------------------------------------------------------- helpers

def refuse_if_any(session: Session, refusals: list[Refusal], scanned_patient: str, profile: PatientProfile,
                  uow: UnitOfWork) -> None:
    if not any(r.code == "wrong_patient" for r in refusals):
        refusals = [*refusals, *_scanned_owner(uow, scanned_patient, profile)]
    if refusals:
        raise IssueRefused(refusals)


def _scanned_owner(uow: UnitOfWork, scanned: str, profile: PatientProfile) -> list[Refusal]:
    """A bare number may belong to another patient under another system: the whole database decides.

    Whose it is, the refusal names only to those who may see that patient: to the others it is a number
    that is not this patient's, which stops the issue all the same.
    """
    try:
        owner = find_patient_by_identifier(uow.session, scanned)
    except InvalidInput as error:
        return [Refusal("wrong_patient", f"Wrong patient? {error.message}", hard_stop=True)]
    if owner is not None and owner.id != profile.patient_id:
        if not scope.sees_person(uow.session, uow.scope, owner):
            return [Refusal("wrong_patient", f"Wrong patient: '{scanned}' is not an identifier of this patient.",
                            hard_stop=True)]
        return [Refusal("wrong_patient", f"Wrong patient: '{scanned}' belongs to another patient record.",
                        hard_stop=True)]
    return []


def live_reservation(session: Session, unit_id: int) -> tuple[Reservation, Order] | None:
    row = session.execute(
        select(Reservation, Order).join(Order, Order.id == Reservation.order_id)
        .where(Reservation.unit_id == unit_id, Reservation.released_at.is_(None))
    ).first()
    return (row[0], row[1]) if row else None


def record_issue(uow: UnitOfWork, *, unit: Unit, reservation: Reservation, order: Order, profile: PatientProfile,
           crossmatch_id: int | None, electronic: bool, emergency: bool, scanned_unit: str, scanned_patient: str,
           reason: str | None) -> Issue:
    session, now = uow.session, utcnow()
    issue = Issue(unit_id=unit.id, patient_id=profile.patient_id, order_id=order.id, reservation_id=reservation.id,
                  crossmatch_id=crossmatch_id, electronic=electronic, emergency=emergency, issued_at=now,
                  issued_by=uow.actor, scanned_unit=scanned_unit.strip()[:40],
                  scanned_patient=scanned_patient.strip()[:60], incident_id=order.incident_id)
    # The reservation stays live as the record of why the unit went (a return ends it).
    session.add(issue)
    session.flush()
    unit_moves.move(uow, unit, "issued", event="issued", reason=reason, detail={
        "issue_id": issue.id, "patient_id": profile.patient_id, "order_id": order.id, "emergency": emergency,
        "electronic": electronic})
    uow.audit("issue", "issue", issue.id, new={
        "unit_id": unit.id, "din": unit.din, "patient_id": profile.patient_id, "order_id": order.id,
        "reservation_id": reservation.id, "crossmatch_id": crossmatch_id, "electronic": electronic,
        "emergency": emergency, "scanned_unit": issue.scanned_unit, "scanned_patient": issue.scanned_patient,
        "incident_id": order.incident_id,
    }, reason=reason)
    update_order_status(uow, order)
    note_blood_used(session, unit=unit, hospital_id=order.hospital_id, now=now)
    return issue


def issue_view(session: Session, issue: Issue, unit: Unit) -> IssueView:
    return IssueView(
        id=issue.id, unit_id=unit.id, din=unit.din, product_code=unit.product_code, kind=unit.kind,
        blood_group=unit.blood_group, patient_id=issue.patient_id, order_id=issue.order_id,
        reservation_id=issue.reservation_id, crossmatch_id=issue.crossmatch_id, electronic=issue.electronic,
        emergency=issue.emergency, issued_at=issue.issued_at, issued_by=issue.issued_by,
        follow_up_done_at=issue.follow_up_done_at, follow_up_note=issue.follow_up_note,
        manual_checks=manual_checks(load_profile(session, issue.patient_id)), incident_id=issue.incident_id,
    )


def electronic_issue_status(uow: UnitOfWork, *, patient_id: int) -> tuple[bool, tuple[str, ...]]:
    """Whether this patient's red cells may be issued without a serological crossmatch, and why not."""
    with uow:
        profile = load_profile(uow.session, scope.patient(uow, patient_id).id)
        return electronic_issue_allowed(profile, now=utcnow())


def issues_of_order(uow: UnitOfWork, *, order_id: int) -> list[IssueView]:
    with uow:
        session = uow.session
        scope.order(uow, order_id)
        rows = session.execute(select(Issue, Unit).join(Unit, Unit.id == Issue.unit_id)
                               .where(Issue.order_id == order_id).order_by(Issue.issued_at, Issue.id)).all()
        return [issue_view(session, issue, unit) for issue, unit in rows]
