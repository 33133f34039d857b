"""The donor side through the REST API: registration to consent, and every refusal on the way."""

from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import select, text

from bloodbank.adapters.db.models import AuditEntry, ConfidentialAnswer, Consent, Donor, Visit
from bloodbank.config import get_settings
from bloodbank.service_layer.donors.consent import is_self_excluded

from tests.integration.appointment_fixtures import make_site as make_open_site, NOW, WEEKDAYS
from tests.integration.visit_fixtures import all_clear, counts, make_deferral, make_donation
from tests.integration.web_fixtures import api

HEALTHY = dict(weight_kg=72, hemoglobin_g_dl=14.1, systolic=128, diastolic=82, pulse=68, temperature_c=36.6)
GRACE = dict(given_name="Grace", family_name="Okafor", date_of_birth="1988-04-09", sex="F",
             phone="+44 7700 900123", email="grace@example.org", postcode="DE1 1AA")


@pytest.fixture(autouse=True)
def monday_morning():
    # Before opening on a weekday, so check-in and the whole day's slots are open.
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def clerk(database):
    return api(database, "clerk")


@pytest.fixture
def director(database):
    return api(database, "medical_director", "director")


@pytest.fixture
def site(database):
    return make_open_site(database, opening_hours=WEEKDAYS)


def register(client, **overrides):
    answer = client.post("/api/donors", json={**GRACE, **overrides})
    assert answer.status_code == 201, answer.text
    return answer.json()


def check_in(client, donor_id, site_id):
    answer = client.post("/api/visits", json={"donor_id": donor_id, "site_id": site_id})
    assert answer.status_code == 201, answer.text
    return answer.json()


def rows(database, model, **filters):
    """In the order they were written (a query without an order may come back in any)."""
    with database.sessions() as s:
        return list(s.execute(select(model).filter_by(**filters)
                              .order_by(*model.__table__.primary_key.columns)).scalars())


def test_a_donor_goes_from_registration_to_consent_through_the_api(database, clerk, site):
    donor = register(clerk)
    assert donor["donor_number"].startswith("D") and donor["blood_group"] is None

    found = clerk.get("/api/donors", params={"q": "okafor grace", "date_of_birth": "1988-04-09"}).json()
    assert found["total"] == 1 and [d["id"] for d in found["items"]] == [donor["id"]]
    by_number = clerk.get("/api/donors", params={"donor_number": donor["donor_number"]}).json()
    assert [d["id"] for d in by_number["items"]] == [donor["id"]]
    by_phone = clerk.get("/api/donors", params={"phone": "07700 900123"}).json()
    assert [d["id"] for d in by_phone["items"]] == [donor["id"]]

    visit = check_in(clerk, donor["id"], site)
    assert visit["status"] == "checked_in"
    assert [v["id"] for v in clerk.get("/api/visits", params={"site_id": site}).json()["items"]] == [visit["id"]]

    ids = {q["id"] for q in clerk.get("/api/questionnaire").json()["questions"]}
    answers = all_clear()
    assert set(answers) == ids
    decision = clerk.post(f"/api/visits/{visit['id']}/screening", json={"answers": answers, **HEALTHY})
    assert decision.status_code == 200, decision.text
    assert decision.json()["eligible"] is True and decision.json()["reasons"] == []

    version = clerk.get("/api/consent-text").json()["version"]
    assert version == get_settings().consent_text_version
    given = clerk.post(f"/api/visits/{visit['id']}/consent", json={"confirmed_by_donor": True})
    assert given.status_code == 201, given.text
    assert given.json()["text_version"] == version

    detail = clerk.get(f"/api/visits/{visit['id']}").json()
    assert detail["visit"]["status"] == "consented" and detail["consent_text_version"] == version
    assert detail["donor_name"] == "Grace Okafor"
    [consent] = rows(database, Consent, visit_id=visit["id"])
    assert consent.recorded_by == "clerk"  # the logged-in person, not a shared account
    history = clerk.get(f"/api/donors/{donor['id']}/visits").json()
    assert [(v["visit_id"], v["status"]) for v in history["items"]] == [(visit["id"], "consented")]


def test_a_possible_duplicate_answers_409_with_the_candidates_and_creates_nothing(database, clerk):
    first = register(clerk)
    before = counts(database)
    answer = clerk.post("/api/donors", json={**GRACE, "given_name": "Gracie", "phone": None, "email": None})
    assert answer.status_code == 409
    body = answer.json()
    assert body["code"] == "possible_duplicate" and "Nothing was saved" in body["message"]
    assert [c["donor"]["id"] for c in body["candidates"]] == [first["id"]]
    assert body["candidates"][0]["reasons"]
    assert counts(database) == before
    assert len(rows(database, Donor)) == 1


