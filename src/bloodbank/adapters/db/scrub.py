"""After an erasure: what was erased should not linger in the database's own files.

SQLite: every connection overwrites deleted content with zeros (`secure_delete`,
set in engine.py), and the write-ahead log, which still holds pages as they were
before, is checkpointed into the database and truncated. PostgreSQL keeps old
row versions until VACUUM, which is run on the tables the erasure touched; the
space is then free for reuse, but its bytes, the server's write-ahead log and
archive, and every backup keep the old values until overwritten or expired.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.engine import Engine


def reclaim(engine: Engine, tables: Iterable[str]) -> bool:
    """True if every old copy this database keeps of the erased rows is gone or marked free."""
    if engine.dialect.name == "sqlite":
        # Outside any transaction (a connection inside one would hold the log open).
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            busy, _, _ = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            cursor.close()
        finally:
            raw.close()
        return busy == 0
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in sorted(set(tables)):
                conn.execute(text(f'VACUUM "{table}"'))
        return True
    return False
