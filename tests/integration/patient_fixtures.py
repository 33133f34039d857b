"""Hospitals, patients and their lab history, inserted directly as rows."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import count

from sqlalchemy import func, select

from bloodbank.adapters.db.database import Database
from bloodbank.adapters.db.models import (
    AntibodyScreen, AuditEntry, Crossmatch, Hospital, Issue, Order, Patient, PatientAntibody, PatientGrouping,
    PatientIdentifier, PatientSample, Reservation, Site, SpecialRequirement, Transfusion, Unit,
)
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.isbt128 import make_din
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

_numbers = count(1)

# NHS numbers with a correct Modulus 11 check digit.
VALID_NHS = ("9434765919", "9434765870", "4010232137", "9999999999")


def clerk(database: Database, actor: str = "clerk.ann") -> UnitOfWork:
    return UnitOfWork(database, actor=actor)


def insert(database: Database, row) -> int:
    with database.sessions() as session, session.begin():
        session.add(row)
        session.flush()
        return row.id


def make_site(database: Database, *, time_zone: str = "UTC") -> int:
    n = next(_numbers)
    return insert(database, Site(code=f"BB{n}", name=f"Blood bank {n}", facility_code="B1234", time_zone=time_zone))


def make_hospital(database: Database, *, code: str | None = None, site_id: int | None = None,
                  time_zone: str | None = None) -> int:
    n = next(_numbers)
    site_id = site_id if site_id is not None else make_site(database)
    return insert(database, Hospital(code=code or f"H{n}", name=f"Hospital {n}", site_id=site_id,
                                     time_zone=time_zone))


def make_patient(database: Database, *identifiers: tuple[str, str], hospital_id: int | None = None,
                 sex: str | None = "F", date_of_birth: date | None = date(1980, 5, 17),
                 merged_into_id: int | None = None) -> int:
    with database.sessions() as session, session.begin():
        patient = Patient(given_name="Mary", family_name="Example", sex=sex, date_of_birth=date_of_birth,
                          hospital_id=hospital_id, merged_into_id=merged_into_id)
        session.add(patient)
        session.flush()
        for system, value in identifiers:
            session.add(PatientIdentifier(patient_id=patient.id, system=system, value=value, added_at=utcnow()))
        return patient.id


def make_sample(database: Database, patient_id: int, *, number: str | None = None,
                taken_at: datetime | None = None) -> int:
    taken_at = taken_at or utcnow() - timedelta(hours=1)
    return insert(database, PatientSample(patient_id=patient_id, sample_number=number or f"S{next(_numbers):06d}",
                                          taken_at=taken_at, taken_by="nurse.kim", received_at=taken_at))


def make_grouping(database: Database, patient_id: int, group: str, *, sample_id: int | None = None,
                  tested_at: datetime | None = None) -> int:
    if sample_id is None:
        sample_id = make_sample(database, patient_id)
    return insert(database, PatientGrouping(patient_id=patient_id, sample_id=sample_id, blood_group=group,
                                            tested_at=tested_at or utcnow(), recorded_by="bms.lee",
                                            source="analyser"))


def make_screen(database: Database, patient_id: int, *, positive: bool, sample_id: int | None = None) -> int:
    return insert(database, AntibodyScreen(patient_id=patient_id, sample_id=sample_id, positive=positive,
                                           tested_at=utcnow(), recorded_by="bms.lee"))


def make_antibody(database: Database, patient_id: int, antibody: str, *, significant: bool = True) -> int:
    return insert(database, PatientAntibody(patient_id=patient_id, antibody=antibody,
                                            clinically_significant=significant, identified_at=utcnow(),
                                            recorded_by="bms.lee"))


def make_requirement(database: Database, patient_id: int, requirement: str, *, since: date | None = None,
                     until: date | None = None) -> int:
    return insert(database, SpecialRequirement(
        patient_id=patient_id, requirement=requirement, reason="haematology advice",
        since=since or utcnow().date() - timedelta(days=30), until=until, recorded_by="bms.lee",
        recorded_at=utcnow()))


def count_rows(database: Database, model) -> int:
    with database.sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def audit_count(database: Database) -> int:
    return count_rows(database, AuditEntry)


# ---------------------------------------------------------------- units and orders


def make_unit(database: Database, *, status: str = "available", group: str = "O-", site_id: int | None = None) -> int:
    n = next(_numbers)
    now = utcnow()
    return insert(database, Unit(
        din=str(make_din("B1234", now.year % 100, n)), product_code="E0382", division="00", kind="red_cells",
        blood_group=group, status=status, volume_ml=280, collected_at=now - timedelta(days=3),
        expires_at=now + timedelta(days=30), site_id=site_id if site_id is not None else make_site(database),
    ))


def make_order(database: Database, hospital_id: int, patient_id: int | None, *, status: str = "open",
               quantity: int = 2) -> int:
    return insert(database, Order(hospital_id=hospital_id, patient_id=patient_id, kind="red_cells",
                                  quantity=quantity, needed_by=utcnow() + timedelta(hours=4), urgency="urgent",
                                  status=status, ordered_by="dr.who"))


def make_reservation(database: Database, order_id: int, unit_id: int, *, released: bool = False) -> int:
    now = utcnow()
    return insert(database, Reservation(order_id=order_id, unit_id=unit_id, reserved_at=now, reserved_by="bms.lee",
                                        released_at=now if released else None,
                                        released_by="bms.lee" if released else None))


def make_issue_and_transfusion(database: Database, patient_id: int, unit_id: int, *,
                               order_id: int | None = None) -> tuple[int, int, int]:
    """A crossmatch, an issue and a transfusion of `unit_id` to `patient_id`."""
    now = utcnow()
    with database.sessions() as session, session.begin():
        crossmatch = Crossmatch(patient_id=patient_id, unit_id=unit_id, result="compatible", recorded_at=now,
                                recorded_by="bms.lee")
        session.add(crossmatch)
        session.flush()
        issue = Issue(unit_id=unit_id, patient_id=patient_id, order_id=order_id, crossmatch_id=crossmatch.id,
                      emergency=True, issued_at=now, issued_by="bms.lee", scanned_unit="x", scanned_patient="y")
        session.add(issue)
        session.flush()
        transfusion = Transfusion(issue_id=issue.id, unit_id=unit_id, patient_id=patient_id, started_at=now,
                                  administered_by="nurse.kim")
        session.add(transfusion)
        session.flush()
        return crossmatch.id, issue.id, transfusion.id
