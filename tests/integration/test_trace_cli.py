from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from bloodbank.entrypoints.cli import context
from bloodbank.entrypoints.cli.traceability import trace as cli_trace
from bloodbank.adapters.db.models import Signature
from tests.integration.lab_fixtures import audit_entries
from tests.integration.trace_fixtures import build_chain, unit_status
from tests.integration.web_fixtures import PASSWORD, make_user

runner = CliRunner()

# Mounted as the root app is expected to: plain `trace` / `lookback` commands and a `recall` group.
root = typer.Typer()
root.command("trace")(cli_trace.trace_command)
root.command("lookback")(cli_trace.lookback_command)
root.add_typer(cli_trace.recall_app, name="recall")
root.add_typer(cli_trace.trace_app, name="trace-group")


def invoke(*args, user="bms.lee", password=PASSWORD):
    return runner.invoke(root, [str(a) for a in args], env={"BLOODBANK_USER": user, "BLOODBANK_PASSWORD": password})


@pytest.fixture
def cli(database):
    context.set_database_url(database.url)
    make_user(database, "medical_director", "bms.lee")
    yield invoke
    context.set_database_url(None)


def test_trace_prints_a_tree_from_the_donation_to_every_recipient(database, cli):
    chain = build_chain(database)

    result = cli("trace", chain.dins["A"].eye_readable)

    assert result.exit_code == 0, result.output
    assert f"Trace of DIN {chain.dins['A']}" in result.output
    assert chain.donor_numbers["A"] in result.output and "shown above" not in result.output
    assert all(chain.wristbands[p].split(":", 1)[1] in result.output for p in ("P1", "P2", "P3"))


def test_trace_as_json_from_the_sub_app_too(database, cli):
    chain = build_chain(database)

    result = cli("trace-group", "din", str(chain.dins["POOL"]), "--json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {d["donor"]["donor_number"] for d in data["donations"]} == {chain.donor_numbers[k] for k in "ABCD"}


def test_lookback_lists_the_patients_and_as_json(database, cli):
    chain = build_chain(database)

    tree = cli("lookback", chain.donor_numbers["B"])
    as_json = cli("lookback", chain.donor_numbers["B"], "--json")

    assert tree.exit_code == 0 and "in pool" in tree.output and "1 patient(s)" in tree.output
    recipients = json.loads(as_json.output)["donations"][0]["recipients"]
    assert [r["recipient"]["patient_id"] for r in recipients] == [chain.patients["P3"]]


def test_recall_create_and_list(database, cli):
    chain = build_chain(database)

    created = cli("recall", "create", "--reason", "donor seroconverted", "--donor", chain.donor_numbers["D"])
    listed = cli("recall", "list")

    assert created.exit_code == 0, created.output
    assert "run a lookback" in created.output and unit_status(database, chain.units["RC_D"]) == "recalled"
    assert listed.exit_code == 0 and "donor seroconverted" in listed.output


def test_a_refused_command_is_a_clerk_message_and_exit_code_1(database, cli):
    build_chain(database)

    result = cli("recall", "create", "--reason", "x")
    unknown = cli("trace", "G123426999999")

    assert result.exit_code == 1 and "exactly one" in result.output and "Traceback" not in result.output
    assert unknown.exit_code == 1 and "No donation and no unit" in unknown.output


def test_trace_needs_to_know_who_reads(database):
    context.set_database_url(database.url)
    try:
        result = runner.invoke(root, ["trace", "G123426000001"], env={"BLOODBANK_USER": ""})
    finally:
        context.set_database_url(None)
    assert result.exit_code != 0 and "--as" in result.output


def test_a_recall_is_signed_with_the_signers_own_password(database, cli):
    chain = build_chain(database)

    created = cli("recall", "create", "--reason", "donor seroconverted", "--donor", chain.donor_numbers["D"])

    assert created.exit_code == 0, created.output
    with database.sessions() as s:
        [signature] = s.query(Signature).all()
    assert signature.action == "recall" and signature.meaning.startswith("I recall every unit named in")


def test_a_recall_with_a_wrong_password_recalls_nothing(database, cli):
    chain = build_chain(database)

    refused = invoke("recall", "create", "--reason", "x", "--donor", chain.donor_numbers["D"], password="wrong one!")

    assert refused.exit_code == 1 and "password does not match" in " ".join(refused.output.split())
    assert unit_status(database, chain.units["RC_D"]) != "recalled"


def test_an_inventory_manager_traces_without_test_results_and_a_clerk_not_at_all(database, cli):
    chain = build_chain(database)
    make_user(database, "inventory_manager", "inv.ida")
    make_user(database, "clerk", "clerk.cal")

    director = json.loads(cli("trace", str(chain.dins["A"]), "--json").output)
    manager = invoke("trace", str(chain.dins["A"]), "--json", user="inv.ida")
    clerk = invoke("trace", str(chain.dins["A"]), user="clerk.cal")

    assert manager.exit_code == 0, manager.output
    def tests_shown(trace: dict) -> list:
        return [t for d in trace["donations"] for u in d["units"] for t in u["tests"]]

    assert tests_shown(director)
    assert tests_shown(json.loads(manager.output)) == []
    assert clerk.exit_code == 1 and "may not do this" in " ".join(clerk.output.split())
    assert audit_entries(database)[-1].action == "access_denied"
