"""Hospitals and patients through the REST API: registration under several identifiers, look-up by any of
them, the lab history that decides what a patient may receive, and merges that keep all of it."""

from __future__ import annotations

from bloodbank.adapters.db.models import Patient, PatientIdentifier
from tests.integration.patient_fixtures import (
    VALID_NHS, audit_count, count_rows, make_antibody, make_grouping, make_hospital, make_patient, make_requirement,
    make_sample, make_screen, make_site,
)
from tests.integration.web_fixtures import api, join_hospitals


def hospital_code(client, hospital_id: int) -> str:
    return client.get(f"/api/hospitals/{hospital_id}").json()["code"]


def register(client, hospital_id: int, *identifiers, **fields):
    body = {"hospital_id": hospital_id, "given_name": "Ada", "family_name": "Lovelace", "sex": "F",
            "date_of_birth": "1985-12-10", **fields,
            "identifiers": [{"system": s, "value": v} for s, v in identifiers]}
    return client.post("/api/patients", json=body)


def test_an_administrator_creates_a_hospital_and_hospital_staff_list_it(database):
    site = make_site(database)
    admin, staff = api(database, "administrator"), api(database, "hospital_staff")

    made = admin.post("/api/hospitals", json={"code": "rxh", "name": "Royal Example Hospital", "site_id": site,
                                              "latitude": 52.9, "longitude": -1.2})
    assert made.status_code == 201, made.text
    assert made.json()["code"] == "RXH"

    join_hospitals(database, staff, made.json()["id"])
    listed = staff.get("/api/hospitals", params={"site_id": site}).json()
    assert listed["total"] == 1 and listed["items"][0]["name"] == "Royal Example Hospital"
    assert staff.post("/api/hospitals", json={"code": "XYZ", "name": "Not allowed", "site_id": site}).status_code == 403
    again = admin.post("/api/hospitals", json={"code": "RXH", "name": "Twice", "site_id": site})
    assert again.status_code == 409 and again.json()["code"] == "conflict"


def test_a_patient_registered_with_several_identifiers_is_found_by_any_of_them(database):
    hospital = make_hospital(database)
    staff = api(database, "hospital_staff", hospitals=(hospital,))
    code = hospital_code(staff, hospital)

    made = register(staff, hospital, ("mrn", f"{code}:123456"), ("nhs", "943 476 5919"))
    assert made.status_code == 201, made.text
    patient = made.json()
    assert patient["identifiers"] == [["mrn", f"{code}:123456"], ["nhs", "9434765919"]]

    for typed in (f"mrn:{code}:123456", "nhs:9434765919", "9434765919", f"{code}:123456"):
        found = staff.get("/api/patients/lookup", params={"identifier": typed})
        assert found.status_code == 200, (typed, found.text)
        assert found.json()["id"] == patient["id"]
    search = staff.get("/api/patients", params={"q": "Lovelace"}).json()
    assert [p["id"] for p in search["items"]] == [patient["id"]]
    missing = staff.get("/api/patients/lookup", params={"identifier": "nhs:4010232137"})
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_an_identifier_already_on_file_is_refused_with_the_record_holding_it_and_nothing_saved(database):
    hospital = make_hospital(database)
    staff = api(database, "hospital_staff", hospitals=(hospital,))
    first = register(staff, hospital, ("nhs", VALID_NHS[0])).json()
    before = (count_rows(database, Patient), count_rows(database, PatientIdentifier))

    again = register(staff, hospital, ("nhs", VALID_NHS[1]), ("nhs", VALID_NHS[0]), given_name="Other")

    assert again.status_code == 409
    body = again.json()
    assert body["code"] == "possible_duplicate" and "already belongs to patient" in body["message"]
    assert [c["id"] for c in body["candidates"]] == [first["id"]]
    assert (count_rows(database, Patient), count_rows(database, PatientIdentifier)) == before


def test_a_wrong_nhs_check_digit_is_refused_with_a_clear_message(database):
    staff = api(database, "hospital_staff")
    answer = register(staff, make_hospital(database), ("nhs", "9434765918"))
    assert answer.status_code == 422
    assert "check digit is wrong" in answer.json()["message"]


def test_the_lab_history_is_recorded_and_makes_electronic_issue_possible(database):
    hospital = make_hospital(database)
    staff = api(database, "hospital_staff", hospitals=(hospital,))
    patient = register(staff, hospital, ("nhs", VALID_NHS[2])).json()["id"]

    fresh = staff.get(f"/api/patients/{patient}/electronic-issue").json()
    assert fresh["allowed"] is False
    assert "The patient has no blood group on record." in fresh["reasons"]
    assert "There is no antibody screen." in fresh["reasons"]

    samples = []
    for number in ("S-0001", "S-0002"):
        made = staff.post(f"/api/patients/{patient}/samples", json={"sample_number": number, "taken_by": "nurse.kim"})
        assert made.status_code == 201, made.text
        samples.append(made.json()["id"])
    first = staff.post(f"/api/patients/{patient}/groupings", json={"sample_id": samples[0], "blood_group": "B pos"})
    assert first.status_code == 201 and first.json()["status"] == "single"
    second = staff.post(f"/api/patients/{patient}/groupings", json={"sample_id": samples[1], "blood_group": "B+"})
    assert second.json()["status"] == "confirmed"
    screen = staff.post(f"/api/patients/{patient}/antibody-screens", json={"sample_id": samples[1], "positive": False})
    assert screen.status_code == 201

    assert staff.get(f"/api/patients/{patient}/electronic-issue").json() == {"allowed": True, "reasons": []}
    record = staff.get(f"/api/patients/{patient}/record").json()
    assert record["confirmed_group"] == "B+" and record["grouping_status"] == "confirmed"
    assert [s["sample_number"] for s in record["samples"]] == ["S-0002", "S-0001"]
    assert [s["sample_number"] for s in staff.get(f"/api/patients/{patient}/samples").json()["items"]] == [
        "S-0002", "S-0001"]

    antibody = staff.post(f"/api/patients/{patient}/antibodies", json={"antibody": "Anti Fya"})
    assert antibody.status_code == 201 and antibody.json()["antibody"] == "anti-Fya"
    after = staff.get(f"/api/patients/{patient}/electronic-issue").json()
    assert after["allowed"] is False and any("anti-Fya" in r for r in after["reasons"])


