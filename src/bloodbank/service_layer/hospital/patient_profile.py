"""The facts that decide what a patient may receive, gathered from every record of the person.

A flag recorded under the hospital number must stop a unit issued under the
emergency number (SHOT reports this again and again), so the profile reads
the survivor of any merge and every record merged into it, however deep.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import (
    AntibodyScreen, Patient, PatientAntibody, PatientGrouping, PatientIdentifier, SpecialRequirement,
)
from bloodbank.domain.patient_profile import AntibodyScreenResult, Grouping, PatientProfile
from bloodbank.service_layer.hospital.patients import current_patient, patient_today, records_of_person


def load_profile(session: Session, patient_id: int, *, on: date | None = None) -> PatientProfile:
    """`on` is the day requirements must be active on: today on the patient's hospital's clock unless given."""
    survivor = current_patient(session, patient_id)
    ids = records_of_person(session, survivor.id)
    day = on or patient_today(session, survivor)
    return PatientProfile(
        patient_id=survivor.id,
        sex=survivor.sex,
        date_of_birth=survivor.date_of_birth or _first_known_birth_date(session, ids),
        identifiers=_identifiers(session, ids),
        groupings=_groupings(session, ids),
        antibody_screens=_screens(session, ids),
        antibodies=_antibodies(session, ids),
        requirements=active_requirements(session, ids, day),
    )


def _first_known_birth_date(session: Session, ids: list[int]) -> date | None:
    return session.execute(
        select(Patient.date_of_birth).where(Patient.id.in_(ids), Patient.date_of_birth.is_not(None))
        .order_by(Patient.id).limit(1)
    ).scalar()


def _identifiers(session: Session, ids: list[int]) -> tuple[tuple[str, str], ...]:
    rows = session.execute(
        select(PatientIdentifier.system, PatientIdentifier.value)
        .where(PatientIdentifier.patient_id.in_(ids)).order_by(PatientIdentifier.id)
    ).all()
    return tuple((system, value) for system, value in rows)


def _groupings(session: Session, ids: list[int]) -> tuple[Grouping, ...]:
    rows = session.execute(
        # A grouping entered in error (e.g. wrong blood in tube) stays on file but no longer counts.
        select(PatientGrouping).where(PatientGrouping.patient_id.in_(ids), PatientGrouping.in_error_at.is_(None))
        .order_by(PatientGrouping.tested_at, PatientGrouping.id)
    ).scalars().all()
    return tuple(Grouping(blood_group=r.blood_group, sample_id=r.sample_id, tested_at=r.tested_at,
                          manually_edited=r.manually_edited, historical=r.historical, source=r.source,
                          second_entry=r.second_entry_group) for r in rows)


def _screens(session: Session, ids: list[int]) -> tuple[AntibodyScreenResult, ...]:
    rows = session.execute(
        select(AntibodyScreen).where(AntibodyScreen.patient_id.in_(ids))
        .order_by(AntibodyScreen.tested_at, AntibodyScreen.id)
    ).scalars().all()
    return tuple(AntibodyScreenResult(positive=r.positive, sample_id=r.sample_id, tested_at=r.tested_at,
                                      manually_edited=r.manually_edited) for r in rows)


def _antibodies(session: Session, ids: list[int]) -> tuple[str, ...]:
    # Once identified, always on record: an antibody can fall below detection and still cause haemolysis.
    rows = session.execute(
        select(PatientAntibody.antibody).where(
            PatientAntibody.patient_id.in_(ids), PatientAntibody.clinically_significant.is_(True))
        .order_by(PatientAntibody.identified_at, PatientAntibody.id)
    ).scalars().all()
    return tuple(dict.fromkeys(rows))


def active_requirements(session: Session, ids: list[int], day: date) -> frozenset[str]:
    rows = session.execute(
        select(SpecialRequirement.requirement).where(
            SpecialRequirement.patient_id.in_(ids),
            SpecialRequirement.since <= day,
            (SpecialRequirement.until.is_(None)) | (SpecialRequirement.until >= day),
        )
    ).scalars().all()
    return frozenset(rows)
