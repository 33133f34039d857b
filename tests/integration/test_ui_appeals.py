"""The appeal on the incident page (start, pause, resume, the figures by group) and the donor's page behind
their personal link: choose a time, decline, stop appeals."""

import html
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bloodbank.adapters.db.models import AppealInvitation, Donor, OutboxMessage
from bloodbank.entrypoints.web.app import create_app
from tests.integration.appeal_fixtures import booked_ten_hours_on, link_secret, make_appeal_donor, make_appeal_site
from tests.integration.web_fixtures import browser

__all__ = ["link_secret", "booked_ten_hours_on"]
# The appeal sized against a known first booking, whatever the hour the suite runs at.
pytestmark = pytest.mark.usefixtures("booked_ten_hours_on")


def text_of(answer) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", answer.text)))


def _declare(client) -> int:
    answer = client.post("/incidents", data={"csrf_token": client.csrf, "place": "Central station",
                                             "kind": "explosion", "severe": "10", "moderate": "0", "minor": "0"})
    assert answer.status_code == 303, answer.text
    return int(answer.headers["location"].split("/")[2].split("?")[0])


def _act(client, incident, action):
    return client.post(f"/incidents/{incident}/appeal", data={"csrf_token": client.csrf, "action": action})


def test_the_incident_page_starts_pauses_and_resumes_the_appeal(database, link_secret):
    make_appeal_site(database)
    make_appeal_donor(database, km_north=1)
    client = browser(database, "inventory_manager")
    incident = _declare(client)
    assert "Start the appeal" in text_of(client.get(f"/incidents/{incident}"))
    started = _act(client, incident, "start")
    assert started.status_code == 303, started.text
    page = text_of(client.get(started.headers["location"]))
    assert "Appeal started" in page and "Status: running" in page
    assert re.search(r"O- \d+ [\d.]+ 1 0 0 0 0 0", page)
    assert "Status: paused" in text_of(client.get(_act(client, incident, "pause").headers["location"]))
    again = _act(client, incident, "pause")
    assert again.status_code == 409 and "cannot be paused" in text_of(again)
    assert "Status: running" in text_of(client.get(_act(client, incident, "resume").headers["location"]))


def test_a_form_without_its_anti_forgery_token_is_refused(database, link_secret):
    client = browser(database, "inventory_manager")
    incident = _declare(client)
    answer = client.post(f"/incidents/{incident}/appeal", data={"action": "start"})
    assert answer.status_code == 403


def test_the_donor_chooses_a_time_on_their_page_without_logging_in(database, link_secret):
    make_appeal_site(database)
    donors = [make_appeal_donor(database, km_north=k) for k in (1, 2)]
    client = browser(database, "inventory_manager")
    _act(client, _declare(client), "start")
    with database.sessions() as s:
        links = {m.donor_id: m.body.split("https://blood.example.org")[1].split()[0]
                 for m in s.execute(select(OutboxMessage)).scalars()}
    donor = TestClient(create_app(database.url))
    page = donor.get(links[donors[0]])
    assert page.status_code == 200 and "Choose a time" in text_of(page) and "no consequence" in text_of(page)
    slot = re.search(r'name="starts_at" value="([^"]+)"', page.text).group(1)
    booked = donor.post(links[donors[0]], data={"action": "accept", "starts_at": slot})
    assert booked.status_code == 200 and "You are booked at" in text_of(booked)
    stopped = donor.post(links[donors[1]], data={"action": "stop"})
    assert "no more appeals" in text_of(stopped)
    with database.sessions() as s:
        assert not s.get(Donor, donors[1]).appeals_opt_in
        statuses = dict(s.execute(select(AppealInvitation.donor_id, AppealInvitation.status)).all())
        assert statuses == {donors[0]: "accepted", donors[1]: "declined"}
    assert donor.get("/appeal/1.99999999999.forged").status_code == 410
