"""At the bedside through the REST API: the final scans, vital signs, the end, reactions and returns."""

from __future__ import annotations

from bloodbank.adapters.db.models import Transfusion, TransfusionReaction
from bloodbank.service_layer.hospital.allocation import allocate
from bloodbank.service_layer.hospital.issue import issue_unit
from tests.integration.issue_fixtures import (
    clerk, din_scan, make_order, make_patient, make_unit, make_ward, unit_status,
)
from tests.integration.patient_fixtures import count_rows
from tests.integration.web_fixtures import PASSWORD, api, every_hospital, make_user

BEFORE = {"temperature_c": 36.6, "pulse": 72, "systolic": 128, "diastolic": 80, "respiratory_rate": 14,
          "spo2": 98}


def issued(database, group: str = "A+"):
    """A unit issued to a patient: (patient, unit id, issue id)."""
    ward = make_ward(database)
    patient = make_patient(database, group=group, hospital_id=ward.hospital)
    unit = make_unit(database, ward.site, group)
    order = make_order(database, ward.hospital, patient.id)
    reservation = allocate(clerk(database), order_id=order).reserved[0].id
    view = issue_unit(clerk(database), reservation_id=reservation, scanned_unit=din_scan(database, unit),
                      scanned_patient=patient.scan)
    return patient, unit, view.id


def start(client, database, patient, unit, issue_id, **fields):
    body = {"issue_id": issue_id, "scanned_unit": din_scan(database, unit), "scanned_patient": patient.scan,
            "vitals_before": BEFORE, **fields}
    return client.post("/api/transfusions", json=body)


def test_a_transfusion_is_started_observed_and_ended_with_its_volume_and_outcome(database):
    patient, unit, issue_id = issued(database)
    nurse = api(database, "hospital_staff", hospitals=every_hospital(database))

    make_user(database, "hospital_staff", "nurse.two", hospitals=every_hospital(database))
    wrong = start(nurse, database, patient, unit, issue_id, checked_by="nurse.two", checker_password="guess")
    assert wrong.status_code == 403 and wrong.json()["code"] == "second_check_refused"
    started = start(nurse, database, patient, unit, issue_id, checked_by="nurse.two", checker_password=PASSWORD)
    assert started.status_code == 201, started.text
    transfusion = started.json()["transfusion_id"]
    assert started.json()["administered_by"] == nurse.user.username
    assert started.json()["vitals"]["before"]["pulse"] == 72

    during = nurse.post(f"/api/transfusions/{transfusion}/vitals",
                        json={"vitals": {"temperature_c": 38.2, "pulse": 96}})
    assert during.status_code == 200
    assert any("possible febrile" in w for w in during.json()["warnings"])

    ended = nurse.post(f"/api/transfusions/{transfusion}/end", json={
        "volume_given_ml": 120, "outcome": "stopped_reaction", "vitals_after": {**BEFORE, "temperature_c": 38.4}})
    assert ended.status_code == 200, ended.text
    assert ended.json()["outcome"] == "stopped_reaction" and ended.json()["unit_status"] == "transfused"
    assert unit_status(database, unit) == "transfused"
    bedside = nurse.get(f"/api/issues/{issue_id}/bedside").json()
    assert bedside["transfusion"]["transfusion_id"] == transfusion and bedside["returned"] is None
    listed = nurse.get("/api/transfusions", params={"patient_id": patient.id}).json()
    assert listed["total"] == 1 and listed["items"][0]["ended_at"] is not None
    again = nurse.post(f"/api/transfusions/{transfusion}/end", json={
        "volume_given_ml": 10, "outcome": "completed", "vitals_after": BEFORE})
    assert again.status_code == 409 and "already ended" in again.json()["message"]


