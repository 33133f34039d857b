"""Massive transfusion and identity packs through the REST API: the same rules as the service, every refusal a 4xx."""

from tests.integration.issue_fixtures import din_scan
from tests.integration.mtp_fixtures import group_confirmed, trauma_bay
from tests.integration.web_fixtures import PASSWORD, api


def scans(database, cooler):
    return [din_scan(database, u["unit_id"]) for u in cooler["units"]]


def test_an_unidentified_casualty_through_three_coolers_one_returned_by_the_api(database):
    bay = trauma_bay(database)
    staff = api(database, "hospital_staff", "dr.api", hospitals=(bay.ward.hospital,))
    pack = staff.post("/api/identity-packs", json={"hospital_id": bay.ward.hospital, "count": 2,
                                                   "place": "trauma bay 1"})
    assert pack.status_code == 201, pack.text
    number = pack.json()["numbers"][0]
    pdf = staff.post(f"/api/identity-packs/{pack.json()['id']}/pack.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    scanned = staff.post("/api/identity-packs/scan", json={"scanned": number, "sex": "M"}).json()
    assert scanned["registered_now"] and f"emergency:{number}" in scanned["identifiers"]

    mtp = staff.post("/api/mtp", json={"patient_id": scanned["patient_id"], "reason": "blast injury"})
    assert mtp.status_code == 201, mtp.text
    mtp_id = mtp.json()["id"]
    assert staff.post("/api/mtp", json={"patient_id": scanned["patient_id"], "reason": "again"}).status_code == 409
    coolers = []
    for number_of_round in (1, 2, 3):
        if number_of_round == 2:
            group_confirmed(database, scanned["patient_id"], "A+")
        cooler = staff.post(f"/api/mtp/{mtp_id}/rounds").json()
        assert cooler["emergency"] is (number_of_round == 1)
        refused = staff.post(f"/api/mtp/rounds/{cooler['id']}/issue",
                             json={"scanned_units": scans(database, cooler)[1:], "scanned_patient": number})
        assert refused.status_code == 409 and refused.json()["code"] == "issue_refused"
        issued = staff.post(f"/api/mtp/rounds/{cooler['id']}/issue",
                            json={"scanned_units": scans(database, cooler), "scanned_patient": number})
        assert issued.status_code == 200, issued.text
        coolers.append(issued.json())
    back = staff.post(f"/api/mtp/rounds/{coolers[2]['id']}/return",
                      json={"minutes_out_of_storage": 15, "kept_in_cold_chain": True})
    assert back.status_code == 200 and back.json()["state"] == "returned"

    wrong = staff.post(f"/api/mtp/{mtp_id}/end", json={"signature_password": "wrong password"})
    assert wrong.status_code in (401, 403, 422) and staff.get(f"/api/mtp/{mtp_id}").json()["active"]
    report = staff.post(f"/api/mtp/{mtp_id}/end", json={"signature_password": PASSWORD, "note": "haemostasis"})
    assert report.status_code == 200, report.text
    body = report.json()
    assert not body["active"] and len(body["rounds"]) == 3
    assert body["given"] == {"red_cells": 4, "plasma": 4, "platelets": 2, "whole_blood": 0}
    assert body["ratio_achieved"] == [1.0, 1.0, 0.5] and body["ratio_target"] == [1.0, 1.0, 0.5]
    assert body["returned_to_stock"] == 4 and body["wasted"] == 1
    assert {"kind": "red_cells", "group": "A+", "count": 2} in body["units_by_kind_and_group"]


def test_only_the_medical_director_sets_a_hospital_s_ratio_and_a_bad_one_is_refused(database):
    bay = trauma_bay(database)
    staff = api(database, "hospital_staff", "nurse.api", hospitals=(bay.ward.hospital,))
    director = api(database, "medical_director", "dr.director.api")
    path = f"/api/hospitals/{bay.ward.hospital}/mtp-ratio"
    assert staff.put(path, json={"ratio": "1:1:1", "reason": "x"}).status_code == 403
    assert director.put(path, json={"ratio": "40:4:1", "reason": "typo"}).status_code == 422
    changed = director.put(path, json={"ratio": "1:1:1", "reason": "PROPPR, committee 2026"})
    assert changed.status_code == 200 and changed.json()["ratio"] == "6:6:1"
    assert staff.get(path).json()["ratio"] == "6:6:1"
    assert api(database, "lab_technician", "lab.api").post("/api/mtp", json={"patient_id": 1, "reason": "x"}
                                                            ).status_code == 403


def test_another_hospital_s_protocol_and_pack_are_not_found(database):
    bay, other = trauma_bay(database), trauma_bay(database)
    mine = api(database, "hospital_staff", "dr.mine", hospitals=(bay.ward.hospital,))
    theirs = api(database, "hospital_staff", "dr.theirs", hospitals=(other.ward.hospital,))
    pack = theirs.post("/api/identity-packs", json={"hospital_id": other.ward.hospital, "count": 1,
                                                    "place": "bay"}).json()
    patient = theirs.post("/api/identity-packs/scan", json={"scanned": pack["numbers"][0]}).json()
    mtp = theirs.post("/api/mtp", json={"patient_id": patient["patient_id"], "reason": "haemorrhage"}).json()
    assert mine.get(f"/api/mtp/{mtp['id']}").status_code == 404
    assert mine.post(f"/api/mtp/{mtp['id']}/rounds").status_code == 404
    assert mine.post("/api/identity-packs/scan", json={"scanned": pack["numbers"][0]}).status_code == 404
    assert mine.post(f"/api/identity-packs/{pack['id']}/pack.pdf").status_code == 404
    assert mine.get("/api/mtp").json()["total"] == 0
