"""Triggers that make a table append-only for the application's database user.

The hash chain detects tampering; these triggers stop the accidental kind
(an UPDATE from a bug or a careless console) before it happens.
"""

from __future__ import annotations

from alembic import op


# Tables whose rows may be deleted only where a row of another table names them (the erasure of an audit
# entry's payload): table -> (the naming table, the key column both share).
ERASABLE_BY = {"audit_payload": ("audit_erasure", "entry_id")}


def guard_sql(dialect: str, table: str) -> list[str]:
    message = f"{table} is append-only"
    if table in ERASABLE_BY:
        return _erasable_guard_sql(dialect, table, *ERASABLE_BY[table])
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            for verb in ("UPDATE", "DELETE")
        ]
    if dialect == "postgresql":
        return [
            f"CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{message}'; END $$",
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()",
        ]
    return []


def _erasable_guard_sql(dialect: str, table: str, naming: str, key: str) -> list[str]:
    """Never updated; deleted only where `naming` holds a row for the same key, written in the same transaction."""
    message = f"{table} is append-only; only an erasure recorded in {naming} deletes a row"
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"WHEN NOT EXISTS (SELECT 1 FROM {naming} WHERE {naming}.{key} = OLD.{key}) "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
        ]
    if dialect == "postgresql":
        return [
            f"CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM {naming} WHERE {naming}.{key} = OLD.{key}) "
            f"THEN RETURN OLD; END IF; RAISE EXCEPTION '{message}'; END $$",
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()",
        ]
    return []


def drop_sql(dialect: str, table: str) -> list[str]:
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {table}_no_{verb}" for verb in ("update", "delete")]
    if dialect == "postgresql":
        return [f"DROP FUNCTION IF EXISTS {table}_append_only() CASCADE"]
    return []


# Every guarded table; audit_payload's rows also leave by an erasure (ERASABLE_BY).
APPEND_ONLY_TABLES = ("audit_entry", "unit_event", "signature", "casualty_count", "audit_payload", "audit_erasure")


def make_append_only(table: str) -> None:
    for statement in guard_sql(op.get_bind().dialect.name, table):
        op.execute(statement)


def drop_append_only(table: str) -> None:
    for statement in drop_sql(op.get_bind().dialect.name, table):
        op.execute(statement)