def test_a_reaction_is_reported_with_a_standard_category(database):
    patient, unit, issue_id = issued(database)
    nurse = api(database, "hospital_staff", hospitals=every_hospital(database))
    transfusion = start(nurse, database, patient, unit, issue_id).json()["transfusion_id"]

    vocabulary = nurse.get("/api/transfusion-vocabulary").json()
    assert "taco" in [c["code"] for c in vocabulary["categories"]]
    reported = nurse.post(f"/api/transfusions/{transfusion}/reactions", json={
        "category": "fnhtr", "severity": "non_severe", "imputability": "probable",
        "description": "38.5 °C and rigors 40 min in; stopped, paracetamol"})

    assert reported.status_code == 201, reported.text
    assert reported.json()["category_name"] == "Febrile non-haemolytic transfusion reaction"
    assert reported.json()["serious"] is False
    unknown = nurse.post(f"/api/transfusions/{transfusion}/reactions", json={
        "category": "grumpy", "severity": "non_severe", "imputability": "probable", "description": "x"})
    assert unknown.status_code == 422
    assert count_rows(database, TransfusionReaction) == 1


def test_the_wrong_patient_at_the_bedside_is_a_hard_stop_and_nothing_is_recorded(database):
    patient, unit, issue_id = issued(database)
    other = make_patient(database, hospital_id=every_hospital(database)[0])  # another patient on the same ward
    nurse = api(database, "hospital_staff", hospitals=every_hospital(database))

    refused = start(nurse, database, other, unit, issue_id)

    assert refused.status_code == 409
    assert refused.json()["message"].startswith("Stop: this unit was issued for another patient")
    assert count_rows(database, Transfusion) == 0
    assert unit_status(database, unit) == "issued"


def test_missing_baseline_vital_signs_are_named(database):
    patient, unit, issue_id = issued(database)
    nurse = api(database, "hospital_staff", hospitals=every_hospital(database))
    refused = start(nurse, database, patient, unit, issue_id, vitals_before={"pulse": 70})
    assert refused.status_code == 422
    assert "Also record: temperature" in refused.json()["message"]
    assert count_rows(database, Transfusion) == 0


def test_a_unit_returned_quickly_goes_back_into_stock_and_a_late_one_is_discarded(database):
    patient, unit, issue_id = issued(database)
    late_patient, late_unit, late_issue = issued(database)
    nurse = api(database, "hospital_staff", hospitals=every_hospital(database))

    quick = nurse.post("/api/returns", json={"issue_id": issue_id, "minutes_out_of_storage": 20,
                                             "kept_in_cold_chain": False, "note": "operation cancelled"})
    assert quick.status_code == 201, quick.text
    assert quick.json()["restocked"] is True and unit_status(database, unit) == "available"
    assert nurse.get(f"/api/issues/{issue_id}/bedside").json()["returned"]["restocked"] is True

    late = nurse.post("/api/returns", json={"issue_id": late_issue, "minutes_out_of_storage": 95,
                                            "kept_in_cold_chain": False})
    assert late.status_code == 201
    assert late.json()["restocked"] is False and "95 min" in late.json()["explanation"]
    assert unit_status(database, late_unit) == "discarded"


def test_a_started_transfusion_cannot_be_returned(database):
    patient, unit, issue_id = issued(database)
    nurse = api(database, "hospital_staff", hospitals=every_hospital(database))
    start(nurse, database, patient, unit, issue_id)
    refused = nurse.post("/api/returns", json={"issue_id": issue_id, "minutes_out_of_storage": 5,
                                               "kept_in_cold_chain": True})
    assert refused.status_code == 409 and "was started" in refused.json()["message"]
    assert unit_status(database, unit) == "issued"


def test_a_clerk_and_a_lab_technician_may_not_record_transfusions(database):
    patient, unit, issue_id = issued(database)
    for role in ("clerk", "lab_technician"):
        client = api(database, role)
        assert start(client, database, patient, unit, issue_id).status_code == 403
        assert client.post("/api/returns", json={"issue_id": issue_id, "minutes_out_of_storage": 5,
                                                 "kept_in_cold_chain": True}).status_code == 403
        assert client.get(f"/api/issues/{issue_id}/bedside").status_code == 403
    assert count_rows(database, Transfusion) == 0 and unit_status(database, unit) == "issued"
