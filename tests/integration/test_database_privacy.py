"""The database keeps what donors confide to itself: private files, no parameters in errors."""

from __future__ import annotations

import stat

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, StatementError

from bloodbank.adapters.db.engine import make_engine


def test_a_new_sqlite_database_and_its_wal_are_readable_by_their_owner_only(tmp_path):
    path = tmp_path / "var" / "bloodbank.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x TEXT)"))
        conn.execute(text("INSERT INTO t VALUES ('a')"))
        wal = path.with_name(path.name + "-wal")
        assert wal.exists()
        for file in (path, wal):
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    engine.dispose()


def test_a_failing_statement_does_not_carry_its_parameters_into_the_error(database):
    secret = "partner-since-march-DN123456"
    with pytest.raises((DBAPIError, StatementError)) as raised:
        with database.engine.begin() as conn:
            conn.execute(text("INSERT INTO no_such_table (x) VALUES (:x)"), {"x": secret})
    assert secret not in str(raised.value)
