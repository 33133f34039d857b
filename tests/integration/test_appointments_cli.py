import pytest
import time_machine
from typer.testing import CliRunner

from bloodbank.adapters.db.models import Appointment, Donor
from bloodbank.entrypoints.cli.context import set_database_url
from bloodbank.entrypoints.cli.donors import appointments as cli
from tests.integration.appointment_fixtures import NOW, at, audit_entries, counts, get, make_donor, make_site
from tests.integration.web_fixtures import make_user

runner = CliRunner()


@pytest.fixture(autouse=True)
def cli_database(database):
    set_database_url(database.url)
    make_user(database, "clerk", "clerk.ann")
    with time_machine.travel(NOW, tick=False):
        yield
    set_database_url(None)


def run(*args, user="clerk.ann"):
    return runner.invoke(cli.app, [str(a) for a in args], env={"BLOODBANK_USER": user})


def said(result) -> str:
    """The output with the console's line wrapping undone."""
    return " ".join(result.output.split())


def apart_from_the_audit_log(found: dict) -> dict:
    return {table: rows for table, rows in found.items() if table != "audit"}


def test_slots_booking_listing_and_cancelling_from_the_command_line(database):
    make_site(database, code="NORTH", chairs=1, opening_hours={"mon": ["08:00", "09:00"]})
    number = get(database, Donor, make_donor(database)).donor_number
    result = run("slots", "north", "2026-03-02")
    assert result.exit_code == 0 and "08:00 UTC  1 free" in result.output, result.output
    result = run("book", "north", "2026-03-02 08:15", number)
    assert result.exit_code == 0 and "Booked: appointment" in result.output, result.output
    assert "08:15 UTC  full" in run("slots", "north", "2026-03-02").output
    result = run("list", "north", "2026-03-02")
    assert "08:15" in result.output and number in result.output and "booked" in result.output
    with database.sessions() as session:
        appointment_id = session.query(Appointment.id).scalar()
    result = run("cancel", appointment_id, "--reason", "donor called")
    assert result.exit_code == 0 and "Cancelled" in result.output, result.output
    assert "cancelled" in run("list", "north", "2026-03-02").output


def test_a_full_slot_is_a_clear_message(database):
    make_site(database, code="NORTH", chairs=1)
    first, second = make_donor(database), make_donor(database)
    assert run("book", "NORTH", "2026-03-02 10:15", first).exit_code == 0
    before = counts(database)
    result = run("book", "NORTH", "2026-03-02 10:15", second)
    assert result.exit_code == 1
    assert "The only chair is booked at 10:15; next free slot: 10:30" in result.output
    assert counts(database) == before


def test_a_no_show_from_the_command_line(database):
    make_site(database, code="NORTH")
    run("book", "NORTH", "2026-03-02 09:00", make_donor(database))
    with database.sessions() as session:
        appointment_id = session.query(Appointment.id).scalar()
    with time_machine.travel(at(9, 30), tick=False):
        result = run("no-show", appointment_id)
    assert result.exit_code == 0 and "no-show" in result.output, result.output


@pytest.mark.parametrize("args, message", [
    (("slots", "NORTH", "02/03/2026"), "write it YYYY-MM-DD"),
    (("book", "NORTH", "tomorrow at ten", "1"), "write it 'YYYY-MM-DD HH:MM'"),
    (("slots", "WEST", "2026-03-02"), "No site with code 'WEST'"),
])
def test_unreadable_input_is_a_clear_message(database, args, message):
    make_site(database, code="NORTH")
    result = run(*args)
    assert result.exit_code == 1
    assert message in result.output


def test_a_booking_in_the_name_of_someone_without_an_account_is_refused_and_logged(database):
    make_site(database, code="NORTH")
    donor = make_donor(database)
    before, set_up = counts(database), len(audit_entries(database))
    result = run("book", "NORTH", "2026-03-02 09:00", donor, user="nobody")
    assert result.exit_code == 1 and "no active account named 'nobody'" in said(result)
    assert apart_from_the_audit_log(counts(database)) == apart_from_the_audit_log(before)
    [denied] = audit_entries(database)[set_up:]
    assert denied.action == "access_denied" and denied.entity_id == "appointments"
    assert denied.new["username"] == "nobody"


def test_a_lab_technician_may_not_book_or_read_the_days_appointments(database):
    make_user(database, "lab_technician", "lab.lee")
    make_site(database, code="NORTH")
    donor = make_donor(database)
    assert run("book", "NORTH", "2026-03-02 09:00", donor).exit_code == 0
    before, set_up = counts(database), len(audit_entries(database))
    booked = run("book", "NORTH", "2026-03-02 09:15", donor, user="lab.lee")
    listed = run("list", "NORTH", "2026-03-02", user="lab.lee")
    for result in (booked, listed):
        assert result.exit_code == 1 and "may not do this" in said(result) and "'appointments'" in said(result)
    assert "09:00" not in listed.output
    assert apart_from_the_audit_log(counts(database)) == apart_from_the_audit_log(before)
    assert [(e.action, e.actor, e.entity_id) for e in audit_entries(database)[set_up:]] == [
        ("access_denied", "lab.lee", "appointments")] * 2
