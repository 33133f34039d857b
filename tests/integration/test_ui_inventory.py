"""The inventory manager's pages: stock table, expiring units, transfers, excursions, signed discards."""

import html
import re
from datetime import timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bloodbank.adapters.db.models import Signature, TemperatureExcursion, Unit as UnitRow
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.isbt128 import encode_product_code
from bloodbank.service_layer.blood import inventory
from bloodbank.service_layer.blood.units import din_of
from tests.integration import lab_fixtures
from tests.integration.inventory_fixtures import counts, hours_ago, make_issue, make_site, make_unit, unit
from tests.integration.web_fixtures import PASSWORD, browser


def plain(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment)))


def text_of(answer) -> str:
    return re.sub(r"\s+", " ", html.unescape(answer.text))


def test_the_inventory_home_shows_stock_by_group_and_component_with_days_of_supply_and_what_expires(database):
    site = make_site(database, code="DERBY")
    for _ in range(4):
        make_unit(database, site_id=site, group="O+")
    for n in range(14):
        make_issue(database, make_unit(database, site_id=site, group="O+", status="issued"), days_ago=1 + n)
    soon = make_unit(database, site_id=site, group="B-", expires_in=timedelta(hours=20))
    make_unit(database, site_id=site, group="B-", expires_in=timedelta(days=4))
    client = browser(database, "inventory_manager")
    page = client.get("/inventory")
    assert page.status_code == 200
    text = text_of(page)
    rows = {m.group(1): m.group(2) for m in re.finditer(r'<th scope="row">(?:<bdi dir="ltr">)?([^<]+)(?:</bdi>)?</th>(.*?)</tr>', page.text, re.S)}
    assert list(rows) == ["O-", "O+", "A-", "A+", "B-", "B+", "AB-", "AB+"]
    red_cells_first = plain(rows["O+"]).split("available")
    assert red_cells_first[0].strip() == "4" and red_cells_first[1].strip().startswith("8 days of supply")
    assert plain(rows["B-"]).split("available")[1].strip().startswith("no recent use")
    expiring = page.text.split('id="expiring-list"')[1].split("</table>")[0]
    shown = din_of(unit(database, soon).din).eye_readable.rsplit(" ", 1)[0]  # the DIN as on the label
    assert shown in expiring and expiring.count("<tr>") == 2  # header + the one unit
    assert "Dispatch units to another site" in text and "Record excursion" in text


def test_the_home_lists_the_units_expiring_first_and_says_how_many_expire_in_all(database, monkeypatch):
    monkeypatch.setattr(inventory, "EXPIRING_LISTED", 2)
    site = make_site(database)
    for n in range(5):
        make_unit(database, site_id=site, expires_in=timedelta(hours=10 + n))
    page = browser(database, "inventory_manager").get("/inventory")
    expiring = page.text.split('id="expiring-list"')[1].split("</table>")[0]
    assert expiring.count("<tr>") == 3  # header + the two expiring first
    assert "5 unit(s) to use first (the 2 expiring first shown)" in plain(expiring)


def test_a_lab_technician_sees_the_stock_but_no_transfer_or_excursion_forms(database):
    make_site(database)
    page = browser(database, "lab_technician").get("/inventory")
    assert page.status_code == 200
    assert "Stock by blood group and component" in text_of(page)
    assert "Record excursion" not in page.text and "/inventory/dispatch" not in page.text
    assert "Discard every expired unit" in page.text  # a lab technician may discard


def test_selected_units_are_dispatched_from_the_page_and_the_box_is_booked_in(database):
    derby, nottm = make_site(database, code="DERBY"), make_site(database, code="NOTTM")
    first, second, stays = (make_unit(database, site_id=derby) for _ in range(3))
    client = browser(database, "inventory_manager")
    listing = client.get("/inventory/dispatch", params={"from_site_id": derby})
    assert listing.status_code == 200 and f'value="{stays}"' in listing.text
    sent = client.post("/inventory/dispatch", data={"csrf_token": client.csrf, "from_site_id": derby,
                                                    "to_site_id": nottm, "unit_ids": [first, second]})
    assert sent.status_code == 303
    home = client.get(sent.headers["location"])
    assert "dispatched from DERBY to NOTTM with 2 unit(s)" in text_of(home)
    assert unit(database, first).status == "in_transit" and unit(database, stays).status == "available"
    transfer = int(re.search(r"Transfer (\d+) dispatched", text_of(home)).group(1))
    assert f'action="/inventory/transfers/{transfer}/receive"' in home.text
    no_answer = client.post(f"/inventory/transfers/{transfer}/receive",
                            data={"csrf_token": client.csrf, "received_unit_ids": [first, second]})
    assert no_answer.status_code == 422 and "cold chain" in text_of(no_answer)
    assert unit(database, first).status == "in_transit"
    booked = client.post(f"/inventory/transfers/{transfer}/receive",
                         data={"csrf_token": client.csrf, "received_unit_ids": [first], "cold_chain": "yes",
                               "storage_location": "fridge 3"})
    assert booked.status_code == 303
    shown = text_of(client.get(booked.headers["location"]))
    assert "1 unit(s) received" in shown and "1 missing and still on the road" in shown
    assert (unit(database, first).status, unit(database, first).site_id) == ("available", nottm)


