from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from bloodbank.entrypoints.cli import context
from bloodbank.entrypoints.cli.traceability import trace as cli_trace
from tests.integration.trace_fixtures import build_chain, unit_status

runner = CliRunner()

# Mounted as the root app is expected to: plain `trace` / `lookback` commands and a `recall` group.
root = typer.Typer()
root.command("trace")(cli_trace.trace_command)
root.command("lookback")(cli_trace.lookback_command)
root.add_typer(cli_trace.recall_app, name="recall")
root.add_typer(cli_trace.trace_app, name="trace-group")


@pytest.fixture
def cli(database):
    context.set_database_url(database.url)
    yield lambda *args: runner.invoke(root, [str(a) for a in args], env={"BLOODBANK_USER": "bms.lee"})
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
