"""Rotating the data key: every stored value sealed again under a new key, resumable; the old key retired after."""

from __future__ import annotations

import json
import stat

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from bloodbank.adapters import data_keys as keyring
from bloodbank.adapters.data_keys import KeyRing, key_id_of
from bloodbank.adapters.db.models import AuditEntry
from bloodbank.config import get_settings
from bloodbank.domain.errors import Conflict, DataKeyUnavailable
from bloodbank.entrypoints.cli import app
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.staff import data_keys
from tests.integration.sealed_fixtures import confide_everything, key_file, opened, raw_sealed_values  # noqa: F401
from tests.integration.web_fixtures import make_user

runner = CliRunner()


def keys_command(database, *args: str, user: str = "admin.ada"):
    return runner.invoke(app, ["--database", database.url, "keys", *args, "--as", user])


def key_ids_in_use(database) -> set[str]:
    return {key_id_of(v) for values in raw_sealed_values(database).values() for v in values}


def test_a_rotation_seals_everything_under_a_new_key_and_the_old_one_is_then_retired(database, key_file):
    make_user(database, "administrator", "admin.ada")
    confide_everything(database)
    before = opened(database)
    assert key_ids_in_use(database) == {"first"}

    refused = keys_command(database, "retire", "first")
    assert refused.exit_code == 1 and "is the current one" in " ".join(refused.output.split())

    rotated = keys_command(database, "rotate")
    assert rotated.exit_code == 0, rotated.output
    ring = keyring.read_file(key_file)
    assert set(ring.keys) == {"first", ring.current} and ring.current != "first"
    assert key_ids_in_use(database) == {ring.current}
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    retired = keys_command(database, "retire", "first")
    assert retired.exit_code == 0, retired.output
    assert set(keyring.read_file(key_file).keys) == {ring.current}
    assert opened(database) == before


def test_the_unit_history_stays_append_only_after_its_values_are_resealed(database, key_file):
    make_user(database, "administrator", "admin.ada")
    confide_everything(database)
    assert keys_command(database, "rotate").exit_code == 0
    with pytest.raises(Exception, match="unit_event is append-only"):
        with database.engine.begin() as conn:
            conn.execute(text("UPDATE unit_event SET actor = 'someone.else'"))


def test_the_rotation_is_audited_with_key_ids_and_never_a_key(database, key_file):
    make_user(database, "administrator", "admin.ada")
    confide_everything(database)
    assert keys_command(database, "rotate").exit_code == 0
    ring = keyring.read_file(key_file)
    assert keys_command(database, "retire", "first").exit_code == 0
    with database.sessions() as s:
        entries = s.execute(select(AuditEntry).where(AuditEntry.entity == "data_key")
                            .order_by(AuditEntry.id)).scalars().all()
    assert [(e.action, e.entity_id, e.actor) for e in entries] == [
        ("rotate", ring.current, "admin.ada"), ("reseal", ring.current, "admin.ada"), ("retire", "first", "admin.ada")]
    written = json.dumps([[e.old, e.new, e.reason] for e in entries])
    assert all(keyring._b64(key) not in written for key in ring.keys.values())


class Interrupted(Exception):
    pass


def test_an_interrupted_rotation_resumes_and_the_old_key_is_kept_until_nothing_needs_it(database, key_file):
    make_user(database, "administrator", "admin.ada")
    confide_everything(database)
    before = opened(database)

    def stop_after_first_batch(done: int, total: int) -> None:
        if done:
            raise Interrupted

    with pytest.raises(Interrupted):
        data_keys.rotate(UnitOfWork(database, actor="admin.ada"), progress=stop_after_first_batch)
    status = data_keys.key_status(UnitOfWork(database))
    assert status.under_older_keys > 0 and status.values_by_key[status.current] > 0
    with pytest.raises(Conflict, match="still sealed with the data key first: run `bloodbank keys reseal`"):
        data_keys.retire(UnitOfWork(database, actor="admin.ada"), key_id="first")
    assert opened(database) == before  # half-way, everything still reads

    resumed = keys_command(database, "reseal")
    assert resumed.exit_code == 0, resumed.output
    assert data_keys.key_status(UnitOfWork(database)).under_older_keys == 0
    assert keys_command(database, "retire", "first").exit_code == 0
    assert opened(database) == before


def serve_refusal(monkeypatch, database):
    """What `bloodbank serve` says as it refuses, with the server's own password hashing."""
    monkeypatch.setenv("BLOODBANK_PASSWORD_HASHING", "standard")
    get_settings.cache_clear()
    return runner.invoke(app, ["--database", database.url, "serve", "--port", "9"])


def test_a_value_sealed_with_a_retired_key_stops_the_status_and_the_server(monkeypatch, database, key_file):
    make_user(database, "administrator", "admin.ada")
    confide_everything(database)
    keyring.write_file(key_file, KeyRing.generate("other"))  # the key that sealed them is lost
    status = keys_command(database, "status")
    assert status.exit_code == 1 and "sealed with a key the ring does not hold" in " ".join(status.output.split())
    served = serve_refusal(monkeypatch, database)
    assert served.exit_code == 2 and "does not hold" in " ".join(served.output.split())


def test_keys_come_from_the_environment_cannot_be_rotated_by_bloodbank(database):
    with pytest.raises(Conflict, match="BLOODBANK_DATA_KEYS, which bloodbank cannot change"):
        data_keys.rotate(UnitOfWork(database, actor="admin.ada"))


def test_only_the_keeper_of_backups_manages_keys(database, key_file):
    make_user(database, "medical_director", "dr.kim")
    for command in (["status"], ["rotate"], ["reseal"], ["retire", "first"]):
        refused = keys_command(database, *command, user="dr.kim")
        assert refused.exit_code == 1 and "may not do this" in refused.output, command
    assert set(keyring.read_file(key_file).keys) == {"first"}


def test_init_creates_a_private_key_file_once_and_leaves_an_existing_one(tmp_path):
    path = tmp_path / "etc" / "data-keys"
    made = runner.invoke(app, ["keys", "init", "--file", str(path)])
    assert made.exit_code == 0 and "Back it up apart from the database" in " ".join(made.output.split())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = path.read_bytes()
    again = runner.invoke(app, ["keys", "init", "--file", str(path)])
    assert again.exit_code == 0 and "there already" in again.output
    assert path.read_bytes() == first


def test_init_prints_a_key_list_for_the_environment_with_the_new_key_first():
    printed = runner.invoke(app, ["keys", "init", "--print"])
    assert printed.exit_code == 0
    ring = keyring.parse_environment(printed.output.strip())
    assert len(ring.keys) == 2 and "suite" in ring.keys and ring.current != "suite"


def test_a_server_with_no_key_configured_refuses_to_start(monkeypatch, database):
    monkeypatch.delenv("BLOODBANK_DATA_KEYS")
    get_settings.cache_clear()
    keyring.reload_ring()
    try:
        served = serve_refusal(monkeypatch, database)
        with pytest.raises(DataKeyUnavailable, match="No data key is configured"):
            keyring.active_ring()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        keyring.reload_ring()
    said = " ".join(served.output.split())
    assert served.exit_code == 2 and "No data key is configured" in said and "not started" in said
