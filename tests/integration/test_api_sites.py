"""Sites through the REST API: opening hours, chairs, slot length, rule set and mandatory test panel."""

from __future__ import annotations

from sqlalchemy import select

from bloodbank.adapters.db.models import AuditEntry, Site
from tests.integration.web_fixtures import api

NORTH = {
    "code": "north", "name": "North centre", "kind": "fixed", "facility_code": "a9999", "rule_set": "eu", "time_zone": "America/New_York",
    "opening_hours": {"mon": ["08:00", "16:00"], "tue": [["08:00", "12:00"], ["13:00", "17:00"]]},
    "chairs": 6, "slot_minutes": 20, "address": "1 High Street",
    "test_panel": ["hiv", "hbv", "hcv", "syphilis", "htlv"],
}


def _sites(database) -> list[tuple]:
    with database.sessions() as session:
        return sorted(session.execute(select(Site.code, Site.rule_set, Site.chairs, Site.test_panel)).all())


def test_an_administrator_creates_a_site_with_hours_chairs_slots_rule_set_and_test_panel(database):
    client = api(database, "administrator", "admin")

    answer = client.post("/api/sites", json=NORTH)

    assert answer.status_code == 201, answer.text
    site = answer.json()
    assert (site["code"], site["facility_code"], site["rule_set"]) == ("NORTH", "A9999", "eu")
    assert site["opening_hours"] == {"mon": ["08:00", "16:00"], "tue": [["08:00", "12:00"], ["13:00", "17:00"]]}
    assert (site["chairs"], site["slot_minutes"], site["active"]) == (6, 20, True)
    assert site["test_panel"] == ["hiv", "hbv", "hcv", "syphilis", "htlv"]
    assert client.get(f"/api/sites/{site['id']}").json() == site
    assert _sites(database) == [("NORTH", "eu", 6, ["hiv", "hbv", "hcv", "syphilis", "htlv"])]


def test_the_site_list_is_paginated_and_filtered(database):
    client = api(database, "administrator", "admin")
    for code, kind in (("A1", "fixed"), ("B2", "mobile"), ("C3", "fixed")):
        assert client.post("/api/sites", json={**NORTH, "code": code, "kind": kind}).status_code == 201
    reader = api(database, "clerk")

    first = reader.get("/api/sites", params={"limit": 2}).json()
    second = reader.get("/api/sites", params={"limit": 2, "offset": 2}).json()
    mobile = reader.get("/api/sites", params={"kind": "mobile"}).json()

    assert [s["code"] for s in first["items"]] == ["A1", "B2"] and first["total"] == 3
    assert [s["code"] for s in second["items"]] == ["C3"]
    assert [s["code"] for s in mobile["items"]] == ["B2"] and mobile["total"] == 1


def test_an_unknown_rule_set_is_refused_on_create_and_on_update_with_a_clear_message(database):
    client = api(database, "administrator", "admin")
    site = client.post("/api/sites", json=NORTH).json()

    created = client.post("/api/sites", json={**NORTH, "code": "SOUTH", "rule_set": "martian"})
    changed = client.patch(f"/api/sites/{site['id']}", json={"rule_set": "mars", "reason": "new regime"})

    assert created.status_code == 422
    assert created.json() == {"code": "invalid_input",
                              "message": "Unknown rule set 'martian'. Use one of: who, eu, us-fda, uk."}
    assert changed.status_code == 422
    assert changed.json()["message"] == "Unknown rule set 'mars'. Use one of: who, eu, us-fda, uk."
    assert _sites(database) == [("NORTH", "eu", 6, ["hiv", "hbv", "hcv", "syphilis", "htlv"])]


