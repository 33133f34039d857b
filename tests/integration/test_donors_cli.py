from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bloodbank.adapters.db.models import AuditEntry

from bloodbank.entrypoints.cli import context
from bloodbank.entrypoints.cli.donors.donors import app
from bloodbank.service_layer.donors.search import find_donor_by_number
from tests.integration.donor_fixtures import audit_entries, clerk, counts, donor_row, make_deferral, register
from tests.integration.web_fixtures import make_user

runner = CliRunner()


@pytest.fixture
def cli(database):
    context.set_database_url(database.url)
    make_user(database, "clerk", "clerk.cli")
    make_user(database, "medical_director", "dr.mora")
    yield lambda *args, user="clerk.cli": runner.invoke(app, [str(a) for a in args],
                                                        env={"BLOODBANK_USER": user, "COLUMNS": "250"})
    context.set_database_url(None)


REGISTER = ["register", "--given", "Wanjiru", "--family", "Mensah", "--dob", "1987-03-11", "--sex", "F",
            "--phone", "+44 7700 900321", "--group", "B neg", "--appeals"]


def number_in(output: str) -> str:
    return re.search(r"donor (D\d{7}[0-9X])", output).group(1)


def said(result) -> str:
    """The output with the console's line wrapping undone."""
    return " ".join(result.output.split())


def apart_from_the_audit_log(found: dict) -> dict:
    return {table: rows for table, rows in found.items() if table != "audit"}


def audit_log(database) -> list[AuditEntry]:
    with database.sessions() as session:
        return list(session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars())


def test_register_prints_the_new_donor_number_and_records_who_typed_it(database, cli):
    result = cli(*REGISTER)
    assert result.exit_code == 0, result.output
    number = number_in(result.output)
    shown = cli("show", number)
    assert shown.exit_code == 0, shown.output
    assert "Wanjiru Mensah" in shown.output and "blood group B-" in shown.output and "Appeals: yes" in shown.output
    donor = find_donor_by_number(clerk(database), number)
    [entry] = audit_entries(database, donor.id, "register")
    assert entry.actor == "clerk.cli"


def test_a_possible_duplicate_is_listed_and_the_clerk_is_told_how_to_go_on(database, cli):
    first = number_in(cli(*REGISTER).output)
    before = counts(database)
    again = ["register", "--given", "Wanjiru", "--family", "Mensha", "--dob", "1987-11-03", "--sex", "F"]
    result = cli(*again)
    assert result.exit_code == 1
    assert counts(database) == before
    assert first in result.output and "date of birth with day and month swapped" in result.output
    assert "family name differs by one letter" in result.output
    assert f"--confirm-new {first}" in result.output and "bloodbank donors merge" in result.output

    confirmed = cli(*again, "--confirm-new", first)
    assert confirmed.exit_code == 0, confirmed.output
    assert number_in(confirmed.output) != first


def test_a_date_written_any_other_way_is_refused(database, cli):
    result = cli("register", "--given", "Ana", "--family", "Silva", "--dob", "03/04/1990", "--sex", "F")
    assert result.exit_code == 1
    assert "must be written YYYY-MM-DD" in result.output
    assert counts(database)["donor"] == 0


def test_search_lists_matching_donors(database, cli):
    register(database, given_name="Tomas", family_name="Varga", sex="M")
    register(database, given_name="Vera", family_name="Varga")
    result = cli("search", "varga")
    assert result.exit_code == 0, result.output
    assert "Tomas Varga" in result.output and "Vera Varga" in result.output
    assert "No donor found" in cli("search", "nobody").output


def test_merge_by_numbers_moves_the_history_and_a_merged_number_is_refused_next_time(database, cli):
    survivor = register(database, given_name="Kofi", family_name="Mensah", sex="M", date_of_birth=date(1979, 8, 20))
    duplicate = register(database, given_name="Kofi", family_name="Mensa", sex="M", date_of_birth=date(1979, 8, 21))
    make_deferral(database, duplicate.id)
    result = cli("merge", survivor.donor_number, duplicate.donor_number, "--reason", "donor has both cards",
                 user="dr.mora")
    assert result.exit_code == 0, result.output
    assert f"Merged {duplicate.donor_number} into {survivor.donor_number}" in result.output
    assert donor_row(database, duplicate.id).merged_into_id == survivor.id
    [entry] = audit_entries(database, survivor.id, "merge")
    assert entry.actor == "dr.mora" and entry.new["moved"] == {"deferral": 1}

    again = cli("merge", survivor.donor_number, duplicate.donor_number, "--reason", "again", user="dr.mora")
    assert again.exit_code == 1
    assert f"{duplicate.donor_number} was already merged into {survivor.donor_number}" in again.output


def test_show_refuses_a_mistyped_number_without_a_traceback(database, cli):
    result = cli("show", "D00000018")
    assert result.exit_code == 1
    assert "check character does not match" in result.output


def test_card_writes_a_pdf_with_the_number(database, cli, tmp_path):
    donor = register(database, given_name="Yasmin", family_name="Ahmed", blood_group="AB+")
    out = tmp_path / "card.pdf"
    result = cli("card", donor.donor_number, "--out", out)
    assert result.exit_code == 0, result.output
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF") and donor.donor_number.encode() in pdf


def test_a_registration_in_the_name_of_someone_without_an_account_is_refused_and_logged(database, cli):
    before, set_up = counts(database), len(audit_log(database))
    result = cli(*REGISTER, user="nobody")
    assert result.exit_code == 1 and "no active account named 'nobody'" in said(result)
    assert apart_from_the_audit_log(counts(database)) == apart_from_the_audit_log(before)
    [denied] = audit_log(database)[set_up:]
    assert denied.action == "access_denied" and denied.entity_id == "donors.write"
    assert denied.new["username"] == "nobody"


def test_a_clerk_may_not_merge_two_records(database, cli):
    survivor = register(database, given_name="Kofi", family_name="Mensah", sex="M", date_of_birth=date(1979, 8, 20))
    duplicate = register(database, given_name="Kofi", family_name="Mensa", sex="M", date_of_birth=date(1979, 8, 21))
    before, set_up = counts(database), len(audit_log(database))
    result = cli("merge", survivor.donor_number, duplicate.donor_number, "--reason", "donor has both cards")
    assert result.exit_code == 1 and "may not do this" in said(result) and "'donors.merge'" in said(result)
    assert donor_row(database, duplicate.id).merged_into_id is None
    assert apart_from_the_audit_log(counts(database)) == apart_from_the_audit_log(before)
    assert [(e.action, e.actor, e.entity_id) for e in audit_log(database)[set_up:]] == [
        ("access_denied", "clerk.cli", "donors.merge")]


def test_a_hospital_account_may_not_find_or_show_a_donor(database, cli):
    make_user(database, "hospital_staff", "ward.wu")
    donor = register(database, given_name="Tomas", family_name="Varga", sex="M")
    set_up = len(audit_log(database))
    found, shown = cli("search", "varga", user="ward.wu"), cli("show", donor.donor_number, user="ward.wu")
    for result in (found, shown):
        assert result.exit_code == 1 and "may not do this" in said(result) and "'donors.read'" in said(result)
        assert "Varga" not in result.output
    assert [(e.action, e.entity_id) for e in audit_log(database)[set_up:]] == [("access_denied", "donors.read")] * 2
