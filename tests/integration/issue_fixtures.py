"""Rows for allocation and issue tests, inserted directly: a blood bank, a hospital,
patients with their lab history, units in stock and orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import count

from sqlalchemy import func, select

from bloodbank.adapters.db.database import Database
from bloodbank.adapters.db.models import (
    AntibodyScreen, AuditEntry, Crossmatch, Hospital, Issue, Order, Patient, PatientAntibody, PatientGrouping,
    PatientIdentifier, PatientSample, Reservation, Site, SpecialRequirement, Unit, UnitEvent,
)
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.isbt128 import make_din
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

_numbers = count(1)
PRODUCT = {"red_cells": "X0002", "plasma": "X0006", "platelets_apheresis": "X0007", "cryo": "X0009",
           "whole_blood": "X0001", "ltowb": "X0010"}


@dataclass(frozen=True)
class PatientRef:
    id: int
    scan: str  # what the wristband scanner gives, "mrn:RXH:…"
    sample_id: int | None  # the current sample


def clerk(database: Database, actor: str = "clerk.ann") -> UnitOfWork:
    return UnitOfWork(database, actor=actor)


def insert(database: Database, *rows) -> int:
    with database.sessions() as session, session.begin():
        session.add_all(rows)
        session.flush()
        return rows[0].id


def make_site(database: Database) -> int:
    n = next(_numbers)
    return insert(database, Site(code=f"BB{n}", name=f"Blood bank {n}", facility_code="G1234", time_zone="UTC"))


def make_hospital(database: Database, site_id: int) -> int:
    n = next(_numbers)
    return insert(database, Hospital(code=f"H{n}", name=f"Hospital {n}", site_id=site_id))


def make_patient(database: Database, *, group: str | None = "A+", samples: int = 2, sex: str | None = "M",
                 date_of_birth: date | None = date(1960, 5, 17), hospital_id: int | None = None,
                 screen: bool | None = False, screen_age: timedelta = timedelta(hours=2), antibodies: tuple = (),
                 requirements: tuple = (), edited_grouping: bool = False, merged_into_id: int | None = None,
                 identifier: str | None = None, system: str = "mrn") -> PatientRef:
    """A patient whose group is confirmed by default (a historical and a current grouping)."""
    value = identifier or f"RXH:{100000 + next(_numbers)}"
    now = utcnow()
    with database.sessions() as session, session.begin():
        patient = Patient(given_name="Sam", family_name="Example", sex=sex, date_of_birth=date_of_birth,
                          hospital_id=hospital_id, merged_into_id=merged_into_id)
        session.add(patient)
        session.flush()
        session.add(PatientIdentifier(patient_id=patient.id, system=system, value=value, added_at=now))
        sample_id = None
        for n in range(samples if group else 0):
            taken = now - (timedelta(days=400) if n < samples - 1 else screen_age)
            sample = PatientSample(patient_id=patient.id, sample_number=f"S{next(_numbers):07d}", taken_at=taken,
                                   taken_by="nurse.kim", received_at=taken)
            session.add(sample)
            session.flush()
            sample_id = sample.id
            edited = edited_grouping and n == samples - 1
            # One typed by hand counts once its second entry agrees: here it has, so only electronic issue differs.
            session.add(PatientGrouping(patient_id=patient.id, sample_id=sample.id, blood_group=group, tested_at=taken,
                                        recorded_by="bms.lee", historical=n < samples - 1, manually_edited=edited,
                                        source="manual" if edited else "analyser",
                                        second_entry_group=group if edited else None,
                                        second_entry_at=taken if edited else None,
                                        second_entry_by="bms.kai" if edited else None))
        if screen is not None:
            session.add(AntibodyScreen(patient_id=patient.id, sample_id=sample_id, positive=screen,
                                       tested_at=now - screen_age, recorded_by="bms.lee"))
        for antibody in antibodies:
            session.add(PatientAntibody(patient_id=patient.id, antibody=antibody,
                                        identified_at=now - timedelta(days=30), recorded_by="bms.lee"))
        for requirement in requirements:
            session.add(SpecialRequirement(patient_id=patient.id, requirement=requirement, reason="haematology",
                                           since=now.date() - timedelta(days=10), recorded_by="bms.lee",
                                           recorded_at=now))
        return PatientRef(patient.id, f"{system}:{value}", sample_id)


def add_sample(database: Database, patient_id: int, *, taken_ago: timedelta = timedelta(hours=1)) -> int:
    taken = utcnow() - taken_ago
    return insert(database, PatientSample(patient_id=patient_id, sample_number=f"S{next(_numbers):07d}",
                                          taken_at=taken, taken_by="nurse.kim", received_at=taken))


def add_grouping(database: Database, patient_id: int, group: str) -> int:
    """A grouping on a new sample; returns the sample's id."""
    sample_id = add_sample(database, patient_id)
    insert(database, PatientGrouping(patient_id=patient_id, sample_id=sample_id, blood_group=group,
                                     tested_at=utcnow(), recorded_by="bms.lee", source="analyser"))
    return sample_id


