"""Vein to vein through the use cases only: a donor's blood from the chair to a patient, and traced back."""

from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from bloodbank.config import get_settings
from bloodbank.domain.errors import DomainError
from bloodbank.domain.isbt128 import encode_blood_group, encode_product_code, parse_din
from bloodbank.service_layer.blood import aliquots, labels, processing, release, testing
from bloodbank.service_layer.donors import collection, consent, screening
from bloodbank.service_layer.hospital import allocation, hospitals, issue, orders, patient_lab, patients, transfusion
from bloodbank.service_layer.shared.audit import verify_chain
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.traceability.trace import lookback, trace_din
from tests.integration.processing_fixtures import printed
from tests.integration.web_fixtures import PASSWORD, make_user
from tests.integration.test_donor_journey import HEALTHY, all_no, donor_arrives, open_site, register

MONDAY_7AM = datetime(2026, 3, 2, 7, 0, tzinfo=timezone.utc)
VITALS = {"temperature_c": 36.8, "pulse": 78, "systolic": 124, "diastolic": 76, "respiratory_rate": 16}
NEGATIVE_PANEL = ("hiv", "hbv", "hcv", "syphilis")


def as_(database, actor):
    return UnitOfWork(database, actor=actor)


def donate(database, site, donor=None):
    """Registration (unless `donor` is given) to a finished bag; returns the donor and the donation."""
    donor = donor or register(database)
    _, visit = donor_arrives(database, site, donor)
    assert screening.record_screening(as_(database, "nurse.bo"), visit_id=visit.id, answers=all_no(database),
                                      **HEALTHY).eligible
    consent.give_consent(as_(database, "nurse.bo"), visit_id=visit.id,
                         text_version=get_settings().consent_text_version, confirmed_by_donor=True)
    bag = collection.start_collection(as_(database, "phleb.cy"), visit_id=visit.id, bag_type="quadruple",
                                      bag_lot="LOT-2026-03")
    collection.finish_collection(as_(database, "phleb.cy"), donation_id=bag.donation_id, volume_ml=470)
    return donor, bag


def label_and_test(database, donation_id, group, units):
    """Results typed by hand, each entered again by a second technician, then the labels printed and verified."""
    typing = testing.record_result(as_(database, "lab.lee"), donation_id=donation_id, test="abo_rh",
                                   outcome="typed", value=group)
    testing.give_second_entry(as_(database, "lab.kim"), result_id=typing.id, outcome="typed", value=group)
    for test in NEGATIVE_PANEL:
        marker = testing.record_result(as_(database, "lab.lee"), donation_id=donation_id, test=test,
                                       outcome="negative")
        testing.give_second_entry(as_(database, "lab.kim"), result_id=marker.id, outcome="negative")
    for unit in units:
        pdf = labels.print_label(as_(database, "proc.fay"), unit_id=unit.id)
        assert pdf.startswith(b"%PDF")
        scanned = printed(pdf)
        assert scanned["scanned_din"] == parse_din(unit.din).barcode
        assert scanned["scanned_group"] == encode_blood_group(group)  # the typing above, not the unit as made
        assert scanned["scanned_product"] == encode_product_code(unit.product_code, "V", unit.division)
        labels.verify_label(as_(database, "proc.fay"), unit_id=unit.id, **scanned)


def a_patient(database, site, group="A+", mrn="RXH:100234"):
    hospital = hospitals.create_hospital(as_(database, "admin.ola"), code="RXH", name="Riverside Hospital",
                                         site_id=site.id)
    patient = patients.register_patient(as_(database, "ward.kim"), hospital_id=hospital.id,
                                        identifiers=[("mrn", mrn)], given_name="Amal", family_name="Haddad",
                                        sex="F", date_of_birth=datetime(1961, 5, 3).date())
    for n in (1, 2):  # two samples, taken separately: the group is confirmed
        sample = patient_lab.record_sample(as_(database, "ward.kim"), patient_id=patient.id,
                                           sample_number=f"S26-{n:04d}", taken_by="ward.kim")
        patient_lab.record_grouping(as_(database, "bms.ray"), patient_id=patient.id, sample_id=sample.id,
                                    blood_group=group)
    patient_lab.record_antibody_screen(as_(database, "bms.ray"), patient_id=patient.id, sample_id=sample.id,
                                       positive=False)
    return hospital, patient, f"mrn:{mrn}"


