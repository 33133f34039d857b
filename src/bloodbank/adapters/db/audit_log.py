"""The hash-chained audit log: append and verify.

Each entry's hash covers its own fields and the previous entry's hash. The
chain's tip lives in one row that every writer locks (SELECT … FOR UPDATE on
PostgreSQL; SQLite's single writer does the same), so two transactions can
never both chain onto the same predecessor.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import AuditEntry, AuditHead

GENESIS = "0" * 64


def _plain(value):
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot record {type(value).__name__} in the audit log")


def normalise(data: dict | None) -> dict | None:
    """JSON-safe copy: what is hashed must be exactly what the database gives back."""
    if data is None:
        return None
    return json.loads(json.dumps(data, default=_plain, sort_keys=True))


def entry_hash(prev_hash: str, *, id: int, at: datetime, actor: str, action: str, entity: str,
               entity_id: str | None, old: dict | None, new: dict | None, reason: str | None) -> str:
    body = json.dumps(
        [id, at.astimezone(timezone.utc).isoformat(), actor, action, entity, entity_id, old, new, reason],
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def append(session: Session, *, actor: str, action: str, entity: str, entity_id: object = None,
           old: dict | None = None, new: dict | None = None, reason: str | None = None) -> AuditEntry:
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
    # Microseconds survive both databases; anything finer would change the hash on the way back.
    at = datetime.now(timezone.utc)
    fields = dict(
        id=head.last_id + 1, at=at, actor=actor, action=action, entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        old=normalise(old), new=normalise(new), reason=reason,
    )
    digest = entry_hash(head.last_hash, **fields)
    entry = AuditEntry(**fields, prev_hash=head.last_hash, hash=digest)
    session.add(entry)
    head.last_id, head.last_hash = entry.id, digest
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int
    first_broken_id: int | None = None
    problem: str | None = None


def verify(session: Session, batch: int = 5000) -> ChainReport:
    prev_hash, expected_id, count = GENESIS, 1, 0
    last_id = 0
    while True:
        rows = session.execute(
            select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)
        ).scalars().all()
        if not rows:
            break
        for row in rows:
            problem = _check(row, prev_hash, expected_id)
            if problem:
                return ChainReport(False, count, row.id, problem)
            prev_hash, expected_id, count, last_id = row.hash, row.id + 1, count + 1, row.id
        session.expunge_all()
    head = session.get(AuditHead, 1)
    if head is None or head.last_id != last_id or head.last_hash != prev_hash:
        return ChainReport(False, count, last_id + 1, "entries after this point were deleted")
    return ChainReport(True, count)


def _check(row: AuditEntry, prev_hash: str, expected_id: int) -> str | None:
    if row.id != expected_id:
        return f"entry {expected_id} is missing (next is {row.id})"
    if row.prev_hash != prev_hash:
        return "does not follow the previous entry"
    recomputed = entry_hash(
        prev_hash, id=row.id, at=row.at, actor=row.actor, action=row.action, entity=row.entity,
        entity_id=row.entity_id, old=row.old, new=row.new, reason=row.reason,
    )
    if recomputed != row.hash:
        return "its content was changed after it was written"
    return None
