"""Merging two records of one patient: the history moves, nothing is dropped or deleted.

The classic case: an unconscious patient is transfused under an emergency
number while their antibody and their CMV-negative requirement sit on their
hospital-number record. Once merged, every row pointing at the duplicate
(identifiers, samples, groupings, screens, antibodies, requirements, orders,
crossmatches, issues, transfusions, records merged into it earlier) points at
the survivor, and the duplicate row stays with `merged_into_id` set so its
numbers still lead to the person.

Groupings that disagree across the two records are NOT a reason to refuse:
refusing would leave the flags split over two records. The merged profile
shows "discrepant" and issue falls back to group O until the lab resolves it.
"""

from __future__ import annotations

from bloodbank.adapters.db.models import Patient
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.domain.patients import grouping_status
from bloodbank.service_layer.hospital.patient_profile import load_profile
from bloodbank.service_layer.hospital import scope
from bloodbank.service_layer.hospital.patients import PatientView, current_patient, patient_view, record_id
from bloodbank.service_layer.shared.audit_snapshots import changes, snapshot
from bloodbank.service_layer.shared.record_links import fill_empty_details, lock_pair, merge_reason, repoint_history
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

# Details the survivor takes from the duplicate when it has none.
FILLABLE = ("given_name", "family_name", "sex", "hospital_id")


def merge_patients(uow: UnitOfWork, *, survivor_id: int, duplicate_id: int, reason: str) -> PatientView:
    reason = merge_reason(reason, survivor_id, duplicate_id, person="patient")
    with uow:
        session = uow.session
        survivor, duplicate = lock_pair(session, Patient, survivor_id, duplicate_id, record="patient record")
        for row, role in ((survivor, "record to keep"), (duplicate, "duplicate record")):
            # Both records must be the caller's to see: a merge moves all of one into the other.
            if not scope.sees_person(session, uow.scope, current_patient(session, row.id)):
                raise NotFound(f"There is no patient record {row.id} (the {role}).")
        _refuse_unmergeable(survivor, duplicate)
        before_survivor, before_duplicate = snapshot(survivor), snapshot(duplicate)
        moved = repoint_history(session, Patient.__table__.c.id, duplicate.id, survivor.id)
        _fill_empty_details(survivor, duplicate)
        duplicate.merged_into_id = survivor.id
        session.flush()
        status = grouping_status(load_profile(session, survivor.id))
        uow.audit(
            "merge", "patient", survivor.id,
            old={"survivor": before_survivor, "duplicate": before_duplicate},
            new={"survivor": snapshot(survivor), "duplicate": snapshot(duplicate),
                 "moved": {table: len(ids) for table, ids in moved.items()}, "moved_ids": moved,
                 "grouping_status": status},
            reason=reason,
        )
        old, new = changes(before_duplicate, snapshot(duplicate))
        uow.audit("merged_into", "patient", duplicate.id, old=old, new=new,
                  reason=f"merged into patient {survivor.id}: {reason}")
        view = patient_view(session, survivor)
        uow.commit()
        return view


def _refuse_unmergeable(survivor: Patient, duplicate: Patient) -> None:
    if duplicate.merged_into_id is not None:
        raise Conflict(f"Patient record {duplicate.id} was already merged into record {duplicate.merged_into_id}; "
                       "it holds no history of its own any more.")
    if survivor.merged_into_id is not None:
        raise Conflict(f"Patient record {survivor.id} was itself merged into record {survivor.merged_into_id}: "
                       "merge into that record instead.")


def _fill_empty_details(survivor: Patient, duplicate: Patient) -> None:
    fill_empty_details(survivor, duplicate, FILLABLE)
    # A real date of birth beats a guessed one from the emergency record.
    if duplicate.date_of_birth is not None and (
            survivor.date_of_birth is None
            or (survivor.date_of_birth_estimated and not duplicate.date_of_birth_estimated)):
        survivor.date_of_birth = duplicate.date_of_birth
        survivor.date_of_birth_estimated = duplicate.date_of_birth_estimated


def merge_identified_patients(uow: UnitOfWork, *, survivor_id: int, duplicate: str, reason: str) -> PatientView:
    """Merge the record found by `duplicate` (an identifier, or "id:42") into the survivor.

    The identifier only names the record; `merge_patients` then takes both
    rows under lock and applies every rule again.
    """
    text = duplicate.strip() if isinstance(duplicate, str) else ""
    if not text:
        raise InvalidInput("Type or scan an identifier of the duplicate record (or id:42 for a record number).")
    with uow:
        session = uow.session
        if text.lower().startswith("id:") and text[3:].strip().isdigit():
            found = session.get(Patient, record_id(text[3:]))
            if found is not None and not scope.sees_person(session, uow.scope, current_patient(session, found.id)):
                found = None
        else:
            found = scope.patient_by_identifier(uow, text)
        if found is None:
            raise NotFound(f"No patient record has the identifier {text}.")
        duplicate_id = found.id
    return merge_patients(uow, survivor_id=survivor_id, duplicate_id=duplicate_id, reason=reason)