def test_a_dispatch_refused_on_the_page_keeps_the_ticked_units_and_says_why(database):
    derby, nottm = make_site(database), make_site(database)
    fine = make_unit(database, site_id=derby)
    client = browser(database, "inventory_manager")
    before = counts(database)
    answer = client.post("/inventory/dispatch", data={"csrf_token": client.csrf, "from_site_id": derby,
                                                      "to_site_id": derby, "unit_ids": [fine]})
    assert answer.status_code == 422
    assert "the two sites are the same" in text_of(answer)
    assert f'name="unit_ids" value="{fine}" checked' in answer.text
    assert counts(database) == before


def test_an_excursion_entered_on_the_page_quarantines_the_units_it_touched(database):
    site = make_site(database)
    touched = make_unit(database, site_id=site, location="fridge 1")
    untouched = make_unit(database, site_id=site, location="fridge 2")
    client = browser(database, "inventory_manager")
    answer = client.post("/inventory/excursions", data={
        "csrf_token": client.csrf, "site_id": site, "storage_location": "fridge 1",
        "started_at": hours_ago(3).strftime("%Y-%m-%dT%H:%M"), "ended_at": hours_ago(2).strftime("%Y-%m-%dT%H:%M"),
        "lowest_c": "4", "highest_c": "9,5"})
    assert answer.status_code == 200
    assert "1 unit(s) held in quarantine" in text_of(answer)
    assert unit(database, touched).status == "quarantined"
    assert unit(database, untouched).status == "available"


def test_an_excursion_typed_on_the_page_is_read_on_the_clock_of_the_site_of_the_alarm(database):
    site = make_site(database, time_zone="Asia/Damascus")
    make_unit(database, site_id=site, location="fridge 1")
    client = browser(database, "inventory_manager", site_id=site)
    start = (utcnow() - timedelta(hours=3)).replace(second=0, microsecond=0)
    damascus = ZoneInfo("Asia/Damascus")
    answer = client.post("/inventory/excursions", data={
        "csrf_token": client.csrf, "site_id": site, "storage_location": "fridge 1",
        "started_at": start.astimezone(damascus).strftime("%Y-%m-%dT%H:%M"),
        "ended_at": (start + timedelta(minutes=40)).astimezone(damascus).strftime("%Y-%m-%dT%H:%M"),
        "lowest_c": "4", "highest_c": "9"})

    assert answer.status_code == 200, text_of(answer)
    with database.sessions() as session:
        started_at, ended_at = session.execute(select(TemperatureExcursion.started_at, TemperatureExcursion.ended_at)
                                               .where(TemperatureExcursion.site_id == site)).one()
    assert [t.replace(tzinfo=t.tzinfo or timezone.utc) for t in (started_at, ended_at)] == [
        start, start + timedelta(minutes=40)]
    assert "Started at (the site's local time, from the monitor)" in text_of(answer)
    assert f"{start.astimezone(damascus):%Y-%m-%d %H:%M} +03 – " in text_of(answer)


def test_an_excursion_at_a_time_the_clocks_skipped_is_refused_with_the_reason(database):
    site = make_site(database, time_zone="America/New_York")
    make_unit(database, site_id=site, location="fridge 1")
    client = browser(database, "inventory_manager", site_id=site)
    before = counts(database)
    answer = client.post("/inventory/excursions", data={
        "csrf_token": client.csrf, "site_id": site, "storage_location": "fridge 1",
        "started_at": "2026-03-08T02:30", "ended_at": "2026-03-08T03:30", "lowest_c": "4", "highest_c": "9"})

    assert answer.status_code == 422
    assert ("The start time 2026-03-08 02:30 does not exist on the site's clock (the clocks went forward then)"
            in text_of(answer))
    assert 'value="2026-03-08T02:30"' in answer.text
    assert counts(database) == before


