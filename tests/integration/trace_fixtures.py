"""Whole vein-to-vein chains, inserted as rows so trace, recall and bedside tests depend on no other use case.

`build_chain` makes:
- donor A: donation A, whole blood WB_A (processed) -> red cells RC_A (processed, split into aliquots
  RC_A1 and RC_A2, each transfused to its own patient), plasma PL_A (available), and a share of the pool;
- donors B, C, D: one donation each, whole blood (processed) into the pool, plus red cells (available);
- POOL: pooled platelets with a DIN of its own, made from the four whole blood units, transfused to patient 3.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count

from sqlalchemy import func, select, update

from bloodbank.adapters.db.database import Database
from bloodbank.adapters.db.models import (
    AuditEntry, Consent, Donation, Donor, DonorFollowUp, Hospital, Issue, Order, Patient, PatientIdentifier,
    Recall, RecallUnit, Reservation, Site, TestResult, Transfusion, TransfusionReaction, Unit, UnitEvent,
    UnitParent, UnitReturn, Visit,
)
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.isbt128 import Din, make_din
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

FACILITY = "G1234"
_serials = count(1)
_numbers = count(1)

PRODUCT = {"whole_blood": "X0001", "red_cells": "E0398", "plasma": "X0006", "platelets_pooled": "X0008",
           "platelets_apheresis": "X0007", "cryo": "X0009"}
VITALS = {"temperature_c": 36.8, "pulse": 72, "systolic": 124, "diastolic": 78, "respiratory_rate": 16}


def clerk(database: Database, actor: str = "clerk.ann") -> UnitOfWork:
    return UnitOfWork(database, actor=actor)


def insert(database: Database, *rows) -> int:
    with database.sessions() as session, session.begin():
        session.add_all(rows)
        session.flush()
        return rows[0].id if hasattr(rows[0], "id") else 0


def make_site(database: Database) -> int:
    n = next(_numbers)
    return insert(database, Site(code=f"T{n}", name=f"Blood centre {n}", facility_code=FACILITY, time_zone="UTC"))


def make_donor(database: Database, *, merged_into_id: int | None = None, name: str = "Ada") -> tuple[int, str]:
    n = next(_numbers)
    number = f"D{n:07d}X"
    donor_id = insert(database, Donor(donor_number=number, given_name=name, family_name=f"Donor{n}",
                                      date_of_birth=datetime(1990, 5, 17).date(), sex="F",
                                      merged_into_id=merged_into_id))
    return donor_id, number


def make_donation(database: Database, site_id: int, donor_id: int, *, days_ago: int = 10) -> tuple[int, Din]:
    """A complete donation with its visit and the donor's consent."""
    din = make_din(FACILITY, 26, next(_serials))
    at = utcnow() - timedelta(days=days_ago)
    with database.sessions() as session, session.begin():
        visit = Visit(donor_id=donor_id, site_id=site_id, status="collected", checked_in_at=at,
                      checked_in_by="clerk.bea", rule_set="who", weight_kg=70, eligible=True)
        session.add(visit)
        session.flush()
        session.add(Consent(visit_id=visit.id, donor_id=donor_id, text_version="2026-01", given_at=at,
                            recorded_by="nurse.cai"))
        donation = Donation(din=str(din), facility_code=FACILITY, din_year=26, serial=int(din.serial),
                            visit_id=visit.id, donor_id=donor_id, site_id=site_id, kind="whole_blood",
                            bag_type="quadruple", bag_lot="LOT-1", phlebotomist="phleb.dan", volume_ml=470,
                            started_at=at, ended_at=at + timedelta(minutes=9), status="complete")
        session.add(donation)
        session.flush()
        return donation.id, din


def make_unit(database: Database, *, din: Din | str, kind: str, site_id: int, status: str = "available",
              donation_id: int | None = None, parents: tuple[int, ...] = (), division: str = "00",
              volume_ml: int | None = 250, expires_in: timedelta = timedelta(days=30),
              discard_reason: str | None = None, discard_note: str | None = None) -> int:
    now = utcnow()
    unit = Unit(din=str(din), product_code=PRODUCT[kind], division=division, kind=kind, donation_id=donation_id,
                blood_group="O+", status=status, volume_ml=volume_ml, collected_at=now - timedelta(days=10),
                expires_at=now + expires_in, site_id=site_id, discard_reason=discard_reason,
                discard_note=discard_note)
    unit_id = insert(database, unit)
    if parents:
        insert(database, *[UnitParent(child_id=unit_id, parent_id=p) for p in parents])
    add_event(database, unit_id, "created", to_status=status, minutes_ago=60 * 24 * 9)
    return unit_id


