import re

from typer.testing import CliRunner

from bloodbank.entrypoints.cli.app import app
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.staff import authentication, users
from tests.integration.lab_fixtures import audit_entries

ADMIN_PASSWORD = "a long password"


def run(database, *args, input=None):
    return CliRunner().invoke(app, ["--database", database.url, *args], input=input)


def said(result) -> str:
    return " ".join(result.output.split())


def first_administrator(database) -> None:
    result = run(database, "users", "create", "a.smith", "--name", "Alex Smith", "--role", "administrator",
                 "--password", ADMIN_PASSWORD, "--as", "installer")
    assert result.exit_code == 0, result.output


def usernames(database) -> set[str]:
    return {u.username for u in users.list_users(UnitOfWork(database))}


def test_the_first_administrator_is_created_from_the_command_line_and_can_log_in(database):
    result = run(database, "users", "create", "a.smith", "--name", "Alex Smith", "--role", "administrator",
                 "--as", "installer", input="a long password\na long password\n")
    assert result.exit_code == 0, result.output
    assert "Created a.smith (Administrator)" in result.output
    ticket = authentication.login(UnitOfWork(database), username="a.smith", password="a long password")
    assert ticket.principal.role == "administrator"
    assert "a.smith" in run(database, "users", "list", "--as", "a.smith").output
    assert audit_entries(database, "user")[0].actor == "installer"


def test_the_first_account_of_an_empty_installation_must_be_its_administrator(database):
    result = run(database, "users", "create", "b.jones", "--name", "B Jones", "--role", "clerk",
                 "--password", ADMIN_PASSWORD, "--as", "installer")
    assert result.exit_code == 1 and "its first account is its administrator" in said(result)
    assert usernames(database) == set()


def test_once_an_account_exists_nobody_creates_an_administrator_without_an_account(database):
    first_administrator(database)
    result = run(database, "users", "create", "mallory", "--name", "Mallory", "--role", "administrator",
                 "--password", ADMIN_PASSWORD, "--as", "nobody")
    assert result.exit_code == 1 and "no active account named 'nobody'" in said(result)
    assert usernames(database) == {"a.smith"}
    assert audit_entries(database)[-1].action == "access_denied"


def test_a_clerk_cannot_create_accounts_or_list_them_from_the_command_line(database):
    first_administrator(database)
    run(database, "users", "create", "c.lee", "--name", "C Lee", "--role", "clerk", "--password", ADMIN_PASSWORD,
        "--as", "a.smith")
    made = run(database, "users", "create", "d.roe", "--name", "D Roe", "--role", "administrator",
               "--password", ADMIN_PASSWORD, "--as", "c.lee")
    listed = run(database, "users", "list", "--as", "c.lee")
    assert made.exit_code == 1 and "may not do this" in said(made)
    assert listed.exit_code == 1 and "a.smith" not in listed.output
    assert usernames(database) == {"a.smith", "c.lee"}


def test_a_short_password_is_refused_with_the_rule(database):
    first_administrator(database)
    result = run(database, "users", "create", "b.jones", "--name", "B Jones", "--role", "clerk",
                 "--password", "short", "--as", "a.smith")
    assert result.exit_code == 1
    assert "at least 10 characters" in result.output
    assert "b.jones" not in run(database, "users", "list", "--as", "a.smith").output


def test_a_token_is_issued_for_a_named_account_only(database):
    first_administrator(database)
    run(database, "users", "create", "lis", "--name", "Hospital LIS", "--role", "hospital_staff", "--service",
        "--password", "a long password", "--as", "a.smith")
    issued = run(database, "users", "token", "lis", "--name", "hospital LIS", "--as", "a.smith")
    assert issued.exit_code == 0 and re.search(r"Token \d+ for lis: ", issued.output)
    token = issued.output.split(": ")[-1].strip()
    assert authentication.resolve_api_token(UnitOfWork(database), token).username == "lis"
    assert run(database, "users", "token", "nobody", "--name", "x", "--as", "a.smith").exit_code == 1
