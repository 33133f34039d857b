"""Which key seals each stored value, and sealing values again under the current key.

A rotation goes value by value: every sealed value names its key in clear
(`s1:<key id>:…`), so what is left to do is a query, and a rotation
interrupted anywhere resumes where it stopped. Each batch is its own
transaction and rewrites a value only if it is still the one read (a value
the application changed meanwhile is left to the next pass).

Resealing changes the bytes, never the content: each value is opened and
sealed again. On an append-only table (unit_event) the guard is lifted for
the batch's own transaction and put back before it commits, so no other
transaction ever sees the table unguarded.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Text, bindparam, column, func, select, table, update

from bloodbank.adapters.data_keys import KeyRing, prefix_of
from bloodbank.adapters.db.append_only import APPEND_ONLY_TABLES, drop_sql, guard_sql
from bloodbank.adapters.db.models import Base
from bloodbank.adapters.db.sealed_types import SealedColumn, sealed_columns


def columns() -> list[SealedColumn]:
    return sealed_columns(Base.metadata)


def _raw(sealed: SealedColumn):
    """The column as stored: the sealed text itself, not opened."""
    [key] = sealed.table.primary_key.columns
    return table(sealed.table.name, column(key.name), column(sealed.column, Text))


@dataclass(frozen=True)
class Usage:
    """How many stored values each key seals, column by column; `None` counts values no key of the ring names."""

    by_column: dict[str, dict[str | None, int]]

    def of_key(self, key_id: str | None) -> int:
        return sum(counts.get(key_id, 0) for counts in self.by_column.values())

    def total(self) -> int:
        return sum(sum(counts.values()) for counts in self.by_column.values())


def usage(connection: Connection, ring: KeyRing) -> Usage:
    by_column: dict[str, dict[str | None, int]] = {}
    for sealed in columns():
        raw = _raw(sealed)
        value = raw.c[sealed.column]
        stored = connection.execute(select(func.count()).select_from(raw).where(value.is_not(None))).scalar_one()
        counts: dict[str | None, int] = {}
        for key_id in sorted(ring.keys):
            found = connection.execute(select(func.count()).select_from(raw).where(
                value.startswith(prefix_of(key_id), autoescape=True))).scalar_one()
            if found:
                counts[key_id] = found
        if stored - sum(counts.values()):
            counts[None] = stored - sum(counts.values())
        by_column[sealed.context] = counts
    return Usage(by_column)


def reseal_batch(connection: Connection, sealed: SealedColumn, ring: KeyRing, *, limit: int = 500,
                 after: object = None) -> tuple[int, object]:
    """Seal under the current key up to `limit` values of one column not already under it, after the id
    `after`; the number rewritten and the last id read (None when the column is done)."""
    raw = _raw(sealed)
    key, value = list(raw.c)[0], raw.c[sealed.column]
    query = select(key, value).where(value.is_not(None),
                                     ~value.startswith(prefix_of(ring.current), autoescape=True))
    if after is not None:
        query = query.where(key > after)
    rows = connection.execute(query.order_by(key).limit(limit)).all()
    if not rows:
        return 0, None
    changes = [{"row_id": row_id, "old": old, "new": ring.seal(sealed.context, ring.open(sealed.context, old))}
               for row_id, old in rows]
    guarded = sealed.table.name in APPEND_ONLY_TABLES
    if guarded:
        for statement in drop_sql(connection.dialect.name, sealed.table.name):
            connection.exec_driver_sql(statement)
    statement = update(raw).where(key == bindparam("row_id"), value == bindparam("old")).values(
        {sealed.column: bindparam("new")})
    rewritten = sum(connection.execute(statement, change).rowcount for change in changes)
    if guarded:
        for statement in guard_sql(connection.dialect.name, sealed.table.name):
            connection.exec_driver_sql(statement)
    return rewritten, rows[-1][0]
