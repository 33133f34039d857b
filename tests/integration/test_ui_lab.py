"""The lab's pages as a browser uses them: batch entry, CSV upload, quarantine, release with scan-back."""

import html
import re

import pytest
from sqlalchemy import select

from bloodbank.adapters.db.models import Donation, Signature, TestResult as ResultRow, Unit
from bloodbank.domain.isbt128 import encode_product_code, parse_din
from bloodbank.service_layer.blood.testing import record_result
from bloodbank.service_layer.blood.units import din_of
from tests.integration.lab_fixtures import (
    counts, get, lab, make_donation, make_site, make_unit, pass_all_tests, status_of,
)
from tests.integration.web_fixtures import PASSWORD, browser


def text_of(answer) -> str:
    return html.unescape(answer.text)


def donation_with_unit(database, **unit_kw):
    site = make_site(database)
    donation = make_donation(database, site_id=site)
    unit = make_unit(database, donation_id=donation, site_id=site, **unit_kw)
    return donation, unit


def bag(database, unit_id: int) -> dict:
    row = get(database, Unit, unit_id)
    return {"scanned_din": din_of(row.din).barcode,
            "scanned_product": encode_product_code(row.product_code, "V", row.division)}


def stored_tests(database, donation_id: int) -> list[str]:
    with database.sessions() as s:
        return sorted(s.execute(select(ResultRow.test).where(ResultRow.donation_id == donation_id)).scalars())


def test_the_lab_home_shows_the_result_table_and_the_quarantine_list_with_what_each_unit_lacks(database):
    donation, unit = donation_with_unit(database)
    pass_all_tests(database, donation, skip=("hbv",))
    client = browser(database, "lab_technician")
    page = client.get("/lab")
    assert page.status_code == 200
    text = text_of(page)
    assert "Enter results" in text and 'data-scan="din"' in page.text and 'name="din_1"' in page.text
    assert "Record results" in text and "Upload results" in text
    din = parse_din(get(database, Donation, donation).din)
    assert din.eye_readable in re.sub(r"<[^>]+>", "", text)  # as under the label's barcode, its check boxed
    assert "awaiting results" in text and "Results: HBV" in text
    assert f'href="/lab/release?unit_id={unit}"' in page.text


def test_filling_in_a_donations_tests_puts_one_row_per_test_still_to_enter(database):
    donation, _ = donation_with_unit(database)
    record_result(lab(database), donation_id=donation, test="hiv", outcome="negative")
    client = browser(database, "lab_technician")
    din = get(database, Donation, donation).din
    page = client.get("/lab", params={"fill_din": din})
    assert page.status_code == 200
    eye = din_of(din).eye_readable
    assert f'name="din_1" value="{eye}"' in page.text
    selected = [code for code in ("abo_rh", "antibody_screen", "hbv", "hcv", "syphilis")
                if f'<option value="{code}" selected>' in page.text]
    assert selected == ["abo_rh", "antibody_screen", "hbv", "hcv", "syphilis"]
    assert '<option value="hiv" selected>' not in page.text  # already has a final result


def test_a_batch_keeps_the_accepted_rows_and_shows_each_refused_row_with_its_reason(database):
    donation, unit = donation_with_unit(database)
    din = get(database, Donation, donation).din
    client = browser(database, "lab_technician")
    answer = client.post("/lab/results", data={
        "csrf_token": client.csrf, "rows": "4",
        "din_1": din, "test_1": "abo_rh", "outcome_1": "typed", "group_1": "A+",
        "din_2": din, "test_2": "hiv", "outcome_2": "negative",
        "din_3": din, "test_3": "hcv", "outcome_3": "",
        "din_4": "G123426999999", "test_4": "hbv", "outcome_4": "negative",
    })
    assert answer.status_code == 422
    text = text_of(answer)
    assert "2 result(s) recorded." in text and "2 row(s) refused" in text
    assert "Refused: '' is not a HCV outcome" in text
    assert "Refused: No donation with DIN" in text
    assert 'id="recorded"' in answer.text and "ABO/RhD grouping" in text and "A+" in text
    # The refused rows stay in the table, as typed, to be corrected.
    assert f'name="din_1" value="{din}"' in answer.text and 'name="test_1"' in answer.text
    assert 'name="din_2" value="G123426999999"' in answer.text
    assert stored_tests(database, donation) == ["abo_rh", "hiv"]


