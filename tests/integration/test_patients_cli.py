from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bloodbank.adapters.db.models import AuditEntry, Patient, PatientSample
from bloodbank.entrypoints.cli import context
from bloodbank.entrypoints.cli.hospital.patients import app, hospitals_app
from tests.integration.patient_fixtures import count_rows, make_hospital, make_site

runner = CliRunner()


@pytest.fixture
def cli(database):
    context.set_database_url(database.url)
    env = {"BLOODBANK_USER": "clerk.cli", "COLUMNS": "250"}
    yield lambda *args, sub=app: runner.invoke(sub, [str(a) for a in args], env=env)
    context.set_database_url(None)


def ok(result):
    assert result.exit_code == 0, result.output
    return result.output


def test_a_patient_is_registered_grouped_flagged_and_shown(database, cli):
    site = make_site(database)
    ok(cli("create", "RXH", "--name", "Royal Example", "--site", site, sub=hospitals_app))
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
    with database.sessions() as session:
        assert set(session.execute(select(AuditEntry.actor)).scalars()) == {"clerk.cli"}


def test_a_duplicate_identifier_is_refused_naming_the_patient_on_file(database, cli):
    ok(cli("create", "RXH", "--name", "Royal", "--site", make_site(database), sub=hospitals_app))
    ok(cli("register", "--hospital", "RXH", "--id", "mrn:RXH:1", "--family", "First"))
    result = cli("register", "--hospital", "RXH", "--id", "mrn:RXH:1", "--family", "Second")
    assert result.exit_code == 1
    assert "already belongs to patient" in result.output and "First" in result.output
    assert count_rows(database, Patient) == 1


def test_an_emergency_patient_is_identified_and_merged_from_the_command_line(database, cli):
    ok(cli("create", "RXH", "--name", "Royal", "--site", make_site(database), sub=hospitals_app))
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
    result = runner.invoke(app, ["emergency", "--hospital", "RXH"], env={"BLOODBANK_USER": None})
    assert result.exit_code == 2 and "--as" in result.output
    assert count_rows(database, Patient) == 0
    result = cli("show", "mrn:RXH:404")
    assert result.exit_code == 1 and "No patient has the identifier" in result.output
    result = cli("register", "--hospital", "NOPE", "--id", "RXH1")
    assert result.exit_code == 1 and "no hospital NOPE" in result.output
