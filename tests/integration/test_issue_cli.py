import pytest
from typer.testing import CliRunner

from bloodbank.adapters.db.models import Issue, Reservation
from bloodbank.entrypoints.cli.context import set_database_url
from bloodbank.entrypoints.cli.hospital import issue as cli
from tests.integration.issue_fixtures import (
    add_grouping, audit_actions, din_scan, make_order, make_patient, make_unit, make_ward, snapshot, unit_status,
)

runner = CliRunner()


@pytest.fixture(autouse=True)
def cli_database(database):
    set_database_url(database.url)
    yield
    set_database_url(None)


def run(*args, user="bms.ray"):
    env = {"BLOODBANK_USER": user} if user else {}
    return runner.invoke(cli.app, [str(a) for a in args], env=env)


def only_id(database, model):
    with database.sessions() as session:
        (row,) = session.query(model).all()
        return row.id


def test_allocate_crossmatch_and_issue_from_the_command_line(database):
    ward = make_ward(database)
    patient = make_patient(database, group="B+", antibodies=("anti-Fya",))
    unit = make_unit(database, ward.site, "B+")
    order = make_order(database, ward.hospital, patient.id)

    result = run("allocate", order)
    assert result.exit_code == 0 and "allocated" in result.output and "1 of 1 units held" in result.output
    reservation = only_id(database, Reservation)

    result = run("issue", reservation, "--unit-scan", din_scan(database, unit), "--patient-scan", patient.scan)
    assert result.exit_code == 1 and "A serological crossmatch is required." in result.output
    assert unit_status(database, unit) == "reserved"

    result = run("crossmatch", patient.id, unit, "--sample", patient.sample_id, "--result", "compatible")
    assert result.exit_code == 0 and "compatible" in result.output, result.output
    result = run("issue", reservation, "--unit-scan", din_scan(database, unit), "--patient-scan", patient.scan)
    assert result.exit_code == 0 and "Issued" in result.output and "crossmatch" in result.output, result.output
    assert unit_status(database, unit) == "issued"
    assert set(audit_actions(database)) >= {"reserve", "record_crossmatch", "issue"}


def test_a_wrong_wristband_at_the_command_line_stops_the_issue(database):
    ward = make_ward(database)
    patient = make_patient(database, group="A+")
    unit = make_unit(database, ward.site, "A+")
    run("allocate", make_order(database, ward.hospital, patient.id))
    before = snapshot(database)
    result = run("issue", only_id(database, Reservation), "--unit-scan", din_scan(database, unit),
                 "--patient-scan", "mrn:RXH:000001")
    assert result.exit_code == 1 and "STOP: do not issue this unit." in result.output
    assert "Wrong patient" in result.output and "Traceback" not in result.output
    assert snapshot(database) == before


def test_reserve_release_and_show_from_the_command_line(database):
    ward = make_ward(database)
    patient = make_patient(database, group="A+")
    unit = make_unit(database, ward.site, "A-")
    order = make_order(database, ward.hospital, patient.id)
    assert run("reserve", order, unit).exit_code == 0
    assert "1 of 1 units held" in run("show", order, user=None).output
    result = run("release", only_id(database, Reservation), "--reason", "surgery postponed")
    assert result.exit_code == 0 and "available again" in result.output
    assert "0 of 1 units held" in run("show", order, user=None).output


def test_emergency_release_and_its_follow_up_from_the_command_line(database):
    ward = make_ward(database)
    patient = make_patient(database, group=None, screen=None, sex="F", date_of_birth=None, hospital_id=ward.hospital,
                           identifier="EM-2026-0042", system="emergency")
    unit = make_unit(database, ward.site, "O-")
    result = run("emergency", patient.id, unit, "--unit-scan", din_scan(database, unit), "--patient-scan",
                 "EM-2026-0042", "--reason", "trauma, major haemorrhage")
    assert result.exit_code == 0 and "EMERGENCY" in result.output, result.output
    issue = only_id(database, Issue)
    result = run("follow-ups", user=None)
    assert f"Issue {issue}" in result.output and "to do:" in result.output
    assert run("follow-up-done", issue, "--note", "done").exit_code == 1

    add_grouping(database, patient.id, "O+")
    sample = add_grouping(database, patient.id, "O+")
    run("crossmatch", patient.id, unit, "--sample", sample, "--result", "compatible")
    result = run("follow-up-done", issue, "--note", "grouped O+, compatible")
    assert result.exit_code == 0 and "recorded" in result.output
    assert "No emergency release" in run("follow-ups", user=None).output


def test_writes_need_a_user_name(database):
    result = run("allocate", 1, user=None)
    assert result.exit_code != 0 and "--as" in result.output


def test_electronic_check_explains_why_not(database):
    patient = make_patient(database, group="A+", samples=1)
    result = run("electronic-check", patient.id, user=None)
    assert "Electronic issue not allowed" in result.output and "one sample only" in result.output
    assert "allowed" in run("electronic-check", make_patient(database).id, user=None).output