def test_a_test_panel_short_of_the_minimum_or_with_an_unknown_marker_is_refused(database):
    client = api(database, "administrator", "admin")
    site = client.post("/api/sites", json=NORTH).json()

    short = client.patch(f"/api/sites/{site['id']}", json={"test_panel": ["hiv", "hbv"], "reason": "cheaper"})
    unknown = client.post("/api/sites", json={**NORTH, "code": "EAST", "test_panel": ["hiv", "hbv", "hcv",
                                                                                       "syphilis", "zika?"]})

    assert short.status_code == 422 and short.json()["message"].startswith("The test panel must include hiv, hbv")
    assert unknown.status_code == 422 and "'zika?' is not an infection marker" in unknown.json()["message"]
    assert _sites(database) == [("NORTH", "eu", 6, ["hiv", "hbv", "hcv", "syphilis", "htlv"])]


def test_an_update_changes_only_the_fields_given_and_records_the_reason(database):
    client = api(database, "administrator", "admin")
    site = client.post("/api/sites", json=NORTH).json()

    answer = client.patch(f"/api/sites/{site['id']}", json={
        "chairs": 8, "rule_set": "uk", "opening_hours": {"sat": ["09:00", "13:00"]},
        "test_panel": ["hiv", "hbv", "hcv", "syphilis", "nat_hiv"], "reason": "new wing"})

    assert answer.status_code == 200, answer.text
    changed = answer.json()
    assert (changed["chairs"], changed["rule_set"], changed["slot_minutes"]) == (8, "uk", 20)
    assert changed["opening_hours"] == {"sat": ["09:00", "13:00"]}
    assert changed["test_panel"][-1] == "nat_hiv" and changed["name"] == "North centre"
    with database.sessions() as session:
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "update",
                                                         AuditEntry.entity == "site")).scalar_one()
    assert entry.actor == "admin" and entry.reason == "new wing"
    assert entry.old["chairs"] == 6 and entry.new["test_panel"][-1] == "nat_hiv"
    nothing = client.patch(f"/api/sites/{site['id']}", json={"reason": "just because"})
    assert nothing.status_code == 422 and nothing.json()["message"].startswith("Nothing to change")


def test_a_site_is_deactivated_and_reactivated_with_a_reason(database):
    client = api(database, "administrator", "admin")
    site = client.post("/api/sites", json=NORTH).json()

    off = client.put(f"/api/sites/{site['id']}/active", json={"active": False, "reason": "roof repairs"})
    again = client.put(f"/api/sites/{site['id']}/active", json={"active": False, "reason": "roof repairs"})

    assert off.status_code == 200 and off.json()["active"] is False
    assert again.status_code == 409 and again.json()["message"] == "Site NORTH is already inactive."
    assert client.get("/api/sites", params={"active_only": True}).json()["total"] == 0
    on = client.put(f"/api/sites/{site['id']}/active", json={"active": True, "reason": "repaired"})
    assert on.json()["active"] is True


def test_everyone_may_read_sites_but_only_sites_write_may_change_them(database):
    admin = api(database, "administrator", "admin")
    site = admin.post("/api/sites", json=NORTH).json()
    for role in ("clerk", "medical_director"):
        client = api(database, role)
        assert client.get(f"/api/sites/{site['id']}").status_code == 200
        assert client.post("/api/sites", json={**NORTH, "code": "X1"}).status_code == 403
        assert client.patch(f"/api/sites/{site['id']}", json={"chairs": 1, "reason": "x"}).status_code == 403
        assert client.put(f"/api/sites/{site['id']}/active",
                          json={"active": False, "reason": "x"}).status_code == 403
    assert _sites(database) == [("NORTH", "eu", 6, ["hiv", "hbv", "hcv", "syphilis", "htlv"])]


def test_an_unknown_site_is_404_and_nonsense_is_refused_by_validation(database):
    client = api(database, "administrator", "admin")

    assert client.get("/api/sites/12345").status_code == 404
    assert client.post("/api/sites", json={**NORTH, "chairs": 0}).status_code == 422
    assert client.post("/api/sites", json={**NORTH, "colour": "red"}).status_code == 422
    hours = client.post("/api/sites", json={**NORTH, "opening_hours": {"mon": ["16:00", "08:00"]}})
    assert hours.status_code == 422 and "must open before it closes" in hours.json()["message"]
