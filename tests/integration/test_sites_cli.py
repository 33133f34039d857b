import pytest
from typer.testing import CliRunner

from bloodbank.entrypoints.cli.context import set_database_url
from bloodbank.entrypoints.cli.donors import sites as cli
from tests.integration.appointment_fixtures import audit_entries, counts

runner = CliRunner()


@pytest.fixture(autouse=True)
def cli_database(database):
    set_database_url(database.url)
    yield
    set_database_url(None)


def run(*args):
    return runner.invoke(cli.app, [str(a) for a in args], env={"BLOODBANK_USER": "clerk.ann"})


def test_a_site_is_created_shown_listed_and_updated_from_the_command_line(database):
    result = run("create", "north", "North Centre", "--facility", "A9999", "--chairs", 6,
                 "--hours", "mon-fri=08:00-12:00,13:00-17:00", "--hours", "sat=09:00-13:00")
    assert result.exit_code == 0, result.output
    assert "Mon 08:00-12:00, 13:00-17:00" in result.output and "Sat 09:00-13:00" in result.output
    result = run("show", "NORTH")
    assert result.exit_code == 0 and "6 chairs, 15-minute slots" in result.output, result.output
    result = run("update", "north", "--chairs", 3, "--reason", "refurbishment")
    assert result.exit_code == 0 and "3 chairs" in result.output, result.output
    assert "NORTH" in run("list").output
    run("deactivate", "north", "--reason", "closed for works")
    assert "NORTH" not in run("list").output
    assert "(inactive)" in run("list", "--all").output
    assert {e.actor for e in audit_entries(database)} == {"clerk.ann"}


def test_hours_may_be_given_as_json(database):
    result = run("create", "drive", "School drive", "--facility", "B1234", "--kind", "mobile",
                 "--hours-json", '{"wed": ["10:00", "14:00"]}')
    assert result.exit_code == 0 and "Wed 10:00-14:00" in result.output, result.output


def test_a_bad_facility_code_is_a_clear_message_and_nothing_is_written(database):
    result = run("create", "north", "North Centre", "--facility", "O1234", "--hours", "mon=08:00-16:00")
    assert result.exit_code == 1
    assert "cannot start with 'O'" in result.output
    assert counts(database)["site"] == 0


def test_a_command_without_a_user_name_is_refused(database):
    result = runner.invoke(cli.app, ["create", "north", "North", "--facility", "A9999"], env={"BLOODBANK_USER": ""})
    assert result.exit_code != 0
    assert counts(database)["site"] == 0
