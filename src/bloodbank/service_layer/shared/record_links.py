"""Merging two records of one person: both rows locked, the history moved, empty details filled.

Shared by donor and patient merges. The columns are found from the schema
rather than listed, so a table added later cannot be left behind pointing at
the duplicate.
"""

from __future__ import annotations

from sqlalchemy import Column, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Base
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound


def links_to(id_column: Column) -> list[Column]:
    """Every column, in any table, with a foreign key to `id_column`, except in tables that describe the record
    itself rather than its history (its search keys stay with it)."""
    return [fk.parent for table in Base.metadata.sorted_tables if table.info.get("history", True)
            for fk in table.foreign_keys if fk.column is id_column]


def repoint_history(session: Session, id_column: Column, duplicate_id: int, survivor_id: int) -> dict[str, list]:
    """Point every link from the duplicate to the survivor; returns what moved, by table, for the audit entry."""
    own = f"{id_column.table.name}_id"
    moved: dict[str, list] = {}
    for column in links_to(id_column):
        table = column.table
        key = list(table.primary_key.columns)
        rows = session.execute(select(*key).where(column == duplicate_id).order_by(*key)).all()
        if not rows:
            continue
        try:
            session.execute(update(table).where(column == duplicate_id).values({column.name: survivor_id})
                            .execution_options(synchronize_session=False))
        except IntegrityError:
            raise Conflict(f"The {table.name} records of the duplicate could not be moved to the record "
                           "kept; nothing was merged. Call the supervisor.") from None
        name = table.name if column.name == own else f"{table.name}.{column.name}"
        moved[name] = [row[0] if len(key) == 1 else list(row) for row in rows]
    # Rows in the session still hold the old links: reload them from the database when next read.
    session.expire_all()
    return moved


def merge_reason(reason: object, survivor_id: int, duplicate_id: int, *, person: str) -> str:
    """The reason a merge is asked for, refused when missing or when both records are one."""
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise InvalidInput(f"A merge needs a reason: say how you know these records are the same {person}.")
    if survivor_id == duplicate_id:
        raise InvalidInput("A record cannot be merged into itself: choose two different records.")
    return reason


def lock_pair(session: Session, model: type, survivor_id: int, duplicate_id: int, *, record: str) -> tuple:
    """Both rows of a merge, locked; `record` names the kind in the refusal ("donor record")."""
    # Locked in id order, so two merges touching the same records queue instead of deadlocking.
    rows = session.execute(
        select(model).where(model.id.in_([survivor_id, duplicate_id])).order_by(model.id).with_for_update()
    ).scalars().all()
    found = {row.id: row for row in rows}
    for wanted, role in ((survivor_id, "record to keep"), (duplicate_id, "duplicate record")):
        if wanted not in found:
            raise NotFound(f"There is no {record} {wanted} (the {role}).")
    return found[survivor_id], found[duplicate_id]


def fill_empty_details(survivor, duplicate, fields: tuple[str, ...]) -> None:
    """The survivor takes each detail it lacks from the duplicate; it never loses one it has."""
    for field in fields:
        if getattr(survivor, field) in (None, "") and getattr(duplicate, field) not in (None, ""):
            setattr(survivor, field, getattr(duplicate, field))
