"""The appeal through the REST API: the same rules and permission as the page and the command line; the donor's
link and the gateway's replies without an account."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bloodbank.adapters.db.models import AppealInvitation, Donor, OutboxMessage
from bloodbank.entrypoints.web.app import create_app
from tests.integration.appeal_fixtures import (
    booked_ten_hours_on,
    link_secret, make_appeal_donor, make_appeal_site, sms_gateway,
)
from tests.integration.web_fixtures import api

__all__ = ["link_secret", "sms_gateway", "booked_ten_hours_on"]
# The appeal sized against a known first booking, whatever the hour the suite runs at.
pytestmark = pytest.mark.usefixtures("booked_ten_hours_on")


def _declare(client):
    answer = client.post("/api/incidents", json={"place": "Central station", "kind": "explosion",
                                                 "expected": {"severe": 10}})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def _world(database):
    make_appeal_site(database)
    wanted = [make_appeal_donor(database, group="O-", km_north=1), make_appeal_donor(database, group="A+", km_north=2)]
    make_appeal_donor(database, group="O-", km_north=1, opt_in=False)
    return wanted


def _tokens(database):
    with database.sessions() as s:
        return [m.body.split("/appeal/")[1].split()[0] for m in s.execute(select(OutboxMessage)).scalars()]


def test_a_manager_starts_pauses_and_resumes_an_appeal(database, link_secret):
    wanted = _world(database)
    manager = api(database, "inventory_manager")
    incident = _declare(manager)
    answer = manager.post(f"/api/incidents/{incident}/appeal")
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["status"] == "running"
    assert sum(g["invited"] for g in body["groups"]) == 2
    with database.sessions() as s:
        assert sorted(s.execute(select(AppealInvitation.donor_id)).scalars()) == wanted
    again = manager.post(f"/api/incidents/{incident}/appeal")
    assert again.status_code == 409 and again.json()["code"] == "appeal_refused"
    assert manager.post(f"/api/incidents/{incident}/appeal/pause").json()["status"] == "paused"
    assert manager.post(f"/api/incidents/{incident}/appeal/pause").status_code == 409
    assert manager.post(f"/api/incidents/{incident}/appeal/resume").json()["status"] == "running"
    assert manager.get(f"/api/incidents/{incident}/appeal").json()["status"] == "running"
    assert manager.post("/api/incidents/999999/appeal").status_code == 404
    assert manager.get("/api/outbox").json()["counts"]["pending"] == 2


@pytest.mark.parametrize("role", ["clerk", "hospital_staff", "lab_technician", "administrator"])
def test_only_the_blood_service_runs_an_appeal(database, link_secret, role):
    incident = _declare(api(database, "medical_director"))
    client = api(database, role)
    for path in ("", "/pause", "/resume", "/top-up"):
        assert client.post(f"/api/incidents/{incident}/appeal{path}").status_code == 403
    assert client.get(f"/api/incidents/{incident}/appeal").status_code == 403


def test_the_donor_accepts_through_the_link_without_an_account(database, link_secret):
    _world(database)
    manager = api(database, "inventory_manager")
    manager.post(f"/api/incidents/{_declare(manager)}/appeal")
    token = _tokens(database)[0]
    anonymous = TestClient(create_app(database.url))
    page = anonymous.get(f"/api/appeal-links/{token}")
    assert page.status_code == 200, page.text
    slot = page.json()["slots"][1]["starts_at"]
    booked = anonymous.post(f"/api/appeal-links/{token}/accept", json={"starts_at": slot})
    assert booked.status_code == 200, booked.text
    assert booked.json()["status"] == "accepted"
    bad = anonymous.get(f"/api/appeal-links/{token[:-3]}abc")
    assert bad.status_code == 410 and bad.json()["code"] == "link_invalid"


def test_the_gateway_s_replies_need_its_secret_and_yes_books(database, link_secret, sms_gateway):
    _world(database)
    manager = api(database, "inventory_manager")
    manager.post(f"/api/incidents/{_declare(manager)}/appeal")
    with database.sessions() as s:
        invited = s.execute(select(AppealInvitation).order_by(AppealInvitation.id)).scalars().first()
        phone = s.get(Donor, invited.donor_id).phone
    anonymous = TestClient(create_app(database.url))
    refused = anonymous.post("/api/sms/inbound", json={"from": phone, "text": "YES"},
                             headers={"X-Gateway-Secret": "wrong"})
    assert refused.status_code == 401
    answer = anonymous.post("/api/sms/inbound", json={"from": phone, "text": "YES"},
                            headers={"X-Gateway-Secret": "gateway-shared-secret"})
    assert answer.status_code == 200 and answer.json()["command"] == "YES"
    with database.sessions() as s:
        assert s.get(AppealInvitation, invited.id).status == "accepted"


def test_the_donor_s_terms_for_appeals_are_kept_and_bad_ones_refused(database, link_secret):
    donor = make_appeal_donor(database, contact=(None, None))
    clerk = api(database, "clerk")
    answer = clerk.put(f"/api/donors/{donor}/appeal-preferences",
                       json={"appeals_opt_in": True, "contact_from_hour": 9, "contact_until_hour": 18,
                             "monthly_limit": 1, "channels": ["email", "sms"]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["channels"] == ["email", "sms"]
    with database.sessions() as s:
        row = s.get(Donor, donor)
        assert (row.appeal_contact_from_hour, row.appeal_contact_until_hour, row.appeal_monthly_limit,
                row.appeal_channels) == (9, 18, 1, "email,sms")
    half = clerk.put(f"/api/donors/{donor}/appeal-preferences",
                     json={"appeals_opt_in": True, "contact_from_hour": 9})
    assert half.status_code == 422 and "both contact hours" in half.json()["message"]
    assert api(database, "lab_technician").put(f"/api/donors/{donor}/appeal-preferences",
                                               json={"appeals_opt_in": False}).status_code == 403
