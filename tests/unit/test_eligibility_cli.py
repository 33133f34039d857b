from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from bloodbank.entrypoints.cli.donors.eligibility import app

runner = CliRunner()

HEALTHY = {
    "on": "2024-06-03", "date_of_birth": "1990-05-15", "sex": "F", "weight_kg": 72, "hemoglobin_g_dl": 14.0,
    "systolic": 120, "diastolic": 80, "pulse": 70, "temperature_c": 36.6, "first_time": False,
    "kind": "whole_blood", "donations": [{"date": "2024-01-10", "kind": "whole_blood"}], "deferrals": [],
}


@pytest.fixture
def facts_file(tmp_path):
    def write(data, text: str | None = None):
        path = tmp_path / "facts.json"
        path.write_text(text if text is not None else json.dumps(data), encoding="utf-8")
        return str(path)
    return write


def test_an_eligible_donor_gets_the_json_answer_and_exit_status_0(facts_file):
    result = runner.invoke(app, ["check", "--rules", "eu", facts_file(HEALTHY)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"eligible": True, "reasons": [], "next_eligible_date": None}


def test_an_ineligible_donor_also_exits_0_with_the_reasons_and_the_next_date(facts_file):
    data = {**HEALTHY, "deferrals": [{"code": "tattoo", "since": "2024-05-01"}]}
    result = runner.invoke(app, ["check", "--rules", "uk", facts_file(data)])
    assert result.exit_code == 0
    answer = json.loads(result.stdout)
    assert set(answer) == {"eligible", "reasons", "next_eligible_date"}
    assert answer["eligible"] is False
    assert answer["next_eligible_date"] == "2024-09-01"
    assert len(answer["reasons"]) == 1 and answer["reasons"][0].startswith("Tattoo or semi-permanent make-up on 2024-05-01")


def test_the_rules_default_to_who(facts_file):
    path = facts_file({**HEALTHY, "hemoglobin_g_dl": 12.2})
    assert json.loads(runner.invoke(app, ["check", path]).stdout)["eligible"] is True
    assert json.loads(runner.invoke(app, ["check", "--rules", "eu", path]).stdout)["eligible"] is False


def test_a_missing_measurement_is_a_reason_not_an_error(facts_file):
    data = {key: value for key, value in HEALTHY.items() if key != "weight_kg"}
    result = runner.invoke(app, ["check", facts_file(data)])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["reasons"] == ["Weight not recorded."]


def test_facts_can_be_read_from_standard_input():
    result = runner.invoke(app, ["check", "--rules", "us-fda", "-"], input=json.dumps(HEALTHY))
    assert result.exit_code == 0
    assert json.loads(result.stdout)["eligible"] is True


def test_a_missing_file_exits_2_with_a_message_on_stderr(tmp_path):
    result = runner.invoke(app, ["check", str(tmp_path / "absent.json")])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "cannot read" in result.stderr and "absent.json" in result.stderr


def test_invalid_json_exits_2_with_the_place_of_the_error(facts_file):
    result = runner.invoke(app, ["check", facts_file(None, text='{"on": "2024-06-03",')])
    assert result.exit_code == 2
    assert "is not valid JSON" in result.stderr and "line 1" in result.stderr


@pytest.mark.parametrize(("data", "message"), [
    ({**HEALTHY, "deferrals": [{"code": "sunburn", "since": "2024-05-01"}]}, "'sunburn' is not a known deferral code"),
    ({**HEALTHY, "on": "yesterday"}, "on must be a date written YYYY-MM-DD"),
    ([HEALTHY], "must be a JSON object"),
])
def test_facts_that_cannot_be_read_exit_2_with_the_reason(facts_file, data, message):
    result = runner.invoke(app, ["check", facts_file(data)])
    assert result.exit_code == 2
    assert message in result.stderr


def test_an_unknown_rule_set_exits_2_naming_the_known_ones(facts_file):
    result = runner.invoke(app, ["check", "--rules", "mars", facts_file(HEALTHY)])
    assert result.exit_code == 2
    assert "Use one of: who, eu, us-fda, uk." in result.stderr


def test_help_describes_the_check_command_and_the_rule_sets():
    result = runner.invoke(app, ["check", "--help"])
    assert result.exit_code == 0
    assert "--rules" in result.stdout and "us-fda" in result.stdout
    assert runner.invoke(app, ["--help"]).exit_code == 0


def test_the_rules_command_lists_every_rule_set():
    result = runner.invoke(app, ["rules"])
    assert result.exit_code == 0
    assert [line.split("\t")[0] for line in result.stdout.splitlines()] == ["who", "eu", "us-fda", "uk"]


def test_the_deferral_codes_command_lists_codes_with_meaning_and_duration():
    result = runner.invoke(app, ["deferral-codes", "--rules", "uk"])
    assert result.exit_code == 0
    assert "tattoo\tTattoo or semi-permanent make-up (4 months)" in result.stdout.splitlines()
    assert runner.invoke(app, ["deferral-codes", "--rules", "nowhere"]).exit_code == 2
