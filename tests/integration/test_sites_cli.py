import pytest
from typer.testing import CliRunner

from bloodbank.entrypoints.cli.context import set_database_url
from bloodbank.entrypoints.cli.donors import sites as cli
from tests.integration.appointment_fixtures import audit_entries, counts
from tests.integration.web_fixtures import make_user

runner = CliRunner()


@pytest.fixture(autouse=True)
def cli_database(database):
    set_database_url(database.url)
    make_user(database, "administrator", "site.admin")
    yield
    set_database_url(None)


def run(*args, user="site.admin"):
    return runner.invoke(cli.app, [str(a) for a in args], env={"BLOODBANK_USER": user})


def said(result) -> str:
    """The output with the console's line wrapping undone."""
    return " ".join(result.output.split())


def test_a_site_is_created_shown_listed_and_updated_from_the_command_line(database):
    set_up = len(audit_entries(database))
    result = run("create", "north", "North Centre", "--facility", "A9999", "--time-zone", "Asia/Damascus", "--chairs", 6,
                 "--hours", "mon-fri=08:00-12:00,13:00-17:00", "--hours", "sat=09:00-13:00")
    assert result.exit_code == 0, result.output
    assert "Mon 08:00-12:00, 13:00-17:00" in result.output and "Sat 09:00-13:00" in result.output
    result = run("show", "NORTH")
    assert result.exit_code == 0 and "6 chairs, 15-minute slots" in result.output, result.output
    assert "clock Asia/Damascus" in result.output
    result = run("update", "north", "--chairs", 3, "--reason", "refurbishment")
    assert result.exit_code == 0 and "3 chairs" in result.output, result.output
    assert "NORTH" in run("list").output
    run("deactivate", "north", "--reason", "closed for works")
    assert "NORTH" not in run("list").output
    assert "(inactive)" in run("list", "--all").output
    assert {e.actor for e in audit_entries(database)[set_up:]} == {"site.admin"}


def test_hours_may_be_given_as_json(database):
    result = run("create", "drive", "School drive", "--facility", "B1234", "--kind", "mobile", "--time-zone", "UTC",
                 "--hours-json", '{"wed": ["10:00", "14:00"]}')
    assert result.exit_code == 0 and "Wed 10:00-14:00" in result.output, result.output


def test_a_bad_facility_code_is_a_clear_message_and_nothing_is_written(database):
    result = run("create", "north", "North Centre", "--facility", "O1234", "--time-zone", "UTC",
                 "--hours", "mon=08:00-16:00")
    assert result.exit_code == 1
    assert "cannot start with 'O'" in result.output
    assert counts(database)["site"] == 0


def test_a_command_without_a_user_name_is_refused(database):
    result = runner.invoke(cli.app, ["create", "north", "North", "--facility", "A9999", "--time-zone", "UTC"],
                           env={"BLOODBANK_USER": ""})
    assert result.exit_code != 0
    assert counts(database)["site"] == 0


def test_a_site_created_in_the_name_of_someone_without_an_account_is_refused_and_logged(database):
    set_up = len(audit_entries(database))
    result = run("create", "north", "North Centre", "--facility", "A9999", "--time-zone", "UTC", user="nobody")
    assert result.exit_code == 1 and "no active account named 'nobody'" in said(result)
    assert counts(database)["site"] == 0
    [denied] = audit_entries(database)[set_up:]
    assert denied.action == "access_denied" and denied.entity_id == "sites.write"
    assert denied.new["username"] == "nobody"


def test_a_clerk_reads_the_sites_but_may_not_create_or_deactivate_one(database):
    make_user(database, "clerk", "clerk.ann")
    assert run("create", "north", "North Centre", "--facility", "A9999", "--time-zone", "UTC").exit_code == 0
    set_up = len(audit_entries(database))
    listed = run("list", user="clerk.ann")
    assert listed.exit_code == 0 and "NORTH" in listed.output
    assert run("show", "north", user="clerk.ann").exit_code == 0
    created = run("create", "south", "South Centre", "--facility", "A9999", "--time-zone", "UTC", user="clerk.ann")
    closed = run("deactivate", "north", "--reason", "closed for works", user="clerk.ann")
    for result in (created, closed):
        assert result.exit_code == 1 and "may not do this" in said(result) and "'sites.write'" in said(result)
    assert counts(database)["site"] == 1
    assert "(inactive)" not in run("list", "--all").output
    assert [(e.action, e.actor, e.entity_id) for e in audit_entries(database)[set_up:]] == [
        ("access_denied", "clerk.ann", "sites.write")] * 2


def test_a_hospital_account_may_not_list_the_sites(database):
    make_user(database, "hospital_staff", "ward.wu")
    assert run("create", "north", "North Centre", "--facility", "A9999", "--time-zone", "UTC").exit_code == 0
    result = run("list", user="ward.wu")
    assert result.exit_code == 1 and "may not do this" in said(result) and "NORTH" not in result.output
    assert audit_entries(database)[-1].action == "access_denied"


def test_a_site_without_a_time_zone_is_refused_from_the_command_line(database):
    result = run("create", "north", "North Centre", "--facility", "A9999")
    assert result.exit_code != 0 and "--time-zone" in said(result)
    result = run("create", "north", "North Centre", "--facility", "A9999", "--time-zone", "Mars/Olympus")
    assert result.exit_code == 1 and "Unknown time zone 'Mars/Olympus'" in said(result)
    assert counts(database)["site"] == 0
