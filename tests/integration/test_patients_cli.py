from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bloodbank.adapters.db.models import AuditEntry, Hospital, Patient, PatientSample
from bloodbank.entrypoints.cli import context
from bloodbank.entrypoints.cli.hospital.patients import app, hospitals_app
from bloodbank.entrypoints.cli.staff.users import app as users_app
from tests.integration.lab_fixtures import audit_entries
from tests.integration.patient_fixtures import count_rows, make_hospital, make_site
from tests.integration.web_fixtures import join_hospitals, make_user

runner = CliRunner()


@pytest.fixture
def cli(database):
    context.set_database_url(database.url)
    make_user(database, "hospital_staff", "clerk.cli")
    make_user(database, "administrator", "admin.ada")  # hospitals are added by an administrator, as on the web
    yield lambda *args, sub=app, user="clerk.cli": runner.invoke(sub, [str(a) for a in args],
                                                               env={"BLOODBANK_USER": user, "COLUMNS": "250"})
    context.set_database_url(None)


def said(result) -> str:
    """The output with the console's line wrapping undone."""
    return " ".join(result.output.split())


def actors(database) -> list[str]:
    with database.sessions() as session:
        return list(session.execute(select(AuditEntry.actor).order_by(AuditEntry.id)).scalars())


def ok(result):
    assert result.exit_code == 0, result.output
    return result.output


def test_a_patient_is_registered_grouped_flagged_and_shown(database, cli):
    site = make_site(database)
    set_up = len(actors(database))
    ok(cli("create", "RXH", "--name", "Royal Example", "--site", site, sub=hospitals_app, user="admin.ada"))
    assert "of RXH" in ok(cli("hospitals", "clerk.cli", "--hospital", "rxh", sub=users_app, user="admin.ada"))
    created = len(actors(database))
    assert "RXH" in ok(cli("list", sub=hospitals_app))
    out = ok(cli("register", "--hospital", "rxh", "--id", "mrn:RXH:123456", "--id", "nhs:943 476 5919",
                 "--given", "Mary", "--family", "Example", "--dob", "1980-05-17", "--sex", "F"))
    assert "Mary Example" in out and "nhs:9434765919" in out
    ok(cli("sample", "mrn:RXH:123456", "S-1", "--taken-by", "nurse.kim"))
    ok(cli("sample", "RXH:123456", "S-2", "--taken-by", "nurse.kim"))
    with database.sessions() as session:
        first, second = session.execute(select(PatientSample.id).order_by(PatientSample.id)).scalars().all()
    assert "single" in ok(cli("group", "RXH:123456", "A+", "--sample", first))
    assert "DISAGREES" in ok(cli("group", "RXH:123456", "B+", "--sample", second, "--manual"))
    ok(cli("screen", "RXH:123456", "--sample", second, "--positive"))
    ok(cli("antibody", "RXH:123456", "anti-fya"))
    out = ok(cli("require", "RXH:123456", "irradiated", "--reason", "fludarabine"))
    number = re.search(r"Requirement #(\d+)", out).group(1)
    shown = ok(cli("show", "nhs:9434765919"))
    assert "discrepant" in shown and "anti-Fya" in shown and "irradiated" in shown and "positive" in shown
    ok(cli("end-requirement", number, "--reason", "finished"))
    assert "(not active)" in ok(cli("show", "RXH:123456"))
    assert set(actors(database)[set_up:created]) == {"admin.ada"}
    assert set(actors(database)[created:]) == {"clerk.cli"}


def test_a_duplicate_identifier_is_refused_naming_the_patient_on_file(database, cli):
    ok(cli("create", "RXH", "--name", "Royal", "--site", make_site(database), sub=hospitals_app,
           user="admin.ada"))
    join_hospitals(database, "clerk.cli", "RXH")  # the administrator adds the clerk to the new hospital
    ok(cli("register", "--hospital", "RXH", "--id", "mrn:RXH:1", "--family", "First"))
    result = cli("register", "--hospital", "RXH", "--id", "mrn:RXH:1", "--family", "Second")
    assert result.exit_code == 1
    assert "already belongs to patient" in result.output and "First" in result.output
    assert count_rows(database, Patient) == 1


def test_an_emergency_patient_is_identified_and_merged_from_the_command_line(database, cli):
    ok(cli("create", "RXH", "--name", "Royal", "--site", make_site(database), sub=hospitals_app,
           user="admin.ada"))
    join_hospitals(database, "clerk.cli", "RXH")  # the administrator adds the clerk to the new hospital
    ok(cli("register", "--hospital", "RXH", "--id", "mrn:RXH:1", "--family", "Known", "--sex", "M"))
    ok(cli("antibody", "RXH:1", "anti-K"))
    out = ok(cli("emergency", "--hospital", "RXH", "--age", "40"))
    number = re.search(r"(EM-\d{4}-\d{4})", out).group(1)
    assert "estimated" in out
    ok(cli("identifier", number, "passport:GBR:123456789", "--reason", "passport in pocket"))
    out = ok(cli("merge", number, "RXH:1", "--reason", "identified by family"))
    assert "Known" in out
    shown = ok(cli("show", "mrn:RXH:1"))
    assert "anti-K" in shown and number in shown and "GBR:123456789" in ok(cli("find", "known"))


def test_writes_need_a_user_and_errors_are_clerk_messages(database, cli):
    make_hospital(database, code="RXH")
    join_hospitals(database, "clerk.cli", "RXH")
    result = runner.invoke(app, ["emergency", "--hospital", "RXH"], env={"BLOODBANK_USER": None})
    assert result.exit_code == 2 and "--as" in result.output
    assert count_rows(database, Patient) == 0
    result = cli("show", "mrn:RXH:404")
    assert result.exit_code == 1 and "No patient has the identifier" in result.output
    result = cli("register", "--hospital", "NOPE", "--id", "RXH1")
    assert result.exit_code == 1 and "no hospital NOPE" in result.output


def test_a_registration_as_a_name_with_no_account_is_refused_and_logged(database, cli):
    make_hospital(database, code="RXH")
    join_hospitals(database, "clerk.cli", "RXH")
    entries = len(audit_entries(database))
    result = cli("register", "--hospital", "RXH", "--id", "mrn:RXH:1", "--family", "First", user="nobody")
    assert result.exit_code == 1 and "no active account named 'nobody'" in said(result)
    assert count_rows(database, Patient) == 0
    [denied] = audit_entries(database)[entries:]
    assert denied.action == "access_denied" and denied.entity_id == "patients.write"


def test_a_donor_desk_clerk_may_not_read_a_patient_from_the_command_line(database, cli):
    make_user(database, "clerk", "desk.dot")
    make_hospital(database, code="RXH")
    join_hospitals(database, "clerk.cli", "RXH")
    ok(cli("register", "--hospital", "RXH", "--id", "mrn:RXH:1", "--family", "Private"))
    result = cli("show", "mrn:RXH:1", user="desk.dot")
    assert result.exit_code == 1 and "may not do this" in said(result) and "'patients.read'" in said(result)
    assert "Private" not in said(result)
    assert audit_entries(database)[-1].action == "access_denied"


def test_hospital_staff_may_not_add_a_hospital_from_the_command_line(database, cli):
    result = cli("create", "RXH", "--name", "Royal", "--site", make_site(database), sub=hospitals_app)
    assert result.exit_code == 1 and "may not do this" in said(result) and "'sites.write'" in said(result)
    assert count_rows(database, Hospital) == 0
    assert audit_entries(database)[-1].action == "access_denied"
