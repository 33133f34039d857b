"""A patient's grouping marked entered in error, e.g. a wrong blood in tube found by a discrepant second sample.

The row is never deleted: it stays on the patient's record with who marked it,
when, why and the second person who confirmed it, and it no longer counts for
the patient's profile (so a "discrepant" patient may become "confirmed" or
"unconfirmed" again). The one marking it signs; the second person is another
active account allowed to record patient results.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


from bloodbank.adapters.db.models import PatientSample
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.access import Permission
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.domain.patients import grouping_status
from bloodbank.service_layer.hospital import scope
from bloodbank.service_layer.hospital.patient_profile import load_profile
from bloodbank.service_layer.hospital.patients import current_patient, records_of_person
from bloodbank.service_layer.hospital.second_person import check_second_person
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.staff.authentication import confirm_second_person


@dataclass(frozen=True)
class GroupingInError:
    id: int
    patient_id: int  # the record the grouping was made on
    person_id: int  # the surviving record of the person
    sample_id: int | None
    sample_number: str | None
    blood_group: str
    in_error_at: datetime
    in_error_by: str
    in_error_reason: str
    in_error_confirmed_by: str
    status_before: str  # the person's grouping status before: none / unverified / single / confirmed / discrepant
    status_after: str  # and after, without this grouping


def grouping_subject(view: GroupingInError) -> str:
    """How the grouping is named in the signature's meaning."""
    sample = f", sample {view.sample_number}" if view.sample_number else ""
    return f"{view.id} ({view.blood_group}{sample})"


def _grouping_of(uow: UnitOfWork, grouping_id: int, patient_id: int | None, *, lock: bool = False):
    row = scope.grouping(uow, grouping_id, lock=lock)
    if patient_id is not None \
            and row.patient_id not in records_of_person(uow.session, scope.patient(uow, patient_id).id):
        raise NotFound(f"There is no grouping {grouping_id} for this patient.")
    return row


def mark_grouping_in_error(uow: UnitOfWork, *, grouping_id: int, reason: str, confirmed_by: str,
                           confirmer_password: str | None = None, patient_id: int | None = None) -> GroupingInError:
    """Mark one grouping entered in error, confirmed by a second person; it stays on file and no longer counts.

    The second person is a colleague with an account who may record patient results and sees this patient,
    and proves it is them with their own password (`confirmer_password`), as a bedside checker does.
    `patient_id`, when given (a page or URL about one patient), must be a record of the grouping's person.
    """
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise InvalidInput("Give the reason the grouping was entered in error (e.g. 'wrong blood in tube: sample "
                           "taken from another patient'): nothing was marked.")
    checker = confirmed_by.strip().lower() if isinstance(confirmed_by, str) else ""
    if not checker:
        raise InvalidInput("Name the second person who confirmed the grouping is in error (their user name): "
                           "nothing was marked.")
    if checker == (uow.actor or "").strip().lower():
        raise InvalidInput("The second person confirming a grouping in error must be someone other than the one "
                           "marking it: nothing was marked.")
    with uow.again() as first:
        _grouping_of(first, grouping_id, patient_id)  # another hospital's grouping is not found, before anything
    checker = confirm_second_person(uow, username=checker, password=confirmer_password,
                                    act="grouping entered in error")
    with uow:
        session = uow.session
        row = _grouping_of(uow, grouping_id, patient_id, lock=True)
        if row.in_error_at is not None:
            raise Conflict(f"Grouping {row.id} ({row.blood_group}) was already marked entered in error by "
                           f"{row.in_error_by} on {row.in_error_at:%Y-%m-%d %H:%M} UTC.")
        person = current_patient(session, row.patient_id)
        # The second person checks this patient's record, so must be one who may see it.
        user = check_second_person(session, checker, permission=Permission.PATIENTS_WRITE, person=person,
                                   act="grouping entered in error")
        before = grouping_status(load_profile(session, person.id))
        row.in_error_at = utcnow()
        row.in_error_by = uow.actor
        row.in_error_reason = reason
        row.in_error_confirmed_by = user.username
        session.flush()
        after = grouping_status(load_profile(session, person.id))
        sample_number = session.get(PatientSample, row.sample_id).sample_number if row.sample_id else None
        uow.audit("mark_grouping_in_error", "patient", person.id,
                  old={"grouping_id": row.id, "blood_group": row.blood_group, "grouping_status": before},
                  new={"grouping_id": row.id, "sample": sample_number, "in_error_by": row.in_error_by,
                       "in_error_confirmed_by": row.in_error_confirmed_by, "grouping_status": after},
                  reason=reason)
        view = GroupingInError(
            id=row.id, patient_id=row.patient_id, person_id=person.id, sample_id=row.sample_id,
            sample_number=sample_number, blood_group=row.blood_group, in_error_at=row.in_error_at,
            in_error_by=row.in_error_by, in_error_reason=reason, in_error_confirmed_by=user.username,
            status_before=before, status_after=after)
        uow.commit()
        return view