def test_an_excursion_with_bad_readings_is_shown_again_with_what_was_typed(database):
    site = make_site(database)
    make_unit(database, site_id=site, location="fridge 1")
    client = browser(database, "inventory_manager")
    before = counts(database)
    answer = client.post("/inventory/excursions", data={
        "csrf_token": client.csrf, "site_id": site, "storage_location": "fridge 1",
        "started_at": hours_ago(3).strftime("%Y-%m-%dT%H:%M"), "ended_at": hours_ago(2).strftime("%Y-%m-%dT%H:%M"),
        "lowest_c": "12", "highest_c": "4"})
    assert answer.status_code == 422
    assert "is above the highest" in text_of(answer)
    assert 'value="fridge 1"' in answer.text and 'value="12"' in answer.text
    assert counts(database) == before


def labelled_unit(database) -> tuple[int, dict]:
    site = lab_fixtures.make_site(database)
    bag = lab_fixtures.make_unit(database, donation_id=None, site_id=site, status="available")
    row = lab_fixtures.get(database, UnitRow, bag)
    return bag, {"din": din_of(row.din).barcode, "product_code": encode_product_code(row.product_code, "V", "00")}


def test_a_unit_is_discarded_from_the_page_with_a_reason_and_a_signature(database):
    bag, scanned = labelled_unit(database)
    client = browser(database, "inventory_manager")
    found = client.get("/inventory/discard", params=scanned)
    assert found.status_code == 200
    assert "I discard unit" in text_of(found) and "Sign and discard" in text_of(found)
    wrong = client.post("/inventory/discard", data={"csrf_token": client.csrf, **scanned, "reason_code": "broken",
                                                    "note": "leaking", "signature_password": "not mine"})
    assert wrong.status_code == 403 and "The password does not match" in text_of(wrong)
    assert 'value="broken" selected' in wrong.text
    assert lab_fixtures.status_of(database, bag) == "available"
    done = client.post("/inventory/discard", data={"csrf_token": client.csrf, **scanned, "reason_code": "broken",
                                                   "note": "leaking", "signature_password": PASSWORD})
    assert done.status_code == 200 and "discarded: bag broken or leaking" in text_of(done)
    assert lab_fixtures.status_of(database, bag) == "discarded"
    with database.sessions() as s:
        signature = s.execute(select(Signature).where(Signature.entity_id == str(bag))).scalar_one()
    assert signature.action == "discard" and signature.signer_name == "Test inventory_manager"


def test_the_expiry_sweep_button_discards_expired_units(database):
    site = make_site(database)
    old = make_unit(database, site_id=site, expires_in=timedelta(hours=-1))
    client = browser(database, "inventory_manager")
    unsigned = client.post("/inventory/discard-expired", data={"csrf_token": client.csrf})
    assert unsigned.status_code == 403 and unit(database, old).status == "available"
    answer = client.post("/inventory/discard-expired", data={"csrf_token": client.csrf,
                                                            "signature_password": PASSWORD})
    assert answer.status_code == 200 and "1 expired unit(s) discarded." in text_of(answer)
    assert unit(database, old).status == "discarded"
    assert "expired" in answer.text.split('id="waste-report"')[1]


@pytest.mark.parametrize("method, path", [
    ("get", "/inventory"), ("get", "/inventory/dispatch"), ("get", "/inventory/discard"),
    ("post", "/inventory/dispatch"), ("post", "/inventory/excursions"), ("post", "/inventory/discard-expired"),
])
def test_a_clerks_browser_session_cannot_reach_the_inventory_pages(database, method, path):
    client = browser(database, "clerk")
    data = {"data": {"csrf_token": client.csrf, "from_site_id": "1"}} if method == "post" else {}
    answer = getattr(client, method)(path, **data)
    assert answer.status_code == 403 and "does not allow this" in text_of(answer)


def test_every_form_on_the_inventory_pages_carries_the_sessions_own_token(database):
    derby, nottm = make_site(database), make_site(database)
    make_unit(database, site_id=derby)
    client = browser(database, "inventory_manager")
    for path in ("/inventory", f"/inventory/dispatch?from_site_id={derby}"):
        page = client.get(path).text
        tokens = re.findall(r'name="csrf_token" value="([^"]*)"', page)
        assert len(tokens) >= page.count('method="post"') and set(tokens) == {client.csrf}, path


