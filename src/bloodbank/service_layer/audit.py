"""Reading the audit log: verification and listing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from bloodbank.adapters.db import audit_log
from bloodbank.adapters.db.models import AuditEntry
from bloodbank.service_layer.unit_of_work import UnitOfWork


def verify_chain(uow: UnitOfWork) -> audit_log.ChainReport:
    with uow:
        return audit_log.verify(uow.session)


@dataclass(frozen=True)
class AuditEntryView:
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str | None
    old: dict | None
    new: dict | None
    reason: str | None
    hash: str


def list_entries(uow: UnitOfWork, *, limit: int = 50, offset: int = 0, actor: str | None = None,
                 action: str | None = None, entity: str | None = None) -> tuple[list[AuditEntryView], int]:
    """Newest first, with the number of entries that match; reading the log is not itself logged."""
    with uow:
        query = select(AuditEntry)
        if actor:
            query = query.where(AuditEntry.actor == actor)
        if action:
            query = query.where(AuditEntry.action == action)
        if entity:
            query = query.where(AuditEntry.entity == entity)
        total = uow.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = uow.session.execute(query.order_by(AuditEntry.id.desc()).limit(limit).offset(offset)).scalars()
        return [AuditEntryView(id=r.id, at=r.at, actor=r.actor, action=r.action, entity=r.entity,
                               entity_id=r.entity_id, old=r.old, new=r.new, reason=r.reason, hash=r.hash)
                for r in rows], total