def test_special_requirements_are_added_and_ended_with_their_reasons(database):
    hospital = make_hospital(database)
    patient = make_patient(database, ("nhs", VALID_NHS[0]), hospital_id=hospital)
    staff = api(database, "hospital_staff", hospitals=(hospital,))

    for code in ("irradiated", "cmv_negative", "rhd_negative_only"):
        made = staff.post(f"/api/patients/{patient}/requirements", json={"requirement": code, "reason": "haematology"})
        assert made.status_code == 201, made.text
    twice = staff.post(f"/api/patients/{patient}/requirements", json={"requirement": "irradiated", "reason": "again"})
    assert twice.status_code == 409 and "already has an active 'irradiated'" in twice.json()["message"]
    unknown = staff.post(f"/api/patients/{patient}/requirements", json={"requirement": "gold", "reason": "x"})
    assert unknown.status_code == 422

    record = staff.get(f"/api/patients/{patient}/record").json()
    irradiated = next(r for r in record["requirements"] if r["requirement"] == "irradiated")
    ended = staff.post(f"/api/requirements/{irradiated['id']}/end", json={"reason": "course finished"})
    assert ended.status_code == 200 and ended.json()["active"] is False
    active = {r["requirement"] for r in staff.get(f"/api/patients/{patient}/record").json()["requirements"]
              if r["active"]}
    assert active == {"cmv_negative", "rhd_negative_only"}


def test_a_merge_keeps_every_grouping_antibody_and_requirement_of_both_records(database):
    hospital = make_hospital(database)
    keep = make_patient(database, ("nhs", VALID_NHS[0]), hospital_id=hospital)
    emergency = make_patient(database, ("emergency", "EM-2026-0042"), hospital_id=hospital, sex=None)
    make_grouping(database, keep, "A+")
    make_screen(database, keep, positive=False, sample_id=make_sample(database, keep))
    make_grouping(database, emergency, "A+")
    make_antibody(database, emergency, "anti-K")
    make_requirement(database, emergency, "irradiated")
    staff = api(database, "hospital_staff", hospitals=(hospital,))

    merged = staff.post("/api/patients/merge", json={"survivor_id": keep, "duplicate_id": emergency,
                                                     "reason": "identified by her daughter, wristband checked"})

    assert merged.status_code == 200, merged.text
    assert ["emergency", "EM-2026-0042"] in merged.json()["identifiers"]
    record = staff.get(f"/api/patients/{emergency}/record").json()  # the old number leads to the survivor
    assert record["patient"]["id"] == keep and record["merged_records"] == [emergency]
    assert [g["blood_group"] for g in record["groupings"]] == ["A+", "A+"]
    assert record["grouping_status"] == "confirmed"
    assert [a["antibody"] for a in record["antibodies"]] == ["anti-K"]
    assert [r["requirement"] for r in record["requirements"]] == ["irradiated"]
    assert staff.get("/api/patients/lookup", params={"identifier": "EM-2026-0042"}).json()["id"] == keep
    twice = staff.post("/api/patients/merge", json={"survivor_id": keep, "duplicate_id": emergency, "reason": "x"})
    assert twice.status_code == 409


def test_an_unidentified_patient_gets_the_next_emergency_number(database):
    hospital = make_hospital(database)
    staff = api(database, "hospital_staff", hospitals=(hospital,))
    first = staff.post("/api/patients/emergency", json={"hospital_id": hospital, "sex": "M", "approximate_age": 40})
    second = staff.post("/api/patients/emergency", json={"hospital_id": hospital})
    assert first.status_code == second.status_code == 201
    numbers = [first.json()["identifiers"][0][1], second.json()["identifiers"][0][1]]
    assert numbers[0].startswith("EM-") and numbers[0][-4:] == "0001" and numbers[1][-4:] == "0002"
    assert first.json()["date_of_birth_estimated"] is True


def test_a_clerk_and_a_lab_technician_may_not_read_or_register_patients(database):
    hospital = make_hospital(database)
    patient = make_patient(database, ("nhs", VALID_NHS[0]), hospital_id=hospital)
    for role in ("clerk", "lab_technician"):
        client = api(database, role)
        before = count_rows(database, Patient)
        assert client.get(f"/api/patients/{patient}").status_code == 403
        assert client.get(f"/api/patients/{patient}/record").status_code == 403
        refused = register(client, hospital, ("nhs", VALID_NHS[1]))
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
        assert count_rows(database, Patient) == before


def test_nonsense_is_refused_by_validation_not_by_a_crash(database):
    hospital = make_hospital(database)
    staff = api(database, "hospital_staff", hospitals=(hospital,))
    audit_before = audit_count(database)
    assert staff.get("/api/patients/99999999999999999999").status_code == 422
    assert staff.get("/api/patients/lookup", params={"identifier": "id:99999999999999999999"}).status_code == 404
    assert register(staff, hospital, ("nhs", VALID_NHS[0]), colour="blue").status_code == 422
    assert staff.post("/api/patients", json={"hospital_id": hospital, "identifiers": []}).status_code == 422
    assert audit_count(database) == audit_before
