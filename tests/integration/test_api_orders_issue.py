"""Orders, allocation, crossmatch and issue through the REST API: the whole journey from order to
transfusion, and every refusal with its reason and nothing changed."""

from __future__ import annotations

from datetime import timedelta

from bloodbank.adapters.db.models import Order, Signature
from tests.integration.issue_fixtures import (
    add_requirement, audit_actions, counts, din_scan, get, make_order, make_patient, make_unit, make_ward, now,
    snapshot, statuses, unit_status,
)
from tests.integration.patient_fixtures import VALID_NHS, count_rows
from tests.integration.web_fixtures import PASSWORD, api

VITALS = {"temperature_c": 36.7, "pulse": 76, "systolic": 122, "diastolic": 78, "respiratory_rate": 15}


def needed_in(hours: float = 4) -> str:
    return (now() + timedelta(hours=hours)).isoformat()


def without_audit(database):
    """What a refusal must leave as it was; the audit log itself records the refusal."""
    found = counts(database)
    found.pop("AuditEntry")
    return found, statuses(database)


def order_for(client, ward, patient_id: int, **fields):
    body = {"hospital_id": ward.hospital, "patient_id": patient_id, "kind": "red_cells", "quantity": 1,
            "needed_by": needed_in(), "urgency": "urgent", **fields}
    return client.post("/api/orders", json=body)


def test_an_order_is_allocated_issued_and_transfused_through_the_api(database):
    ward = make_ward(database)
    unit = make_unit(database, ward.site, "A+")
    make_unit(database, ward.site, "B+")
    staff = api(database, "hospital_staff", hospitals=(ward.hospital,))
    code = staff.get(f"/api/hospitals/{ward.hospital}").json()["code"]
    patient = staff.post("/api/patients", json={
        "hospital_id": ward.hospital, "given_name": "Rosa", "family_name": "Example", "sex": "F",
        "date_of_birth": "1950-03-02",
        "identifiers": [{"system": "mrn", "value": f"{code}:555001"}, {"system": "nhs", "value": VALID_NHS[0]}],
    }).json()["id"]
    for number in ("A-1", "A-2"):
        sample = staff.post(f"/api/patients/{patient}/samples", json={"sample_number": number,
                                                                       "taken_by": "nurse.kim"}).json()["id"]
        staff.post(f"/api/patients/{patient}/groupings", json={"sample_id": sample, "blood_group": "A+"})
    staff.post(f"/api/patients/{patient}/antibody-screens", json={"sample_id": sample, "positive": False})

    placed = order_for(staff, ward, patient, blood_group="A pos", note="hip fracture, theatre 3")
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["status"] == "open" and order["urgency"] == "urgent"

    held = staff.post(f"/api/orders/{order['id']}/allocate")
    assert held.status_code == 200, held.text
    assert held.json()["order_status"] == "allocated" and held.json()["shortfall"] == 0
    reservation = held.json()["reserved"][0]
    assert reservation["unit_id"] == unit and reservation["blood_group"] == "A+"

    issued = staff.post("/api/issues", json={"reservation_id": reservation["id"],
                                             "scanned_unit": din_scan(database, unit),
                                             "scanned_patient": f"nhs:{VALID_NHS[0]}"})
    assert issued.status_code == 201, issued.text
    assert issued.json()["electronic"] is True and issued.json()["emergency"] is False
    assert staff.get(f"/api/orders/{order['id']}").json()["status"] == "issued"

    started = staff.post("/api/transfusions", json={
        "issue_id": issued.json()["id"], "scanned_unit": din_scan(database, unit),
        "scanned_patient": f"mrn:{code}:555001", "vitals_before": VITALS})
    assert started.status_code == 201, started.text
    ended = staff.post(f"/api/transfusions/{started.json()['transfusion_id']}/end",
                       json={"volume_given_ml": 270, "outcome": "completed", "vitals_after": VITALS})
    assert ended.status_code == 200, ended.text
    assert ended.json()["unit_status"] == "transfused" and ended.json()["volume_given_ml"] == 270
    assert unit_status(database, unit) == "transfused"


