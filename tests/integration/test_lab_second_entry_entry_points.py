"""The second entry of a result typed by hand, through the pages, the API and the command line alike."""

import html
import re

import pytest
from typer.testing import CliRunner

from bloodbank.adapters.db.models import Donation, TestResult as ResultRow, Unit
from bloodbank.entrypoints.cli.blood import lab as cli
from bloodbank.entrypoints.cli.context import set_database_url
from bloodbank.domain.isbt128 import encode_product_code
from bloodbank.service_layer.blood.units import din_of
from tests.integration.lab_fixtures import counts, get, make_donation, make_site, make_unit, pass_all_tests, status_of
from tests.integration.web_fixtures import PASSWORD, api, browser, make_user


def awaiting_hiv(database, **unit_kw):
    """A labelled unit whose donation has every result from the analyser but HIV."""
    site = make_site(database)
    donation = make_donation(database, site_id=site)
    unit = make_unit(database, donation_id=donation, site_id=site, **unit_kw)
    pass_all_tests(database, donation, skip=("hiv",))
    return donation, unit, get(database, Donation, donation).din


def stored(database, result_id: int) -> ResultRow:
    return get(database, ResultRow, result_id)


# ---------------------------------------------------------------- the API


def test_through_the_api_a_typed_result_waits_for_a_blind_second_entry_before_the_unit_may_go(database):
    donation, unit, din = awaiting_hiv(database)
    first, second = api(database, "lab_technician", "lab.lee"), api(database, "lab_technician", "lab.kim")
    typed = first.post("/api/lab/results", json={"din": din, "test": "hiv", "outcome": "negative"})
    assert typed.status_code == 201 and typed.json()["check"] == "awaiting_second_entry"
    result_id = typed.json()["id"]
    check = first.get(f"/api/lab/units/{unit}/release-check").json()
    assert [b["code"] for b in check["blockers"]] == ["awaiting_second_entry"] and not check["may_release"]
    refused = first.post(f"/api/lab/units/{unit}/release", json={"signature_password": PASSWORD})
    assert refused.status_code == 409 and status_of(database, unit) == "quarantined"
    board = first.get("/api/lab/quarantine", params={"state": "awaiting second entry"}).json()
    assert [(i["unit_id"], i["awaiting_second_entry"]) for i in board["items"]] == [(unit, ["HIV"])]

    listed = second.get("/api/lab/second-entries", params={"din": din})
    assert listed.status_code == 200
    [item] = listed.json()["items"]
    assert item["result_id"] == result_id and item["test"] == "hiv" and item["recorded_by"] == "lab.lee"
    assert "outcome" not in item and "value" not in item and "negative" not in listed.text

    given = second.post(f"/api/lab/results/{result_id}/second-entry", json={"outcome": "negative"})
    assert given.status_code == 201, given.text
    assert (given.json()["check"], given.json()["second_entry_by"]) == ("verified", "lab.kim")
    assert first.get(f"/api/lab/units/{unit}/release-check").json()["may_release"]
    row = get(database, Unit, unit)
    released = first.post(f"/api/lab/units/{unit}/release", json={
        "signature_password": PASSWORD, "scanned_din": din_of(row.din).barcode,
        "scanned_product_code": encode_product_code(row.product_code, "V", row.division)})
    assert released.status_code == 200, released.text


def test_through_the_api_a_disagreeing_second_entry_is_kept_answers_409_and_names_the_group(database):
    site = make_site(database)
    donation = make_donation(database, site_id=site)
    unit = make_unit(database, donation_id=donation, site_id=site, blood_group=None)
    pass_all_tests(database, donation, skip=("abo_rh",))
    client = api(database, "lab_technician")
    typed = client.post("/api/lab/results", json={"donation_id": donation, "test": "abo_rh", "outcome": "typed",
                                                  "value": "A+"}).json()
    answer = client.post(f"/api/lab/results/{typed['id']}/second-entry", json={"outcome": "typed", "value": "A-"})
    assert answer.status_code == 409
    body = answer.json()
    assert body["code"] == "second_entry_disagrees"
    assert "Second entry disagrees on the ABO/RhD group: first A+, second A-" in body["message"]
    assert (stored(database, typed["id"]).value, stored(database, typed["id"]).second_entry_value) == ("A+", "A-")
    blockers = client.get(f"/api/lab/units/{unit}/release-check").json()["blockers"]
    assert [b["code"] for b in blockers] == ["entries_disagree"]
    [result] = [r for r in client.get(f"/api/lab/donations/{donation}/results").json() if r["test"] == "abo_rh"]
    assert result["check"] == "disputed" and result["second_entry_value"] == "A-"


