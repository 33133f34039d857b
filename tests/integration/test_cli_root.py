"""Every command of the `bloodbank` console script answers --help, and runs only as a checked account."""

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from bloodbank.entrypoints.cli import app
from bloodbank.entrypoints.cli.identity import permission_of
from tests.integration.web_fixtures import make_user


def all_command_paths(command, prefix=()):
    yield prefix
    for name, sub in getattr(command, "commands", {}).items():
        yield from all_command_paths(sub, prefix + (name,))


PATHS = list(all_command_paths(get_command(app)))


def test_the_expected_command_groups_are_mounted():
    top = {p[0] for p in PATHS if len(p) == 1}
    assert {"db", "demo", "serve", "eligibility", "audit", "donors", "sites", "appointments", "visits",
            "collection", "processing", "lab", "inventory", "hospitals", "patients", "orders", "issue",
            "transfusion", "trace", "lookback", "recall", "keys", "field"} <= top


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "bloodbank")
def test_every_command_has_help(path):
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


# Commands that touch no record: the schema, the demo loader, the rule engine on a file, the server, the questions.
NO_RECORDS = {
    # A restore goes into an empty database: no account exists there to run it as; the backup file is the key.
    ("db", "current"), ("db", "upgrade"), ("db", "restore"), ("demo",), ("serve",), ("eligibility", "check"),
    ("eligibility", "rules"), ("eligibility", "deferral-codes"), ("visits", "questions"), ("field", "rules"),
    # The data key file is made before the database, and so before any account, exists.
    ("keys", "init"),
    # The simulator runs the domain's rules on synthetic demand: no database, no record.
    ("simulate",),
}


def leaf_commands():
    root = get_command(app)
    for path in PATHS:
        command = root
        for name in path:
            command = command.commands[name]
        if not hasattr(command, "commands"):
            yield path, command


@pytest.mark.parametrize("path, command", list(leaf_commands()), ids=lambda v: " ".join(v) if isinstance(v, tuple)
                         else "")
def test_every_command_that_touches_records_declares_a_permission_and_takes_as(path, command):
    takes_as = any("--as" in getattr(p, "opts", ()) for p in command.params)
    callback = getattr(command.callback, "__wrapped__", command.callback)
    if path in NO_RECORDS:
        assert not takes_as and permission_of(callback) is None
    else:
        assert takes_as and permission_of(callback) is not None


def test_audit_verify_reports_an_intact_chain(database):
    make_user(database, "administrator", "admin.ada")
    result = CliRunner().invoke(app, ["--database", database.url, "audit", "verify", "--as", "admin.ada"])
    assert result.exit_code == 0 and "intact" in result.output


def test_audit_verify_is_refused_to_a_clerk(database):
    make_user(database, "clerk", "clerk.cy")
    result = CliRunner().invoke(app, ["--database", database.url, "audit", "verify", "--as", "clerk.cy"])
    assert result.exit_code == 1 and "intact" not in result.output
