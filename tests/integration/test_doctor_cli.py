"""`bloodbank doctor` names what makes this installation unsafe, and fails when something is dangerous."""

from __future__ import annotations

from typer.testing import CliRunner

from bloodbank.entrypoints.cli import app
from bloodbank.entrypoints.demo.accounts import DEMO_ACCOUNTS, ensure_demo_users
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from tests.integration.web_fixtures import make_user

runner = CliRunner()


def test_a_database_with_demo_accounts_beside_real_ones_is_dangerous(database):
    make_user(database, "administrator", "root.ana")
    ensure_demo_users(lambda: UnitOfWork(database, actor="demo"))
    result = runner.invoke(app, ["--database", database.url, "doctor", "--as", "root.ana"])
    said = " ".join(result.output.split())
    assert result.exit_code == 1
    assert "Demo accounts (admin, clerk," in said and "1 real account(s)" in said
    assert f"{len(DEMO_ACCOUNTS)} active account(s) still use the demo password" in said
    assert "No backup has ever been taken" in said


def test_the_doctor_needs_an_administrator(database):
    make_user(database, "clerk", "clerk.ann")
    result = runner.invoke(app, ["--database", database.url, "doctor", "--as", "clerk.ann"])
    assert result.exit_code == 1 and "may not do this" in result.output