def test_through_the_api_a_batch_from_an_analyser_needs_no_second_entry(database):
    donation = make_donation(database, site_id=make_site(database))
    din = get(database, Donation, donation).din
    client = api(database, "lab_technician")
    batch = client.post("/api/lab/results/batch", json={"rows": [{"din": din, "test": "hiv", "outcome": "negative"}]})
    [accepted] = batch.json()["accepted"]
    assert (accepted["result"]["source"], accepted["result"]["check"]) == ("analyser", "not_needed")
    assert client.get("/api/lab/second-entries").json()["items"] == []
    answer = client.post(f"/api/lab/results/{accepted['result']['id']}/second-entry", json={"outcome": "negative"})
    assert answer.status_code == 422 and "needs no second entry" in answer.json()["message"]


def test_through_the_api_a_wrong_second_entry_is_refused_in_words_never_a_500(database):
    donation, _, din = awaiting_hiv(database)
    client = api(database, "lab_technician")
    typed = client.post("/api/lab/results", json={"din": din, "test": "hiv", "outcome": "negative"}).json()
    before = counts(database)
    missing = client.post("/api/lab/results/999999/second-entry", json={"outcome": "negative"})
    assert missing.status_code == 404 and "No test result with id 999999" in missing.json()["message"]
    unreadable = client.post(f"/api/lab/results/{typed['id']}/second-entry", json={"outcome": "negitive"})
    assert unreadable.status_code == 422 and "not a HIV outcome" in unreadable.json()["message"]
    assert counts(database) == before
    assert client.post(f"/api/lab/results/{typed['id']}/second-entry",
                       json={"outcome": "negative"}).status_code == 201
    again = client.post(f"/api/lab/results/{typed['id']}/second-entry", json={"outcome": "negative"})
    assert again.status_code == 409 and "already has its second entry" in again.json()["message"]


def test_the_second_entry_needs_the_permission_to_record_results(database):
    donation, _, din = awaiting_hiv(database)
    lab_client = api(database, "lab_technician")
    typed = lab_client.post("/api/lab/results", json={"din": din, "test": "hiv", "outcome": "negative"}).json()
    inventory = api(database, "inventory_manager")
    assert inventory.get("/api/lab/second-entries").status_code == 403
    assert inventory.post(f"/api/lab/results/{typed['id']}/second-entry",
                          json={"outcome": "negative"}).status_code == 403
    assert stored(database, typed["id"]).second_entry_at is None


# ---------------------------------------------------------------- the pages


def text_of(answer) -> str:
    return html.unescape(answer.text)


def test_on_the_pages_results_typed_in_the_table_wait_for_a_blind_second_entry(database):
    site = make_site(database)
    donation = make_donation(database, site_id=site)
    unit = make_unit(database, donation_id=donation, site_id=site, blood_group="AB-")
    pass_all_tests(database, donation, skip=("abo_rh",), group="AB-")
    din = get(database, Donation, donation).din
    first = browser(database, "lab_technician", "lab.lee")
    recorded = first.post("/lab/results", data={"csrf_token": first.csrf, "rows": "1", "din_1": din,
                                                "test_1": "abo_rh", "outcome_1": "typed", "group_1": "AB-"})
    assert recorded.status_code == 200
    assert "1 typed by hand wait for a second entry" in text_of(recorded)
    home = text_of(first.get("/lab"))
    assert "awaiting second entry" in home and "Second entry: ABO/RhD grouping" in home
    assert "Second entry (1 waiting)" in home

    second = browser(database, "lab_technician", "lab.kim")
    listed = second.get("/lab/second-entry")
    [result_id] = re.findall(r'href="/lab/second-entry/(\d+)"', listed.text)
    assert din_of(din).eye_readable in text_of(listed) and "AB-" not in text_of(listed)
    form = second.get(f"/lab/second-entry/{result_id}")
    assert form.status_code == 200 and "AB-" not in text_of(form) and 'name="group"' in form.text
    done = second.post(f"/lab/second-entry/{result_id}", data={"csrf_token": second.csrf, "group": "AB-"})
    assert done.status_code == 200 and "verified: both entries agree" in text_of(done)
    assert stored(database, int(result_id)).second_entry_by == "lab.kim"
    check = first.get("/lab/release", params={"unit_id": unit})
    assert "awaiting a second entry" not in text_of(check)


def test_on_the_pages_a_disagreeing_second_entry_is_shown_with_the_field_and_kept(database):
    donation, unit, din = awaiting_hiv(database)
    client = browser(database, "lab_technician")
    client.post("/lab/results", data={"csrf_token": client.csrf, "rows": "1", "din_1": din, "test_1": "hiv",
                                      "outcome_1": "negative"})
    [result_id] = re.findall(r'href="/lab/second-entry/(\d+)"', client.get("/lab/second-entry").text)
    answer = client.post(f"/lab/second-entry/{result_id}", data={"csrf_token": client.csrf,
                                                                  "outcome": "indeterminate"})
    assert answer.status_code == 409
    assert "Second entry disagrees on the HIV outcome: first negative, second indeterminate" in text_of(answer)
    assert stored(database, int(result_id)).second_entry_outcome == "indeterminate"
    results = text_of(client.get("/lab/donation", params={"din": din}))
    assert "Second entry disagrees on the HIV outcome" in results
    assert status_of(database, unit) == "quarantined"


