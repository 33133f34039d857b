"""Units through the REST API: from the bag to a verified label, and every processing step after it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bloodbank.domain.isbt128 import encode_expiry, encode_product_code, parse_din, parse_expiry
from tests.integration.processing_fixtures import (
    counts, make_donation, make_site, printed, processed, unit_of, unit_row,
)
from tests.integration.visit_fixtures import consented_visit
from tests.integration.web_fixtures import api


def product_scan(unit: dict) -> str:
    return encode_product_code(unit["product_code"], "V", unit["division"])


def test_collection_to_a_verified_red_cell_label_through_the_api(database):
    _, _, visit_id = consented_visit(database)
    phlebotomist, lab = api(database, "phlebotomist"), api(database, "lab_technician")

    started = phlebotomist.post("/api/donations", json={"visit_id": visit_id, "bag_type": "top_and_bottom",
                                                        "bag_lot": "TB-7781", "planned_volume_ml": 450})
    assert started.status_code == 201, started.text
    donation = started.json()
    finished = phlebotomist.post(f"/api/donations/{donation['donation_id']}/finish", json={"volume_ml": 462})
    assert finished.json()["status"] == "complete"

    found = lab.get("/api/processing/donations/by-din", params={"din": donation["din_barcode"]}).json()
    assert found["processable"] is True and found["units"] == []
    made = lab.post("/api/processing/donations/by-din/process",
                    json={"din": donation["din_barcode"], "method": "buffy_coat"})
    assert made.status_code == 201, made.text
    units = made.json()
    assert {u["kind"] for u in units} == {"red_cells", "plasma"}
    assert all(u["status"] == "quarantined" and u["din"] == donation["din"] for u in units)
    red = next(u for u in units if u["kind"] == "red_cells")

    label = lab.post(f"/api/units/{red['id']}/label.pdf")
    assert label.status_code == 200 and label.headers["content-type"] == "application/pdf"
    assert label.content.startswith(b"%PDF")
    scanned = printed(label.content)
    assert scanned["scanned_din"] == donation["din_barcode"] and scanned["scanned_product"] == product_scan(red)
    verified = lab.post(f"/api/units/{red['id']}/label-verification", json=scanned)
    assert verified.status_code == 200, verified.text
    assert verified.json()["label_verified"] is True
    assert lab.get(f"/api/units/{red['id']}").json()["label_verified"] is True
    assert unit_row(database, red["id"])["label_verified_by"] == lab.user.username
    again = lab.get("/api/processing/donations/by-din", params={"din": donation["din_eye_readable"]}).json()
    assert again["processable"] is False and "already been processed" in again["not_processable_reason"]


def test_a_label_scanned_with_a_wrong_check_character_is_refused_naming_it_and_stays_unverified(database):
    _, views = processed(database, site_id=make_site(database))
    red = unit_of(views, "red_cells")
    lab = api(database, "lab_technician")
    scanned = printed(lab.post(f"/api/units/{red.id}/label.pdf").content)
    right = parse_din(red.din).check
    wrong = "Z" if right != "Z" else "Y"

    answer = lab.post(f"/api/units/{red.id}/label-verification",
                      json={**scanned, "scanned_din": f"{red.din_eye_readable[:-1]}{wrong}"})

    assert answer.status_code == 422
    assert f"Check character '{wrong}' does not match DIN {red.din} (expected '{right}')" in answer.json()["message"]
    assert unit_row(database, red.id)["label_verified_at"] is None


def test_a_label_from_another_unit_is_refused_and_nothing_is_recorded(database):
    site = make_site(database)
    _, views = processed(database, site_id=site)
    _, others = processed(database, site_id=site)
    red, stranger = unit_of(views, "red_cells"), unit_of(others, "red_cells")
    lab = api(database, "lab_technician")
    scanned = printed(lab.post(f"/api/units/{red.id}/label.pdf").content)
    before = counts(database)

    answer = lab.post(f"/api/units/{red.id}/label-verification",
                      json={**scanned, "scanned_din": parse_din(stranger.din).barcode})

    assert answer.status_code == 409
    assert answer.json()["message"].startswith("Label mismatch: the DIN scanned is")
    assert counts(database) == before


def wrong_group(scanned: dict) -> dict:
    return {"scanned_group": "=%6200"}


def wrong_expiry(scanned: dict) -> dict:
    return {"scanned_expiry": encode_expiry(parse_expiry(scanned["scanned_expiry"]) - timedelta(days=3))}


def product_in_group_box(scanned: dict) -> dict:
    return {"scanned_group": scanned["scanned_product"]}


def date_only_expiry(scanned: dict) -> dict:
    return {"scanned_expiry": "=>" + scanned["scanned_expiry"][2:8]}


@pytest.mark.parametrize("change, status, message", [
    (wrong_group, 409, "the blood group scanned is A RhD positive (=%6200), this unit is B RhD negative (=%1700)"),
    (wrong_expiry, 409, "the expiry scanned is"),
    (product_in_group_box, 422, "This barcode is a product code, not a blood group"),
    (date_only_expiry, 422, "This barcode is an expiry date, not an expiry date and time"),
])
def test_a_label_whose_group_or_expiry_is_not_this_units_is_refused_and_nothing_is_recorded(
        database, change, status, message):
    _, views = processed(database, site_id=make_site(database), group="B-")
    red = unit_of(views, "red_cells")
    lab = api(database, "lab_technician")
    scanned = printed(lab.post(f"/api/units/{red.id}/label.pdf").content)
    before = counts(database)

    answer = lab.post(f"/api/units/{red.id}/label-verification", json={**scanned, **change(scanned)})

    assert answer.status_code == status, answer.text
    assert message in answer.json()["message"]
    assert counts(database) == before and unit_row(database, red.id)["label_verified_at"] is None


@pytest.mark.parametrize("missing", ["scanned_group", "scanned_expiry"])
def test_the_group_and_expiry_scans_are_required(database, missing):
    _, views = processed(database, site_id=make_site(database))
    red = unit_of(views, "red_cells")
    lab = api(database, "lab_technician")
    scanned = printed(lab.post(f"/api/units/{red.id}/label.pdf").content)

    answer = lab.post(f"/api/units/{red.id}/label-verification",
                      json={k: v for k, v in scanned.items() if k != missing})

    assert answer.status_code == 422 and missing in answer.text
    assert unit_row(database, red.id)["label_verified_at"] is None


def test_an_expiry_barcode_is_read_as_it_is_scanned_into_its_box(database):
    lab = api(database, "lab_technician")

    scanned = lab.get("/api/scan", params={"expect": "expiry", "text": "&>0260732359"}).json()
    typed = lab.get("/api/scan", params={"expect": "expiry", "text": "0260732359"}).json()
    wrong_box = lab.get("/api/scan", params={"expect": "expiry", "text": "=%1700"}).json()

    assert scanned == typed == {"ok": True, "kind": "expiry", "value": "2026-03-14T23:59:00",
                                "display": "2026-03-14 23:59"}
    assert wrong_box == {"ok": False, "message": "This barcode is a blood group, not an expiry date and time: "
                                                 "scan the right barcode on the label."}


def test_an_unfinished_donation_is_not_processed(database):
    donation_id = make_donation(database, site_id=make_site(database), status="in_progress")
    lab = api(database, "lab_technician")
    before = counts(database)

    answer = lab.post(f"/api/donations/{donation_id}/process", json={"method": "buffy_coat"})

    assert answer.status_code == 409
    assert "still in progress: finish the collection first" in answer.json()["message"]
    assert counts(database) == before


def test_units_are_listed_by_din_and_by_donation_with_paging(database):
    donation_id, views = processed(database, site_id=make_site(database), method="prp")
    lab = api(database, "lab_technician")
    din = parse_din(views[0].din)

    by_donation = lab.get(f"/api/donations/{donation_id}/units").json()
    by_din = lab.get("/api/units", params={"din": din.eye_readable, "limit": 2}).json()
    red_only = lab.get("/api/units", params={"din": din.barcode, "kind": "red_cells"}).json()

    assert [u["id"] for u in by_donation] == [v.id for v in views]
    assert by_din["total"] == len(views) == 3 and len(by_din["items"]) == 2
    assert [u["kind"] for u in red_only["items"]] == ["red_cells"]
    assert lab.get("/api/units", params={"status": "sold"}).status_code == 422


def test_buffy_coats_are_pooled_by_their_dins_under_a_new_din(database):
    site = make_site(database)
    sources = [processed(database, site_id=site, group="A+")[0] for _ in range(4)]
    lab = api(database, "lab_technician")
    candidates = lab.get("/api/processing/pool-candidates", params={"site_id": site}).json()
    assert sorted(c["donation_id"] for c in candidates) == sorted(sources)
    dins = [c["din_eye_readable"] for c in candidates]

    too_few = lab.post("/api/units/pools", json={"site_id": site, "dins": dins[:3]})
    answer = lab.post("/api/units/pools", json={"site_id": site, "dins": dins})

    assert too_few.status_code == 422 and "4 to 6 buffy coats" in too_few.json()["message"]
    assert answer.status_code == 201, answer.text
    pool = answer.json()
    assert pool["kind"] == "platelets_pooled" and pool["blood_group"] == "A+"
    assert pool["din"] not in {parse_din(d).value for d in dins} and len(pool["parent_ids"]) == 4
    assert lab.get("/api/processing/pool-candidates", params={"site_id": site}).json() == []


def test_a_unit_is_split_into_aliquots_irradiated_and_plasma_made_into_cryo(database):
    _, views = processed(database, site_id=make_site(database))
    red, plasma = unit_of(views, "red_cells"), unit_of(views, "plasma")
    lab = api(database, "lab_technician")
    scanned = printed(lab.post(f"/api/units/{red.id}/label.pdf").content)
    assert lab.post(f"/api/units/{red.id}/label-verification", json=scanned).json()["label_verified"] is True

    irradiated = lab.post(f"/api/units/{red.id}/irradiate")
    split = lab.post(f"/api/units/{red.id}/split", json={"parts": 3})
    cryo = lab.post(f"/api/units/{plasma.id}/cryo")

    assert irradiated.status_code == 200
    assert irradiated.json()["irradiated"] is True and irradiated.json()["label_verified"] is False
    assert irradiated.json()["product_code"] != red.product_code
    assert split.status_code == 201 and [a["division"] for a in split.json()] == ["A0", "B0", "C0"]
    assert cryo.status_code == 201 and cryo.json()["kind"] == "cryo"
    work = lab.get(f"/api/units/{red.id}/work").json()
    assert work["unit"]["status"] == "processed" and len(work["children"]) == 3 and work["splittable"] is False
    refused = lab.post(f"/api/units/{split.json()[0]['id']}/split", json={"parts": 2})
    assert refused.status_code == 422 and "already an aliquot" in refused.json()["message"]


def test_the_work_lists_show_what_waits_for_processing_and_for_a_label(database):
    site = make_site(database)
    waiting = make_donation(database, site_id=site)
    _, views = processed(database, site_id=site)
    lab = api(database, "lab_technician")
    lab.post(f"/api/units/{views[0].id}/label.pdf")

    awaiting = lab.get("/api/processing/donations", params={"site_id": site}).json()
    labels = lab.get("/api/units/awaiting-label", params={"site_id": site}).json()

    assert [d["donation_id"] for d in awaiting["items"]] == [waiting]
    assert labels["total"] == len(views)
    assert labels["items"][0]["unit"]["id"] == views[0].id and labels["items"][0]["label_printed_at"]


@pytest.mark.parametrize("method, path, body", [
    ("post", "/api/donations/1/process", {"method": "buffy_coat"}),
    ("post", "/api/processing/donations/by-din/process", {"din": "G1234 26 000001", "method": "prp"}),
    ("get", "/api/processing/donations/by-din?din=G123426000001", None),
    ("post", "/api/units/pools", {"site_id": 1, "donation_ids": [1, 2, 3, 4]}),
    ("post", "/api/units/1/split", {"parts": 2}),
    ("post", "/api/units/1/cryo", None),
    ("post", "/api/units/1/irradiate", None),
    ("post", "/api/units/1/label.pdf", None),
    ("post", "/api/units/1/label-verification",
     {"scanned_din": "x", "scanned_group": "y", "scanned_product": "z", "scanned_expiry": "w"}),
    ("get", "/api/units/1", None),
])
def test_a_clerk_may_not_process_or_read_units(database, method, path, body):
    client = api(database, "clerk")
    answer = getattr(client, method)(path, **({"json": body} if body is not None else {}))
    assert answer.status_code == 403 and answer.json()["code"] == "forbidden"


def test_an_inventory_manager_reads_units_but_does_not_print_labels(database):
    _, views = processed(database, site_id=make_site(database))
    client = api(database, "inventory_manager")
    assert client.get(f"/api/units/{views[0].id}").status_code == 200
    assert client.post(f"/api/units/{views[0].id}/label.pdf").status_code == 403
    assert unit_row(database, views[0].id)["label_printed_at"] is None
