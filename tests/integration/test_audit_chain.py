import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from bloodbank.adapters.db.append_only import drop_sql, guard_sql
from bloodbank.adapters.db.models import AuditEntry
from bloodbank.service_layer.shared.audit import verify_chain
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


def write_entries(database, n):
    for i in range(n):
        with UnitOfWork(database, actor="clerk.ann") as uow:
            uow.audit("update", "donor", i, old={"phone": "1"}, new={"phone": str(i)}, reason="moved")
            uow.commit()


def tamper(database, *statements, **params):
    """What an intruder with database rights could do: lift the guards, change rows."""
    tables = ("audit_entry", "audit_payload", "audit_erasure")
    with database.engine.begin() as conn:
        if database.engine.dialect.name == "postgresql":
            for table in tables:
                conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
            for sql in statements:
                conn.execute(text(sql), params)
            for table in tables:
                conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
        else:
            for table in tables:
                for statement in drop_sql("sqlite", table):
                    conn.execute(text(statement))
            for sql in statements:
                conn.execute(text(sql), params)
            for table in tables:
                for statement in guard_sql("sqlite", table):
                    conn.execute(text(statement))


def test_an_untouched_chain_verifies(database):
    write_entries(database, 5)
    report = verify_chain(UnitOfWork(database))
    assert report.ok and report.entries == 5


def test_an_empty_chain_verifies(database):
    assert verify_chain(UnitOfWork(database)).ok


def test_an_entry_rolled_back_with_its_use_case_leaves_no_trace(database):
    with UnitOfWork(database, actor="clerk.ann") as uow:
        uow.audit("create", "donor", 1, new={"name": "x"})
        # no commit: the use case failed
    write_entries(database, 1)
    report = verify_chain(UnitOfWork(database))
    assert report.ok and report.entries == 1


def test_the_application_cannot_update_or_delete_an_entry(database):
    write_entries(database, 1)
    for statement in ("UPDATE audit_entry SET actor = 'someone.else'", "DELETE FROM audit_entry"):
        with pytest.raises(DatabaseError, match="append-only"):
            with database.engine.begin() as conn:
                conn.execute(text(statement))


def test_a_changed_value_is_reported_at_its_entry(database):
    write_entries(database, 5)
    tamper(database, "UPDATE audit_payload SET reason = 'nothing happened' WHERE entry_id = 3")
    report = verify_chain(UnitOfWork(database))
    assert not report.ok
    assert report.first_broken_id == 3
    assert "changed" in report.problem


def test_a_changed_actor_with_a_recomputed_hash_still_breaks_the_next_link(database):
    write_entries(database, 4)
    with UnitOfWork(database) as uow:
        forged = uow.session.get(AuditEntry, 2)
        from bloodbank.domain.audit_chain import entry_hash
        new_hash = entry_hash(forged.prev_hash, id=2, at=forged.at, actor="nobody", action=forged.action,
                              entity=forged.entity, entity_id=forged.entity_id,
                              payload_digest=forged.payload_digest)
    tamper(database, "UPDATE audit_entry SET actor = 'nobody', hash = :h WHERE id = 2", h=new_hash)
    report = verify_chain(UnitOfWork(database))
    assert not report.ok and report.first_broken_id == 3


def test_a_deleted_entry_is_reported(database):
    write_entries(database, 5)
    tamper(database, "DELETE FROM audit_payload WHERE entry_id = 2", "DELETE FROM audit_entry WHERE id = 2")
    report = verify_chain(UnitOfWork(database))
    assert not report.ok and report.first_broken_id == 3 and "missing" in report.problem


def test_deleting_the_latest_entries_is_reported(database):
    write_entries(database, 5)
    tamper(database, "DELETE FROM audit_payload WHERE entry_id >= 4", "DELETE FROM audit_entry WHERE id >= 4")
    report = verify_chain(UnitOfWork(database))
    assert not report.ok and report.first_broken_id == 4


def test_the_audit_verify_command_names_the_tampered_entry(database):
    from typer.testing import CliRunner

    from bloodbank.entrypoints.cli import app
    from tests.integration.web_fixtures import make_user

    make_user(database, "administrator", "admin.ada")
    write_entries(database, 4)
    tamper(database, "UPDATE audit_payload SET new = :v WHERE entry_id = 2", v='{"phone": "forged"}')
    result = CliRunner().invoke(app, ["--database", database.url, "audit", "verify", "--as", "admin.ada"])
    assert result.exit_code == 1
    assert "BROKEN at entry 2" in result.output
