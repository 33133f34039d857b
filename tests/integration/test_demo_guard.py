"""Demo data never reaches a real database, and a real database never serves the demo's public accounts."""

from __future__ import annotations

from typer.testing import CliRunner

from bloodbank.adapters.db.models import Donor
from bloodbank.config import get_settings
from bloodbank.entrypoints.cli import app
from bloodbank.entrypoints.demo.accounts import DEMO_ACCOUNTS, ensure_demo_users
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.staff import users
from tests.integration.visit_fixtures import make_donor
from tests.integration.web_fixtures import make_user

runner = CliRunner()


def donors_in(database) -> int:
    with database.sessions() as session:
        return session.query(Donor).count()


def test_the_demo_refuses_a_database_with_a_real_account_and_writes_nothing(database):
    make_user(database, "administrator", "root.ana")
    result = runner.invoke(app, ["--database", database.url, "demo", "--donors", "5"])
    assert result.exit_code == 2 and "account(s) the demo did not create" in " ".join(result.output.split())
    assert donors_in(database) == 0
    assert users.account_kinds(UnitOfWork(database)).demo == 0


def test_the_demo_refuses_a_database_with_donors_it_did_not_create(database):
    make_donor(database)
    result = runner.invoke(app, ["--database", database.url, "demo", "--donors", "5"])
    assert result.exit_code == 2 and "donors the demo did not create" in " ".join(result.output.split())
    assert donors_in(database) == 1


def test_demo_accounts_are_marked_as_the_demos(database):
    ensure_demo_users(lambda: UnitOfWork(database, actor="demo"))
    assert {u.username for u in users.list_users(UnitOfWork(database)) if u.demo} == {n for n, _, _ in DEMO_ACCOUNTS}
    assert users.account_kinds(UnitOfWork(database)) == users.AccountKinds(demo=len(DEMO_ACCOUNTS), real=0)


def test_the_server_refuses_a_database_with_demo_accounts_beside_real_ones(database, monkeypatch):
    ensure_demo_users(lambda: UnitOfWork(database, actor="demo"))
    make_user(database, "administrator", "root.ana")
    monkeypatch.setenv("BLOODBANK_PASSWORD_HASHING", "standard")
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["--database", database.url, "serve", "--port", "9"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "demo account(s), whose password is public" in " ".join(result.output.split())
