from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from bloodbank.domain.isbt128 import parse_din
from bloodbank.entrypoints.cli import context
from bloodbank.entrypoints.cli.donors.collection import app
from tests.integration.collection_fixtures import audit_entries, counts, make_site, make_visit, visit_status
from tests.integration.web_fixtures import make_user

runner = CliRunner()


@pytest.fixture
def cli(database):
    context.set_database_url(database.url)
    make_user(database, "phlebotomist", "phleb.dan")
    yield lambda *args, user="phleb.dan": runner.invoke(app, [str(a) for a in args], env={"BLOODBANK_USER": user})
    context.set_database_url(None)


def said(result) -> str:
    """The output with the console's line wrapping undone."""
    return " ".join(result.output.split())


def apart_from_the_audit_log(found: dict) -> dict:
    return {name: value for name, value in found.items() if name != "audit"}


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


def test_a_collection_started_in_the_name_of_someone_without_an_account_is_refused_and_logged(database, cli):
    visit_id = make_visit(database, site_id=make_site(database))
    before = counts(database)
    result = cli("start", visit_id, "--bag-type", "double", "--lot", "LOT-5", user="nobody")
    assert result.exit_code == 1 and "no active account named 'nobody'" in said(result)
    assert "DIN" not in result.output
    assert apart_from_the_audit_log(counts(database)) == apart_from_the_audit_log(before)
    assert counts(database)["audit"] == before["audit"] + 1
    [denied] = audit_entries(database, "permission", "collection")
    assert denied.action == "access_denied" and denied.new["username"] == "nobody"
    assert visit_status(database, visit_id) == "consented"


def test_a_clerk_may_not_start_a_collection_or_look_up_a_donation(database, cli):
    make_user(database, "clerk", "clerk.ann")
    visit_id = make_visit(database, site_id=make_site(database))
    started = cli("start", visit_id, "--bag-type", "double", "--lot", "LOT-5")
    assert started.exit_code == 0, started.output
    din = eye_readable_din(started.output)
    before = counts(database)
    refused_start = cli("start", make_visit(database, site_id=make_site(database)), "--bag-type", "double",
                        "--lot", "LOT-5", user="clerk.ann")
    refused_show = cli("show", din, user="clerk.ann")
    for result in (refused_start, refused_show):
        assert result.exit_code == 1 and "may not do this" in said(result) and "'collection'" in said(result)
    assert "LOT-5" not in refused_show.output
    assert apart_from_the_audit_log(counts(database)) == apart_from_the_audit_log(before)
    assert [(e.action, e.actor) for e in audit_entries(database, "permission", "collection")] == [
        ("access_denied", "clerk.ann")] * 2
