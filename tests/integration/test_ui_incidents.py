"""The incident pages: declare, counts, the gap by window with what an appeal can cover, the signed close."""

import html
import re

import pytest

from bloodbank.adapters.db.models import Hospital, Incident, Signature
from tests.integration.inventory_fixtures import insert, make_site, make_unit
from tests.integration.web_fixtures import PASSWORD, browser


def text_of(answer) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", answer.text)))


def _declare(client, **fields) -> int:
    answer = client.post("/incidents", data={"csrf_token": client.csrf, "place": "Central station",
                                             "kind": "explosion", "severe": "10", "moderate": "0", "minor": "0",
                                             **fields})
    assert answer.status_code == 303, answer.text
    return int(answer.headers["location"].split("/")[2].split("?")[0])


def test_a_declared_incident_shows_its_counts_and_the_gap_with_what_an_appeal_can_cover(database):
    site = make_site(database)
    for _ in range(2):
        make_unit(database, site_id=site, group="O-")
    client = browser(database, "inventory_manager")
    assert "Declare an incident" in text_of(client.get("/incidents"))
    incident = _declare(client)
    page = client.get(f"/incidents/{incident}?saved=declared")
    assert page.status_code == 200
    text = text_of(page)
    assert "Incident declared." in text
    assert re.search(r"severe 10 0 10", text)
    assert "An appeal cannot cover the 0-6h and 6-24h gap" in text
    assert "0-6h red cells O- " in text
    assert "Blood given now is usable from about" in text
    assert "Times in UTC" in text


def test_a_refused_declaration_keeps_what_was_typed_and_says_why(database):
    client = browser(database, "medical_director")
    answer = client.post("/incidents", data={"csrf_token": client.csrf, "place": "Old town", "kind": "explosion",
                                             "severe": "lots"})
    assert answer.status_code == 422
    assert "whole number" in text_of(answer) and 'value="Old town"' in answer.text


def test_closing_on_the_page_needs_the_password_and_records_the_signature(database):
    client = browser(database, "inventory_manager")
    incident = _declare(client)
    wrong = client.post(f"/incidents/{incident}/close", data={"csrf_token": client.csrf,
                                                              "signature_password": "wrong password!"})
    assert wrong.status_code == 403 and "does not match" in text_of(wrong)
    done = client.post(f"/incidents/{incident}/close", data={"csrf_token": client.csrf,
                                                             "signature_password": PASSWORD})
    assert done.status_code == 303
    assert "closed" in text_of(client.get(f"/incidents/{incident}"))
    with database.sessions() as session:
        assert session.get(Incident, incident).status == "closed"
        assert session.query(Signature).filter_by(entity="incident").count() == 1


def test_hospital_staff_count_their_admissions_and_never_see_the_totals(database):
    site = make_site(database)
    hospital = insert(database, Hospital(code="RXH", name="Royal", site_id=site))
    manager = browser(database, "inventory_manager")
    incident = _declare(manager)
    manager.post("/incidents/%d/casualties" % incident, data={
        "csrf_token": manager.csrf, "back": "incident", "hospital_id": str(hospital), "severity": "minor",
        "change": "9"})
    ward = browser(database, "hospital_staff", "ward.sam", site_id=site, hospitals=(hospital,))
    assert ward.get(f"/incidents/{incident}").status_code == 403
    listed = text_of(ward.get("/incidents"))
    assert "Central station" in listed and "Counts and shortfall" not in listed
    counted = ward.post(f"/incidents/{incident}/casualties", data={
        "csrf_token": ward.csrf, "hospital_id": str(hospital), "severity": "severe", "change": "2"})
    assert counted.status_code == 303
    mine = text_of(ward.get(f"/incidents/{incident}/count"))
    assert "severe +2" in mine and "minor" not in mine.split("Your entries")[1]
    assert "+9" not in mine


@pytest.mark.parametrize("role", ["clerk", "lab_technician", "administrator"])
def test_other_roles_reach_no_incident_page(database, role):
    client = browser(database, role)
    for path in ("/incidents", "/incidents/new", "/incidents/1", "/incidents/1/count"):
        assert client.get(path).status_code == 403


def test_an_order_placed_on_the_page_for_an_open_incident_carries_it(database):
    from datetime import timedelta

    from bloodbank.adapters.db.models import Order
    from bloodbank.adapters.db.models.base import utcnow
    site = make_site(database)
    hospital = insert(database, Hospital(code="RXH", name="Royal", site_id=site))
    incident = _declare(browser(database, "inventory_manager"))
    ward = browser(database, "hospital_staff", "ward.sam", site_id=site, hospitals=(hospital,))
    form = ward.get("/hospital/orders/new").text
    assert f'<option value="{incident}">{incident}: Central station (explosion)</option>' in form
    placed = ward.post("/hospital/orders", data={
        "csrf_token": ward.csrf, "hospital_id": str(hospital), "for_stock": "on", "kind": "red_cells",
        "quantity": "4", "needed_by": (utcnow() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "urgency": "emergency", "incident_id": str(incident)})
    assert placed.status_code == 303, text_of(placed)
    with database.sessions() as session:
        assert session.query(Order).one().incident_id == incident
