"""Engines for SQLite (embedded default) and PostgreSQL, set up the same way everywhere."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, create_engine, make_url

from bloodbank.adapters.db import input_guard


PRIVATE_FILE = 0o600
# The execution option that marks a connection's transactions as reads only.
READ_ONLY = "bloodbank_read_only"


def make_engine(url: str, **kwargs) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database, **kwargs)
    if parsed.drivername == "postgresql":
        # psycopg 3 is the project's driver; a bare postgresql:// URL would pick psycopg2.
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    # No JIT compilation: it pays off for long analytic queries, and a request's short ones took it when the
    # planner's estimate ran high (a donor search at a million donors spent 300 ms compiling, 1 ms running).
    connect_args = {"options": "-c jit=off", **kwargs.pop("connect_args", {})}
    engine = create_engine(url, pool_pre_ping=True, hide_parameters=True, connect_args=connect_args, **kwargs)
    input_guard.install(engine)
    return engine


def _sqlite_engine(url: str, database: str | None, **kwargs) -> Engine:
    if database and database != ":memory:" and not database.startswith("file:"):
        _create_private(Path(database))
    # Statement parameters are donors' numbers, names and notes: never written into a log or an error.
    engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True, **kwargs)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        # Foreign keys are off by default in SQLite; WAL lets readers work during a collection.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Deleted content is overwritten with zeros, not left in free space: an erased donor's name
        # must not be readable from the file afterwards (adapters.db.scrub).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    input_guard.install(engine)

    @event.listens_for(engine, "begin")
    def _begin(conn):
        if conn.get_execution_options().get(READ_ONLY):
            # A reader takes no lock: in WAL mode it reads its snapshot while a writer works, and
            # `query_only` turns any write it attempts into an error instead of a hidden lock upgrade.
            conn.exec_driver_sql("BEGIN")
            conn.exec_driver_sql("PRAGMA query_only=ON")
            return
        # A writer takes the write lock at BEGIN, so two writers queue instead of one failing
        # half-way with "database is locked" after it has read stale data.
        conn.exec_driver_sql("PRAGMA query_only=OFF")
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _create_private(path: Path) -> None:
    """The database file readable and writable by its owner only; SQLite gives its WAL and shared-memory
    files the same permissions as the database file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE))


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