def test_a_clerk_confirming_a_different_person_registers_them(database, clerk):
    first = register(clerk)
    second = clerk.post("/api/donors", json={**GRACE, "given_name": "Gloria", "phone": None, "email": None,
                                             "not_duplicate_of": [first["id"]]})
    assert second.status_code == 201, second.text
    assert second.json()["id"] != first["id"]


def test_a_duplicate_is_merged_by_the_director_and_not_by_a_clerk(database, clerk, director):
    first = register(clerk)
    second = clerk.post("/api/donors", json={**GRACE, "given_name": "Gracie", "phone": None, "email": None,
                                             "not_duplicate_of": [first["id"]]}).json()
    body = {"duplicate_id": second["id"], "reason": "same passport shown at the desk"}
    refused = clerk.post(f"/api/donors/{first['id']}/merge", json=body)
    assert refused.status_code == 403
    assert rows(database, Donor, id=second["id"])[0].merged_into_id is None
    merged = director.post(f"/api/donors/{first['id']}/merge", json=body)
    assert merged.status_code == 200, merged.text
    assert clerk.get(f"/api/donors/{second['id']}").json()["id"] == first["id"]
    found = clerk.get("/api/donors", params={"donor_number": second["donor_number"]}).json()
    assert [d["id"] for d in found["items"]] == [first["id"]]


def test_a_deferred_donor_is_refused_at_check_in_with_the_clear_message_and_no_visit(database, clerk, site):
    donor = register(clerk)
    make_deferral(database, donor_id=donor["id"], code="tattoo", starts_on=NOW.date() - timedelta(days=10),
                  ends_on=date(2026, 6, 1), reason="tattoo on the left arm")
    before = counts(database)
    answer = clerk.post("/api/visits", json={"donor_id": donor["id"], "site_id": site})
    assert answer.status_code == 422
    assert answer.json() == {"code": "donor_deferred",
                             "message": "This donor is deferred until 2026-06-01 and cannot donate before then."}
    assert "tattoo" not in answer.text
    assert counts(database) == before
    status = clerk.get(f"/api/donors/{donor['id']}/deferral-status").json()
    assert status == {"deferred": True, "permanent": False, "until": "2026-06-01", "note": None}


def test_a_deferral_decided_after_check_in_stops_screening_and_consent(database, clerk, director, site):
    donor = register(clerk)
    visit = check_in(clerk, donor["id"], site)
    added = director.post(f"/api/donors/{donor['id']}/deferrals", json={
        "code": "tattoo", "kind": "temporary", "reason": "tattoo on the left arm", "ends_on": "2026-06-01"})
    assert added.status_code == 201, added.text
    decision = clerk.post(f"/api/visits/{visit['id']}/screening", json={"answers": all_clear(), **HEALTHY}).json()
    assert decision["eligible"] is False and decision["reasons_withheld"] is True and decision["reasons"] == []
    assert decision["next_eligible_date"] is not None
    refused = clerk.post(f"/api/visits/{visit['id']}/consent", json={"confirmed_by_donor": True})
    assert refused.status_code == 409 and refused.json()["code"] == "visit_closed"
    assert "deferral" in refused.json()["message"]
    assert rows(database, Consent) == []


def test_an_ineligible_screening_gives_the_director_every_reason_and_the_next_eligible_date(database, clerk,
                                                                                          director, site):
    donor = register(clerk)
    visit = check_in(clerk, donor["id"], site)
    answers = all_clear(tattoo="2026-02-01", piercing="2025-12-24")
    decision = director.post(f"/api/visits/{visit['id']}/screening", json={"answers": answers, **HEALTHY}).json()
    assert decision["eligible"] is False
    assert decision["failed_rules"] == ["deferral.tattoo", "deferral.piercing"]
    assert len(decision["reasons"]) == 2
    assert decision["next_eligible_date"] == "2027-02-01"  # the later of the two, 12 months each (WHO)
    assert director.get(f"/api/visits/{visit['id']}").json()["decision_reasons"] == decision["reasons"]
    reads = rows(database, AuditEntry, action="read", entity="visit_reasons")
    assert [(e.actor, e.entity_id) for e in reads] == [("director", str(visit["id"]))] * 2


def test_a_clerk_sees_that_a_donor_is_not_eligible_and_until_when_never_why(database, clerk, site):
    donor = register(clerk)
    visit = check_in(clerk, donor["id"], site)
    answers = all_clear(sexual_risk="2026-02-20", tattoo="2026-02-01")
    decision = clerk.post(f"/api/visits/{visit['id']}/screening", json={"answers": answers, **HEALTHY})
    seen = clerk.get(f"/api/visits/{visit['id']}")
    for answer in (decision, seen):
        assert "sexual" not in answer.text.lower() and "tattoo" not in answer.text.lower()
    assert decision.json()["eligible"] is False and decision.json()["reasons_withheld"] is True
    assert seen.json()["decision_reasons"] == [] and seen.json()["reasons_withheld"] is True
    assert rows(database, AuditEntry, action="read", entity="visit_reasons") == []


