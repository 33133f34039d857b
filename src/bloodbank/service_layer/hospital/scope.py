"""Each hospital sees its own: the loaders and list filters every hospital-side use case reads through.

The caller's scope (`domain.hospital_scope`) travels on the unit of work
(`uow.scope`, made from the person asking). A use case given the id of a
patient, order, reservation, issue, transfusion, sample, grouping or
requirement loads it here: a record of a hospital outside the scope is
`NotFound` with the very message a record that does not exist gets, so a
refusal tells nothing of what another hospital holds. Lists are filtered in
SQL by the same rule (`*_visible` below), never after the page is cut.

The checks that protect a patient (a wristband scanned at issue or at the
bedside) still read the whole database (`patient_records`): a scan belonging to
someone else stops the issue whoever they are; only what the refusal names is
kept to the caller's scope.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from bloodbank.adapters.db.models import (
    Hospital, Issue, Order, Patient, PatientGrouping, PatientSample, Reservation, SpecialRequirement, Transfusion,
)
from bloodbank.domain.errors import NotFound
from bloodbank.domain.hospital_scope import HospitalScope
from bloodbank.service_layer.hospital.patient_records import (
    current_patient, find_patient_by_identifier, records_of_person,
)
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


# ---------------------------------------------------------------- in SQL, for lists


def _ids(scope: HospitalScope) -> list[int]:
    return sorted(scope.hospital_ids or ())


def hospitals_visible(scope: HospitalScope, column) -> ColumnElement[bool]:
    """`column` (a hospital id) names a hospital in scope."""
    return true() if scope.everything else column.in_(_ids(scope))


def persons_visible(scope: HospitalScope) -> Select:
    """The ids of surviving patient records the scope sees: their hospital's, or ordered for by one in scope."""
    ids = _ids(scope)
    # Never correlated with an outer query of patients: it is the same list whatever asks for it.
    return select(Patient.id).where(Patient.merged_into_id.is_(None), or_(
        Patient.hospital_id.in_(ids), Patient.id.in_(select(Order.patient_id).where(Order.hospital_id.in_(ids))))
    ).correlate(None)


def survivors_visible(scope: HospitalScope) -> ColumnElement[bool]:
    """For a query of surviving `Patient` rows: the ones the scope sees."""
    return true() if scope.everything else Patient.id.in_(persons_visible(scope))


def patient_records_visible(scope: HospitalScope, column) -> ColumnElement[bool]:
    """`column` (a patient id: a sample's, a grouping's…) is a record of a person the scope sees.

    A merged record points straight at its survivor (a merge re-points every earlier one), so one step
    reaches the person.
    """
    if scope.everything:
        return true()
    record = aliased(Patient)
    return column.in_(select(record.id).where(
        func.coalesce(record.merged_into_id, record.id).in_(persons_visible(scope))))


def issues_visible(scope: HospitalScope, column) -> ColumnElement[bool]:
    """`column` (an issue id) is an issue of a hospital in scope: its order's, or without one its patient's."""
    if scope.everything:
        return true()
    issue, order, patient = aliased(Issue), aliased(Order), aliased(Patient)
    return column.in_(
        select(issue.id).join(patient, patient.id == issue.patient_id).outerjoin(order, order.id == issue.order_id)
        .where(func.coalesce(order.hospital_id, patient.hospital_id).in_(_ids(scope))))


# ---------------------------------------------------------------- one record, for a use case given its id


def sees_person(session: Session, seen: HospitalScope, survivor: Patient) -> bool:
    """Whether `seen` covers the person whose surviving record this is."""
    if seen.everything or seen.includes(survivor.hospital_id):
        return True
    ordering = session.execute(select(Order.hospital_id).distinct().where(
        Order.patient_id.in_(records_of_person(session, survivor.id)))).scalars().all()
    return seen.sees_patient(survivor.hospital_id, ordering)


def patient(uow: UnitOfWork, patient_id: int) -> Patient:
    """The record holding the person now (merges followed), if the caller sees them."""
    survivor = current_patient(uow.session, patient_id)
    if not sees_person(uow.session, uow.scope, survivor):
        raise NotFound(f"There is no patient record {patient_id}.")
    return survivor


