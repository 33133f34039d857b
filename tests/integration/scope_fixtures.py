"""Two hospitals with one of every hospital-side record each, to show what each hospital's staff may reach.

`two_hospitals` builds hospitals A and B, each served by its own blood bank, each with patients, samples,
groupings (one typed by hand awaiting its second entry), a requirement, orders, a reservation, a crossmatch,
issues (one emergency), a running transfusion and a recall reaching one of its issued units. Every name and
identifier of B carries B's marker, so an answer shown to A's staff can be searched for anything of B's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from itertools import count

from bloodbank.adapters.db.database import Database
from bloodbank.adapters.db.models import (
    AntibodyScreen, Crossmatch, Hospital, Issue, Order, Patient, PatientGrouping, PatientIdentifier, PatientSample,
    Recall, RecallUnit, Reservation, Site, SpecialRequirement, Transfusion, Unit,
)
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.isbt128 import make_din

_serial = count(1)


@dataclass(frozen=True)
class Ward:
    """One hospital's records; `marker` is in every name and identifier of its patients, and in its code."""

    marker: str
    site: int
    hospital: int
    code: str
    patient: int  # confirmed A+, negative screen: electronic issue allowed
    wristband: str  # "mrn:CODE:…", as the scanner reads it
    sample: int
    duplicate: int  # a second record of the same person, to merge into `patient`
    typed_patient: int  # with a grouping typed by hand awaiting its second entry
    typed_grouping: int
    typed_sample: int
    grouping: int  # an analyser grouping of `patient`, to mark entered in error
    requirement: int
    units: tuple[int, ...]  # available A+ red cells in the ward's blood bank
    emergency_unit: int  # available O- red cells
    emergency_din: str
    open_order: int  # open, with `reservation` holding `reserved_unit`
    reservation: int
    reserved_unit: int
    reserved_din: str
    issue: int  # issued, not transfused: the bedside, a return
    issued_unit: int
    issued_din: str
    emergency_issue: int  # released before testing, follow-up not done
    transfusion: int  # running
    transfused_unit: int
    recall: int  # reached `issued_unit` on the ward
    crossmatch: int

    @property
    def patients(self) -> tuple[int, ...]:
        return self.patient, self.duplicate, self.typed_patient

    @property
    def names(self) -> tuple[str, ...]:
        """Text only this hospital's records hold: never in a request, so never echoed back."""
        return f"{self.marker}family", f"{self.marker} General Hospital"


VITALS = {"temperature_c": 36.6, "pulse": 72, "systolic": 128, "diastolic": 80, "respiratory_rate": 14, "spo2": 98}


def _add(session, row):
    session.add(row)
    session.flush()
    return row.id


def _unit(session, site: int, group: str, status: str) -> tuple[int, str]:
    now = utcnow()
    din = str(make_din("G1234", 26, 50_000 + next(_serial)))
    return _add(session, Unit(din=din, product_code="X0002", division="00", kind="red_cells", blood_group=group,
                              status=status, volume_ml=280, collected_at=now - timedelta(days=3),
                              expires_at=now + timedelta(days=20), site_id=site)), din


def _patient(session, hospital: int, marker: str, code: str, given: str, *, sex: str = "M") -> tuple[int, str]:
    number = f"{code}:{700000 + next(_serial)}"
    patient = _add(session, Patient(given_name=given, family_name=f"{marker}family", sex=sex,
                                    date_of_birth=date(1961, 3, 4), hospital_id=hospital))
    _add(session, PatientIdentifier(patient_id=patient, system="mrn", value=number, added_at=utcnow()))
    return patient, f"mrn:{number}"


def _sample(session, patient: int, taken_ago: timedelta) -> int:
    taken = utcnow() - taken_ago
    return _add(session, PatientSample(patient_id=patient, sample_number=f"SC{next(_serial):07d}", taken_at=taken,
                                       taken_by="nurse.kim", received_at=taken))


def _grouping(session, patient: int, sample: int, group: str, *, typed: bool = False, historical: bool = False) -> int:
    return _add(session, PatientGrouping(patient_id=patient, sample_id=sample, blood_group=group, tested_at=utcnow(),
                                         recorded_by="bms.lee", manually_edited=typed, historical=historical,
                                         source="manual" if typed else "analyser"))


def _order(session, hospital: int, patient: int, status: str, quantity: int = 2) -> int:
    return _add(session, Order(hospital_id=hospital, patient_id=patient, kind="red_cells", quantity=quantity,
                               needed_by=utcnow() + timedelta(hours=6), urgency="urgent", status=status,
                               ordered_by="dr.who"))