def test_orders_are_listed_with_filters_and_pages(database):
    ward, other = make_ward(database), make_ward(database)
    patient = make_patient(database, hospital_id=ward.hospital)
    ids = [make_order(database, ward.hospital, patient.id, needed_in=timedelta(hours=h)) for h in (3, 1, 2)]
    make_order(database, other.hospital, None, urgency="emergency")
    staff = api(database, "hospital_staff", hospitals=(other.hospital, ward.hospital, other.hospital,))

    first = staff.get("/api/orders", params={"hospital_id": ward.hospital, "limit": 2}).json()
    assert first["total"] == 3 and [o["id"] for o in first["items"]] == [ids[1], ids[2]]
    assert first["items"][0]["patient_identifier"] == patient.scan and first["items"][0]["patient_name"]
    rest = staff.get("/api/orders", params={"hospital_id": ward.hospital, "limit": 2, "offset": 2}).json()
    assert [o["id"] for o in rest["items"]] == [ids[0]]
    urgent = staff.get("/api/orders", params={"urgency": "emergency"}).json()
    assert urgent["total"] == 1 and urgent["items"][0]["hospital_id"] == other.hospital
    mine = staff.get("/api/orders", params={"patient_id": patient.id, "status": ["open", "allocated"]}).json()
    assert mine["total"] == 3
    assert staff.get("/api/orders", params={"status": "lost"}).status_code == 422


def test_an_order_naming_another_group_than_the_patients_is_refused_and_nothing_is_ordered(database):
    ward = make_ward(database)
    patient = make_patient(database, group="O+", hospital_id=ward.hospital)
    staff = api(database, "hospital_staff", hospitals=(ward.hospital,))
    before = count_rows(database, Order)

    refused = order_for(staff, ward, patient.id, blood_group="A+")

    assert refused.status_code == 422
    assert "asks for group A+" in refused.json()["message"] and "grouped O+" in refused.json()["message"]
    assert count_rows(database, Order) == before


def test_a_time_needed_without_a_time_zone_or_in_the_past_is_refused(database):
    ward = make_ward(database)
    patient = make_patient(database, hospital_id=ward.hospital)
    staff = api(database, "hospital_staff", hospitals=(ward.hospital,))
    naive = order_for(staff, ward, patient.id, needed_by=(now() + timedelta(hours=2)).replace(tzinfo=None).isoformat())
    assert naive.status_code == 422 and naive.json()["code"] == "invalid_request"
    past = order_for(staff, ward, patient.id, needed_by=(now() - timedelta(hours=1)).isoformat())
    assert past.status_code == 422 and "already passed" in past.json()["message"]


def test_an_incompatible_unit_reserved_by_hand_is_refused_with_the_reason_and_nothing_changes(database):
    ward = make_ward(database)
    patient = make_patient(database, group="A+", hospital_id=ward.hospital)
    wrong = make_unit(database, ward.site, "B+")
    order = make_order(database, ward.hospital, patient.id)
    staff = api(database, "hospital_staff", hospitals=(ward.hospital,))
    before = snapshot(database)

    refused = staff.post(f"/api/orders/{order}/reservations", json={"unit_id": wrong})

    assert refused.status_code == 422
    assert "is not compatible with the patient's group A+" in refused.json()["message"]
    assert snapshot(database) == before
    assert unit_status(database, wrong) == "available"


def test_a_unit_ignoring_the_irradiated_requirement_is_refused_at_reserve_and_at_issue(database):
    ward = make_ward(database)
    patient = make_patient(database, group="A+", hospital_id=ward.hospital)
    plain = make_unit(database, ward.site, "A+", irradiated=False)
    order = make_order(database, ward.hospital, patient.id)
    staff = api(database, "hospital_staff", hospitals=(ward.hospital,))
    reservation = staff.post(f"/api/orders/{order}/reservations", json={"unit_id": plain}).json()["reserved"][0]
    add_requirement(database, patient.id, "irradiated")  # haematology's advice arrives after the unit was held

    before = snapshot(database)
    refused = staff.post("/api/issues", json={"reservation_id": reservation["id"],
                                              "scanned_unit": din_scan(database, plain),
                                              "scanned_patient": patient.scan})
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "issue_refused" and body["message"].startswith("STOP")
    assert [r["code"] for r in body["refusals"]] == ["requirement_not_met"]
    assert "irradiated" in body["refusals"][0]["message"] and body["refusals"][0]["hard_stop"] is True
    assert snapshot(database) == before

    other = make_order(database, ward.hospital, patient.id)
    again = staff.post(f"/api/orders/{other}/reservations", json={"unit_id": make_unit(database, ward.site, "A+")})
    assert again.status_code == 422 and "irradiated" in again.json()["message"]


