"""Collection through the REST API: the DIN at the needle, the volume at the end, refusals with nothing written."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select

from bloodbank.adapters.db.models import AuditEntry, Donation
from bloodbank.domain.isbt128 import parse_din
from tests import tools
from tests.integration.collection_fixtures import counts, make_site, make_visit, visit_status
from tests.integration.visit_fixtures import consented_visit
from tests.integration.web_fixtures import api

BAG = {"bag_type": "quadruple", "bag_lot": "LOT-2026-17"}


def start(client, visit_id: int, **extra):
    return client.post("/api/donations", json={"visit_id": visit_id, **BAG, **extra})


def wrong_check(din13: str) -> str:
    """The DIN as typed from the label with a check character that is not its own."""
    right = parse_din(din13).check
    return f"{din13[:5]} {din13[5:7]} {din13[7:]} {'A' if right != 'A' else 'B'}"


def test_a_phlebotomist_starts_a_collection_and_the_din_comes_from_the_sites_facility_code(database):
    _, _, visit_id = consented_visit(database)
    client = api(database, "phlebotomist")

    answer = start(client, visit_id, planned_volume_ml=450)

    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["din"].startswith("A9999") and len(body["din"]) == 13
    assert body["din_eye_readable"] == parse_din(body["din"]).eye_readable
    assert body["status"] == "in_progress" and body["phlebotomist"] == client.user.username
    assert body["planned_volume_ml"] == 450 and body["max_volume_ml"] > 450
    assert visit_status(database, visit_id) == "collected"


def test_finishing_records_the_volume_and_the_servers_end_time(database):
    _, _, visit_id = consented_visit(database)
    client = api(database, "phlebotomist")
    started = start(client, visit_id).json()

    answer = client.post(f"/api/donations/{started['donation_id']}/finish", json={"volume_ml": 455})

    assert answer.status_code == 200, answer.text
    done = answer.json()
    assert done["status"] == "complete" and done["volume_ml"] == 455 and done["volume_flag"] is None
    assert done["ended_at"] >= done["started_at"]
    again = client.post(f"/api/donations/{started['donation_id']}/finish", json={"volume_ml": 455})
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    assert "already complete" in again.json()["message"]


def test_a_finish_request_cannot_carry_its_own_end_time(database):
    _, _, visit_id = consented_visit(database)
    client = api(database, "phlebotomist")
    started = start(client, visit_id).json()

    answer = client.post(f"/api/donations/{started['donation_id']}/finish",
                         json={"volume_ml": 450, "ended_at": "2020-01-01T00:00:00Z"})

    assert answer.status_code == 422 and answer.json()["code"] == "invalid_request"
    assert client.get(f"/api/donations/{started['donation_id']}").json()["status"] == "in_progress"


def test_a_donation_is_found_by_any_form_of_its_din(database):
    _, _, visit_id = consented_visit(database)
    client = api(database, "phlebotomist")
    made = start(client, visit_id).json()
    din = parse_din(made["din"])

    for form in (din.barcode, din.eye_readable, str(din), str(din).lower()):
        answer = client.get("/api/donations/by-din", params={"din": form})
        assert answer.status_code == 200, (form, answer.text)
        assert answer.json()["donation_id"] == made["donation_id"]
    assert client.get(f"/api/donations/{made['donation_id']}").json()["din"] == str(din)
    listed = client.get("/api/donations", params={"din": din.eye_readable}).json()
    assert listed["total"] == 1 and listed["items"][0]["donation_id"] == made["donation_id"]


def test_a_wrong_check_character_in_a_scanned_din_is_refused_naming_it(database):
    _, _, visit_id = consented_visit(database)
    client = api(database, "phlebotomist")
    made = start(client, visit_id).json()
    typed = wrong_check(made["din"])

    answer = client.get("/api/donations/by-din", params={"din": typed})

    assert answer.status_code == 422
    body = answer.json()
    assert body["code"] == "invalid_din"
    assert f"Check character '{typed[-1]}' does not match" in body["message"]
    assert f"expected '{parse_din(made['din']).check}'" in body["message"]


def test_a_visit_without_consent_is_refused_with_the_clerks_message_and_nothing_is_created(database):
    site = make_site(database)
    visit_id = make_visit(database, site_id=site, status="screened", consent=False)
    client = api(database, "phlebotomist")
    before = counts(database)

    answer = start(client, visit_id)

    assert answer.status_code == 422
    assert answer.json() == {"code": "consent_missing", "message": "No consent is recorded for this visit: "
                             "the donor must give consent before collection."}
    assert counts(database) == before
    assert visit_status(database, visit_id) == "screened"


def test_a_visit_screened_not_eligible_is_refused_with_the_reason_and_nothing_is_created(database):
    site = make_site(database)
    visit_id = make_visit(database, site_id=site, eligible=False,
                          decision_reasons=["Haemoglobin 11.9 g/dL is below 12.5 g/dL"])
    client = api(database, "phlebotomist")
    before = counts(database)

    answer = start(client, visit_id)

    assert answer.status_code == 422
    body = answer.json()
    assert body["code"] == "donor_ineligible"
    assert body["message"] == "The screening found this donor not eligible: Haemoglobin 11.9 g/dL is below 12.5 g/dL."
    assert counts(database) == before


def test_a_planned_volume_above_the_donors_weight_based_maximum_is_refused(database):
    site = make_site(database)
    visit_id = make_visit(database, site_id=site, weight_kg=55)
    client = api(database, "phlebotomist")
    before = counts(database)

    answer = start(client, visit_id, planned_volume_ml=480)

    assert answer.status_code == 422
    body = answer.json()
    assert body["code"] == "volume_too_high"
    assert body["message"].startswith("Planned volume 480 mL is above this donor's maximum of 464 mL")
    assert counts(database) == before
    assert start(client, visit_id, planned_volume_ml=450).status_code == 201


def test_nonsense_bodies_are_refused_as_invalid_not_as_errors(database):
    _, _, visit_id = consented_visit(database)
    client = api(database, "phlebotomist")
    for body in ({"visit_id": visit_id, **BAG, "planned_volume_ml": 0},
                 {"visit_id": visit_id, **BAG, "planned_volume_ml": 99_999},
                 {"visit_id": visit_id, "bag_type": "bucket", "bag_lot": "L1"},
                 {"visit_id": 2**40, **BAG},
                 {"visit_id": visit_id, **BAG, "paid": True}):
        answer = client.post("/api/donations", json=body)
        assert answer.status_code in (404, 422), (body, answer.text)
        assert answer.json()["message"]
    with database.sessions() as session:
        assert session.execute(select(Donation)).first() is None


def test_an_aborted_collection_keeps_its_din_used_and_says_why(database):
    _, _, visit_id = consented_visit(database)
    client = api(database, "phlebotomist")
    made = start(client, visit_id).json()

    no_reason = client.post(f"/api/donations/{made['donation_id']}/abort", json={"reason": "  "})
    answer = client.post(f"/api/donations/{made['donation_id']}/abort", json={"reason": "vein lost", "volume_ml": 120})

    assert no_reason.status_code == 422 and "Say why" in no_reason.json()["message"]
    assert answer.status_code == 200
    assert answer.json()["status"] == "aborted" and answer.json()["din"] == made["din"]
    with database.sessions() as session:
        reasons = session.execute(select(AuditEntry.reason).where(AuditEntry.action == "abort")).scalars().all()
    assert reasons == ["vein lost"]


def test_an_adverse_reaction_is_recorded_and_listed_with_the_recorder(database):
    _, _, visit_id = consented_visit(database)
    client = api(database, "phlebotomist")
    made = start(client, visit_id).json()
    url = f"/api/donations/{made['donation_id']}/reactions"

    unknown = client.post(url, json={"kind": "sneezing", "severity": "mild", "outcome": "fine"})
    answer = client.post(url, json={"kind": "vasovagal", "severity": "moderate",
                                    "outcome": "recovered on the chair after 15 minutes"})

    assert unknown.status_code == 422 and "Unknown reaction 'sneezing'" in unknown.json()["message"]
    assert answer.status_code == 201
    [listed] = client.get(url).json()
    assert listed["kind"] == "vasovagal" and listed["severity"] == "moderate"
    assert listed["recorded_by"] == client.user.username


def test_the_ready_list_holds_consented_eligible_visits_only(database):
    site = make_site(database)
    ready = make_visit(database, site_id=site)
    make_visit(database, site_id=site, status="screened", consent=False)
    make_visit(database, site_id=site, eligible=False)
    client = api(database, "phlebotomist")

    listed = client.get("/api/collection/ready-visits", params={"site_id": site}).json()

    assert [item["visit_id"] for item in listed["items"]] == [ready]
    visit = client.get(f"/api/collection/visits/{ready}").json()
    assert visit["ready"] is True and visit["max_volume_ml"] == 591 and visit["donation"] is None
    start(client, ready)
    assert client.get("/api/collection/ready-visits", params={"site_id": site}).json()["total"] == 0


def test_the_din_labels_print_the_donations_din(database, tmp_path):
    _, _, visit_id = consented_visit(database)
    client = api(database, "phlebotomist")
    made = start(client, visit_id).json()

    answer = client.get(f"/api/donations/{made['donation_id']}/din-labels.pdf")

    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF")
    for caption in (b"BAG", b"SAMPLE TUBE 1", b"SAMPLE TUBE 4", b"DONOR RECORD"):
        assert caption in answer.content
    if shutil.which("pdftoppm") and shutil.which("zbarimg"):
        from tests.integration.test_labels_barcodes import read_barcodes
        # The decoder reports one symbol per distinct value: six labels, one DIN.
        assert set(read_barcodes(answer.content, tmp_path)) == {made["din_barcode"]}
    else:
        assert not tools.REQUIRED, "BLOODBANK_REQUIRE_TOOLS is set and pdftoppm or zbarimg is missing"


@pytest.mark.parametrize("method, path, body", [
    ("post", "/api/donations", {"visit_id": 1, **BAG}),
    ("get", "/api/collection/ready-visits?site_id=1", None),
    ("get", "/api/donations/1", None),
    ("post", "/api/donations/1/finish", {"volume_ml": 450}),
    ("post", "/api/donations/1/abort", {"reason": "vein lost"}),
    ("post", "/api/donations/1/reactions", {"kind": "vasovagal", "severity": "mild", "outcome": "ok"}),
])
def test_a_clerk_may_not_collect(database, method, path, body):
    client = api(database, "clerk")
    answer = getattr(client, method)(path, **({"json": body} if body is not None else {}))
    assert answer.status_code == 403
    assert answer.json()["code"] == "forbidden"
    with database.sessions() as session:
        assert session.execute(select(AuditEntry).where(AuditEntry.action == "access_denied")).first() is not None
