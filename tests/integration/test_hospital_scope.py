"""Each hospital sees its own: through the REST API, another hospital's records are not found, lists hold only
one's own hospitals' rows, and what cannot be hidden (an identifier already on file, a wristband) is refused
without naming whose it is. The blood service sees every hospital."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from bloodbank.adapters.db.models import Order, Patient, Transfusion
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.hospital_scope import HospitalScope
from bloodbank.service_layer.hospital import orders, patients
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.traceability import trace
from tests.integration.patient_fixtures import count_rows, insert
from tests.integration.scope_fixtures import VITALS, two_hospitals
from tests.integration.web_fixtures import PASSWORD, api, make_user


def staff(database, *wards, name="ward.staff"):
    return api(database, "hospital_staff", name, hospitals=tuple(w.hospital for w in wards))


def ids(answer, key="id") -> set[int]:
    body = answer.json()
    items = body["items"] if isinstance(body, dict) else body
    return {item[key] for item in items}


def same_as_missing(answer, missing) -> bool:
    """A 404 whose body is the one a record that does not exist gets, but for its number."""
    blank = lambda a: re.sub(r"\d+", "#", a.text)  # noqa: E731
    return answer.status_code == missing.status_code == 404 and blank(answer) == blank(missing)


def test_another_hospitals_records_answer_404_exactly_as_records_that_do_not_exist(database):
    a, b = two_hospitals(database)
    client = staff(database, a)
    for path in ("/api/patients/{}", "/api/orders/{}", "/api/orders/{}/workup", "/api/issues/{}",
                 "/api/transfusions/{}", "/api/issues/{}/bedside", "/api/hospitals/{}"):
        own = {"/api/patients/{}": a.patient, "/api/issues/{}": a.issue, "/api/transfusions/{}": a.transfusion,
               "/api/issues/{}/bedside": a.issue, "/api/hospitals/{}": a.hospital}.get(path, a.open_order)
        other = {"/api/patients/{}": b.patient, "/api/issues/{}": b.issue, "/api/transfusions/{}": b.transfusion,
                 "/api/issues/{}/bedside": b.issue, "/api/hospitals/{}": b.hospital}.get(path, b.open_order)
        assert client.get(path.format(own)).status_code == 200, path
        hidden, missing = client.get(path.format(other)), client.get(path.format(999_999))
        assert same_as_missing(hidden, missing), (path, hidden.text, missing.text)
        assert "Bravo" not in hidden.text


def test_lists_hold_only_the_callers_hospitals_rows_and_the_blood_service_sees_both(database):
    a, b = two_hospitals(database)
    mine, director = staff(database, a), api(database, "medical_director")

    assert ids(mine.get("/api/orders")) == {a.open_order} | _issued_orders(database, a)
    assert ids(director.get("/api/orders")) >= {a.open_order, b.open_order}
    assert ids(mine.get("/api/orders", params={"hospital_id": b.hospital})) == set()
    assert ids(mine.get("/api/patients")) == {a.patient, a.duplicate, a.typed_patient}
    assert ids(mine.get("/api/patients", params={"q": "Bravofamily"})) == set()
    assert ids(mine.get("/api/patients", params={"q": "Ada"})) == {a.patient, a.duplicate}
    assert ids(mine.get("/api/hospitals")) == {a.hospital}
    assert ids(mine.get("/api/transfusions"), "transfusion_id") == {a.transfusion}
    assert ids(mine.get("/api/transfusions", params={"issue_id": b.issue}), "transfusion_id") == set()
    assert ids(director.get("/api/transfusions"), "transfusion_id") == {a.transfusion, b.transfusion}
    assert {f["issue"]["id"] for f in mine.get("/api/issues/emergency-follow-ups").json()} == {a.emergency_issue}
    assert ids(mine.get("/api/patients/groupings/second-entries"), "grouping_id") == {a.typed_grouping}
    assert {t["recall_id"] for t in mine.get("/api/recalls/open", params={"side": "ward"}).json()} == {a.recall}
    assert mine.get("/api/overview").json()["open_orders"] == 1
    assert director.get("/api/overview").json()["open_orders"] == 2


def _issued_orders(database, ward) -> set[int]:
    with database.sessions() as session:
        return set(session.execute(select(Order.id).where(Order.hospital_id == ward.hospital,
                                                          Order.status == "issued")).scalars())


def test_records_of_another_hospital_named_inside_a_request_are_not_found_and_nothing_is_written(database):
    a, b = two_hospitals(database)
    client = staff(database, a)
    before = count_rows(database, Order), count_rows(database, Patient), count_rows(database, Transfusion)
    soon = (utcnow() + timedelta(hours=4)).isoformat()
    answers = [
        client.post("/api/orders", json={"hospital_id": a.hospital, "patient_id": b.patient, "kind": "red_cells",
                                         "quantity": 1, "needed_by": soon}),
        client.post("/api/orders", json={"hospital_id": b.hospital, "patient_id": a.patient, "kind": "red_cells",
                                         "quantity": 1, "needed_by": soon}),
        client.post("/api/orders", json={"hospital_id": a.hospital, "patient": b.wristband, "kind": "red_cells",
                                         "quantity": 1, "needed_by": soon}),
        client.post("/api/patients", json={"hospital_id": b.hospital, "identifiers": [
            {"system": "passport", "value": "GBR:101010101"}]}),
        client.post("/api/patients/emergency", json={"hospital_id": b.hospital}),
        client.post("/api/patients/merge", json={"survivor_id": a.patient, "duplicate_id": b.patient,
                                                 "reason": "same person"}),
        client.post("/api/crossmatches", json={"patient_id": a.patient, "unit_id": a.reserved_unit,
                                               "sample_id": b.sample, "result": "compatible"}),
        client.post(f"/api/patients/{a.patient}/groupings", json={"sample_id": b.sample, "blood_group": "A+"}),
        client.post(f"/api/patients/{a.patient}/groupings/{b.grouping}/in-error", json={
            "reason": "wrong blood in tube", "confirmed_by": "someone", "confirmer_password": PASSWORD, "signature_password": PASSWORD}),
        client.post("/api/transfusions", json={"issue_id": b.issue, "scanned_unit": f"={b.issued_din}00",
                                               "scanned_patient": b.wristband, "vitals_before": VITALS}),
        client.post("/api/returns", json={"issue_id": b.issue, "minutes_out_of_storage": 5,
                                          "kept_in_cold_chain": True}),
        client.get("/api/patients/lookup", params={"identifier": b.wristband}),
        client.get("/api/orders", params={"patient_id": b.patient}),
    ]
    assert [answer.status_code for answer in answers] == [404] * len(answers), [a.text for a in answers]
    assert not any("Bravo" in answer.text for answer in answers)
    assert (count_rows(database, Order), count_rows(database, Patient), count_rows(database, Transfusion)) == before


def test_hospital_staff_of_no_hospital_see_nothing_rather_than_everything(database):
    a, b = two_hospitals(database)
    nobody = staff(database, name="new.starter")
    assert nobody.get("/api/me").json()["hospital_ids"] == []
    assert ids(nobody.get("/api/orders")) == ids(nobody.get("/api/patients")) == set()
    assert ids(nobody.get("/api/hospitals")) == set()
    for ward in (a, b):
        assert nobody.get(f"/api/patients/{ward.patient}").status_code == 404
        assert nobody.get(f"/api/orders/{ward.open_order}").status_code == 404
    assert api(database, "lab_technician").get("/api/me").json()["hospital_ids"] is None  # every hospital


def test_staff_of_both_hospitals_see_both(database):
    a, b = two_hospitals(database)
    both = staff(database, a, b)
    assert ids(both.get("/api/hospitals")) == {a.hospital, b.hospital}
    assert both.get(f"/api/patients/{b.patient}").status_code == 200
    assert both.get(f"/api/orders/{a.open_order}").status_code == 200


def test_a_patient_of_no_hospital_is_seen_by_the_blood_service_and_by_a_hospital_that_orders_for_them(database):
    a, b = two_hospitals(database)
    legacy = insert(database, Patient(given_name="Old", family_name="Record", hospital_id=None))
    mine, director = staff(database, a), api(database, "medical_director")
    assert mine.get(f"/api/patients/{legacy}").status_code == 404
    assert director.get(f"/api/patients/{legacy}").status_code == 200

    placed = director.post("/api/orders", json={"hospital_id": a.hospital, "patient_id": legacy,
                                                "kind": "plasma", "quantity": 1,
                                                "needed_by": (utcnow() + timedelta(hours=3)).isoformat()})
    assert placed.status_code == 201, placed.text
    assert mine.get(f"/api/patients/{legacy}").status_code == 200
    assert staff(database, b, name="other.ward").get(f"/api/patients/{legacy}").status_code == 404


def test_a_patient_ordered_for_at_another_hospital_is_seen_there_but_the_first_hospitals_orders_are_not(database):
    a, b = two_hospitals(database)
    director = api(database, "medical_director")
    moved = director.post("/api/orders", json={"hospital_id": b.hospital, "patient_id": a.patient,
                                               "kind": "red_cells", "quantity": 1,
                                               "needed_by": (utcnow() + timedelta(hours=3)).isoformat()}).json()["id"]
    there = staff(database, b, name="bravo.staff")
    assert there.get(f"/api/patients/{a.patient}").status_code == 200
    assert ids(there.get("/api/orders", params={"patient_id": a.patient})) == {moved}
    assert there.get(f"/api/orders/{a.open_order}").status_code == 404
    here = staff(database, a, name="alpha.staff")
    assert moved not in ids(here.get("/api/orders", params={"patient_id": a.patient}))


def test_an_identifier_on_file_at_another_hospital_is_refused_without_naming_the_patient(database):
    a, b = two_hospitals(database)
    taken = b.wristband.split(":", 1)[1]
    answer = staff(database, a).post("/api/patients", json={
        "hospital_id": a.hospital, "identifiers": [{"system": "mrn", "value": taken}]})
    assert answer.status_code == 409
    assert "already on file for a patient of another hospital" in answer.json()["message"]
    assert "Bravo" not in answer.text and "candidates" not in answer.json()
    same_ward = staff(database, b, name="bravo.staff").post("/api/patients", json={
        "hospital_id": b.hospital, "identifiers": [{"system": "mrn", "value": taken}]})
    assert same_ward.status_code == 409 and "Bravofamily" in same_ward.text  # the ward's own record is named


def test_another_hospitals_wristband_at_the_bedside_stops_without_saying_whose_it_is(database):
    a, b = two_hospitals(database)
    answer = staff(database, a).post("/api/transfusions", json={
        "issue_id": a.issue, "scanned_unit": f"={a.issued_din}00", "scanned_patient": b.wristband,
        "vitals_before": VITALS})
    assert answer.status_code == 409
    assert answer.json()["message"].startswith("Stop: no patient has the identifier scanned")
    assert count_rows(database, Transfusion) == 2  # the two running ones the wards started with


def test_another_hospitals_wristband_at_issue_stops_without_saying_whose_it_is(database):
    a, b = two_hospitals(database)
    answer = staff(database, a).post("/api/issues", json={
        "reservation_id": a.reservation, "scanned_unit": f"={a.reserved_din}00", "scanned_patient": b.wristband})
    assert answer.status_code == 409
    refusals = answer.json()["refusals"]
    assert any(r["code"] == "wrong_patient" and r["hard_stop"] for r in refusals)
    assert "another patient record" not in answer.text and "Bravo" not in answer.text


def test_a_grouping_in_error_is_confirmed_only_by_someone_who_sees_the_patient(database):
    a, b = two_hospitals(database)
    make_user(database, "hospital_staff", "bravo.checker", hospitals=(b.hospital,))
    client = staff(database, a)
    refused = client.post(f"/api/patients/{a.patient}/groupings/{a.grouping}/in-error", json={
        "reason": "wrong blood in tube", "confirmed_by": "bravo.checker", "confirmer_password": PASSWORD, "signature_password": PASSWORD})
    assert refused.status_code == 422 and "do not work for this patient's hospital" in refused.json()["message"]
    make_user(database, "hospital_staff", "alpha.checker", hospitals=(a.hospital,))
    done = client.post(f"/api/patients/{a.patient}/groupings/{a.grouping}/in-error", json={
        "reason": "wrong blood in tube", "confirmed_by": "alpha.checker", "confirmer_password": PASSWORD, "signature_password": PASSWORD})
    assert done.status_code == 200, done.text


def test_an_emergency_release_does_not_open_an_order_at_a_hospital_outside_the_callers(database):
    a, b = two_hospitals(database)
    director = api(database, "medical_director")
    director.post("/api/orders", json={"hospital_id": b.hospital, "patient_id": a.patient, "kind": "red_cells",
                                       "quantity": 1, "needed_by": (utcnow() + timedelta(hours=3)).isoformat()})
    director.post(f"/api/requirements/{a.requirement}/end", json={"reason": "course finished"})  # O- unit suits
    before = count_rows(database, Order)
    answer = staff(database, b, name="bravo.staff").post("/api/issues/emergency", json={
        "patient_id": a.patient, "unit_id": b.emergency_unit, "scanned_unit": f"={b.emergency_din}00",
        "scanned_patient": a.wristband, "reason": "haemorrhage", "signature_password": PASSWORD})
    assert answer.status_code == 422 and "registered at another hospital" in answer.json()["message"]
    assert count_rows(database, Order) == before


def test_trace_names_only_the_recipients_of_hospitals_the_reader_sees(database):
    a, b = two_hospitals(database)
    everything = trace.trace_din_as(UnitOfWork(database), b.issued_din, role="medical_director")
    [recipient] = [r for d in everything.other_units for r in d.recipients]
    assert recipient.identifiers and recipient.hospital_id == b.hospital

    alpha_only = UnitOfWork(database, scope=HospitalScope(frozenset({a.hospital})))
    shaped = trace.trace_din_as(alpha_only, b.issued_din, role="medical_director")
    [hidden] = [r for d in shaped.other_units for r in d.recipients]
    assert hidden.identifiers == () and hidden.issue_id == recipient.issue_id  # the unit's fate stays
    recent = {i.din for i in trace.recent_issues(alpha_only)}
    assert a.issued_din in recent and b.issued_din not in recent


def test_the_use_cases_take_their_scope_from_the_unit_of_work(database):
    a, b = two_hospitals(database)
    alpha = UnitOfWork(database, actor="x", scope=HospitalScope(frozenset({a.hospital})))
    assert {p.id for p in patients.list_patients(alpha)[0]} == {a.patient, a.duplicate, a.typed_patient}
    assert {o.hospital_id for o in orders.list_orders(alpha)} == {a.hospital}
    assert {p.id for p in patients.list_patients(UnitOfWork(database))[0]} >= {a.patient, b.patient}