def test_a_wrong_patient_scanned_at_issue_stops_it_and_nothing_changes(database):
    ward = make_ward(database)
    patient = make_patient(database, hospital_id=ward.hospital)
    someone_else = make_patient(database, hospital_id=ward.hospital)
    unit = make_unit(database, ward.site, "A+")
    order = make_order(database, ward.hospital, patient.id)
    staff = api(database, "hospital_staff", hospitals=(ward.hospital,))
    reservation = staff.post(f"/api/orders/{order}/allocate").json()["reserved"][0]
    before = snapshot(database)

    refused = staff.post("/api/issues", json={"reservation_id": reservation["id"],
                                              "scanned_unit": "=G12342699999900",
                                              "scanned_patient": someone_else.scan})

    assert refused.status_code == 409
    body = refused.json()
    assert {r["code"] for r in body["refusals"]} == {"wrong_unit", "wrong_patient"}
    assert "Wrong patient" in body["message"] and "is not the unit allocated" in body["message"]
    assert snapshot(database) == before
    assert unit_status(database, unit) == "reserved"


def test_electronic_issue_refused_needs_a_crossmatch_first_then_the_unit_goes(database):
    ward = make_ward(database)
    patient = make_patient(database, hospital_id=ward.hospital, screen=True)  # positive antibody screen
    unit = make_unit(database, ward.site, "A+")
    order = make_order(database, ward.hospital, patient.id)
    staff = api(database, "hospital_staff", hospitals=(ward.hospital,))
    status = staff.get(f"/api/patients/{patient.id}/electronic-issue").json()
    assert status["allowed"] is False and "The latest antibody screen is positive." in status["reasons"]
    reservation = staff.post(f"/api/orders/{order}/allocate").json()["reserved"][0]
    scans = {"reservation_id": reservation["id"], "scanned_unit": din_scan(database, unit),
             "scanned_patient": patient.scan}

    first = staff.post("/api/issues", json=scans)
    assert first.status_code == 409 and [r["code"] for r in first.json()["refusals"]] == ["crossmatch_required"]
    workup = staff.get(f"/api/orders/{order}/workup").json()
    assert workup["held"][0]["crossmatch_needed"] is True and workup["electronic_allowed"] is False

    crossmatched = staff.post("/api/crossmatches", json={"patient_id": patient.id, "unit_id": unit,
                                                         "sample_id": patient.sample_id, "result": "compatible"})
    assert crossmatched.status_code == 201, crossmatched.text
    issued = staff.post("/api/issues", json=scans)
    assert issued.status_code == 201, issued.text
    assert issued.json()["electronic"] is False and issued.json()["crossmatch_id"] == crossmatched.json()["id"]


def test_a_reservation_released_with_its_reason_puts_the_unit_back_and_reopens_the_order(database):
    ward = make_ward(database)
    patient = make_patient(database, hospital_id=ward.hospital)
    unit = make_unit(database, ward.site, "A+")
    order = make_order(database, ward.hospital, patient.id)
    staff = api(database, "hospital_staff", hospitals=(ward.hospital,))
    reservation = staff.post(f"/api/orders/{order}/allocate").json()["reserved"][0]

    nothing = staff.post(f"/api/reservations/{reservation['id']}/release", json={"reason": ""})
    assert nothing.status_code == 422 and unit_status(database, unit) == "reserved"
    released = staff.post(f"/api/reservations/{reservation['id']}/release", json={"reason": "surgery postponed"})
    assert released.status_code == 200 and released.json()["release_reason"] == "surgery postponed"
    assert unit_status(database, unit) == "available"
    assert staff.get(f"/api/orders/{order}/allocation").json()["order_status"] == "open"


def test_o_negative_given_to_someone_else_says_so_in_the_allocation(database):
    ward = make_ward(database)
    patient = make_patient(database, group="A+", hospital_id=ward.hospital)
    make_unit(database, ward.site, "O-")
    order = make_order(database, ward.hospital, patient.id)
    staff = api(database, "hospital_staff", hospitals=(ward.hospital,))

    held = staff.post(f"/api/orders/{order}/allocate").json()

    note = "O-negative unit used for an A+ patient: no other compatible unit in stock."
    assert note in held["notes"]
    shown = staff.get(f"/api/orders/{order}/allocation").json()
    assert shown["reserved"][0]["note"] == note


