import pytest
from typer.testing import CliRunner

from bloodbank.adapters.db.models import Issue, Reservation, Signature, Unit
from bloodbank.domain.access import GRANTS, Permission
from bloodbank.entrypoints.cli.context import set_database_url
from bloodbank.entrypoints.cli.hospital import issue as cli
from tests.integration.issue_fixtures import (
    add_grouping, audit_actions, din_scan, get, make_order, make_patient, make_unit, make_ward, snapshot, unit_status,
)
from tests.integration.lab_fixtures import audit_entries
from tests.integration.web_fixtures import PASSWORD, join_hospitals, make_user

runner = CliRunner()


@pytest.fixture(autouse=True)
def cli_database(database):
    set_database_url(database.url)
    make_user(database, "hospital_staff", "bms.ray")
    yield
    set_database_url(None)


def run(*args, user="bms.ray", password=PASSWORD):
    env = {"BLOODBANK_USER": user} if user else {}
    env["BLOODBANK_PASSWORD"] = password
    return runner.invoke(cli.app, [str(a) for a in args], env=env)


def said(result) -> str:
    """The output with the console's line wrapping undone."""
    return " ".join(result.output.split())


def records(database):
    """Everything allocation and issue write, but the audit log, which a refusal writes to."""
    counted, statuses, orders = snapshot(database)
    return {k: v for k, v in counted.items() if k != "AuditEntry"}, statuses, orders


def signatures(database) -> list[Signature]:
    with database.sessions() as session:
        return session.query(Signature).order_by(Signature.id).all()


def emergency_patient_and_unit(database):
    ward = make_ward(database)
    join_hospitals(database, "bms.ray", ward.hospital)  # the ward's transfusion staff
    patient = make_patient(database, group=None, screen=None, sex="F", date_of_birth=None, hospital_id=ward.hospital,
                           identifier="EM-2026-0042", system="emergency")
    return patient, make_unit(database, ward.site, "O-")


def release_in_emergency(database, patient, unit, **kw):
    return run("emergency", patient.id, unit, "--unit-scan", din_scan(database, unit), "--patient-scan",
               "EM-2026-0042", "--reason", "trauma, major haemorrhage", **kw)


def only_id(database, model):
    with database.sessions() as session:
        (row,) = session.query(model).all()
        return row.id


def test_allocate_crossmatch_and_issue_from_the_command_line(database):
    ward = make_ward(database)
    join_hospitals(database, "bms.ray", ward.hospital)  # the ward's transfusion staff
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
    join_hospitals(database, "bms.ray", ward.hospital)  # the ward's transfusion staff
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
    join_hospitals(database, "bms.ray", ward.hospital)  # the ward's transfusion staff
    patient = make_patient(database, group="A+")
    unit = make_unit(database, ward.site, "A-")
    order = make_order(database, ward.hospital, patient.id)
    assert run("reserve", order, unit).exit_code == 0
    assert "1 of 1 units held" in run("show", order).output
    result = run("release", only_id(database, Reservation), "--reason", "surgery postponed")
    assert result.exit_code == 0 and "available again" in result.output
    assert "0 of 1 units held" in run("show", order).output


def test_emergency_release_and_its_follow_up_from_the_command_line(database):
    ward = make_ward(database)
    join_hospitals(database, "bms.ray", ward.hospital)  # the ward's transfusion staff
    patient = make_patient(database, group=None, screen=None, sex="F", date_of_birth=None, hospital_id=ward.hospital,
                           identifier="EM-2026-0042", system="emergency")
    unit = make_unit(database, ward.site, "O-")
    result = run("emergency", patient.id, unit, "--unit-scan", din_scan(database, unit), "--patient-scan",
                 "EM-2026-0042", "--reason", "trauma, major haemorrhage")
    assert result.exit_code == 0 and "EMERGENCY" in result.output, result.output
    issue = only_id(database, Issue)
    result = run("follow-ups")
    assert f"Issue {issue}" in result.output and "to do:" in result.output
    assert run("follow-up-done", issue, "--note", "done").exit_code == 1

    add_grouping(database, patient.id, "O+")
    sample = add_grouping(database, patient.id, "O+")
    run("crossmatch", patient.id, unit, "--sample", sample, "--result", "compatible")
    result = run("follow-up-done", issue, "--note", "grouped O+, compatible")
    assert result.exit_code == 0 and "recorded" in result.output
    assert "No emergency release" in run("follow-ups").output


