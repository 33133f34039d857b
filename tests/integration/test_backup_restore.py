"""A backup restored into an empty database gives back every table exactly, with its audit chain intact."""

from __future__ import annotations

import stat
import uuid
from datetime import date

import pytest
from sqlalchemy import inspect, select
from typer.testing import CliRunner

from bloodbank.adapters.db.database import Database
from bloodbank.adapters.db.models import AuditEntry, Base
from bloodbank.domain.errors import Conflict
from bloodbank.entrypoints.cli import app
from bloodbank.service_layer.donors import erasure
from bloodbank.service_layer.shared.audit import verify_chain
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.staff import backups
from tests.conftest import _drop_pg_database, _pg_database_url
from tests.integration.erasure_fixtures import as_, make_person, traces_left
from tests.integration.sealed_fixtures import confide_everything, opened, raw_sealed_values
from tests.integration.trace_fixtures import build_chain, clerk
from tests.integration.web_fixtures import make_user

PASSPHRASE = "correct horse battery staple"
runner = CliRunner()


@pytest.fixture
def empty_target(database, tmp_path):
    """A new database of the same kind as the test's, with no tables at all."""
    if database.engine.dialect.name == "sqlite":
        yield f"sqlite:///{tmp_path / f'restored-{uuid.uuid4().hex[:6]}.db'}"
        return
    url, name = _pg_database_url()
    yield url
    _drop_pg_database(name)


def every_row(database: Database) -> dict[str, list[tuple]]:
    with database.sessions() as session:
        return {table.name: [tuple(row) for row in session.execute(
                    select(table).order_by(*table.primary_key.columns)).all()]
                for table in Base.metadata.sorted_tables}


@pytest.mark.parametrize("passphrase", [None, PASSPHRASE], ids=["plain", "sealed"])
def test_a_round_trip_gives_back_every_table_exactly_and_the_chain_verifies(database, empty_target, tmp_path,
                                                                          passphrase):
    build_chain(database)
    before = every_row(database)
    made = backups.take_backup(clerk(database, "admin.ada"), target=tmp_path / "nightly.bak", passphrase=passphrase)
    assert made.sealed is bool(passphrase) and made.size > 0
    assert stat.S_IMODE((tmp_path / "nightly.bak").stat().st_mode) == 0o600

    report = backups.restore_backup(source=tmp_path / "nightly.bak", database_url=empty_target,
                                    passphrase=passphrase)

    restored = Database(empty_target)
    try:
        after = every_row(restored)
    finally:
        restored.dispose()
    assert report.chain_intact and report.audit_entries == len(before["audit_entry"])
    assert sum(len(rows) for rows in before.values()) > 50
    assert after == before


def test_a_round_trip_keeps_every_sealed_value_as_it_was_and_it_opens_with_the_same_keys(database, empty_target,
                                                                                         tmp_path):
    confide_everything(database)
    sealed, plain = raw_sealed_values(database), opened(database)
    backups.take_backup(clerk(database, "admin.ada"), target=tmp_path / "nightly.bak")
    backups.restore_backup(source=tmp_path / "nightly.bak", database_url=empty_target)
    restored = Database(empty_target)
    try:
        assert raw_sealed_values(restored) == sealed
        assert opened(restored) == plain
    finally:
        restored.dispose()
    assert sum(len(values) for values in sealed.values()) > 20


def test_taking_a_backup_is_audited_with_the_files_fingerprint(database, tmp_path):
    made = backups.take_backup(clerk(database, "admin.ada"), target=tmp_path / "b.bak")
    with database.sessions() as session:
        entry = session.execute(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).scalar_one()
    assert (entry.action, entry.actor) == ("backup", "admin.ada")
    assert entry.new["sha256"] == made.sha256 and entry.new["file"] == "b.bak"
    assert backups.last_backup(clerk(database)) == entry.at


