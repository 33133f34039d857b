"""Inserting many rows at once and learning their ids, in the rows' order, on both databases."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

# None is written as NULL, so every row goes in the same statement: the ORM would otherwise leave a
# None out (to let a server default apply) and split the rows into one statement per run of alike ones.
_ONE_STATEMENT = {"render_nulls": True}


def new_ids(session: Session, model, count: int) -> list[int]:
    """`count` ids for new rows of `model`'s table, ascending, to be given explicitly on insert.

    Taking the ids first lets a bulk insert skip an ordered RETURNING, which is
    slow on both databases: SQLite answers it one statement per row (each answer
    spliced onto those before it, so ten thousand rows took seconds), and on
    PostgreSQL every batch is a new statement the driver parses whole. It also
    lets a row carry what derives from its id (a donor number) without a second
    write. PostgreSQL hands the ids out from the table's own sequence. A writer's
    transaction on SQLite holds the write lock from BEGIN (BEGIN IMMEDIATE, see
    `engine`), so ids counted on from the table's highest cannot be taken by
    another writer meanwhile.
    """
    if count <= 0:
        return []
    table = model.__table__
    if session.get_bind().dialect.name == "postgresql":
        return sorted(session.scalars(text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                                           "FROM generate_series(1, :count)"), {"table": table.name, "count": count}))
    first = (session.scalar(select(func.max(table.c.id))) or 0) + 1
    return list(range(first, first + count))


def insert_rows(session: Session, model, rows: Sequence[dict]) -> None:
    """Rows in one executemany. A column with a server default must be given its value: None is written as NULL."""
    if rows:
        session.execute(insert(model), rows, execution_options=_ONE_STATEMENT)


def insert_for_ids(session: Session, model, rows: Sequence[dict]) -> list[int]:
    """Insert `rows` (see `insert_rows`) with ids from `new_ids`; the ids, row by row."""
    ids = new_ids(session, model, len(rows))
    insert_rows(session, model, [{**row, "id": i} for row, i in zip(rows, ids)])
    return ids
