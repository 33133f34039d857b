"""`bloodbank doctor` names what makes this installation unsafe, and fails when something is dangerous."""

from __future__ import annotations

from typer.testing import CliRunner

from bloodbank.adapters import data_keys
from bloodbank.adapters.db.database import Database
from bloodbank.adapters.db.migrate import upgrade

from bloodbank.entrypoints.cli import app
from bloodbank.entrypoints.demo.accounts import DEMO_ACCOUNTS, ensure_demo_users
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from tests.integration.sealed_fixtures import confide_everything, key_file  # noqa: F401
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


def test_values_left_under_an_older_key_are_named_until_they_are_resealed(database, key_file):
    make_user(database, "administrator", "root.ana")
    confide_everything(database)
    data_keys.write_file(key_file, data_keys.read_file(key_file).with_new_key("second"))
    said = " ".join(runner.invoke(app, ["--database", database.url, "doctor", "--as", "root.ana"]).output.split())
    assert "stored value(s) are still sealed with an older key: run `bloodbank keys reseal`" in said
    runner.invoke(app, ["--database", database.url, "keys", "reseal", "--as", "root.ana"])
    said = " ".join(runner.invoke(app, ["--database", database.url, "doctor", "--as", "root.ana"]).output.split())
    assert "older key" not in said


def test_a_key_file_in_the_database_folder_is_named(key_file):
    """On a database file of its own, in the key file's folder."""
    url = f"sqlite:///{key_file.parent / 'bloodbank.db'}"
    upgrade(url)
    database = Database(url)
    try:
        make_user(database, "administrator", "root.ana")
        said = " ".join(runner.invoke(app, ["--database", url, "doctor", "--as", "root.ana"]).output.split())
    finally:
        database.dispose()
    assert "The data key file sits in the database's folder" in said
