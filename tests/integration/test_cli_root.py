"""Every command of the `bloodbank` console script answers --help."""

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from bloodbank.entrypoints.cli import app


def all_command_paths(command, prefix=()):
    yield prefix
    for name, sub in getattr(command, "commands", {}).items():
        yield from all_command_paths(sub, prefix + (name,))


PATHS = list(all_command_paths(get_command(app)))


def test_the_expected_command_groups_are_mounted():
    top = {p[0] for p in PATHS if len(p) == 1}
    assert {"db", "demo", "serve", "eligibility", "audit", "donors", "sites", "appointments", "visits",
            "collection", "processing", "lab", "inventory", "hospitals", "patients", "orders", "issue",
            "transfusion", "trace", "lookback", "recall"} <= top


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "bloodbank")
def test_every_command_has_help(path):
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_audit_verify_reports_an_intact_chain(database):
    result = CliRunner().invoke(app, ["--database", database.url, "audit", "verify"])
    assert result.exit_code == 0 and "intact" in result.output
