"""The trace page in a browser's shoes: one search box, the whole chain, the lookback, signed recalls."""

from __future__ import annotations

import html
import re

from tests.integration.trace_fixtures import build_chain, counts, unit_status
from tests.integration.web_fixtures import PASSWORD, browser


def text_of(page: str) -> str:
    """What a person reads: the main content without tags, scripts or repeated white space."""
    main = page[page.index("<main"):]
    main = re.sub(r"<script.*?</script>", " ", main, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", main)))


def alert(page: str) -> str:
    found = re.search(r'role="alert">(.*?)</', page, re.S)
    return html.unescape(found.group(1)).strip() if found else ""


def test_searching_a_scanned_din_shows_donor_every_component_and_each_recipient(database):
    chain = build_chain(database)
    client = browser(database, "lab_technician", "lab")

    answer = client.get("/trace", params={"q": chain.dins["A"].barcode})

    assert answer.status_code == 200
    shown = text_of(answer.text)
    assert f"Trace of DIN {chain.dins['A'].eye_readable}" in shown
    assert f"Donor: {chain.donor_numbers['A']}" in shown
    for kind in ("Whole blood", "Red cells", "Plasma", "Platelets (pooled)"):  # kinds by their names
        assert kind in shown
    assert "division Aa" in shown and "division Ab" in shown
    for patient in ("P1", "P2", "P3"):  # a lab technician reads no patient: the record, not the identifiers
        assert f"Recipient: patient {chain.patients[patient]}" in shown and chain.wristbands[patient] not in shown
    assert "Tests: hbv negative; hiv negative" in shown and "(completed)" in shown
    assert f"Made from: {chain.dins['A'].eye_readable} X0001" in shown
    assert "Recall and sign" not in shown  # a lab technician traces but does not recall


def test_searching_a_donor_number_shows_the_lookback_with_every_recipient(database):
    chain = build_chain(database)
    client = browser(database, "inventory_manager", "stock")

    answer = client.get("/trace", params={"q": chain.donor_numbers["B"]})

    shown = text_of(answer.text)
    assert f"Lookback for donor {chain.donor_numbers['B']}" in shown
    assert "1 patient(s) received blood from this donor" in shown
    assert f"in pool {chain.dins['POOL'].eye_readable}" in shown and f"patient {chain.patients['P3']}" in shown
    assert chain.wristbands["P3"] not in shown and chain.wristbands["P1"] not in shown


def test_an_inventory_manager_sees_the_chain_and_where_it_went_but_no_result_and_no_identifier(database):
    chain = build_chain(database)

    shown = text_of(browser(database, "inventory_manager", "stock").get(
        "/trace", params={"q": str(chain.dins["A"])}).text)

    assert f"Recipient: patient {chain.patients['P1']}" in shown and "Plasma" in shown
    assert chain.wristbands["P1"] not in shown
    assert "Test results are shown only to roles that may read them." in shown
    assert "hiv negative" not in shown and "Current test results" not in shown


def test_a_misread_din_gets_a_clear_message_and_keeps_what_was_typed(database):
    build_chain(database)
    client = browser(database, "lab_technician", "lab")

    answer = client.get("/trace", params={"q": "G1234 26 00000"})

    assert answer.status_code == 422
    assert alert(answer.text).startswith("A DIN has 13 characters")
    assert 'value="G1234 26 00000"' in answer.text


def test_the_trace_home_lists_recently_issued_units_to_start_from(database):
    chain = build_chain(database)

    shown = text_of(browser(database, "lab_technician", "lab").get("/trace").text)

    assert "Recently issued units" in shown and chain.dins["POOL"].eye_readable in shown
    assert chain.wristbands["P1"] not in shown


def test_a_signed_recall_from_the_page_takes_the_units_out_and_shows_what_to_do(database):
    chain = build_chain(database)
    client = browser(database, "medical_director", "director")
    page = client.get("/trace", params={"q": str(chain.dins["A"])}).text
    assert "I recall every unit named in the recall of DIN" in text_of(page)

    answer = client.post("/trace/recall", data={"din": str(chain.dins["A"]), "donor_number": "",
                                                "reason": "donor reported an infection",
                                                "signature_password": PASSWORD, "csrf_token": client.csrf})

    assert answer.status_code == 303 and answer.headers["location"].startswith("/trace/recalls/")
    shown = text_of(client.get(answer.headers["location"]).text)
    assert "is open and signed: 1 unit(s) taken out of stock" in shown
    assert "taken out of stock" in shown and "transfused: the recipient needs a lookback" in shown
    assert unit_status(database, chain.units["PL_A"]) == "recalled"
    assert "donor reported an infection" in text_of(client.get("/trace/recalls").text)


def test_a_recall_with_a_wrong_signature_password_is_refused_keeps_the_form_and_recalls_nothing(database):
    chain = build_chain(database)
    client = browser(database, "medical_director", "director")
    before = counts(database)

    answer = client.post("/trace/recall", data={"din": str(chain.dins["A"]), "donor_number": "",
                                                "reason": "donor reported an infection",
                                                "signature_password": "not my password", "csrf_token": client.csrf})

    assert answer.status_code == 403
    assert alert(answer.text) == "The password does not match: the action was not signed and nothing was done."
    assert 'value="donor reported an infection"' in answer.text and f'value="{chain.dins["A"]}"' in answer.text
    after = counts(database)
    assert after["recall"] == 0 and after["statuses"] == before["statuses"]
    assert unit_status(database, chain.units["PL_A"]) == "available"


def test_a_clerk_and_an_administrator_get_403_on_the_trace_pages(database):
    chain = build_chain(database)
    for role in ("clerk", "administrator"):
        client = browser(database, role)
        assert client.get("/trace", params={"q": str(chain.dins["A"])}).status_code == 403
        assert client.get("/trace/recalls").status_code == 403
        refused = client.post("/trace/recall", data={"din": str(chain.dins["A"]), "reason": "x",
                                                     "signature_password": PASSWORD, "csrf_token": client.csrf})
        assert refused.status_code == 403
    assert unit_status(database, chain.units["PL_A"]) == "available"


def test_a_lab_technician_cannot_open_the_recall_form(database):
    build_chain(database)
    client = browser(database, "lab_technician", "lab")

    assert client.get("/trace/recall").status_code == 403


def test_every_form_on_the_trace_pages_carries_the_sessions_csrf_token(database):
    chain = build_chain(database)
    client = browser(database, "medical_director", "director")

    for page in (client.get("/trace", params={"q": str(chain.dins["A"])}).text, client.get("/trace/recall").text):
        forms = re.findall(r'<form[^>]*method="post".*?</form>', page, re.S)
        assert forms and all(f'name="csrf_token" value="{client.csrf}"' in form for form in forms)
