import json

import pytest
import time_machine
from sqlalchemy import func, select
from typer.testing import CliRunner

from bloodbank.adapters.db.models import Deferral, Visit
from bloodbank.entrypoints.cli.context import set_database_url
from bloodbank.entrypoints.cli.donors import visits as cli
from tests.integration.visit_fixtures import FROZEN_AT, all_clear, audit_entries, counts, get, make_donor, make_site

runner = CliRunner()


@pytest.fixture(autouse=True)
def cli_database(database):
    set_database_url(database.url)
    with time_machine.travel(FROZEN_AT, tick=False):
        yield
    set_database_url(None)


def last_id(database, model):
    with database.sessions() as s:
        return s.execute(select(func.max(model.id))).scalar_one()


def run(*args):
    return runner.invoke(cli.app, [str(a) for a in args], env={"BLOODBANK_USER": "clerk.ann"})


def test_check_in_screen_and_consent_from_the_command_line(database, tmp_path):
    site, donor = make_site(database), make_donor(database)
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
    assert {e.actor for e in audit_entries(database)} == {"clerk.ann"}


def test_answers_given_one_by_one_and_a_deferral_shown_with_its_reasons(database):
    site, donor = make_site(database), make_donor(database)
    run("check-in", donor, "--site", site)
    visit = last_id(database, Visit)
    pairs = [arg for key, value in all_clear(tattoo="2026-02-01").items() for arg in ("--answer", f"{key}={value}")]
    result = run("screen", visit, *pairs, "--weight", 70, "--hb", 14, "--systolic", 120, "--diastolic", 80,
                 "--pulse", 66, "--temperature", 36.6)
    assert result.exit_code == 0 and "Not eligible today" in result.output and "2027-02-01" in result.output
    result = run("deferrals", donor)
    assert "tattoo" in result.output and "reason" not in result.output
    result = run("deferrals", donor, "--with-reasons")
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
                 "--until", "2026-09-01")
    assert result.exit_code == 0 and "until 2026-09-01" in result.output, result.output
    assert run("check-in", donor, "--site", site).exit_code == 1
    assert run("lift-deferral", last_id(database, Deferral), "--reason", "surgery cancelled").exit_code == 0
    assert run("check-in", donor, "--site", site).exit_code == 0
    visit = last_id(database, Visit)
    result = run("withdraw", visit, "--step", "check_in")
    assert result.exit_code == 0 and get(database, Visit, visit).status == "withdrawn"
    assert run("defer", donor, "--code", "tattoo", "--kind", "temporary", "--reason", "x",
               "--until", "soon").exit_code == 1


def test_the_questionnaire_is_listed(database):
    result = run("questions")
    assert result.exit_code == 0 and "tattoo" in result.output and "feeling_well" in result.output


def test_a_self_exclusion_prints_the_same_every_time(database):
    site, donor = make_site(database), make_donor(database)
    run("check-in", donor, "--site", site)
    visit = last_id(database, Visit)
    first, second = run("self-exclude", visit), run("self-exclude", visit)
    assert first.exit_code == second.exit_code == 0 and first.output == second.output
