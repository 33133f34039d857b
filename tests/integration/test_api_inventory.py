"""Inventory over the REST API: stock, days of supply, expiring units, transfers, excursions, signed discards."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from bloodbank.adapters.db.models import Signature
from bloodbank.domain.access import signature_meaning
from bloodbank.domain.isbt128 import encode_product_code
from bloodbank.service_layer.blood.units import din_of
from tests.integration import lab_fixtures
from tests.integration.inventory_fixtures import (
    counts, events, hours_ago, make_issue, make_site, make_unit, unit,
)
from tests.integration.web_fixtures import PASSWORD, api


def demo_like_stock(database):
    """Two stock sites as the demo region has them: red cells of several groups and ages, plasma, platelets,
    four weeks of issues, a unit in quarantine and one reserved."""
    derby, nottm = make_site(database, code="DERBY"), make_site(database, code="NOTTM")
    for age in (2, 5, 9, 16, 23, 30):
        make_unit(database, site_id=derby, group="O+", age_days=age)
    make_unit(database, site_id=derby, group="O-", age_days=4)
    make_unit(database, site_id=derby, group="O-", age_days=12)
    make_unit(database, site_id=derby, group="A+", status="quarantined", age_days=0)
    make_unit(database, site_id=derby, group="A+", status="reserved", age_days=6)
    make_unit(database, site_id=derby, kind="plasma", group="AB+", age_days=40, expires_in=timedelta(days=600))
    make_unit(database, site_id=nottm, group="O+", age_days=3)
    make_unit(database, site_id=nottm, kind="platelets_pooled", group="A+", age_days=2,
              expires_in=timedelta(hours=30))
    # 14 O+ red cells issued from Derby in the last 28 days: half a unit a day; 7 from Nottingham.
    for n in range(14):
        make_issue(database, make_unit(database, site_id=derby, group="O+", status="issued"), days_ago=1 + n)
    for n in range(7):
        make_issue(database, make_unit(database, site_id=nottm, group="O+", status="issued"), days_ago=2 + n)
    # An issue older than the window counts for nothing.
    make_issue(database, make_unit(database, site_id=derby, group="O-", status="issued"), days_ago=40)
    return derby, nottm


def test_stock_by_site_component_and_group_with_age_bands_on_demo_like_data(database):
    derby, nottm = demo_like_stock(database)
    client = api(database, "inventory_manager")
    report = client.get("/api/inventory/stock").json()
    lines = {(line["site_code"], line["kind"], line["blood_group"]): line for line in report["lines"]}
    o_pos = lines[("DERBY", "red_cells", "O+")]
    assert (o_pos["available"], o_pos["quarantined"], o_pos["reserved"]) == (6, 0, 0)
    assert dict(o_pos["ages"]) == {"0-7": 2, "8-14": 1, "15-21": 1, "22-28": 1, "29+": 1}
    assert o_pos["days_of_supply"] == pytest.approx(12.0)
    a_pos = lines[("DERBY", "red_cells", "A+")]
    assert (a_pos["available"], a_pos["quarantined"], a_pos["reserved"]) == (0, 1, 1)
    assert lines[("NOTTM", "red_cells", "O+")]["days_of_supply"] == pytest.approx(4.0)
    narrowed = client.get("/api/inventory/stock", params={"site_id": derby, "kind": "red_cells",
                                                          "blood_group": "o neg"}).json()
    assert [(line["blood_group"], line["available"]) for line in narrowed["lines"]] == [("O-", 2)]
    assert client.get("/api/inventory/stock", params={"blood_group": "Q+"}).status_code == 422
    assert client.get("/api/inventory/stock", params={"kind": "blood pudding"}).status_code == 422
    assert client.get("/api/inventory/stock", params={"site_id": 99999}).status_code == 404


def test_an_unknown_site_in_the_stock_query_is_refused_in_the_callers_language(database):
    client = api(database, "inventory_manager")
    answers = {language: client.get("/api/inventory/stock", params={"site_id": 99999},
                                    headers={"Accept-Language": language}) for language in ("en", "fr", "ar")}
    assert {answer.status_code for answer in answers.values()} == {404}
    assert answers["en"].json() == {"code": "not_found", "message": "No site with id 99999."}
    assert answers["fr"].json() == {"code": "not_found", "message": "Aucun site n'a l'identifiant 99999."}
    assert answers["ar"].json() == {"code": "not_found", "message": "لا يوجد موقع بالمعرّف 99999."}


def test_days_of_supply_per_group_over_every_site_and_for_one(database):
    derby, _ = demo_like_stock(database)
    client = api(database, "inventory_manager")
    region = {g["blood_group"]: g for g in client.get("/api/inventory/days-of-supply").json()}
    assert list(region) == ["O-", "O+", "A-", "A+", "B-", "B+", "AB-", "AB+"]
    # 7 O+ on the shelves; 21 issued in 28 days = 0.75 a day.
    assert region["O+"]["available"] == 7
    assert region["O+"]["mean_daily_use"] == pytest.approx(0.75)
    assert region["O+"]["days_of_supply"] == pytest.approx(7 / 0.75)
    assert region["O-"]["available"] == 2 and region["O-"]["days_of_supply"] is None  # not used lately
    derby_only = {g["blood_group"]: g for g in
                  client.get("/api/inventory/days-of-supply", params={"site_id": derby}).json()}
    assert derby_only["O+"]["days_of_supply"] == pytest.approx(12.0)
    grid = client.get("/api/inventory/stock/grid").json()
    red = grid["kinds"].index("red_cells")
    o_pos = next(row for row in grid["rows"] if row["blood_group"] == "O+")
    assert o_pos["cells"][red]["available"] == 7
    assert o_pos["cells"][red]["days_of_supply"] == pytest.approx(7 / 0.75)


def test_units_in_stock_can_be_listed_by_age_group_and_status(database):
    derby, _ = demo_like_stock(database)
    client = api(database, "inventory_manager")
    old = client.get("/api/inventory/units", params={"site_id": derby, "blood_group": "O+", "min_age_days": 15})
    assert old.status_code == 200
    assert sorted(u["age_days"] for u in old.json()["items"]) == [16, 23, 30]
    young = client.get("/api/inventory/units", params={"max_age_days": 3, "kind": "red_cells"}).json()
    assert sorted(u["age_days"] for u in young["items"]) == [0, 2, 3]
    held = client.get("/api/inventory/units", params={"status": "quarantined"}).json()
    assert held["total"] == 1 and held["items"][0]["blood_group"] == "A+"
    page = client.get("/api/inventory/units", params={"limit": 2, "offset": 1}).json()
    assert len(page["items"]) == 2 and page["total"] == 13
    assert client.get("/api/inventory/units", params={"status": "issued"}).status_code == 422


def test_units_expiring_in_the_next_hours_are_listed_soonest_first(database):
    site = make_site(database)
    soon = make_unit(database, site_id=site, kind="platelets_pooled", expires_in=timedelta(hours=30))
    sooner = make_unit(database, site_id=site, expires_in=timedelta(hours=5), status="reserved")
    expired = make_unit(database, site_id=site, expires_in=timedelta(hours=-2))
    make_unit(database, site_id=site, expires_in=timedelta(days=5))
    make_unit(database, site_id=site, expires_in=timedelta(hours=3), status="quarantined")  # not usable yet
    client = api(database, "hospital_staff")
    answer = client.get("/api/inventory/expiring").json()
    assert [u["unit_id"] for u in answer["items"]] == [expired, sooner, soon]
    assert [u["expired"] for u in answer["items"]] == [True, False, False]
    assert [u["unit_id"] for u in client.get("/api/inventory/expiring", params={"hours": 6}).json()["items"]] == \
        [expired, sooner]
    assert client.get("/api/inventory/expiring", params={"hours": 0}).status_code == 422


def test_a_transfer_is_dispatched_tracked_on_the_road_and_received(database):
    derby, nottm = make_site(database, code="DERBY"), make_site(database, code="NOTTM")
    first, second = make_unit(database, site_id=derby), make_unit(database, site_id=derby)
    client = api(database, "inventory_manager")
    sent = client.post("/api/inventory/transfers", json={"from_site_id": derby, "to_site_id": nottm,
                                                          "unit_ids": [first, second], "note": "top-up"})
    assert sent.status_code == 201
    transfer = sent.json()
    assert transfer["in_transit"] == [first, second] and transfer["status"] == "dispatched"
    assert unit(database, first).status == "in_transit" and unit(database, first).site_id is None
    road = client.get("/api/inventory/transfers/in-transit").json()
    assert [t["id"] for t in road["items"]] == [transfer["id"]]
    received = client.post(f"/api/inventory/transfers/{transfer['id']}/receive",
                           json={"received_unit_ids": [first], "cold_chain_ok": True, "storage_location": "fridge 2"})
    assert received.status_code == 200
    assert received.json()["missing"] == [second]
    assert (unit(database, first).status, unit(database, first).site_id) == ("available", nottm)
    again = client.post(f"/api/inventory/transfers/{transfer['id']}/receive",
                        json={"received_unit_ids": [second], "cold_chain_ok": True})
    assert again.status_code == 409 and "already received" in again.json()["message"]


def test_a_dispatch_to_an_unknown_site_names_the_receiving_site_in_the_callers_language(database):
    derby = make_site(database, code="DERBY")
    only = make_unit(database, site_id=derby)
    client = api(database, "inventory_manager")
    before = counts(database)
    sent = {language: client.post("/api/inventory/transfers", headers={"Accept-Language": language},
                                  json={"from_site_id": derby, "to_site_id": 99999, "unit_ids": [only]})
            for language in ("en", "fr", "ar")}
    assert {answer.status_code for answer in sent.values()} == {404}
    assert sent["en"].json()["message"] == "No receiving site with id 99999."
    assert sent["fr"].json()["message"] == "Aucun site de réception n'a l'identifiant 99999."
    assert sent["ar"].json()["message"] == "لا يوجد موقع مستلِم بالمعرّف 99999."
    assert counts(database) == before


def test_a_box_that_arrives_warm_sends_its_units_to_quarantine(database):
    derby, nottm = make_site(database), make_site(database)
    only = make_unit(database, site_id=derby)
    client = api(database, "inventory_manager")
    transfer = client.post("/api/inventory/transfers", json={"from_site_id": derby, "to_site_id": nottm,
                                                              "unit_ids": [only]}).json()
    answer = client.post(f"/api/inventory/transfers/{transfer['id']}/receive",
                         json={"received_unit_ids": [only], "cold_chain_ok": False})
    assert answer.json()["quarantined"] == [only]
    assert unit(database, only).status == "quarantined"


def test_a_dispatch_with_one_unit_that_cannot_go_sends_nothing(database):
    derby, nottm = make_site(database), make_site(database)
    ok = make_unit(database, site_id=derby)
    held = make_unit(database, site_id=derby, status="quarantined")
    client = api(database, "inventory_manager")
    before = counts(database)
    answer = client.post(
        "/api/inventory/transfers", json={"from_site_id": derby, "to_site_id": nottm, "unit_ids": [ok, held]})
    assert answer.status_code == 409
    assert "Nothing was sent" in answer.json()["message"] and "quarantined" in answer.json()["message"]
    assert counts(database) == before


def test_an_excursion_quarantines_the_units_it_touched_and_no_others(database):
    site = make_site(database)
    touched = make_unit(database, site_id=site, location="fridge 1")
    elsewhere = make_unit(database, site_id=site, location="fridge 2")
    client = api(database, "inventory_manager")
    answer = client.post("/api/inventory/excursions", json={
        "site_id": site, "storage_location": "fridge 1", "started_at": hours_ago(3).isoformat(),
        "ended_at": hours_ago(2).isoformat(), "lowest_c": 4.0, "highest_c": 11.5, "note": "door left open"})
    assert answer.status_code == 201, answer.text
    assert [(a["unit_id"], a["status_after"]) for a in answer.json()["affected"]] == [(touched, "quarantined")]
    assert unit(database, touched).status == "quarantined"
    assert unit(database, elsewhere).status == "available"
    assert events(database, touched)[-1] == ("excursion_hold", "available", "quarantined")
    listed = client.get("/api/inventory/excursions").json()
    assert listed["total"] == 1 and listed["items"][0]["still_quarantined"] == [touched]


def test_an_excursion_with_times_without_a_zone_or_from_the_future_is_refused(database):
    site = make_site(database)
    make_unit(database, site_id=site, location="fridge 1")
    client = api(database, "inventory_manager")
    before = counts(database)
    naive = {"site_id": site, "storage_location": "fridge 1", "started_at": "2026-01-01T10:00:00",
             "ended_at": "2026-01-01T11:00:00", "lowest_c": 4, "highest_c": 12}
    assert client.post("/api/inventory/excursions", json=naive).status_code == 422
    future = {**naive, "started_at": hours_ago(1).isoformat(), "ended_at": hours_ago(-2).isoformat()}
    answer = client.post("/api/inventory/excursions", json=future)
    assert answer.status_code == 422 and "future" in answer.json()["message"]
    assert counts(database) == before


def test_a_discard_needs_the_signers_password_and_records_the_signature(database):
    site = make_site(database)
    broken = make_unit(database, site_id=site)
    client = api(database, "inventory_manager")
    before = counts(database)
    wrong = client.post(f"/api/inventory/units/{broken}/discard",
                        json={"reason_code": "broken", "note": "leaking", "signature_password": "not mine"})
    assert wrong.status_code == 403 and wrong.json()["code"] == "signature_refused"
    assert unit(database, broken).status == "available"
    assert {k: v for k, v in counts(database).items() if k != "audit"} == \
        {k: v for k, v in before.items() if k != "audit"}
    done = client.post(f"/api/inventory/units/{broken}/discard",
                       json={"reason_code": "broken", "note": "leaking", "signature_password": PASSWORD})
    assert done.status_code == 200
    assert done.json()["status"] == "discarded" and done.json()["discard_reason"] == "broken"
    with database.sessions() as s:
        [signature] = s.execute(select(Signature).where(Signature.entity_id == str(broken))).scalars().all()
    row = unit(database, broken)
    assert signature.action == "discard" and signature.signer_name == "Test inventory_manager"
    assert signature.meaning == signature_meaning("discard", f"{din_of(row.din).eye_readable} {row.product_code}")


def test_a_discard_for_other_without_a_note_or_for_a_system_reason_is_refused(database):
    site = make_site(database)
    some = make_unit(database, site_id=site)
    client = api(database, "inventory_manager")
    other = client.post(f"/api/inventory/units/{some}/discard",
                        json={"reason_code": "other", "signature_password": PASSWORD})
    assert other.status_code == 422 and "needs a note" in other.json()["message"]
    system = client.post(f"/api/inventory/units/{some}/discard",
                         json={"reason_code": "self_excluded", "signature_password": PASSWORD})
    assert system.status_code == 422
    assert unit(database, some).status == "available"


def test_the_unit_to_discard_is_found_by_the_label_on_the_bag(database):
    site = lab_fixtures.make_site(database)
    bag = lab_fixtures.make_unit(database, donation_id=None, site_id=site, status="available")
    row = lab_fixtures.get(database, lab_fixtures.Unit, bag)
    answer = api(database, "inventory_manager").get("/api/inventory/discard-check", params={
        "din": din_of(row.din).barcode, "product_code": encode_product_code(row.product_code, "V", "00")})
    assert answer.status_code == 200
    assert answer.json()["unit_id"] == bag and answer.json()["may_discard"] is True


def test_the_expiry_sweep_discards_expired_units_and_the_report_counts_them(database):
    site = make_site(database)
    old_red = make_unit(database, site_id=site, expires_in=timedelta(hours=-3))
    old_plasma = make_unit(database, site_id=site, kind="plasma", expires_in=timedelta(hours=-1))
    fresh = make_unit(database, site_id=site)
    client = api(database, "inventory_manager")
    refused = client.post("/api/inventory/discards/expired", json={"signature_password": "not my password!"})
    assert refused.status_code == 403 and unit(database, old_red).status == "available"
    swept = client.post("/api/inventory/discards/expired", json={"signature_password": PASSWORD}).json()
    assert swept == {"discarded": [old_red, old_plasma], "count": 2}
    assert unit(database, fresh).status == "available"
    report = client.get("/api/inventory/discards/report", params={"since": date.today().isoformat()}).json()
    assert report == {"expired": {"plasma": 1, "red_cells": 1}}
    assert client.get("/api/inventory/discards/report", params={"since": "yesterday"}).status_code == 422


@pytest.mark.parametrize("role, method, path, status", [
    ("clerk", "get", "/api/inventory/stock", 403),
    ("clerk", "get", "/api/inventory/days-of-supply", 403),
    ("clerk", "get", "/api/inventory/expiring", 403),
    ("hospital_staff", "get", "/api/inventory/stock", 200),
    ("hospital_staff", "post", "/api/inventory/transfers", 403),
    ("hospital_staff", "post", "/api/inventory/units/1/discard", 403),
    ("lab_technician", "post", "/api/inventory/transfers", 403),
    ("lab_technician", "post", "/api/inventory/excursions", 403),
    ("administrator", "post", "/api/inventory/discards/expired", 403),
])
def test_each_role_reaches_only_what_its_permissions_allow(database, role, method, path, status):
    body = {"json": {}} if method == "post" else {}
    assert getattr(api(database, role), method)(path, **body).status_code == status


def held_ready_unit(database) -> tuple[int, int]:
    """A red cell unit with final negative tests and a verified label, held by an excursion: (site, unit)."""
    site = lab_fixtures.make_site(database)
    donation = lab_fixtures.make_donation(database, site_id=site)
    red = lab_fixtures.make_unit(database, donation_id=donation, site_id=site)
    lab_fixtures.pass_all_tests(database, donation)
    with database.sessions() as session, session.begin():
        session.execute(update(lab_fixtures.Unit).where(lab_fixtures.Unit.id == red)
                        .values(storage_location="fridge 1"))
    answer = api(database, "inventory_manager", "stock.kay").post("/api/inventory/excursions", json={
        "site_id": site, "storage_location": "fridge 1", "started_at": hours_ago(3).isoformat(),
        "ended_at": hours_ago(2).isoformat(), "lowest_c": 4.0, "highest_c": 11.0})
    assert answer.status_code == 201, answer.text
    return site, red


def test_a_held_unit_is_released_after_a_signed_review_and_not_before(database):
    site, red = held_ready_unit(database)
    lab = api(database, "lab_technician")
    bench = lab.post(f"/api/lab/units/{red}/release", json={"signature_password": PASSWORD})
    assert bench.status_code == 409 and "Held for review (temperature excursion)" in bench.json()["message"]
    board = lab.get("/api/lab/quarantine", params={"site_id": site}).json()["items"]
    assert [(i["unit_id"], i["state"], i["held_for_review"]) for i in board] == [(red, "held", True)]
    held = lab.get("/api/inventory/holds", params={"site_id": site}).json()
    assert held["total"] == 1 and held["items"][0]["holds"][0]["kind"] == "temperature_excursion"
    before = counts(database)
    wrong = lab.post(f"/api/inventory/units/{red}/review-release",
                     json={"reason": "Probe fault", "signature_password": "not mine"})
    assert wrong.status_code == 403 and wrong.json()["code"] == "signature_refused"
    assert {k: v for k, v in counts(database).items() if k != "audit"} == \
        {k: v for k, v in before.items() if k != "audit"}
    done = lab.post(f"/api/inventory/units/{red}/review-release",
                    json={"reason": "Probe fault: the product stayed at 4 °C", "signature_password": PASSWORD})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "available" and unit(database, red).status == "available"
    with database.sessions() as s:
        [signature] = s.execute(select(Signature).where(Signature.entity_id == str(red))).scalars().all()
    row = unit(database, red)
    assert signature.action == "review_release"
    assert signature.meaning == signature_meaning("review_release", f"{din_of(row.din).eye_readable} "
                                                                    f"{row.product_code}")
    [hold] = lab.get(f"/api/inventory/units/{red}/holds").json()["holds"]
    assert (hold["decision"], hold["decision_reason"]) == ("released", "Probe fault: the product stayed at 4 °C")


def test_a_held_unit_is_discarded_after_a_signed_review(database):
    _, red = held_ready_unit(database)
    client = api(database, "inventory_manager")
    done = client.post(f"/api/inventory/units/{red}/review-discard",
                       json={"reason": "Unfit: 11 °C for an hour", "signature_password": PASSWORD})
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["discard_reason"]) == ("discarded", "temperature")
    again = client.post(f"/api/inventory/units/{red}/review-discard",
                        json={"reason": "again", "signature_password": PASSWORD})
    assert again.status_code == 409 and "not in quarantine" in again.json()["message"]


@pytest.mark.parametrize("role, path, status", [
    ("inventory_manager", "/api/inventory/units/1/review-release", 403),
    ("hospital_staff", "/api/inventory/units/1/review-discard", 403),
    ("clerk", "/api/inventory/holds", 403),
])
def test_a_review_needs_the_release_or_discard_permission(database, role, path, status):
    client = api(database, role)
    body = {"json": {"reason": "x", "signature_password": PASSWORD}} if "review" in path else {}
    assert getattr(client, "post" if "review" in path else "get")(path, **body).status_code == status
