import re

from typer.testing import CliRunner

from bloodbank.entrypoints.cli.app import app
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.staff import authentication


def run(database, *args, input=None):
    return CliRunner().invoke(app, ["--database", database.url, *args], input=input)


def test_the_first_administrator_is_created_from_the_command_line_and_can_log_in(database):
    result = run(database, "users", "create", "a.smith", "--name", "Alex Smith", "--role", "administrator",
                 "--as", "installer", input="a long password\na long password\n")
    assert result.exit_code == 0, result.output
    assert "Created a.smith (Administrator)" in result.output
    ticket = authentication.login(UnitOfWork(database), username="a.smith", password="a long password")
    assert ticket.principal.role == "administrator"
    assert "a.smith" in run(database, "users", "list").output


def test_a_short_password_is_refused_with_the_rule(database):
    result = run(database, "users", "create", "b.jones", "--name", "B Jones", "--role", "clerk",
                 "--password", "short", "--as", "installer")
    assert result.exit_code == 1
    assert "at least 10 characters" in result.output
    assert "b.jones" not in run(database, "users", "list").output


def test_a_token_is_issued_for_a_named_account_only(database):
    run(database, "users", "create", "lis", "--name", "Hospital LIS", "--role", "hospital_staff",
        "--password", "a long password", "--as", "installer")
    issued = run(database, "users", "token", "lis", "--name", "hospital LIS", "--as", "installer")
    assert issued.exit_code == 0 and re.search(r"Token \d+ for lis: ", issued.output)
    token = issued.output.split(": ")[-1].strip()
    assert authentication.resolve_api_token(UnitOfWork(database), token).username == "lis"
    assert run(database, "users", "token", "nobody", "--name", "x", "--as", "installer").exit_code == 1
