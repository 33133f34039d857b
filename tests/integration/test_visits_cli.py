import json

import pytest
import time_machine
from sqlalchemy import func, select
from typer.testing import CliRunner

from bloodbank.adapters.db.models import Deferral, Visit
from bloodbank.entrypoints.cli.context import set_database_url
from bloodbank.entrypoints.cli.donors import visits as cli
from tests.integration.visit_fixtures import FROZEN_AT, all_clear, audit_entries, counts, get, make_donor, make_site
from tests.integration.web_fixtures import make_user

runner = CliRunner()


@pytest.fixture(autouse=True)
def cli_database(database):
    set_database_url(database.url)
    make_user(database, "clerk", "clerk.ann")
    make_user(database, "medical_director", "dr.mora")
    with time_machine.travel(FROZEN_AT, tick=False):
        yield
    set_database_url(None)


def last_id(database, model):
    with database.sessions() as s:
        return s.execute(select(func.max(model.id))).scalar_one()


def run(*args, user="clerk.ann"):
    return runner.invoke(cli.app, [str(a) for a in args], env={"BLOODBANK_USER": user})


def said(result) -> str:
    """The output with the console's line wrapping undone."""
    return " ".join(result.output.split())


def apart_from_the_audit_log(found: dict) -> dict:
    return {table: rows for table, rows in found.items() if table != "audit"}


def test_check_in_screen_and_consent_from_the_command_line(database, tmp_path):
    site, donor = make_site(database), make_donor(database)
    set_up = len(audit_entries(database))
    result = run("check-in", donor, "--site", site)
    assert result.exit_code == 0, result.output
    visit = last_id(database, Visit)
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(all_clear()))
    result = run("screen", visit, "--answers", answers, "--weight", 70, "--hb", 14, "--systolic", 120,
                 "--diastolic", 80, "--pulse", 66, "--temperature", 36.6)
    assert result.exit_code == 0 and "Eligible" in result.output, result.output
    result = run("consent", visit, "--donor-confirmed")
    assert result.exit_code == 0 and "Consent recorded" in result.output, result.output
    assert get(database, Visit, visit).status == "consented"
    assert {e.actor for e in audit_entries(database)[set_up:]} == {"clerk.ann"}


def test_answers_given_one_by_one_and_a_deferral_shown_with_its_reasons(database):
    site, donor = make_site(database), make_donor(database)
    run("check-in", donor, "--site", site)
    visit = last_id(database, Visit)
    pairs = [arg for key, value in all_clear(tattoo="2026-02-01").items() for arg in ("--answer", f"{key}={value}")]
    result = run("screen", visit, *pairs, "--weight", 70, "--hb", 14, "--systolic", 120, "--diastolic", 80,
                 "--pulse", 66, "--temperature", 36.6)
    assert result.exit_code == 0 and "Not eligible today" in result.output and "2027-02-01" in result.output
    result = run("deferrals", donor, user="dr.mora")
    assert "tattoo" in result.output and "reason" not in result.output
    result = run("deferrals", donor, "--with-reasons", user="dr.mora")
    assert "reason: " in result.output
    assert len(audit_entries(database, action="read")) == 1


def test_a_refusal_is_a_red_message_and_exit_code_1_with_nothing_written(database):
    site, donor = make_site(database), make_donor(database)
    run("check-in", donor, "--site", site)
    visit = last_id(database, Visit)
    before = counts(database)
    result = run("consent", visit)
    assert result.exit_code == 1 and "confirmed it themselves" in result.output
    result = run("screen", visit, "--answer", "tattoo", "--weight", 70)
    assert result.exit_code == 1 and "question_id=answer" in result.output
    assert counts(database) == before


def test_defer_lift_and_withdraw_from_the_command_line(database):
    site, donor = make_site(database), make_donor(database)
    result = run("defer", donor, "--code", "major_surgery", "--kind", "temporary", "--reason", "knee",
                 "--until", "2026-09-01", user="dr.mora")
    assert result.exit_code == 0 and "until 2026-09-01" in result.output, result.output
    assert run("check-in", donor, "--site", site).exit_code == 1
    assert run("lift-deferral", last_id(database, Deferral), "--reason", "surgery cancelled",
               user="dr.mora").exit_code == 0
    assert run("check-in", donor, "--site", site).exit_code == 0
    visit = last_id(database, Visit)
    result = run("withdraw", visit, "--step", "check_in")
    assert result.exit_code == 0 and get(database, Visit, visit).status == "withdrawn"
    result = run("defer", donor, "--code", "tattoo", "--kind", "temporary", "--reason", "x", "--until", "soon",
                 user="dr.mora")
    assert result.exit_code == 1 and "--until must be a date" in said(result)


def test_the_questionnaire_is_listed(database):
    result = run("questions")
    assert result.exit_code == 0 and "tattoo" in result.output and "feeling_well" in result.output


def test_the_questionnaire_is_printed_without_an_account_and_reads_no_record(database):
    set_up = len(audit_entries(database))
    result = runner.invoke(cli.app, ["questions"], env={"BLOODBANK_USER": None})
    assert result.exit_code == 0 and "feeling_well" in result.output
    assert len(audit_entries(database)) == set_up


def test_a_self_exclusion_prints_the_same_every_time(database):
    site, donor = make_site(database), make_donor(database)
    run("check-in", donor, "--site", site)
    visit = last_id(database, Visit)
    first, second = run("self-exclude", visit), run("self-exclude", visit)
    assert first.exit_code == second.exit_code == 0 and first.output == second.output


def test_a_check_in_in_the_name_of_someone_without_an_account_is_refused_and_logged(database):
    site, donor = make_site(database), make_donor(database)
    before, set_up = counts(database), len(audit_entries(database))
    result = run("check-in", donor, "--site", site, user="nobody")
    assert result.exit_code == 1 and "no active account named 'nobody'" in said(result)
    assert apart_from_the_audit_log(counts(database)) == apart_from_the_audit_log(before)
    [denied] = audit_entries(database)[set_up:]
    assert denied.action == "access_denied" and denied.entity_id == "visits"
    assert denied.new["username"] == "nobody"


def test_a_clerk_may_neither_defer_a_donor_nor_read_their_deferrals(database):
    donor = make_donor(database)
    assert run("defer", donor, "--code", "major_surgery", "--kind", "temporary", "--reason", "knee",
               "--until", "2026-09-01", user="dr.mora").exit_code == 0
    before, set_up = counts(database), len(audit_entries(database))
    deferred = run("defer", donor, "--code", "tattoo", "--kind", "temporary", "--reason", "x",
                   "--until", "2026-12-01")
    lifted = run("lift-deferral", last_id(database, Deferral), "--reason", "surgery cancelled")
    listed = run("deferrals", donor)
    with_reasons = run("deferrals", donor, "--with-reasons")
    for result in (deferred, lifted, listed, with_reasons):
        assert result.exit_code == 1 and "may not do this" in said(result)
    assert "major_surgery" not in listed.output and "knee" not in with_reasons.output
    assert apart_from_the_audit_log(counts(database)) == apart_from_the_audit_log(before)
    assert get(database, Deferral, last_id(database, Deferral)).lifted_at is None
    assert [(e.action, e.actor, e.entity_id) for e in audit_entries(database)[set_up:]] == [
        ("access_denied", "clerk.ann", "deferrals.write")] * 2 + [
        ("access_denied", "clerk.ann", "deferrals.reasons")] * 2