def add_event(database: Database, unit_id: int, event: str, *, from_status: str | None = None,
              to_status: str | None = None, minutes_ago: int = 0, detail: dict | None = None) -> None:
    insert(database, UnitEvent(unit_id=unit_id, at=utcnow() - timedelta(minutes=minutes_ago), actor="bms.lee",
                               event=event, from_status=from_status, to_status=to_status, detail=detail or {}))


def add_test(database: Database, donation_id: int, test: str, outcome: str, *, value: str | None = None,
             superseded: bool = False) -> int:
    row_id = insert(database, TestResult(donation_id=donation_id, test=test, outcome=outcome, value=value,
                                         recorded_at=utcnow(), recorded_by="bms.lee", source="analyser"))
    if superseded:
        newer = insert(database, TestResult(donation_id=donation_id, test=test, outcome="negative",
                                            recorded_at=utcnow(), recorded_by="bms.lee", source="analyser",
                                            correction_reason="sample mix-up"))
        with database.sessions() as session, session.begin():
            session.execute(update(TestResult).where(TestResult.id == row_id).values(superseded_by_id=newer))
    return row_id


def make_hospital(database: Database, site_id: int) -> int:
    return insert(database, Hospital(code=f"RX{next(_numbers)}", name="General hospital", site_id=site_id))


def make_patient(database: Database, hospital_id: int, *, merged_into_id: int | None = None) -> tuple[int, str]:
    """A patient with a hospital number; returns (id, the identifier as scanned from the wristband)."""
    value = f"RXH:{next(_numbers):06d}"
    patient_id = insert(database, Patient(given_name="Mary", family_name="Example", hospital_id=hospital_id,
                                          merged_into_id=merged_into_id))
    insert(database, PatientIdentifier(patient_id=patient_id, system="mrn", value=value, added_at=utcnow()))
    return patient_id, f"mrn:{value}"


def reserve_unit(database: Database, unit_id: int, patient_id: int, hospital_id: int, *,
                 at: datetime | None = None) -> int:
    """An order for the patient and a live reservation of the unit, which becomes `reserved`."""
    at = at or utcnow()
    with database.sessions() as session, session.begin():
        unit = session.get(Unit, unit_id)
        order = Order(hospital_id=hospital_id, patient_id=patient_id, kind=unit.kind, quantity=1, needed_by=at,
                      ordered_by="dr.wu")
        session.add(order)
        session.flush()
        reservation = Reservation(order_id=order.id, unit_id=unit_id, reserved_at=at, reserved_by="bms.lee")
        session.add(reservation)
        unit.status = "reserved"
        session.flush()
        return reservation.id


def issue_unit(database: Database, unit_id: int, patient_id: int, hospital_id: int, *,
               transfused: bool = False, minutes_ago: int = 90) -> tuple[int, int | None]:
    """Reservation (left live) and issue; with `transfused`, a finished transfusion. Returns (issue, transfusion)."""
    at = utcnow() - timedelta(minutes=minutes_ago)
    reservation_id = reserve_unit(database, unit_id, patient_id, hospital_id, at=at)
    with database.sessions() as session, session.begin():
        unit = session.get(Unit, unit_id)
        reservation = session.get(Reservation, reservation_id)
        issue = Issue(unit_id=unit_id, patient_id=patient_id, order_id=reservation.order_id,
                      reservation_id=reservation_id, issued_at=at, issued_by="bms.lee", scanned_unit=unit.din,
                      scanned_patient="wristband")
        session.add(issue)
        session.flush()
        transfusion_id = None
        if transfused:
            transfusion = Transfusion(issue_id=issue.id, unit_id=unit_id, patient_id=patient_id,
                                      started_at=at + timedelta(minutes=20), ended_at=at + timedelta(minutes=80),
                                      administered_by="nurse.kim", vitals={}, volume_given_ml=250,
                                      outcome="completed")
            session.add(transfusion)
            session.flush()
            transfusion_id = transfusion.id
        unit.status = "transfused" if transfused else "issued"
        issue_id = issue.id
    add_event(database, unit_id, "issue", from_status="reserved", to_status="issued", minutes_ago=minutes_ago)
    if transfused:
        add_event(database, unit_id, "transfused", from_status="issued", to_status="transfused",
                  minutes_ago=minutes_ago - 80)
    return issue_id, transfusion_id