def test_a_sealed_backup_reads_as_noise_and_a_wrong_passphrase_restores_nothing(database, empty_target, tmp_path):
    chain = build_chain(database)
    din = str(chain.dins["B"]).encode()
    plain = backups.take_backup(clerk(database, "admin.ada"), target=tmp_path / "p.bak")
    backups.take_backup(clerk(database, "admin.ada"), target=tmp_path / "s.bak", passphrase=PASSPHRASE)
    if plain.kind == "sqlite":  # pg_dump compresses its data, so only a SQLite copy shows it in clear
        assert din in (tmp_path / "p.bak").read_bytes()
    content = (tmp_path / "s.bak").read_bytes()
    assert b"SQLite format" not in content and b"PGDMP" not in content and din not in content
    with pytest.raises(Conflict, match="passphrase is wrong"):
        backups.restore_backup(source=tmp_path / "s.bak", database_url=empty_target, passphrase="guess")
    assert table_count(empty_target) == 0


def test_a_sealed_backup_cut_short_is_refused(database, empty_target, tmp_path):
    build_chain(database)
    backups.take_backup(clerk(database, "admin.ada"), target=tmp_path / "s.bak", passphrase=PASSPHRASE)
    whole = (tmp_path / "s.bak").read_bytes()
    (tmp_path / "cut.bak").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(Conflict, match="damaged|cut short|passphrase is wrong"):
        backups.restore_backup(source=tmp_path / "cut.bak", database_url=empty_target, passphrase=PASSPHRASE)


def test_a_restore_into_a_database_that_has_tables_is_refused(database, tmp_path):
    build_chain(database)
    backups.take_backup(clerk(database, "admin.ada"), target=tmp_path / "b.bak")
    before = every_row(database)
    with pytest.raises(Conflict, match="not empty"):
        backups.restore_backup(source=tmp_path / "b.bak", database_url=database.url)
    assert every_row(database) == before


def test_a_file_that_is_not_a_backup_is_refused_in_words(database, empty_target, tmp_path):
    (tmp_path / "notes.txt").write_text("shopping list")
    with pytest.raises(Exception, match="not a bloodbank backup"):
        backups.restore_backup(source=tmp_path / "notes.txt", database_url=empty_target)


def test_the_command_line_backs_up_as_an_administrator_only_and_restores(database, empty_target, tmp_path):
    make_user(database, "administrator", "admin.ada")
    make_user(database, "medical_director", "dr.kim")
    build_chain(database)
    refused = runner.invoke(app, ["--database", database.url, "db", "backup", str(tmp_path / "x.bak"),
                                  "--as", "dr.kim"])
    assert refused.exit_code == 1 and "may not do this" in refused.output
    assert not (tmp_path / "x.bak").exists()
    before = every_row(database)
    made = runner.invoke(app, ["--database", database.url, "db", "backup", str(tmp_path / "x.bak"), "--seal",
                               "--as", "admin.ada"], env={"BLOODBANK_BACKUP_PASSPHRASE": PASSPHRASE})
    assert made.exit_code == 0, made.output
    assert "sealed" in made.output
    restored = runner.invoke(app, ["--database", empty_target, "db", "restore", str(tmp_path / "x.bak")],
                             env={"BLOODBANK_BACKUP_PASSPHRASE": PASSPHRASE})
    assert restored.exit_code == 0, restored.output
    assert "Audit chain intact" in restored.output
    target = Database(empty_target)
    try:
        assert every_row(target) == before
    finally:
        target.dispose()


def table_count(url: str) -> int:
    target = Database(url)
    try:
        return len(inspect(target.engine).get_table_names())
    finally:
        target.dispose()


def test_a_database_with_an_erasure_round_trips_exactly_and_its_chain_verifies_naming_the_erasure(
        database, empty_target, tmp_path):
    build_chain(database)
    person = make_person(database)
    statement = erasure.erase_donor(as_(database, "dr.kim"), donor_ref=person.donor_id, requested_on=date.today(),
                                    channel="in_person")
    before = every_row(database)
    backups.take_backup(clerk(database, "admin.ada"), target=tmp_path / "erased.bak", passphrase=PASSPHRASE)

    report = backups.restore_backup(source=tmp_path / "erased.bak", database_url=empty_target, passphrase=PASSPHRASE)

    restored = Database(empty_target)
    try:
        assert every_row(restored) == before and traces_left(restored) == []
        chain = verify_chain(UnitOfWork(restored))
    finally:
        restored.dispose()
    assert report.chain_intact and chain.ok and statement.audit_entry_id in chain.erased_by