def test_writes_need_a_user_name(database):
    result = run("allocate", 1, user=None)
    assert result.exit_code != 0 and "--as" in result.output


def test_electronic_check_explains_why_not(database):
    ward = make_ward(database)
    join_hospitals(database, "bms.ray", ward.hospital)  # the ward's transfusion staff
    patient = make_patient(database, group="A+", samples=1, hospital_id=ward.hospital)
    result = run("electronic-check", patient.id)
    assert "Electronic issue not allowed" in result.output and "one sample only" in result.output
    assert "allowed" in run("electronic-check", make_patient(database, hospital_id=ward.hospital).id).output


def test_reads_need_a_user_name_too(database):
    ward = make_ward(database)
    join_hospitals(database, "bms.ray", ward.hospital)  # the ward's transfusion staff
    order = make_order(database, ward.hospital, make_patient(database).id)
    result = run("show", order, user=None)
    assert result.exit_code != 0 and "--as" in said(result) and "units held" not in said(result)


def test_an_allocation_as_a_name_with_no_account_is_refused_and_logged(database):
    ward = make_ward(database)
    join_hospitals(database, "bms.ray", ward.hospital)  # the ward's transfusion staff
    make_unit(database, ward.site, "A+")
    order = make_order(database, ward.hospital, make_patient(database, group="A+").id)
    before, entries = records(database), len(audit_entries(database))
    result = run("allocate", order, user="nobody")
    assert result.exit_code == 1 and "no active account named 'nobody'" in said(result)
    assert records(database) == before
    [denied] = audit_entries(database)[entries:]
    assert denied.action == "access_denied" and denied.entity_id == "orders"


def test_a_lab_technician_may_not_release_emergency_blood_from_the_command_line(database):
    make_user(database, "lab_technician", "lab.lee")
    patient, unit = emergency_patient_and_unit(database)
    before = records(database)
    result = release_in_emergency(database, patient, unit, user="lab.lee")
    assert result.exit_code == 1 and "may not do this" in said(result) and "'emergency_release'" in said(result)
    assert records(database) == before and unit_status(database, unit) == "available"
    assert signatures(database) == [] and audit_actions(database)[-1] == "access_denied"


def test_every_role_that_may_release_in_emergency_may_also_issue_as_the_web_requires():
    # The web asks for both ISSUE and EMERGENCY_RELEASE; the command declares the second, which implies the first.
    assert all(Permission.ISSUE in granted for granted in GRANTS.values() if Permission.EMERGENCY_RELEASE in granted)


def test_an_emergency_release_is_signed_with_the_releasers_own_password(database):
    patient, unit = emergency_patient_and_unit(database)
    result = release_in_emergency(database, patient, unit)
    assert result.exit_code == 0, result.output
    issue = get(database, Issue, only_id(database, Issue))
    [signature] = signatures(database)
    assert (signature.action, signature.entity, signature.entity_id) == ("emergency_release", "issue", str(issue.id))
    assert signature.signer_name == "Test hospital_staff" and issue.issued_by == "bms.ray"
    assert f"uncrossmatched unit {get(database, Unit, unit).din} X0002" in signature.meaning


def test_an_emergency_release_with_a_wrong_password_issues_nothing_and_is_logged(database):
    patient, unit = emergency_patient_and_unit(database)
    before = records(database)
    result = release_in_emergency(database, patient, unit, password="not my password at all")
    assert result.exit_code == 1 and "password does not match" in said(result)
    assert records(database) == before and unit_status(database, unit) == "available"
    assert signatures(database) == [] and audit_actions(database)[-1] == "signature_refused"