def test_a_reactive_marker_entered_in_the_batch_says_the_units_were_discarded(database):
    donation, unit = donation_with_unit(database)
    client = browser(database, "lab_technician")
    answer = client.post("/lab/results", data={
        "csrf_token": client.csrf, "rows": "1",
        "din_1": get(database, Donation, donation).din, "test_1": "hiv", "outcome_1": "reactive"})
    assert answer.status_code == 200
    assert "1 unit(s) discarded" in text_of(answer)
    assert status_of(database, unit) == "discarded"


def test_a_csv_file_uploaded_from_the_page_keeps_the_good_rows(database):
    donation, _ = donation_with_unit(database)
    din = get(database, Donation, donation).din
    client = browser(database, "lab_technician")
    data = f"din,test,outcome,value\n{din},hiv,negative\n{din},hbv\n{din},abo_rh,typed,O+\n".encode()
    answer = client.post("/lab/results/csv", data={"csrf_token": client.csrf},
                         files={"file": ("results.csv", data, "text/csv")})
    assert answer.status_code == 422
    text = text_of(answer)
    assert "2 result(s) recorded." in text and "line 3: expected din,test,outcome" in text
    assert stored_tests(database, donation) == ["abo_rh", "hiv"]


def test_the_bag_scanned_shows_the_unit_its_blockers_and_the_signature_box(database):
    donation, unit = donation_with_unit(database)
    pass_all_tests(database, donation, skip=("syphilis",))
    scanned = bag(database, unit)
    client = browser(database, "lab_technician")
    page = client.get("/lab/release", params={"din": scanned["scanned_din"],
                                              "product_code": scanned["scanned_product"]})
    assert page.status_code == 200
    text = text_of(page)
    assert "Syphilis test has no final result" in text
    assert "Electronic signature" in text and "Your password, to sign" in text
    assert "I confirm that unit" in text and "meets every release requirement" in text
    assert "Sign and release" in text


def test_releasing_from_the_page_with_a_wrong_password_keeps_the_unit_in_quarantine(database):
    donation, unit = donation_with_unit(database)
    pass_all_tests(database, donation)
    client = browser(database, "lab_technician")
    answer = client.post("/lab/release", data={"csrf_token": client.csrf, "unit_id": unit,
                                               "signature_password": "not my password", **bag(database, unit)})
    assert answer.status_code == 403
    assert "The password does not match" in text_of(answer)
    assert "Sign and release" in text_of(answer)  # the form is there again to try once more
    assert status_of(database, unit) == "quarantined"


def test_releasing_from_the_page_with_scan_back_and_signature_puts_the_unit_in_stock(database):
    donation, unit = donation_with_unit(database)
    pass_all_tests(database, donation)
    client = browser(database, "lab_technician")
    answer = client.post("/lab/release", data={"csrf_token": client.csrf, "unit_id": unit,
                                               "signature_password": PASSWORD, **bag(database, unit)})
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/lab/release?released={unit}"
    assert status_of(database, unit) == "available"
    shown = text_of(client.get(answer.headers["location"]))
    assert "Released" in shown and "Signed by" in shown and "Test lab_technician" in shown
    with database.sessions() as s:
        signature = s.execute(select(Signature).where(Signature.entity_id == str(unit))).scalar_one()
    assert signature.meaning in shown