def add_requirement(database: Database, patient_id: int, requirement: str) -> int:
    return insert(database, SpecialRequirement(patient_id=patient_id, requirement=requirement, reason="new advice",
                                               since=utcnow().date(), recorded_by="bms.lee", recorded_at=utcnow()))


def make_unit(database: Database, site_id: int, group: str, *, kind: str = "red_cells", expires_in: timedelta =
              timedelta(days=10), status: str = "available", **fields) -> int:
    serial = next(_numbers)
    now = utcnow()
    return insert(database, Unit(
        din=str(make_din("G1234", 26, serial)), product_code=PRODUCT[kind], division="00", kind=kind,
        blood_group=group, status=status, volume_ml=280, collected_at=now - timedelta(days=3),
        expires_at=now + expires_in, site_id=site_id, **fields))


def make_order(database: Database, hospital_id: int, patient_id: int | None, *, kind: str = "red_cells",
               quantity: int = 1, needed_in: timedelta = timedelta(hours=4), urgency: str = "routine") -> int:
    return insert(database, Order(hospital_id=hospital_id, patient_id=patient_id, kind=kind, quantity=quantity,
                                  needed_by=utcnow() + needed_in, urgency=urgency, ordered_by="dr.who"))


def make_crossmatch(database: Database, patient_id: int, unit_id: int, sample_id: int,
                    result: str = "compatible") -> int:
    return insert(database, Crossmatch(patient_id=patient_id, unit_id=unit_id, sample_id=sample_id, result=result,
                                       recorded_at=utcnow(), recorded_by="bms.lee"))


def get(database: Database, model, row_id: int):
    with database.sessions() as session:
        return session.get(model, row_id)


def unit_status(database: Database, unit_id: int) -> str:
    return get(database, Unit, unit_id).status


def din_scan(database: Database, unit_id: int) -> str:
    return f"={get(database, Unit, unit_id).din}00"


def live_reservations(database: Database, unit_id: int) -> list[Reservation]:
    with database.sessions() as session:
        return list(session.execute(select(Reservation).where(
            Reservation.unit_id == unit_id, Reservation.released_at.is_(None))).scalars())


def counts(database: Database) -> dict[str, int]:
    """Row counts of everything allocation and issue write: equal before and after a refusal."""
    with database.sessions() as session:
        return {model.__name__: session.scalar(select(func.count()).select_from(model))
                for model in (Reservation, Issue, Crossmatch, Order, UnitEvent, AuditEntry)}


def statuses(database: Database) -> dict[int, str]:
    with database.sessions() as session:
        return dict(session.execute(select(Unit.id, Unit.status)).all())


def snapshot(database: Database) -> tuple[dict, dict, dict]:
    with database.sessions() as session:
        orders = dict(session.execute(select(Order.id, Order.status)).all())
    return counts(database), statuses(database), orders


@dataclass(frozen=True)
class Ward:
    site: int
    hospital: int


def make_ward(database: Database) -> Ward:
    site = make_site(database)
    return Ward(site, make_hospital(database, site))


def audit_actions(database: Database) -> list[str]:
    with database.sessions() as session:
        return list(session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars())


def now() -> datetime:
    return utcnow()