def held_ready_unit(database) -> int:
    """A red cell unit with final negative tests and a verified label, held by an excursion entered on the page."""
    site = lab_fixtures.make_site(database)
    donation = lab_fixtures.make_donation(database, site_id=site)
    red = lab_fixtures.make_unit(database, donation_id=donation, site_id=site)
    lab_fixtures.pass_all_tests(database, donation)
    with database.sessions() as session, session.begin():
        session.execute(update(UnitRow).where(UnitRow.id == red).values(storage_location="fridge 1"))
    client = browser(database, "inventory_manager", "stock.kay")
    answer = client.post("/inventory/excursions", data={
        "csrf_token": client.csrf, "site_id": site, "storage_location": "fridge 1",
        "started_at": hours_ago(3).strftime("%Y-%m-%dT%H:%M"), "ended_at": hours_ago(2).strftime("%Y-%m-%dT%H:%M"),
        "lowest_c": "4", "highest_c": "11"})
    assert answer.status_code == 200 and "1 unit(s) held in quarantine" in text_of(answer)
    return red


def test_a_held_unit_is_shown_held_on_the_lab_board_and_released_after_review_on_its_page(database):
    red = held_ready_unit(database)
    lab = browser(database, "lab_technician")
    board = text_of(lab.get("/lab")).split('id="quarantine-list"')[1].split("</table>")[0]
    assert "held" in board and "ready for release" not in board
    assert "Held for review (temperature excursion)" in board and f"Review the hold on unit {red}" in board
    bench = lab.get(f"/lab/release?unit_id={red}").text
    assert f'href="/inventory/holds/{red}">review the hold' in bench
    listed = text_of(lab.get("/inventory")).split('id="held-units"')[1].split("</table>")[0]
    assert f"Review unit {red}" in listed and "Temperature excursion: Temperature excursion" in listed
    page = lab.get(f"/inventory/holds/{red}")
    assert page.status_code == 200
    text = text_of(page)
    assert "Every other release check passes: only the review decides." in text
    assert "I have reviewed why unit" in text and "Sign and release after review" in text
    wrong = lab.post(f"/inventory/holds/{red}/release", data={
        "csrf_token": lab.csrf, "reason": "Probe fault", "signature_password": "not mine"})
    assert wrong.status_code == 403 and "The password does not match" in text_of(wrong)
    assert "Probe fault</textarea>" in wrong.text
    assert lab_fixtures.status_of(database, red) == "quarantined"
    done = lab.post(f"/inventory/holds/{red}/release", data={
        "csrf_token": lab.csrf, "reason": "Probe fault: the product stayed at 4 °C", "signature_password": PASSWORD})
    assert done.status_code == 200 and "released after review: it is now available" in text_of(done)
    assert "released after review by lab-technician" in text_of(done)
    assert lab_fixtures.status_of(database, red) == "available"
    with database.sessions() as s:
        signature = s.execute(select(Signature).where(Signature.entity_id == str(red))).scalar_one()
    assert signature.action == "review_release"


def test_a_held_unit_is_discarded_after_review_on_its_page_and_an_inventory_manager_cannot_release_it(database):
    red = held_ready_unit(database)
    client = browser(database, "inventory_manager")
    page = text_of(client.get(f"/inventory/holds/{red}"))
    assert "Sign and discard after review" in page and "Sign and release after review" not in page
    refused = client.post(f"/inventory/holds/{red}/release", data={
        "csrf_token": client.csrf, "reason": "fine", "signature_password": PASSWORD})
    assert refused.status_code == 403 and lab_fixtures.status_of(database, red) == "quarantined"
    done = client.post(f"/inventory/holds/{red}/discard", data={
        "csrf_token": client.csrf, "reason": "Unfit: 11 °C for an hour", "signature_password": PASSWORD})
    assert done.status_code == 200 and "discarded after review: storage temperature excursion" in text_of(done)
    assert lab_fixtures.status_of(database, red) == "discarded"
    assert "Sign and discard" not in done.text


def test_a_held_unit_that_fails_another_release_check_stays_held_and_the_page_says_why(database):
    red = held_ready_unit(database)
    with database.sessions() as session, session.begin():
        session.execute(update(UnitRow).where(UnitRow.id == red).values(label_verified_at=None))
    lab = browser(database, "lab_technician")
    assert "The label has not been verified against the unit." in text_of(lab.get(f"/inventory/holds/{red}"))
    refused = lab.post(f"/inventory/holds/{red}/release", data={
        "csrf_token": lab.csrf, "reason": "Probe fault", "signature_password": PASSWORD})
    assert refused.status_code == 409
    assert "Release refused: nothing was changed and the hold stays open" in text_of(refused)
    assert "The label has not been verified" in refused.text.split('id="refusal"')[1].split("</ul>")[0]
    assert lab_fixtures.status_of(database, red) == "quarantined"