@dataclass
class Chain:
    site_id: int
    hospital_id: int
    donors: dict[str, int] = field(default_factory=dict)
    donor_numbers: dict[str, str] = field(default_factory=dict)
    donations: dict[str, int] = field(default_factory=dict)
    dins: dict[str, Din] = field(default_factory=dict)
    units: dict[str, int] = field(default_factory=dict)
    patients: dict[str, int] = field(default_factory=dict)
    wristbands: dict[str, str] = field(default_factory=dict)
    issues: dict[str, int] = field(default_factory=dict)


def build_chain(database: Database) -> Chain:
    site_id = make_site(database)
    chain = Chain(site_id=site_id, hospital_id=make_hospital(database, site_id))
    for key in "ABCD":
        chain.donors[key], chain.donor_numbers[key] = make_donor(database, name=f"Donor{key}")
        chain.donations[key], chain.dins[key] = make_donation(database, site_id, chain.donors[key])
        chain.units[f"WB_{key}"] = make_unit(database, din=chain.dins[key], kind="whole_blood", site_id=site_id,
                                             status="processed", donation_id=chain.donations[key], volume_ml=470)
        add_test(database, chain.donations[key], "hiv", "negative")
    add_test(database, chain.donations["A"], "hbv", "reactive", superseded=True)
    wb_a, a = chain.units["WB_A"], chain.donations["A"]
    chain.units["RC_A"] = make_unit(database, din=chain.dins["A"], kind="red_cells", site_id=site_id,
                                    status="processed", donation_id=a, parents=(wb_a,))
    chain.units["PL_A"] = make_unit(database, din=chain.dins["A"], kind="plasma", site_id=site_id,
                                    donation_id=a, parents=(wb_a,))
    for n, division in ((1, "Aa"), (2, "Ab")):
        chain.units[f"RC_A{n}"] = make_unit(database, din=chain.dins["A"], kind="red_cells", site_id=site_id,
                                            status="reserved", donation_id=a, parents=(chain.units["RC_A"],),
                                            division=division, volume_ml=120)
    for key in "BCD":
        chain.units[f"RC_{key}"] = make_unit(database, din=chain.dins[key], kind="red_cells", site_id=site_id,
                                             donation_id=chain.donations[key], parents=(chain.units[f"WB_{key}"],))
    chain.dins["POOL"] = make_din(FACILITY, 26, next(_serials))
    chain.units["POOL"] = make_unit(database, din=chain.dins["POOL"], kind="platelets_pooled", site_id=site_id,
                                    status="reserved", parents=tuple(chain.units[f"WB_{k}"] for k in "ABCD"))
    for patient, unit in (("P1", "RC_A1"), ("P2", "RC_A2"), ("P3", "POOL")):
        chain.patients[patient], chain.wristbands[patient] = make_patient(database, chain.hospital_id)
        chain.issues[unit], _ = issue_unit(database, chain.units[unit], chain.patients[patient],
                                           chain.hospital_id, transfused=True)
    return chain


def unit_status(database: Database, unit_id: int) -> str:
    with database.sessions() as session:
        return session.get(Unit, unit_id).status


def unit_row(database: Database, unit_id: int) -> Unit:
    with database.sessions() as session:
        unit = session.get(Unit, unit_id)
        session.expunge(unit)
        return unit


def live_reservations(database: Database, unit_id: int) -> int:
    with database.sessions() as session:
        return session.scalar(select(func.count()).select_from(Reservation).where(
            Reservation.unit_id == unit_id, Reservation.released_at.is_(None)))


def counts(database: Database) -> dict[str, object]:
    """What a refused bedside, return or recall step must leave untouched."""
    tables = (AuditEntry, Transfusion, TransfusionReaction, DonorFollowUp, UnitEvent, UnitReturn, Recall,
              RecallUnit)
    with database.sessions() as session:
        found: dict[str, object] = {t.__tablename__: session.scalar(select(func.count()).select_from(t))
                                    for t in tables}
        found["statuses"] = sorted(session.execute(select(Unit.id, Unit.status)).all())
        found["live_reservations"] = session.scalar(select(func.count()).select_from(Reservation)
                                                    .where(Reservation.released_at.is_(None)))
        return found


def audit_actions(database: Database, entity: str) -> list[AuditEntry]:
    with database.sessions() as session:
        rows = session.execute(select(AuditEntry).where(AuditEntry.entity == entity).order_by(AuditEntry.id))
        return [row for row in rows.scalars()]


def follow_ups(database: Database) -> list[tuple[int, int | None, str]]:
    with database.sessions() as session:
        return sorted(session.execute(select(DonorFollowUp.donor_id, DonorFollowUp.donation_id,
                                             DonorFollowUp.reason)).all())
