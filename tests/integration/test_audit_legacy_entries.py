"""Entries written before payloads existed (before revision 0017) keep verifying, and can be erased."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from bloodbank.adapters.db import audit_payloads
from bloodbank.adapters.db.database import Database
from bloodbank.adapters.db.engine import make_engine
from bloodbank.adapters.db.migrate import alembic_config, upgrade
from bloodbank.domain.audit_chain import GENESIS, canonical, legacy_entry_hash
from bloodbank.service_layer.shared.audit import verify_chain
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from tests.integration.test_audit_chain import tamper
from tests.integration.test_migrations import fresh_url  # noqa: F401 (a fixture)

WRITTEN = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
# The revision just before payloads, wherever 0017 sits in the chain.
BEFORE = ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision("0017").down_revision
VALUES = [({"phone": None}, {"phone": "+447700900123"}, "new number"),
          (None, {"given_name": "Ada", "family_name": "Byron"}, "new donor registered"),
          (None, {"status": "booked"}, None)]


def write_before_payloads(url: str) -> None:
    """Entries as the code before revision 0017 wrote them: values in the entry, hashed with it."""
    engine = make_engine(url)
    prev = GENESIS
    with engine.begin() as conn:
        for n, (old, new, reason) in enumerate(VALUES, start=1):
            at = WRITTEN + timedelta(minutes=n)
            digest = legacy_entry_hash(prev, id=n, at=at, actor="clerk.ann", action="update", entity="donor",
                                       entity_id=str(n), old=old, new=new, reason=reason)
            conn.execute(text(
                "INSERT INTO audit_entry (id, at, actor, action, entity, entity_id, old, new, reason, prev_hash, hash) "
                "VALUES (:id, :at, 'clerk.ann', 'update', 'donor', :eid, :old, :new, :reason, :prev, :hash)"),
                {"id": n, "at": at.replace(tzinfo=None), "eid": str(n), "old": None if old is None else canonical(old),
                 "new": canonical(new), "reason": reason, "prev": prev, "hash": digest})
            prev = digest
        conn.execute(text("UPDATE audit_head SET last_id = :n, last_hash = :h WHERE id = 1"),
                     {"n": len(VALUES), "h": prev})
    engine.dispose()


def test_entries_written_before_payloads_verify_after_the_upgrade_and_can_be_erased(fresh_url):
    upgrade(fresh_url, BEFORE)
    write_before_payloads(fresh_url)
    upgrade(fresh_url)
    database = Database(fresh_url)
    try:
        report = verify_chain(UnitOfWork(database))
        assert report.ok and report.entries == 3
        with UnitOfWork(database, actor="dr.kim") as uow:
            uow.audit("update", "donor", 4, new={"status": "checked_in"})
            entry, count = audit_payloads.erase(uow.session, actor="dr.kim", entity="donor", entity_id=2,
                                                entry_ids=[1, 2], new={}, reason="the donor asked")
            uow.commit()
        assert count == 2
        report = verify_chain(UnitOfWork(database))
        assert report.ok and report.entries == 5 and dict(report.erased_by) == {entry.id: 2}
        with database.engine.connect() as conn:
            kept = conn.execute(text("SELECT entry_id FROM audit_payload ORDER BY entry_id")).scalars().all()
            formats = conn.execute(text("SELECT format FROM audit_entry ORDER BY id")).scalars().all()
        assert kept == [3, 4, 5] and formats == [1, 1, 1, 2, 2]
        # What remains of an erased entry of format 1 is sealed by the erasure: a changed actor is found.
        tamper(database, "UPDATE audit_entry SET actor = 'nobody' WHERE id = 2")
        report = verify_chain(UnitOfWork(database))
        assert not report.ok and report.first_broken_id == 2
    finally:
        database.dispose()


def test_a_changed_value_of_an_entry_written_before_payloads_is_still_reported(fresh_url):
    upgrade(fresh_url, BEFORE)
    write_before_payloads(fresh_url)
    upgrade(fresh_url)
    database = Database(fresh_url)
    try:
        tamper(database, "UPDATE audit_payload SET reason = 'forged' WHERE entry_id = 1")
        report = verify_chain(UnitOfWork(database))
        assert not report.ok and report.first_broken_id == 1 and "changed" in report.problem
    finally:
        database.dispose()


def test_revision_0017_downgrades_with_the_values_back_in_their_entries(fresh_url):
    upgrade(fresh_url, BEFORE)
    write_before_payloads(fresh_url)
    upgrade(fresh_url)
    command.downgrade(alembic_config(fresh_url), BEFORE)
    engine = make_engine(fresh_url)
    try:
        assert {"old", "new", "reason"} <= {c["name"] for c in inspect(engine).get_columns("audit_entry")}
        assert "audit_payload" not in inspect(engine).get_table_names()
        with engine.connect() as conn:
            reasons = conn.execute(text("SELECT reason FROM audit_entry ORDER BY id")).scalars().all()
        assert reasons == [v[2] for v in VALUES]
    finally:
        engine.dispose()
    upgrade(fresh_url)
    database = Database(fresh_url)
    try:
        assert verify_chain(UnitOfWork(database)).ok
    finally:
        database.dispose()


def test_revision_0017_refuses_to_downgrade_once_entries_are_hashed_over_payload_digests(fresh_url):
    upgrade(fresh_url)
    database = Database(fresh_url)
    with UnitOfWork(database, actor="clerk.ann") as uow:
        uow.audit("update", "donor", 1, new={"phone": "1"})
        uow.commit()
    database.dispose()
    with pytest.raises(Exception, match="payload digests"):
        command.downgrade(alembic_config(fresh_url), BEFORE)
