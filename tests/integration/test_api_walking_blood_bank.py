"""The walking blood bank through the REST API: panel, cut-off, activation, collection, label, signed issue."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.integration.field_fixtures import (
    ANSWERS, RAPID, close_incident, field_site, open_incident, volunteer,
)
from tests.integration.issue_fixtures import make_patient
from tests.integration.web_fixtures import PASSWORD, api
from tests.tools import missing_tool


@pytest.fixture
def world(database):
    site, hospital = field_site(database)
    donor = volunteer(database, site, group="O-")
    clients = {"clerk": api(database, "clerk", "clerk.wbb"), "director": api(database, "medical_director", "dr.md"),
               "nurse": api(database, "phlebotomist", "nurse.wbb"),
               "doctor": api(database, "hospital_staff", "dr.ward", hospitals=(hospital,))}
    return site, hospital, donor, clients


def joined(clients, site, donor) -> int:
    answer = clients["clerk"].post(f"/api/field/sites/{site}/panel", json={
        "donor_id": donor, "consent_text_version": "2026-01", "confirmed_by_donor": True})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def collect(clients, site, member, incident) -> dict:
    activated = clients["director"].post(f"/api/field/sites/{site}/activations", json={
        "incident_id": incident, "waiting": [{"group": "unknown", "count": 2}]})
    assert activated.status_code == 201, activated.text
    call = activated.json()
    assert [c["member"]["id"] for c in call["calls"]] == [member] and call["calls"][0]["low_titre"]
    answered = clients["clerk"].post(f"/api/field/activations/{call['id']}/answers",
                                     json={"member_id": member, "outcome": "accepted"})
    assert answered.status_code == 200, answered.text
    assert clients["nurse"].get(f"/api/field/activations/{call['id']}").status_code == 403
    assert [m["id"] for m in clients["nurse"].get(f"/api/field/activations/{call['id']}/coming").json()] == [member]
    done = clients["nurse"].post(f"/api/field/activations/{call['id']}/collections", json={
        "member_id": member, "answers": ANSWERS, "consent_text_version": "2026-01", "confirmed_by_donor": True,
        "rapid_tests": RAPID, "bedside_group": "O-", "bag_type": "single", "bag_lot": "CPDA-1/77",
        "volume_ml": 450, "anticoagulant": "CPDA-1"})
    assert done.status_code == 201, done.text
    return done.json()


def test_a_volunteer_joins_withdraws_and_the_board_flags_what_lapsed(database, world):
    site, _, donor, clients = world
    lapsed = volunteer(database, site, group="A+", screened_days_ago=120, titre=None)
    member = joined(clients, site, donor)
    other = joined(clients, site, lapsed)
    board = clients["clerk"].get(f"/api/field/sites/{site}/panel").json()
    assert board["titre_threshold"] == 256 and board["needs_retest"] == [other]
    mine = next(m for m in board["members"] if m["id"] == member)
    assert mine["callable"] and mine["low_titre"] and mine["group_confirmations"] == 2
    assert clients["clerk"].post(f"/api/field/panel/{member}/withdraw").status_code == 200
    assert [m["id"] for m in clients["clerk"].get(f"/api/field/sites/{site}/panel").json()["members"]] == [other]


def test_joining_needs_the_volunteers_own_consent(database, world):
    site, _, donor, clients = world
    answer = clients["clerk"].post(f"/api/field/sites/{site}/panel", json={
        "donor_id": donor, "consent_text_version": "2026-01", "confirmed_by_donor": False})
    assert answer.status_code == 422 and answer.json()["code"] == "consent_missing"


def test_activation_outside_an_incident_or_cut_off_is_refused_and_only_the_director_activates(database, world):
    site, _, donor, clients = world
    joined(clients, site, donor)
    refused = clients["director"].post(f"/api/field/sites/{site}/activations",
                                       json={"waiting": [{"group": None, "count": 1}]})
    assert refused.status_code == 409 and "only in an emergency" in refused.json()["message"]
    denied = clients["clerk"].post(f"/api/field/sites/{site}/activations",
                                   json={"incident_id": open_incident(database), "waiting": [{"count": 1}]})
    assert denied.status_code == 403


def test_a_cut_off_is_declared_under_the_directors_signature(database, world):
    site, _, _, clients = world
    wrong = clients["director"].post(f"/api/field/sites/{site}/cut-offs",
                                     json={"reason": "road cut", "signature_password": "not my password"})
    assert wrong.status_code in (401, 403, 409) and wrong.json()["code"] == "signature_refused"
    made = clients["director"].post(f"/api/field/sites/{site}/cut-offs",
                                    json={"reason": "road cut", "signature_password": PASSWORD})
    assert made.status_code == 201 and made.json()["ended_at"] is None
    ended = clients["director"].post(f"/api/field/cut-offs/{made.json()['id']}/end")
    assert ended.json()["ended_at"] is not None


def test_an_emergency_collection_and_the_signed_issue_through_the_api(database, world):
    site, hospital, donor, clients = world
    member = joined(clients, site, donor)
    incident = open_incident(database)
    unit = collect(clients, site, member, incident)
    assert unit["kind"] == "ltowb" and unit["status"] == "quarantined"
    patient = make_patient(database, group=None, hospital_id=hospital, sex="M")
    body = {"patient_id": patient.id, "scanned_unit": f"={unit['din']}00", "scanned_patient": patient.scan,
            "reason": "no tested O blood left"}
    missing = clients["doctor"].post(f"/api/field/units/{unit['unit_id']}/issue", json=body)
    assert missing.status_code == 422  # no signature, no issue
    wrong = clients["doctor"].post(f"/api/field/units/{unit['unit_id']}/issue",
                                   json={**body, "signature_password": "not mine at all"})
    assert wrong.json()["code"] == "signature_refused"
    assert clients["nurse"].post(f"/api/field/units/{unit['unit_id']}/issue",
                                 json={**body, "signature_password": PASSWORD}).status_code == 403
    issued = clients["doctor"].post(f"/api/field/units/{unit['unit_id']}/issue",
                                    json={**body, "signature_password": PASSWORD})
    assert issued.status_code == 200, issued.text
    assert issued.json()["emergency"] and issued.json()["incident_id"] == incident


def test_the_issue_is_refused_once_the_incident_is_closed(database, world):
    site, hospital, donor, clients = world
    member = joined(clients, site, donor)
    incident = open_incident(database)
    unit = collect(clients, site, member, incident)
    close_incident(database, incident)
    patient = make_patient(database, group=None, hospital_id=hospital, sex="M")
    refused = clients["doctor"].post(f"/api/field/units/{unit['unit_id']}/issue", json={
        "patient_id": patient.id, "scanned_unit": f"={unit['din']}00", "scanned_patient": patient.scan,
        "reason": "bleeding", "signature_password": PASSWORD})
    assert refused.status_code == 409 and refused.json()["code"] == "issue_refused"
    assert "No incident is open" in refused.json()["message"]


def test_the_label_says_not_fully_tested_in_words_and_in_barcode_data(database, world, tmp_path):
    if not (shutil.which("pdftoppm") and shutil.which("zbarimg")):
        missing_tool("pdftoppm (poppler-utils) and zbarimg (zbar-tools) are needed to read labels back")
    site, _, donor, clients = world
    unit = collect(clients, site, joined(clients, site, donor), open_incident(database))
    answer = clients["nurse"].post(f"/api/field/units/{unit['unit_id']}/label.pdf")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    (tmp_path / "label.pdf").write_bytes(answer.content)
    subprocess.run(["pdftoppm", "-r", "300", "-gray", "-png", str(tmp_path / "label.pdf"), str(tmp_path / "page")],
                   check=True)
    [page] = sorted(tmp_path.glob("page*.png"))
    found = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Scode128.enable", str(page)],
                           capture_output=True, text=True, check=True).stdout.split()
    assert "&(X9NFT" in found  # special testing, data structure 010
    assert "=%9200" in found  # O RhD negative, emergency use only
    assert f"=<X0010G00" in found  # collection type G: emergency use only
    text = subprocess.run(["pdftotext", str(tmp_path / "label.pdf"), "-"], capture_output=True, text=True).stdout
    assert "NOT FULLY TESTED" in text


def test_a_site_sets_a_stricter_threshold_and_the_member_is_no_longer_low_titre(database, world):
    site, _, donor, clients = world
    joined(clients, site, donor)  # titres 1:64 / 1:32
    assert clients["clerk"].put(f"/api/field/sites/{site}/policy", json={
        "titre_threshold": 50, "reason": "local guideline"}).status_code == 403
    answer = clients["director"].put(f"/api/field/sites/{site}/policy", json={
        "titre_threshold": 50, "reason": "local guideline"})
    assert answer.status_code == 200 and answer.json() == {"titre_threshold": 50, "titre_validity_days": 90,
                                                           "screen_validity_days": 90}
    [member] = clients["clerk"].get(f"/api/field/sites/{site}/panel").json()["members"]
    assert member["callable"] and not member["low_titre"]