def _issue(session, unit: int, patient: int, order: int, *, emergency: bool = False) -> int:
    reservation = _add(session, Reservation(order_id=order, unit_id=unit, reserved_at=utcnow(), reserved_by="bms.lee"))
    return _add(session, Issue(unit_id=unit, patient_id=patient, order_id=order, reservation_id=reservation,
                               electronic=not emergency, emergency=emergency, issued_at=utcnow(),
                               issued_by="bms.lee", scanned_unit="scan", scanned_patient="scan"))


def build_ward(database: Database, marker: str) -> Ward:
    code = f"H{marker.upper()}"
    with database.sessions() as session, session.begin():
        n = next(_serial)
        site = _add(session, Site(code=f"BB{n}", name=f"Blood bank {n}", facility_code="G1234", time_zone="UTC"))
        hospital = _add(session, Hospital(code=code, name=f"{marker} General Hospital", site_id=site))
        patient, wristband = _patient(session, hospital, marker, code, "Ada")
        _grouping(session, patient, _sample(session, patient, timedelta(days=400)), "A+", historical=True)
        sample = _sample(session, patient, timedelta(hours=2))
        grouping = _grouping(session, patient, sample, "A+")
        _add(session, AntibodyScreen(patient_id=patient, sample_id=sample, positive=False,
                                     tested_at=utcnow() - timedelta(hours=2), recorded_by="bms.lee"))
        duplicate, _ = _patient(session, hospital, marker, code, "Ada")
        typed_patient, _ = _patient(session, hospital, marker, code, "Bea", sex="F")
        typed_sample = _sample(session, typed_patient, timedelta(hours=1))
        typed_grouping = _grouping(session, typed_patient, typed_sample, "B+", typed=True)
        requirement = _add(session, SpecialRequirement(
            patient_id=patient, requirement="irradiated", reason="haematology", since=utcnow().date(),
            recorded_by="bms.lee", recorded_at=utcnow()))
        units = tuple(_unit(session, site, "A+", "available")[0] for _ in range(3))
        emergency_unit, emergency_din = _unit(session, site, "O-", "available")
        open_order = _order(session, hospital, patient, "open")
        reserved_unit, reserved_din = _unit(session, site, "A+", "reserved")
        reservation = _add(session, Reservation(order_id=open_order, unit_id=reserved_unit, reserved_at=utcnow(),
                                                reserved_by="bms.lee"))
        crossmatch = _add(session, Crossmatch(patient_id=patient, unit_id=reserved_unit, sample_id=sample,
                                              result="compatible", recorded_at=utcnow(), recorded_by="bms.lee"))
        issued_order = _order(session, hospital, patient, "issued")
        issued_unit, issued_din = _unit(session, site, "A+", "issued")
        issue = _issue(session, issued_unit, patient, issued_order)
        transfused_unit, _ = _unit(session, site, "A+", "issued")
        running = _issue(session, transfused_unit, patient, issued_order)
        transfusion = _add(session, Transfusion(issue_id=running, unit_id=transfused_unit, patient_id=patient,
                                                started_at=utcnow(), administered_by="nurse.kim",
                                                vitals={"before": VITALS, "during": [], "after": None}))
        emergency_order = _order(session, hospital, patient, "issued", quantity=1)
        emergency_issue = _issue(session, _unit(session, site, "O-", "issued")[0], patient, emergency_order,
                                 emergency=True)
        recall = _add(session, Recall(reason="donor seroconverted", opened_at=utcnow(), opened_by="dr.mira",
                                      scope="{}"))
        session.add(RecallUnit(recall_id=recall, unit_id=issued_unit, status_before="issued",
                               action="recalled_from_ward"))
    return Ward(marker=marker, site=site, hospital=hospital, code=code, patient=patient, wristband=wristband,
                sample=sample, duplicate=duplicate, typed_patient=typed_patient, typed_grouping=typed_grouping,
                typed_sample=typed_sample, grouping=grouping, requirement=requirement, units=units,
                emergency_unit=emergency_unit, emergency_din=emergency_din, open_order=open_order,
                reservation=reservation,
                reserved_unit=reserved_unit, reserved_din=reserved_din, issue=issue, issued_unit=issued_unit,
                issued_din=issued_din, emergency_issue=emergency_issue, transfusion=transfusion,
                transfused_unit=transfused_unit, recall=recall, crossmatch=crossmatch)


def two_hospitals(database: Database) -> tuple[Ward, Ward]:
    return build_ward(database, "Alpha"), build_ward(database, "Bravo")
