from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from bloodbank.domain.isbt128 import parse_din
from bloodbank.entrypoints.cli import context
from bloodbank.entrypoints.cli.donors.collection import app
from tests.integration.collection_fixtures import audit_entries, make_site, make_visit

runner = CliRunner()


@pytest.fixture
def cli(database):
    context.set_database_url(database.url)
    yield lambda *args: runner.invoke(app, [str(a) for a in args], env={"BLOODBANK_USER": "phleb.dan"})
    context.set_database_url(None)


def eye_readable_din(output: str) -> str:
    return re.search(r"DIN (\w{5} \d\d \d{6} [0-9A-Z*])", output).group(1)


def test_start_prints_the_din_with_its_check_character_and_finish_records_the_volume(database, cli):
    visit_id = make_visit(database, site_id=make_site(database))

    started = cli("start", visit_id, "--bag-type", "double", "--lot", "LOT-5")
    assert started.exit_code == 0, started.output
    din = parse_din(eye_readable_din(started.output))
    assert din.eye_readable in started.output and "phleb.dan" in started.output

    donation_id = re.search(r"Donation (\d+)", started.output).group(1)
    finished = cli("finish", donation_id, "--volume", 452)
    assert finished.exit_code == 0, finished.output
    assert "Collection complete" in finished.output and "collected 452 mL" in finished.output

    shown = cli("show", str(din))
    assert shown.exit_code == 0 and "status complete" in shown.output


def test_a_refused_start_is_a_clerk_message_and_exit_code_1(database, cli):
    visit_id = make_visit(database, site_id=make_site(database), weight_kg=45)

    result = cli("start", visit_id, "--bag-type", "double", "--lot", "LOT-5")

    assert result.exit_code == 1
    assert "maximum of 380 mL" in result.output and "Traceback" not in result.output


def test_abort_and_reaction_from_the_command_line(database, cli):
    visit_id = make_visit(database, site_id=make_site(database))
    started = cli("start", visit_id, "--bag-type", "triple", "--lot", "LOT-5")
    donation_id = re.search(r"Donation (\d+)", started.output).group(1)

    reaction = cli("reaction", donation_id, "--kind", "vasovagal", "--severity", "mild",
                   "--outcome", "Recovered on the chair.")
    aborted = cli("abort", donation_id, "--reason", "donor felt faint", "--volume", 150)

    assert reaction.exit_code == 0 and "mild vasovagal" in reaction.output
    assert aborted.exit_code == 0 and "Collection aborted" in aborted.output and "UNDER-FILLED" in aborted.output
    assert audit_entries(database, "donation", donation_id)[-1].actor == "phleb.dan"


def test_the_user_must_say_who_they_are(database):
    context.set_database_url(database.url)
    try:
        result = runner.invoke(app, ["finish", "1", "--volume", "450"], env={"BLOODBANK_USER": ""})
    finally:
        context.set_database_url(None)
    assert result.exit_code == 2 and "--as" in result.output


def test_every_command_explains_itself():
    result = runner.invoke(app, ["--help"])
    for command in ("start", "finish", "abort", "reaction", "show"):
        assert command in result.output