@time_machine.travel(MONDAY_7AM, tick=True)
def test_a_donation_goes_from_the_chair_to_a_transfusion_and_is_traced_back(database):
    site = open_site(database)
    donor, bag = donate(database, site)

    units = processing.process_donation(as_(database, "proc.fay"), donation_id=bag.donation_id, method="buffy_coat")
    assert {u.kind for u in units} == {"red_cells", "plasma"} and {u.status for u in units} == {"quarantined"}
    red = next(u for u in units if u.kind == "red_cells")
    with pytest.raises(DomainError, match="cannot be released"):
        release.release_unit(as_(database, "lab.lee"), unit_id=red.id)  # nothing tested yet

    label_and_test(database, bag.donation_id, "A+", units)
    released = release.release_unit(as_(database, "lab.lee"), unit_id=red.id)
    assert released.status == "available" and released.blood_group == "A+"

    hospital, patient, wristband = a_patient(database, site)
    order = orders.place_order(as_(database, "ward.kim"), hospital_id=hospital.id, patient_id=patient.id,
                               kind="red_cells", quantity=1, needed_by=datetime.now(timezone.utc) + timedelta(hours=3))
    held = allocation.allocate(as_(database, "bms.ray"), order_id=order.id)
    [reservation] = held.reserved
    assert reservation.unit_id == red.id and held.shortfall == 0

    given = issue.issue_unit(as_(database, "bms.ray"), reservation_id=reservation.id,
                             scanned_unit=parse_din(red.din).barcode, scanned_patient=wristband)
    make_user(database, "hospital_staff", "nurse.tom", hospitals=(hospital.id,))  # the second checker
    running = transfusion.start_transfusion(as_(database, "nurse.sam"), issue_id=given.id,
                                            scanned_unit=parse_din(red.din).barcode, scanned_patient=wristband,
                                            vitals_before=VITALS, checked_by="nurse.tom", checker_password=PASSWORD)
    done = transfusion.end_transfusion(as_(database, "nurse.sam"), transfusion_id=running.transfusion_id,
                                       volume_given_ml=red.volume_ml, outcome="completed", vitals_after=VITALS)
    assert done.outcome == "completed"

    trace = trace_din(as_(database, "hv.officer"), bag.din)
    [donation] = trace.donations
    assert donation.donor.donor_id == donor.id and donation.din == bag.din
    by_id = {u.unit_id: u for u in donation.units}
    assert set(by_id) == {u.id for u in units}
    traced = by_id[red.id]
    assert {t.test for t in traced.tests} >= {"abo_rh", *NEGATIVE_PANEL}
    assert [e.to_status for e in traced.events if e.to_status][-3:] == ["reserved", "issued", "transfused"]
    [recipient] = traced.recipients
    assert recipient.patient_id == patient.id and recipient.outcome == "completed"

    back = lookback(as_(database, "hv.officer"), donor.donor_number)
    assert back.patient_ids == (patient.id,)
    assert verify_chain(UnitOfWork(database)).ok


@time_machine.travel(MONDAY_7AM, tick=True)
def test_a_paediatric_aliquot_is_traced_from_the_donors_din_to_its_recipient(database):
    site = open_site(database)
    donor, bag = donate(database, site)
    units = processing.process_donation(as_(database, "proc.fay"), donation_id=bag.donation_id, method="buffy_coat")
    red = next(u for u in units if u.kind == "red_cells")
    parts = aliquots.split_unit(as_(database, "proc.fay"), unit_id=red.id, parts=2)
    label_and_test(database, bag.donation_id, "A+", parts)
    for part in parts:
        release.release_unit(as_(database, "lab.lee"), unit_id=part.id)

    hospital, patient, wristband = a_patient(database, site)
    order = orders.place_order(as_(database, "ward.kim"), hospital_id=hospital.id, patient_id=patient.id,
                               kind="red_cells", quantity=1, needed_by=datetime.now(timezone.utc) + timedelta(hours=3))
    [reservation] = allocation.allocate(as_(database, "bms.ray"), order_id=order.id).reserved
    unit = next(p for p in parts if p.id == reservation.unit_id)
    issue.issue_unit(as_(database, "bms.ray"), reservation_id=reservation.id,
                     scanned_unit=parse_din(unit.din).barcode, scanned_patient=wristband)

    [donation] = trace_din(as_(database, "hv.officer"), bag.din).donations
    [parent] = [u for u in donation.units if u.unit_id == red.id]
    children = {c.unit_id: c for c in parent.children}
    assert set(children) == {p.id for p in parts}
    assert [r.patient_id for r in children[unit.id].recipients] == [patient.id]
    assert lookback(as_(database, "hv.officer"), donor.donor_number).patient_ids == (patient.id,)
