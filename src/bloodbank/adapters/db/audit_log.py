"""The hash-chained audit log: append and verify (the hashing itself is domain.audit_chain).

Each entry's hash covers its own fields, a salted digest of its payload (old,
new, reason: a row of `audit_payload`) and the previous entry's hash. The
chain's tip lives in one row that every writer locks (SELECT … FOR UPDATE on
PostgreSQL; SQLite's single writer does the same), so two transactions can
never both chain onto the same predecessor.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import AuditEntry, AuditErasure, AuditHead, AuditPayload
from bloodbank.domain import audit_chain
from bloodbank.domain.audit_chain import ChainReport, Link, Payload


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


def _head(session: Session) -> AuditHead:
    return session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()


def _link(after: str, last_id: int, *, actor: str, action: str, entity: str, entity_id: object = None,
          old: dict | None = None, new: dict | None = None, reason: str | None = None) -> tuple[Link, Payload]:
    # Microseconds survive both databases; anything finer would change the hash on the way back.
    payload = Payload(old=normalise(old), new=normalise(new), reason=reason, salt=secrets.token_hex(16))
    link = audit_chain.new_link(after, id=last_id + 1, at=datetime.now(timezone.utc), actor=actor,
                                action=action, entity=entity,
                                entity_id=None if entity_id is None else str(entity_id), payload=payload)
    return link, payload


def append(session: Session, *, actor: str, action: str, entity: str, entity_id: object = None,
           old: dict | None = None, new: dict | None = None, reason: str | None = None) -> AuditEntry:
    head = _head(session)
    link, payload = _link(head.last_hash, head.last_id, actor=actor, action=action, entity=entity,
                          entity_id=entity_id, old=old, new=new, reason=reason)
    entry = AuditEntry(id=link.id, at=link.at, actor=actor, action=action, entity=entity, entity_id=link.entity_id,
                       format=link.format, payload_digest=link.payload_digest, prev_hash=link.prev_hash,
                       hash=link.hash, payload=AuditPayload(old=payload.old, new=payload.new,
                                                            reason=payload.reason, salt=payload.salt))
    session.add(entry)
    head.last_id, head.last_hash = link.id, link.hash
    session.flush()
    return entry


def append_many(session: Session, *, actor: str, entries: Iterable[dict]) -> int:
    """Entries chained in the order given, as `append` would one by one; how many.

    Each dict holds `append`'s keywords but the actor. The tip is locked once and
    the rows go in two executemany statements: a bulk import audits each record
    it writes without a round trip per record.
    """
    head = _head(session)
    last_id, last_hash = head.last_id, head.last_hash
    entry_rows, payload_rows = [], []
    for entry in entries:
        link, payload = _link(last_hash, last_id, actor=actor, **entry)
        entry_rows.append(dict(id=link.id, at=link.at, actor=actor, action=link.action, entity=link.entity,
                               entity_id=link.entity_id, format=link.format, payload_digest=link.payload_digest,
                               prev_hash=link.prev_hash, hash=link.hash))
        payload_rows.append(dict(entry_id=link.id, old=payload.old, new=payload.new, reason=payload.reason,
                                 salt=payload.salt))
        last_id, last_hash = link.id, link.hash
    if entry_rows:
        # None as NULL: without it the ORM splits the rows by which values are None, a statement per run.
        session.execute(insert(AuditEntry), entry_rows, execution_options={"render_nulls": True})
        session.execute(insert(AuditPayload), payload_rows, execution_options={"render_nulls": True})
        head.last_id, head.last_hash = last_id, last_hash
        session.flush()
    return len(entry_rows)


def link_of(row: AuditEntry) -> Link:
    p = row.payload
    return Link(id=row.id, at=row.at, actor=row.actor, action=row.action, entity=row.entity,
                entity_id=row.entity_id, format=row.format, payload_digest=row.payload_digest,
                prev_hash=row.prev_hash, hash=row.hash,
                payload=None if p is None else Payload(p.old, p.new, p.reason, p.salt), erased_by=row.erased_by)


_ENTRY, _PAYLOAD, _ERASURE = AuditEntry.__table__, AuditPayload.__table__, AuditErasure.__table__
# Read as plain rows, not objects: verifying a long chain reads every entry once.
_WALKED = (
    select(_ENTRY.c.id, _ENTRY.c.at, _ENTRY.c.actor, _ENTRY.c.action, _ENTRY.c.entity, _ENTRY.c.entity_id,
           _ENTRY.c.format, _ENTRY.c.payload_digest, _ENTRY.c.prev_hash, _ENTRY.c.hash,
           _PAYLOAD.c.entry_id.label("held"), _PAYLOAD.c.old, _PAYLOAD.c.new, _PAYLOAD.c.reason, _PAYLOAD.c.salt,
           _ERASURE.c.erased_by_id)
    .outerjoin(_PAYLOAD, _PAYLOAD.c.entry_id == _ENTRY.c.id)
    .outerjoin(_ERASURE, _ERASURE.c.entry_id == _ENTRY.c.id)
)


def _links(session: Session, batch: int, *, after: int = 0) -> Iterator[Link]:
    last_id = after
    while True:
        rows = session.execute(_WALKED.where(_ENTRY.c.id > last_id).order_by(_ENTRY.c.id).limit(batch)).all()
        if not rows:
            return
        for r in rows:
            yield Link(r.id, r.at, r.actor, r.action, r.entity, r.entity_id, r.format, r.payload_digest,
                       r.prev_hash, r.hash, None if r.held is None else Payload(r.old, r.new, r.reason, r.salt),
                       r.erased_by_id)
        last_id = rows[-1].id


def _vouchers(session: Session) -> dict[int, audit_chain.Voucher]:
    """Every erasure entry that erased a payload, checked on its own, with what it lists."""
    erasers = select(AuditErasure.erased_by_id).distinct()
    rows = session.execute(select(AuditEntry).where(AuditEntry.id.in_(erasers))).unique().scalars().all()
    return audit_chain.vouchers_from(link_of(row) for row in rows)


def verify(session: Session, batch: int = 5000) -> ChainReport:
    return verify_walk(session, batch=batch)[0]


def verify_walk(session: Session, *, after: tuple[int, str] = (0, audit_chain.GENESIS),
                batch: int = 5000) -> tuple[ChainReport, int, str]:
    """The chain checked from the link after `after` (an entry's id and hash, known good) to the tip; with
    the id and hash of the last link found good, where a later check may start."""
    chain = audit_chain.Walk(_vouchers(session), prev_hash=after[1], last_id=after[0])
    for link in _links(session, batch, after=after[0]):
        if not chain.step(link):
            break
    head = session.get(AuditHead, 1)
    return chain.report(head.last_id if head else None, head.last_hash if head else None), chain.last_id, \
        chain.prev_hash


def entries_after(session: Session, entry_id: int) -> int:
    """How many entries the chain holds past this one (ids run without gaps)."""
    head = session.get(AuditHead, 1)
    return max(0, (head.last_id if head else 0) - entry_id)