def test_on_the_pages_an_unreadable_second_entry_keeps_the_blind_form_and_stores_nothing(database):
    donation, _, din = awaiting_hiv(database)
    client = browser(database, "lab_technician")
    client.post("/lab/results", data={"csrf_token": client.csrf, "rows": "1", "din_1": din, "test_1": "hiv",
                                      "outcome_1": "negative"})
    [result_id] = re.findall(r'href="/lab/second-entry/(\d+)"', client.get("/lab/second-entry").text)
    answer = client.post(f"/lab/second-entry/{result_id}", data={"csrf_token": client.csrf, "outcome": ""})
    assert answer.status_code == 422 and 'name="outcome"' in answer.text
    assert stored(database, int(result_id)).second_entry_at is None
    missing = client.get("/lab/second-entry/999999")
    assert missing.status_code == 404 and "No test result with id 999999" in text_of(missing)


def test_on_the_pages_an_analysers_file_needs_no_second_entry(database):
    donation, unit, din = awaiting_hiv(database)
    client = browser(database, "lab_technician")
    answer = client.post("/lab/results/csv", data={"csrf_token": client.csrf},
                         files={"file": ("results.csv", f"{din},hiv,negative\n".encode(), "text/csv")})
    assert answer.status_code == 200 and "wait for a second entry" not in text_of(answer)
    assert "No result typed by hand is waiting" in text_of(client.get("/lab/second-entry"))
    assert "ready for release" in text_of(client.get("/lab"))


# ---------------------------------------------------------------- the command line

runner = CliRunner()


@pytest.fixture
def run(database):
    set_database_url(database.url)
    make_user(database, "lab_technician", "lab.lee")
    make_user(database, "lab_technician", "lab.kim")
    yield lambda *args, user="lab.lee": runner.invoke(
        cli.app, [str(a) for a in args], env={"BLOODBANK_USER": user, "BLOODBANK_PASSWORD": PASSWORD,
                                              "COLUMNS": "250"})
    set_database_url(None)


def said(result) -> str:
    return " ".join(result.output.split())


def test_from_the_command_line_a_typed_result_waits_for_its_second_entry(database, run):
    donation, unit, din = awaiting_hiv(database)
    recorded = run("result", din, "hiv", "negative")
    assert recorded.exit_code == 0 and "Awaiting a second entry" in said(recorded)
    result_id = int(re.search(r"Result (\d+):", recorded.output).group(1))
    refused = run("release", unit)
    assert refused.exit_code == 1 and "HIV result typed by hand, awaiting a second entry" in said(refused)
    listed = run("second-entries", "--din", din, user="lab.kim")
    assert listed.exit_code == 0 and str(result_id) in listed.output and "HIV" in listed.output
    assert din_of(din).eye_readable in listed.output
    assert "negative" not in listed.output
    assert run("quarantine").output.count("second entry: HIV") == 1
    given = run("second-entry", result_id, "negative", user="lab.kim")
    assert given.exit_code == 0 and "Verified" in said(given)
    assert "verified by lab.kim" in said(run("results", din))
    released = run("release", unit)
    assert released.exit_code == 0, released.output


def test_from_the_command_line_a_disagreeing_second_entry_names_the_group_and_exits_1(database, run):
    site = make_site(database)
    donation = make_donation(database, site_id=site)
    make_unit(database, donation_id=donation, site_id=site, blood_group=None)
    din = get(database, Donation, donation).din
    recorded = run("result", din, "abo_rh", "B+")
    result_id = int(re.search(r"Result (\d+):", recorded.output).group(1))
    answer = run("second-entry", result_id, "typed", "--value", "B-", user="lab.kim")
    assert answer.exit_code == 1
    assert "Second entry disagrees on the ABO/RhD group: first B+, second B-" in said(answer)
    assert stored(database, result_id).second_entry_value == "B-"
    assert "Second entry disagrees on the ABO/RhD group" in said(run("results", din))


def test_from_the_command_line_an_analysers_file_needs_no_second_entry(database, run, tmp_path):
    donation, unit, din = awaiting_hiv(database)
    path = tmp_path / "results.csv"
    path.write_text(f"din,test,outcome\n{din},hiv,negative\n")
    assert run("batch", path).exit_code == 0
    assert "No result typed by hand is waiting" in said(run("second-entries"))
    assert f"Unit {unit} passes every release check" in said(run("why", unit))
    assert run("release", unit).exit_code == 0