def test_a_clerk_cannot_read_deferral_reasons_nor_test_results(database, clerk, director):
    donor = register(clerk)
    make_deferral(database, donor_id=donor["id"], code="tattoo", starts_on=NOW.date(),
                  ends_on=date(2026, 6, 1), reason="tattoo on the left arm")
    listed = clerk.get(f"/api/donors/{donor['id']}/deferrals")
    assert listed.status_code == 200
    assert [(d["ends_on"], d["active"]) for d in listed.json()["items"]] == [("2026-06-01", True)]
    assert "left arm" not in listed.text and "tattoo" not in listed.text
    denied = clerk.get(f"/api/donors/{donor['id']}/deferrals/reasons")
    assert denied.status_code == 403 and "left arm" not in denied.text
    assert clerk.get(f"/api/donors/{donor['id']}/results").status_code == 403
    denials = rows(database, AuditEntry, action="access_denied")
    assert {e.entity_id for e in denials} == {"deferrals.reasons", "results.read"}

    allowed = director.get(f"/api/donors/{donor['id']}/deferrals/reasons").json()["items"]
    assert [(d["code"], d["reason"]) for d in allowed] == [("tattoo", "tattoo on the left arm")]
    assert [e.actor for e in rows(database, AuditEntry, action="read", entity="deferral")] == ["director"]
    assert director.get(f"/api/donors/{donor['id']}/results").json() == []


def test_the_private_answer_reads_the_same_for_both_choices_is_stored_alike_and_only_a_no_excludes(database, clerk, site):
    first, second = register(clerk), register(clerk, given_name="Zofia", family_name="Nowak",
                                              date_of_birth="1971-11-23", phone=None, email=None)
    use_visit, exclude_visit = check_in(clerk, first["id"], site), check_in(clerk, second["id"], site)
    audit_before = len(rows(database, AuditEntry))
    used = clerk.post(f"/api/visits/{use_visit['id']}/confidential", json={"choice": "use"})
    excluded = clerk.post(f"/api/visits/{exclude_visit['id']}/confidential", json={"choice": "not"})
    assert used.status_code == excluded.status_code == 200
    assert used.content == excluded.content
    assert dict(used.headers) == dict(excluded.headers)

    assert [row.visit_id for row in rows(database, ConfidentialAnswer)] == [use_visit["id"], exclude_visit["id"]]
    with database.sessions() as session:
        assert [v["id"] for v in (use_visit, exclude_visit) if is_self_excluded(session, v["id"])] == \
            [exclude_visit["id"]]
        stored = session.execute(text("SELECT answer FROM confidential_answer ORDER BY id")).scalars().all()
    assert len({len(answer) for answer in stored}) == 1 and all(a.startswith("s1:") for a in stored)
    entries = rows(database, AuditEntry)[audit_before:]
    assert [(e.action, e.entity, e.entity_id, e.new) for e in entries] == \
        [("record", "confidential", None, {"recorded": True})] * 2
    # Nothing a staff screen reads changes: both visits look alike and carry on.
    views = [clerk.get(f"/api/visits/{v['id']}").json() for v in (use_visit, exclude_visit)]
    assert [v["visit"]["status"] for v in views] == ["checked_in", "checked_in"]
    assert set(views[0]) == set(views[1]) and not any("exclu" in key for key in views[0])


def test_a_later_use_my_blood_does_not_undo_a_do_not_use(database, clerk, site):
    visit = check_in(clerk, register(clerk)["id"], site)
    clerk.post(f"/api/visits/{visit['id']}/confidential", json={"choice": "not"})
    clerk.post(f"/api/visits/{visit['id']}/confidential", json={"choice": "use"})
    assert [row.visit_id for row in rows(database, ConfidentialAnswer)] == [visit["id"]]
    with database.sessions() as session:
        assert is_self_excluded(session, visit["id"])


def test_a_withdrawal_asks_no_reason_and_closes_the_visit(database, clerk, site):
    visit = check_in(clerk, register(clerk)["id"], site)
    with_reason = clerk.post(f"/api/visits/{visit['id']}/withdrawal",
                             json={"step": "questionnaire", "reason": "scared of needles"})
    assert with_reason.status_code == 422
    answer = clerk.post(f"/api/visits/{visit['id']}/withdrawal", json={"step": "questionnaire"})
    assert answer.status_code == 200, answer.text
    assert rows(database, Visit, id=visit["id"])[0].status == "withdrawn"
    again = clerk.post(f"/api/visits/{visit['id']}/screening", json={"answers": all_clear(), **HEALTHY})
    assert again.status_code == 409 and again.json()["code"] == "visit_closed"


