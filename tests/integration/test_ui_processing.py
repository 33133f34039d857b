"""The processing bench in the browser: find by DIN, make components, print and scan back labels, pool, split,
irradiate. Every refusal shows its message and keeps what was scanned."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from bloodbank.adapters.db.models import Donation
from bloodbank.domain.isbt128 import encode_expiry, encode_product_code, parse_din, parse_expiry
from tests.integration.processing_fixtures import (
    as_printed, counts, make_donation, make_site, printed, processed, unit_of, unit_row,
)
from tests.integration.web_fixtures import browser


POST_FORM = re.compile(r'<form[^>]*method="post"[^>]*>(.*?)</form>', re.S)


def assert_forms_carry_the_session_token(client, answer) -> None:
    """A browser posts the page's own token, not the test's: every form on the page must hold it."""
    forms = POST_FORM.findall(answer.text)
    assert len(forms) > 1  # the logout form and at least one of the page's own
    for form in forms:
        assert f'name="csrf_token" value="{client.csrf}"' in form, form[:200]


def page_text(answer) -> str:
    """The page as a reader sees it: its text without the markup (a DIN's boxed check is its own element)."""
    return re.sub(r"<[^>]+>", "", html.unescape(answer.text))


def din_of_donation(database, donation_id: int) -> str:
    with database.sessions() as session:
        return session.get(Donation, donation_id).din


def product_scan(unit) -> str:
    return encode_product_code(unit.product_code, "V", unit.division)


def test_the_bench_shows_donations_to_process_and_labels_to_check(database):
    site = make_site(database)
    waiting = make_donation(database, site_id=site)
    _, views = processed(database, site_id=site)
    client = browser(database, "lab_technician")
    client.post(f"/processing/units/{views[0].id}/label.pdf", data={"csrf_token": client.csrf})
    waiting_din = parse_din(din_of_donation(database, waiting))

    answer = client.get("/processing")

    assert answer.status_code == 200
    text = page_text(answer)
    assert "Donations waiting to be processed" in text and "Labels to print or scan back" in text
    assert re.search(r"Printed .* UTC, not scanned back", text)
    assert f'href="/processing/units/{views[0].id}"' in answer.text
    assert f'href="/processing?din={waiting_din}"' in answer.text and waiting_din.eye_readable in text
    assert 'data-scan="din"' in answer.text and 'name="din"' in answer.text


def test_a_lab_technician_processes_a_donation_by_its_din_and_verifies_the_red_cell_label(database):
    donation_id = make_donation(database, site_id=make_site(database), group="B-")
    client = browser(database, "lab_technician")
    din = parse_din(din_of_donation(database, donation_id))

    found = client.get("/processing", params={"din": din.barcode})
    assert found.status_code == 200
    assert "Process into components" in found.text and din.eye_readable in page_text(found)
    assert_forms_carry_the_session_token(client, found)

    made = client.post("/processing/process", data={"din": str(din), "method": "buffy_coat", "leucoreduced": "",
                                                    "csrf_token": client.csrf})
    assert made.status_code == 303
    bench = client.get(made.headers["location"])
    assert "Components made, in quarantine" in bench.text and "Units made from this donation" in bench.text
    red_id = int(re.search(r'href="/processing/units/(\d+)">Open red cells unit', bench.text).group(1))
    red = client.get(f"/api/units/{red_id}").json()

    label = client.post(f"/processing/units/{red_id}/label.pdf", data={"csrf_token": client.csrf})
    assert label.status_code == 200 and label.headers["content-type"] == "application/pdf"
    unit_page = client.get(f"/processing/units/{red_id}")
    assert "not scanned back yet" in unit_page.text
    assert_forms_carry_the_session_token(client, unit_page)
    scanned = printed(label.content)
    assert scanned["scanned_din"] == din.barcode and scanned["scanned_group"] == "=%1700"
    assert scanned["scanned_product"] == encode_product_code(red["product_code"], "V", red["division"])

    verified = client.post(f"/processing/units/{red_id}/verify-label", data={**scanned, "csrf_token": client.csrf})

    assert verified.status_code == 303
    page = client.get(verified.headers["location"])
    assert "Label verified" in page.text and "<strong>Verified</strong>" in page.text
    assert unit_row(database, red_id)["label_verified_by"] == "lab-technician"


def test_a_din_with_a_wrong_check_character_is_refused_naming_it_and_kept_in_the_field(database):
    donation_id = make_donation(database, site_id=make_site(database))
    din = parse_din(din_of_donation(database, donation_id))
    wrong = "Z" if din.check != "Z" else "Y"
    typed = f"{din.facility} {din.year} {din.serial} {wrong}"
    client = browser(database, "lab_technician")

    answer = client.get("/processing", params={"din": typed})

    assert answer.status_code == 422
    assert f"Check character '{wrong}' does not match DIN {din} (expected '{din.check}')" in page_text(answer)
    assert f'value="{typed}"' in answer.text


def test_the_label_form_asks_for_the_four_barcodes_in_the_labels_order_each_read_as_scanned(database):
    _, views = processed(database, site_id=make_site(database))
    client = browser(database, "lab_technician")

    page = client.get(f"/processing/units/{views[0].id}")

    [form] = re.findall(r'<form[^>]*action="/processing/units/\d+/verify-label"[^>]*>(.*?)</form>', page.text, re.S)
    fields = re.findall(r'<input id="f-(\w+)" name="\1"[^>]*data-scan="(\w+)"', form)
    assert fields == [("scanned_din", "din"), ("scanned_group", "blood_group"),
                      ("scanned_product", "product_code"), ("scanned_expiry", "expiry")]
    assert 'type=' not in "".join(re.findall(r'<input id="f-scanned[^>]*>', form))  # plain text boxes
    assert "<kbd>Enter</kbd> moves to the next box" in form


def test_a_label_from_the_wrong_unit_is_refused_and_the_scans_are_kept(database):
    _, views = processed(database, site_id=make_site(database))
    red, plasma = unit_of(views, "red_cells"), unit_of(views, "plasma")
    client = browser(database, "lab_technician")
    scanned = printed(client.post(f"/processing/units/{red.id}/label.pdf", data={"csrf_token": client.csrf}).content)
    before = counts(database)

    answer = client.post(f"/processing/units/{red.id}/verify-label",
                         data={**scanned, "scanned_product": product_scan(plasma), "csrf_token": client.csrf})

    assert answer.status_code == 409
    assert f"Label mismatch on {red.din_eye_readable}: the product scanned is {plasma.product_code}" in page_text(answer)
    assert f'value="{scanned["scanned_din"]}"' in answer.text
    assert f'value="{html.escape(product_scan(plasma))}"' in answer.text
    assert counts(database) == before


def test_a_label_for_another_group_is_refused_saying_both_groups_and_the_scans_are_kept(database):
    _, views = processed(database, site_id=make_site(database), group="B-")
    red = unit_of(views, "red_cells")
    client = browser(database, "lab_technician")
    scanned = printed(client.post(f"/processing/units/{red.id}/label.pdf", data={"csrf_token": client.csrf}).content)
    before = counts(database)

    answer = client.post(f"/processing/units/{red.id}/verify-label",
                         data={**scanned, "scanned_group": "=%6200", "csrf_token": client.csrf})

    assert answer.status_code == 409
    assert (f"Label mismatch on {red.din_eye_readable}: the blood group scanned is A RhD positive (=%6200), "
            "this unit is B RhD negative (=%1700).") in page_text(answer)
    assert "print this unit's label again and scan the new one" in page_text(answer)
    assert 'value="=%6200"' in answer.text and f'value="{html.escape(scanned["scanned_expiry"])}"' in answer.text
    assert counts(database) == before and unit_row(database, red.id)["label_verified_at"] is None


def test_a_label_with_another_expiry_is_refused_saying_both_dates(database):
    _, views = processed(database, site_id=make_site(database))
    red = unit_of(views, "red_cells")
    client = browser(database, "lab_technician")
    scanned = printed(client.post(f"/processing/units/{red.id}/label.pdf", data={"csrf_token": client.csrf}).content)
    right = parse_expiry(scanned["scanned_expiry"])
    wrong = right + timedelta(days=7)
    before = counts(database)

    answer = client.post(f"/processing/units/{red.id}/verify-label",
                         data={**scanned, "scanned_expiry": encode_expiry(wrong), "csrf_token": client.csrf})

    assert answer.status_code == 409
    assert (f"Label mismatch on {red.din_eye_readable}: the expiry scanned is {as_printed(wrong)} "
            f"({encode_expiry(wrong)}), this unit expires {as_printed(right)} ({scanned['scanned_expiry']}).") \
        in page_text(answer)
    assert counts(database) == before and unit_row(database, red.id)["label_verified_at"] is None


def test_a_product_code_scanned_into_the_group_box_is_refused_naming_it(database):
    _, views = processed(database, site_id=make_site(database))
    red = unit_of(views, "red_cells")
    client = browser(database, "lab_technician")
    scanned = printed(client.post(f"/processing/units/{red.id}/label.pdf", data={"csrf_token": client.csrf}).content)
    before = counts(database)

    answer = client.post(f"/processing/units/{red.id}/verify-label",
                         data={**scanned, "scanned_group": scanned["scanned_product"], "csrf_token": client.csrf})

    assert answer.status_code == 422
    assert "This barcode is a product code, not a blood group" in page_text(answer)
    assert counts(database) == before


def test_a_label_scanned_without_its_group_or_expiry_is_refused(database):
    _, views = processed(database, site_id=make_site(database))
    red = unit_of(views, "red_cells")
    client = browser(database, "lab_technician")
    scanned = printed(client.post(f"/processing/units/{red.id}/label.pdf", data={"csrf_token": client.csrf}).content)

    no_group = client.post(f"/processing/units/{red.id}/verify-label",
                           data={**scanned, "scanned_group": "", "csrf_token": client.csrf})
    no_expiry = client.post(f"/processing/units/{red.id}/verify-label",
                            data={**scanned, "scanned_expiry": "", "csrf_token": client.csrf})

    assert no_group.status_code == 422 and "No blood group code was given" in page_text(no_group)
    assert no_expiry.status_code == 422 and "No expiry date was given" in page_text(no_expiry)
    assert unit_row(database, red.id)["label_verified_at"] is None


def test_an_unfinished_donation_is_not_processed_and_nothing_is_made(database):
    donation_id = make_donation(database, site_id=make_site(database), status="in_progress")
    din = din_of_donation(database, donation_id)
    client = browser(database, "lab_technician")
    before = counts(database)

    page = client.get("/processing", params={"din": din})
    forced = client.post("/processing/process", data={"din": din, "method": "prp", "csrf_token": client.csrf})

    assert "still in progress: finish the collection first" in page.text and "Process into components" not in page.text
    assert forced.status_code == 409 and "still in progress" in forced.text
    assert counts(database) == before


def test_buffy_coats_are_pooled_from_scanned_dins_and_a_short_pool_keeps_the_scans(database):
    site = make_site(database)
    dins = [parse_din(processed(database, site_id=site, group="O+")[1][0].din) for _ in range(4)]
    client = browser(database, "lab_technician")
    scans = {f"din_{n}": d.barcode for n, d in enumerate(dins, start=1)}

    short = client.post("/processing/pool", data={**{k: v for k, v in scans.items() if k != "din_4"},
                                                  "site_id": str(site), "csrf_token": client.csrf})
    made = client.post("/processing/pool", data={**scans, "site_id": str(site), "csrf_token": client.csrf})

    assert short.status_code == 422 and "4 to 6 buffy coats; 3 given" in page_text(short)
    assert f'value="{dins[2].barcode}"' in short.text
    assert made.status_code == 303
    page = client.get(made.headers["location"])
    assert "Pool made under its own DIN" in page.text and "platelets (pooled)" in page.text


def test_a_unit_is_split_and_irradiated_from_its_page_and_a_bad_volume_is_kept(database):
    _, views = processed(database, site_id=make_site(database))
    red = unit_of(views, "red_cells")
    client = browser(database, "lab_technician")

    irradiated = client.post(f"/processing/units/{red.id}/irradiate", data={"csrf_token": client.csrf})
    bad = client.post(f"/processing/units/{red.id}/split", data={"parts": "2", "volume_each_ml": "a lot",
                                                                "csrf_token": client.csrf})
    split = client.post(f"/processing/units/{red.id}/split", data={"parts": "2", "volume_each_ml": "",
                                                                  "csrf_token": client.csrf})

    assert irradiated.status_code == 303 and "Print the new label" in client.get(irradiated.headers["location"]).text
    assert unit_row(database, red.id)["irradiated"] is True
    assert bad.status_code == 422 and "must be a whole number; got 'a lot'" in page_text(bad)
    assert 'value="a lot"' in bad.text
    assert split.status_code == 303
    page = client.get(split.headers["location"])
    assert "Aliquots made" in page.text and "Made from this unit" in page.text
    assert page.text.count("Open red cells unit") == 2


def test_staff_without_the_processing_permission_are_refused_the_bench(database):
    _, views = processed(database, site_id=make_site(database))
    for role in ("clerk", "phlebotomist"):
        client = browser(database, role)
        assert client.get("/processing").status_code == 403
        assert client.get(f"/processing/units/{views[0].id}").status_code == 403
        refused = client.post(f"/processing/units/{views[0].id}/label.pdf", data={"csrf_token": client.csrf})
        assert refused.status_code == 403
    assert unit_row(database, views[0].id)["label_printed_at"] is None