def patient_by_identifier(uow: UnitOfWork, text: str) -> Patient | None:
    """The person holding an identifier, among those the caller sees; None when none of them does."""
    return find_patient_by_identifier(uow.session, text,
                                      among=lambda found: sees_person(uow.session, uow.scope, found))


def hospital(uow: UnitOfWork, hospital_id: int | str) -> Hospital:
    """By id, or by code (RXH): one of the caller's hospitals. Orders and patients are made only for those."""
    session = uow.session
    if isinstance(hospital_id, int):
        row = session.get(Hospital, hospital_id)
    else:
        row = session.execute(select(Hospital).where(
            Hospital.code == (hospital_id or "").strip().upper())).scalar_one_or_none()
    if row is None or not uow.scope.includes(row.id):
        raise NotFound(f"There is no hospital {hospital_id}.")
    return row


def order(uow: UnitOfWork, order_id: int, *, lock: bool = False) -> Order:
    statement = select(Order).where(Order.id == order_id)
    row = uow.session.execute(statement.with_for_update() if lock else statement).scalar_one_or_none()
    if row is None or not uow.scope.includes(row.hospital_id):
        raise NotFound(f"There is no order {order_id}.")
    return row


def reservation(uow: UnitOfWork, reservation_id: int, *, lock: bool = False) -> Reservation:
    row = uow.session.get(Reservation, reservation_id, with_for_update=lock)
    if row is None or not uow.scope.includes(uow.session.get(Order, row.order_id).hospital_id):
        raise NotFound(f"There is no reservation {reservation_id}.")
    return row


def issue(uow: UnitOfWork, issue_id: int, *, lock: bool = False, missing: str | None = None) -> Issue:
    """`missing` is the use case's own words for an issue not on file; one of another hospital gets the same."""
    row = uow.session.get(Issue, issue_id, with_for_update=lock)
    if row is None or not _sees_issue(uow, row):
        raise NotFound(missing or f"There is no issue record {issue_id}.")
    return row


def _sees_issue(uow: UnitOfWork, row: Issue) -> bool:
    if uow.scope.everything:
        return True
    placed = uow.session.get(Order, row.order_id) if row.order_id is not None else None
    return uow.scope.sees_issue(placed.hospital_id if placed else None,
                                uow.session.get(Patient, row.patient_id).hospital_id)


def transfusion(uow: UnitOfWork, transfusion_id: int, *, lock: bool = False) -> Transfusion:
    statement = select(Transfusion).where(Transfusion.id == transfusion_id)
    row = uow.session.execute(statement.with_for_update() if lock else statement).scalar_one_or_none()
    if row is None or not _sees_issue(uow, uow.session.get(Issue, row.issue_id)):
        raise NotFound(f"No transfusion {transfusion_id}.")
    return row


def _of_visible_person(uow: UnitOfWork, patient_id: int) -> bool:
    if uow.scope.everything:
        return True
    return sees_person(uow.session, uow.scope, current_patient(uow.session, patient_id))


def sample(uow: UnitOfWork, sample_id: int) -> PatientSample:
    row = uow.session.get(PatientSample, sample_id)
    if row is None or not _of_visible_person(uow, row.patient_id):
        raise NotFound(f"There is no sample {sample_id}.")
    return row


def grouping(uow: UnitOfWork, grouping_id: int, *, lock: bool = False) -> PatientGrouping:
    row = uow.session.get(PatientGrouping, grouping_id, with_for_update=lock)
    if row is None or not _of_visible_person(uow, row.patient_id):
        raise NotFound(f"There is no grouping {grouping_id}.")
    return row


def requirement(uow: UnitOfWork, requirement_id: int) -> SpecialRequirement:
    row = uow.session.get(SpecialRequirement, requirement_id)
    if row is None or not _of_visible_person(uow, row.patient_id):
        raise NotFound(f"There is no special requirement {requirement_id}.")
    return row