def test_cancelling_an_order_gives_its_units_back(database):
    ward = make_ward(database)
    patient = make_patient(database, hospital_id=ward.hospital)
    unit = make_unit(database, ward.site, "A+")
    order = make_order(database, ward.hospital, patient.id)
    staff = api(database, "hospital_staff", hospitals=(ward.hospital,))
    staff.post(f"/api/orders/{order}/allocate")

    cancelled = staff.post(f"/api/orders/{order}/cancel", json={"reason": "patient discharged"})

    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert unit_status(database, unit) == "available"
    assert staff.post(f"/api/orders/{order}/allocate").status_code == 409


def test_emergency_release_without_the_right_signature_password_is_refused_and_nothing_is_issued(database):
    ward = make_ward(database)
    patient = make_patient(database, group=None, screen=None, hospital_id=ward.hospital, sex="M")
    unit = make_unit(database, ward.site, "O-")
    staff = api(database, "hospital_staff", hospitals=(ward.hospital,))
    body = {"patient_id": patient.id, "unit_id": unit, "scanned_unit": din_scan(database, unit),
            "scanned_patient": patient.scan, "reason": "major haemorrhage, trauma bay 2"}
    before = without_audit(database)

    refused = staff.post("/api/issues/emergency", json={**body, "signature_password": "not my password"})

    assert refused.status_code == 403 and refused.json()["code"] == "signature_refused"
    assert without_audit(database) == before
    assert "signature_refused" in audit_actions(database)

    signed = staff.post("/api/issues/emergency", json={**body, "signature_password": PASSWORD})
    assert signed.status_code == 201, signed.text
    assert signed.json()["emergency"] is True and unit_status(database, unit) == "issued"
    with database.sessions() as session:
        signature = session.query(Signature).one()
    assert signature.action == "emergency_release" and signature.entity_id == str(signed.json()["id"])
    assert "I authorise the emergency release of uncrossmatched unit" in signature.meaning
    assert [f["issue"]["id"] for f in staff.get("/api/issues/emergency-follow-ups").json()] == [signed.json()["id"]]


def test_emergency_release_of_a_group_a_unit_is_refused_even_signed(database):
    ward = make_ward(database)
    patient = make_patient(database, group=None, screen=None, hospital_id=ward.hospital, sex="M")
    unit = make_unit(database, ward.site, "A+")
    staff = api(database, "hospital_staff", hospitals=(ward.hospital,))
    offered = staff.get(f"/api/patients/{patient.id}/emergency-units").json()
    assert unit not in [u["unit_id"] for u in offered]

    refused = staff.post("/api/issues/emergency", json={
        "patient_id": patient.id, "unit_id": unit, "scanned_unit": din_scan(database, unit),
        "scanned_patient": patient.scan, "reason": "bleeding", "signature_password": PASSWORD})

    assert refused.status_code == 409
    assert "emergency_group" in {r["code"] for r in refused.json()["refusals"]}
    assert unit_status(database, unit) == "available"
    assert count_rows(database, Signature) == 0


def test_a_clerk_and_a_lab_technician_are_refused_orders_and_issue(database):
    ward = make_ward(database)
    patient = make_patient(database, hospital_id=ward.hospital)
    unit = make_unit(database, ward.site, "O-")
    order = make_order(database, ward.hospital, patient.id)
    staff = api(database, "hospital_staff", hospitals=(ward.hospital,))
    reservation = staff.post(f"/api/orders/{order}/allocate").json()["reserved"][0]
    before = without_audit(database)

    for role in ("clerk", "lab_technician"):
        client = api(database, role)
        calls = [
            client.get("/api/orders"),
            client.post("/api/orders", json={"hospital_id": ward.hospital, "patient_id": patient.id,
                                             "kind": "red_cells", "quantity": 1, "needed_by": needed_in()}),
            client.post(f"/api/orders/{order}/allocate"),
            client.post(f"/api/reservations/{reservation['id']}/release", json={"reason": "mine now"}),
            client.post("/api/issues", json={"reservation_id": reservation["id"],
                                             "scanned_unit": din_scan(database, unit), "scanned_patient": patient.scan}),
            client.post("/api/issues/emergency", json={
                "patient_id": patient.id, "unit_id": unit, "scanned_unit": din_scan(database, unit),
                "scanned_patient": patient.scan, "reason": "bleeding", "signature_password": PASSWORD}),
        ]
        assert [c.status_code for c in calls] == [403] * len(calls), role
        assert all(c.json()["code"] == "forbidden" for c in calls)
    assert without_audit(database) == before
    assert get(database, Order, order).status == "allocated"
    assert audit_actions(database).count("access_denied") == 12
