"""Each unit a recall reached stays on the home page of those who must act until they record what they did."""

import pytest

from bloodbank.domain.errors import Conflict, InvalidInput
from bloodbank.service_layer.traceability.recall import recall
from bloodbank.service_layer.traceability.recall_follow_up import open_recall_tasks, record_handling
from tests.integration.trace_fixtures import (
    audit_actions, build_chain, clerk, issue_unit, make_hospital, make_patient, make_unit,
)
from tests.integration.web_fixtures import api, browser, every_hospital


def recalled_donor_b(database):
    """Donor B's red cells taken out of stock, a plasma issued to a ward, a pool already transfused."""
    chain = build_chain(database)
    issued = make_unit(database, din=chain.dins["B"], kind="plasma", site_id=chain.site_id, status="available",
                       donation_id=chain.donations["B"], parents=(chain.units["WB_B"],))
    patient_id, _ = make_patient(database, chain.hospital_id)
    issue_unit(database, issued, patient_id, chain.hospital_id)
    view = recall(clerk(database, "dr.qa"), reason="donor reported hepatitis", donor_id=chain.donors["B"])
    return chain, issued, view


def test_the_stock_and_the_wards_each_see_what_they_must_do(database):
    chain, issued, view = recalled_donor_b(database)
    stock = open_recall_tasks(clerk(database), side="stock")
    ward = open_recall_tasks(clerk(database), side="ward")
    assert [t.unit_id for t in stock] == [chain.units["RC_B"]]
    assert {t.unit_id for t in ward} == {issued, chain.units["POOL"]}
    assert all(t.recall_id == view.recall_id and t.reason == "donor reported hepatitis" for t in stock + ward)


def test_each_hospital_sees_only_the_recalled_units_on_its_own_wards(database):
    chain, issued, _ = recalled_donor_b(database)
    elsewhere = make_hospital(database, chain.site_id)
    other_patient, _ = make_patient(database, elsewhere)
    other_unit = make_unit(database, din=chain.dins["B"], kind="plasma", site_id=chain.site_id, status="available",
                           donation_id=chain.donations["B"], parents=(chain.units["WB_B"],), division="B0")
    issue_unit(database, other_unit, other_patient, elsewhere)
    recall(clerk(database, "dr.qa"), reason="second look", donor_id=chain.donors["B"])
    mine = {t.unit_id for t in open_recall_tasks(clerk(database), side="ward", hospital_id=chain.hospital_id)}
    theirs = {t.unit_id for t in open_recall_tasks(clerk(database), side="ward", hospital_id=elsewhere)}
    assert issued in mine and chain.units["POOL"] in mine and other_unit not in mine
    assert theirs == {other_unit}


def test_recording_what_was_done_takes_the_unit_off_the_list_and_is_audited(database):
    chain, _, view = recalled_donor_b(database)
    done = record_handling(clerk(database, "stock.sam"), recall_id=view.recall_id, unit_id=chain.units["RC_B"],
                           side="stock", note="bag found in fridge 2, destroyed")
    assert (done.handled_by, done.handled_note) == ("stock.sam", "bag found in fridge 2, destroyed")
    assert open_recall_tasks(clerk(database), side="stock") == []
    assert [e.action for e in audit_actions(database, "recall")] == ["create", "handle_recall"]
    with pytest.raises(Conflict, match="already recorded by stock.sam"):
        record_handling(clerk(database), recall_id=view.recall_id, unit_id=chain.units["RC_B"], side="stock",
                        note="again")


def test_a_handling_needs_a_note_and_the_right_side(database):
    chain, issued, view = recalled_donor_b(database)
    with pytest.raises(InvalidInput, match="Say what was done"):
        record_handling(clerk(database), recall_id=view.recall_id, unit_id=issued, side="ward", note=" ")
    with pytest.raises(Conflict, match="for the ward to act on"):
        record_handling(clerk(database), recall_id=view.recall_id, unit_id=issued, side="stock", note="returned")
    with pytest.raises(Conflict, match="needed nothing"):
        record_handling(clerk(database), recall_id=view.recall_id, unit_id=chain.units["WB_B"], side="stock",
                        note="x")


def test_the_inventory_and_hospital_home_pages_show_open_recalls_until_handled(database):
    chain, issued, view = recalled_donor_b(database)
    inventory = browser(database, "inventory_manager")
    page = inventory.get("/inventory")
    assert page.status_code == 200 and 'id="recall-tasks"' in page.text and "donor reported hepatitis" in page.text
    hospital = browser(database, "hospital_staff", hospitals=every_hospital(database))  # the ward's staff
    assert str(issued) in hospital.get("/hospital").text.split('id="recall-tasks"')[1]
    answer = hospital.post("/hospital/recalls/handled", data={
        "csrf_token": hospital.csrf, "recall_id": view.recall_id, "unit_id": issued, "note": "sent back from ward 7"})
    assert answer.status_code == 200 and "is recorded" in answer.text
    assert {t.unit_id for t in open_recall_tasks(clerk(database), side="ward")} == {chain.units["POOL"]}


def test_the_api_lists_open_recall_units_and_records_what_the_stock_did(database):
    chain, _, view = recalled_donor_b(database)
    client = api(database, "inventory_manager")
    listed = client.get("/api/recalls/open", params={"side": "stock"})
    assert listed.status_code == 200 and [t["unit_id"] for t in listed.json()] == [chain.units["RC_B"]]
    path = f"/api/recalls/{view.recall_id}/units/{chain.units['RC_B']}/handled-in-stock"
    assert api(database, "hospital_staff").post(path, json={"note": "x"}).status_code == 403
    done = client.post(path, json={"note": "destroyed"})
    assert done.status_code == 200 and done.json()["handled_note"] == "destroyed"
    assert client.get("/api/recalls/open", params={"side": "stock"}).json() == []


def test_the_command_line_lists_and_records_with_the_same_permissions(database):
    from typer.testing import CliRunner

    from bloodbank.entrypoints.cli.context import set_database_url
    from bloodbank.entrypoints.cli.traceability import trace as cli
    from tests.integration.web_fixtures import make_user

    chain, issued, view = recalled_donor_b(database)
    make_user(database, "inventory_manager", "stock.sam")
    set_database_url(database.url)
    try:
        def run(*args, user):
            return CliRunner().invoke(cli.recall_app, [str(a) for a in args], env={"BLOODBANK_USER": user})
        listed = run("open", "--side", "stock", user="stock.sam")
        ward = run("handled-on-ward", view.recall_id, issued, "--note", "sent back", user="stock.sam")
        done = run("handled-in-stock", view.recall_id, chain.units["RC_B"], "--note", "destroyed", user="stock.sam")
    finally:
        set_database_url(None)
    assert listed.exit_code == 0 and f"unit {chain.units['RC_B']}" in listed.output
    assert ward.exit_code == 1 and "may not do this" in " ".join(ward.output.split())
    assert done.exit_code == 0, done.output
    assert open_recall_tasks(clerk(database), side="stock") == []