def test_a_release_refused_on_the_page_shows_every_blocker_and_changes_nothing(database):
    donation, unit = donation_with_unit(database, label_verified=False)
    pass_all_tests(database, donation, skip=("hiv", "abo_rh"))
    client = browser(database, "lab_technician")
    before = counts(database)
    answer = client.post("/lab/release", data={"csrf_token": client.csrf, "unit_id": unit,
                                               "signature_password": PASSWORD, **bag(database, unit)})
    assert answer.status_code == 409
    text = text_of(answer)
    assert "Release refused: nothing was changed" in text
    for blocker in ("label has not been verified", "No ABO/RhD typing", "HIV test has no final result"):
        assert blocker in text
    assert counts(database) == before


def test_a_release_without_the_scan_back_is_refused_with_a_clear_message(database):
    donation, unit = donation_with_unit(database)
    pass_all_tests(database, donation)
    client = browser(database, "lab_technician")
    answer = client.post("/lab/release", data={"csrf_token": client.csrf, "unit_id": unit,
                                               "signature_password": PASSWORD})
    assert answer.status_code == 422
    assert "Scan the DIN and the product code of the bag" in text_of(answer)
    assert status_of(database, unit) == "quarantined"


def test_a_donations_results_page_shows_corrections_and_corrects_with_a_reason(database):
    donation, _ = donation_with_unit(database)
    pass_all_tests(database, donation)
    din = get(database, Donation, donation).din
    client = browser(database, "lab_technician")
    page = client.get("/lab/donation", params={"din": din})
    assert page.status_code == 200 and "Correct the result" in text_of(page)
    with database.sessions() as s:
        hiv = s.execute(select(ResultRow.id).where(ResultRow.donation_id == donation,
                                                   ResultRow.test == "hiv")).scalar_one()
    missing = client.post("/lab/results/correct", data={"csrf_token": client.csrf, "result_id": hiv,
                                                        "din": din, "outcome": "indeterminate", "reason": ""})
    assert missing.status_code == 422 and "needs a reason" in text_of(missing)
    assert 'value="indeterminate" selected' in missing.text  # what was typed is kept
    done = client.post("/lab/results/correct", data={"csrf_token": client.csrf, "result_id": hiv, "din": din,
                                                     "outcome": "indeterminate", "reason": "Repeat test"})
    assert done.status_code == 200 and "corrected" in text_of(done) and "replaced by result" in text_of(done)


@pytest.mark.parametrize("method, path", [
    ("get", "/lab"), ("get", "/lab/release"), ("get", "/lab/donation"), ("get", "/lab/follow-ups"),
    ("post", "/lab/results"), ("post", "/lab/release"),
])
def test_a_clerks_browser_session_cannot_reach_a_lab_or_release_page(database, method, path):
    client = browser(database, "clerk")
    data = {"data": {"csrf_token": client.csrf, "unit_id": "1", "signature_password": PASSWORD}} \
        if method == "post" else {}
    answer = getattr(client, method)(path, **data)
    assert answer.status_code == 403
    assert "does not allow this" in text_of(answer)


def test_a_clerks_browser_session_cannot_release_a_unit_nor_read_the_quarantine_through_the_api(database):
    donation, unit = donation_with_unit(database)
    pass_all_tests(database, donation)
    client = browser(database, "clerk")
    headers = {"X-CSRF-Token": client.csrf}
    assert client.get("/api/lab/quarantine").status_code == 403
    assert client.post(f"/api/lab/units/{unit}/release", json={"signature_password": PASSWORD},
                       headers=headers).status_code == 403
    assert status_of(database, unit) == "quarantined"
    assert 'href="/lab"' not in client.get("/").text  # no link to a page the clerk may not open


def test_every_form_on_the_lab_pages_carries_the_sessions_own_token(database):
    donation, unit = donation_with_unit(database)
    pass_all_tests(database, donation)
    client = browser(database, "lab_technician")
    for path in ("/lab", f"/lab/release?unit_id={unit}",
                 f"/lab/donation?din={get(database, Donation, donation).din}"):
        page = client.get(path).text
        forms = page.count('method="post"')
        tokens = re.findall(r'name="csrf_token" value="([^"]*)"', page)
        assert len(tokens) >= forms and set(tokens) == {client.csrf}, path
