"""Shared fixtures: a migrated database per backend, emptied between tests.

SQLite always runs. PostgreSQL runs when BLOODBANK_TEST_DATABASE_URL points at
a server; each test session gets its own throw-away database there.
"""

from __future__ import annotations

import base64
import os
import uuid

# Before any bloodbank import: cheap password hashing for the suite (see adapters/passwords.py).
os.environ.setdefault("BLOODBANK_PASSWORD_HASHING", "test")
# A data key of the suite's own (adapters.data_keys), whatever this machine's shell holds.
os.environ["BLOODBANK_DATA_KEYS"] = "suite:" + base64.urlsafe_b64encode(os.urandom(32)).decode()
os.environ.pop("BLOODBANK_DATA_KEY_FILE", None)

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bloodbank.adapters.db.append_only import APPEND_ONLY_TABLES, drop_sql, guard_sql
from bloodbank.adapters.db.database import Database
from bloodbank.adapters.db.engine import make_engine
from bloodbank.adapters.db.migrate import upgrade
from bloodbank.adapters.db.models import Base
from tests.tools import missing_tool

PG_URL = os.environ.get("BLOODBANK_TEST_DATABASE_URL")
PG_SKIP = "set BLOODBANK_TEST_DATABASE_URL to a PostgreSQL URL to run the PostgreSQL tests"
KEEP_ROWS = {"audit_head"}  # reset, not deleted: the migration's genesis row


def _pg_database_name():
    """A fresh database's URL and name on the test server, not yet created."""
    server = make_url(PG_URL).set(drivername="postgresql+psycopg")
    name = f"bloodbank_test_{uuid.uuid4().hex[:10]}"
    return server.set(database=name).render_as_string(hide_password=False), name


def _create_pg_database(name: str) -> None:
    server = make_url(PG_URL).set(drivername="postgresql+psycopg")
    admin = make_engine(server.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def _pg_database_url():
    url, name = _pg_database_name()
    _create_pg_database(name)
    return url, name


def _drop_pg_database(name: str) -> None:
    server = make_url(PG_URL).set(drivername="postgresql+psycopg")
    admin = make_engine(server.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def migrated_database(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'bloodbank.db'}"
        upgrade(url)
        database = Database(url)
        yield database
        database.dispose()
        return
    if not PG_URL:
        missing_tool(PG_SKIP)
    url, name = _pg_database_url()
    upgrade(url)
    database = Database(url)
    yield database
    database.dispose()
    _drop_pg_database(name)


@pytest.fixture
def database(migrated_database):
    yield migrated_database
    empty(migrated_database)


def empty(database: Database) -> None:
    """Delete every row, append-only ones included, and reset the audit chain's head."""
    engine = database.engine
    tables = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name not in KEEP_ROWS]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # Replica mode skips user triggers for this session: the guards stay installed.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))
        else:
            for table in APPEND_ONLY_TABLES:
                for statement in drop_sql("sqlite", table):
                    conn.execute(text(statement))
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))
            for table in APPEND_ONLY_TABLES:
                for statement in guard_sql("sqlite", table):
                    conn.execute(text(statement))
        # Emptied last: on SQLite the deletes above ran the register's counting triggers.
        conn.execute(text("DELETE FROM register_tally"))
        conn.execute(text("UPDATE audit_head SET last_id = 0, last_hash = :h WHERE id = 1"), {"h": "0" * 64})


@pytest.fixture
def backend(database) -> str:
    return database.engine.dialect.name
