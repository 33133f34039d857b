"""Which record holds a person now: the survivor of any merge, every record merged into it, the one an
identifier (a wristband scan) leads to.

These walks read the whole database, whoever asks: the checks at issue and at the bedside must see every
record to stop the wrong blood. What a person may be shown of the result is `scope`'s to say.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Patient, PatientIdentifier
from bloodbank.domain.errors import InvalidInput, NotFound
from bloodbank.domain.patients import candidate_identifiers

# A chain of merges longer than this means the data is corrupt (a loop), not a person.
MAX_MERGE_DEPTH = 50


def current_patient(session: Session, patient_id: int) -> Patient:
    """The record that now holds this person's history: follows merges to the survivor."""
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFound(f"There is no patient record {patient_id}.")
    seen = {patient.id}
    while patient.merged_into_id is not None:
        patient = session.get(Patient, patient.merged_into_id)
        if patient is None or patient.id in seen or len(seen) > MAX_MERGE_DEPTH:
            raise NotFound(f"Patient record {patient_id} was merged, but the record it was merged into "
                           "cannot be found. Call the supervisor.")
        seen.add(patient.id)
    return patient


def find_patient_by_identifier(session: Session, text: str, *,
                               among: Callable[[Patient], bool] | None = None) -> Patient | None:
    """The patient (survivor of any merge) holding the identifier typed or scanned.

    `text` is "SYSTEM:VALUE" (mrn:RXH:123456, nhs:9434765919) or a bare value;
    a bare value that belongs to different patients under different systems is
    refused rather than guessed. `among` keeps only the people it accepts (those
    the caller may see): the others are as if not on file.
    """
    wanted = candidate_identifiers(text)
    if not wanted:
        return None
    rows = session.execute(
        select(PatientIdentifier).where(tuple_(PatientIdentifier.system, PatientIdentifier.value).in_(wanted))
    ).scalars().all()
    owners = {}
    for row in rows:
        owner = current_patient(session, row.patient_id)
        if among is None or among(owner):
            owners.setdefault(owner.id, (owner, row.system))
    if len(owners) > 1:
        systems = ", ".join(sorted(system for _, system in owners.values()))
        raise InvalidInput(f"'{text}' is an identifier of more than one patient (as {systems}): "
                           "write it with its type in front, e.g. mrn:RXH:123456.")
    return next(iter(owners.values()))[0] if owners else None


def records_of_person(session: Session, survivor_id: int) -> list[int]:
    """The survivor's id and every record merged into it, directly or through another merged record."""
    ids, frontier = [survivor_id], [survivor_id]
    while frontier:
        found = session.execute(
            select(Patient.id).where(Patient.merged_into_id.in_(frontier)).order_by(Patient.id)
        ).scalars().all()
        frontier = [i for i in found if i not in ids]
        ids.extend(frontier)
    return ids
