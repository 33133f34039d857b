"""Erasing audit payloads: the one way an entry's values leave the database, the chain kept whole.

The erasure is an entry of its own whose payload lists every entry it erased
(and a seal of each entry of format 1), so `audit verify` can tell an erasure
from a deletion. Each payload is checked before it goes: erasing a value that
was tampered with would hide the tampering. Then, in the same transaction, an
`audit_erasure` row per payload (the database lets a payload's DELETE through
only where one names it) and the DELETE itself.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bloodbank.adapters.db import audit_log
from bloodbank.adapters.db.models import AuditEntry, AuditErasure, AuditPayload
from bloodbank.domain import audit_chain


class PayloadDoesNotVerify(Exception):
    """An entry to erase fails its own check: erasing it would destroy the evidence."""

    def __init__(self, entry_id: int, problem: str):
        super().__init__(f"audit entry {entry_id}: {problem}")
        self.entry_id, self.problem = entry_id, problem


def still_held(session: Session, entry_ids: list[int]) -> list[audit_chain.Link]:
    """The entries among `entry_ids` whose payload is still there and may be erased, oldest first."""
    links: list[audit_chain.Link] = []
    for chunk in _chunks(sorted(set(entry_ids))):
        rows = session.execute(select(AuditEntry).where(AuditEntry.id.in_(chunk))).unique().scalars().all()
        links += [link for link in map(audit_log.link_of, rows)
                  if link.payload is not None and audit_chain.erasable(link)]
    return sorted(links, key=lambda link: link.id)


def erase(session: Session, *, actor: str, entity: str, entity_id: object, entry_ids: list[int], new: dict,
          reason: str) -> tuple[AuditEntry, int]:
    """Append the erasure entry (action `erase`) and erase the payloads of `entry_ids`; returns it and how many."""
    links = still_held(session, entry_ids)
    for link in links:
        problem = audit_chain.check_link(link, link.prev_hash, link.id, {})
        if problem:
            raise PayloadDoesNotVerify(link.id, problem)
    entry = audit_log.append(session, actor=actor, action=audit_chain.ERASURE_ACTION, entity=entity, entity_id=entity_id,
                             new={**new, **audit_chain.erasure_listing(links)}, reason=reason)
    session.add_all([AuditErasure(entry_id=link.id, erased_by_id=entry.id) for link in links])
    session.flush()
    for chunk in _chunks([link.id for link in links]):
        session.execute(delete(AuditPayload).where(AuditPayload.entry_id.in_(chunk))
                        .execution_options(synchronize_session=False))
    return entry, len(links)


def _chunks(ids: list[int], size: int = 500):
    for start in range(0, len(ids), size):
        yield ids[start:start + size]