def test_appointments_are_booked_listed_cancelled_and_marked_no_show(database, clerk, site):
    donor = register(clerk)
    slots = clerk.get("/api/appointments/slots", params={"site_id": site, "on": "2026-03-02"}).json()
    assert slots[0]["starts_at"].startswith("2026-03-02T08:00") and slots[0]["free"] == 4
    booked = clerk.post("/api/appointments", json={"donor_id": donor["id"], "site_id": site,
                                                   "starts_at": "2026-03-02T08:00"})
    assert booked.status_code == 201, booked.text
    appointment = booked.json()
    day = clerk.get("/api/appointments", params={"site_id": site, "on": "2026-03-02"}).json()
    assert [(a["id"], a["status"]) for a in day["items"]] == [(appointment["id"], "booked")]
    assert [a["id"] for a in clerk.get(f"/api/donors/{donor['id']}/appointments").json()] == [appointment["id"]]

    early = clerk.post(f"/api/appointments/{appointment['id']}/no-show")
    assert early.status_code == 409 and "before its start time" in early.json()["message"]
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        assert clerk.post(f"/api/appointments/{appointment['id']}/no-show").json()["status"] == "no_show"

    later = clerk.post("/api/appointments", json={"donor_id": donor["id"], "site_id": site,
                                                  "starts_at": "2026-03-03T09:00"}).json()
    cancelled = clerk.post(f"/api/appointments/{later['id']}/cancel", json={"reason": "donor rang"})
    assert cancelled.json()["status"] == "cancelled"
    assert clerk.get(f"/api/donors/{donor['id']}/appointments").json() == []


def test_the_donor_card_is_a_pdf_with_the_number(database, clerk):
    donor = register(clerk)
    answer = clerk.get(f"/api/donors/{donor['id']}/card.pdf")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF") and donor["donor_number"].encode() in answer.content


def test_search_pages_through_matches_with_the_total(database, clerk):
    for n, given in enumerate(("Anna", "Bea", "Cleo")):
        register(clerk, given_name=given, family_name="Lindqvist", date_of_birth=f"19{70 + n * 7}-0{n + 1}-2{n}",
                 phone=None, email=None)
    page = clerk.get("/api/donors", params={"q": "lindqvist", "limit": 2, "offset": 1}).json()
    assert page["total"] == 3 and [d["given_name"] for d in page["items"]] == ["Bea", "Cleo"]
    bad = clerk.get("/api/donors", params={"donor_number": "D000000012"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_input"


@pytest.mark.parametrize("role, method, path", [
    ("lab_technician", "post", "/api/visits"),
    ("clerk", "post", "/api/donors/1/deferrals"),
    ("inventory_manager", "get", "/api/donors/1"),
    ("hospital_staff", "post", "/api/donors"),
    ("phlebotomist", "post", "/api/appointments"),
])
def test_roles_without_the_permission_get_403(database, role, method, path):
    answer = getattr(api(database, role), method)(path, **({"json": {}} if method == "post" else {}))
    assert answer.status_code == 403 and answer.json()["code"] == "forbidden"


@pytest.mark.parametrize("path, body", [
    ("/api/donors", {**GRACE, "date_of_birth": "0001-01-01"}),
    ("/api/donors", {**GRACE, "date_of_birth": "9999-12-31"}),
    ("/api/donors", {**GRACE, "preferred_site_id": 2**63}),
    ("/api/donors", {**GRACE, "latitude": 10}),
    ("/api/appointments", {"donor_id": 1, "site_id": 1, "starts_at": "9999-12-31T23:59:59+14:00"}),
    ("/api/visits", {"donor_id": 2**40, "site_id": 1}),
])
def test_nonsense_input_is_refused_as_4xx_never_500(database, clerk, path, body):
    answer = clerk.post(path, json=body)
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.json()["code"]


def test_unknown_records_answer_404_in_json(database, clerk):
    for path in ("/api/donors/999", "/api/visits/999", "/api/donors/999/deferrals", "/api/donors/999/card.pdf"):
        answer = clerk.get(path)
        assert answer.status_code == 404 and answer.json()["code"] == "not_found", path


def test_the_donor_history_lists_donations(database, clerk, site):
    donor = register(clerk)
    make_donation(database, donor_id=donor["id"], site_id=site, on=date(2025, 11, 3))
    [item] = clerk.get(f"/api/donors/{donor['id']}/visits").json()["items"]
    assert item["status"] == "collected" and item["din"] and item["volume_ml"] == 470
