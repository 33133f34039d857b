from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, select, text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bloodbank.adapters.db.models.base import Base

# The column types of an entry's values, named once: a sealed (encrypted) type replaces them here.
PAYLOAD_VALUES = JSON
PAYLOAD_TEXT = Text


class AuditPayload(Base):
    """An entry's values, kept apart so they can be erased while the entry's hash stays.

    `salt` is None for entries of format 1, whose hash covers the values themselves.
    Database triggers refuse every UPDATE, and every DELETE of a payload that no
    `audit_erasure` row names.
    """

    __tablename__ = "audit_payload"

    entry_id: Mapped[int] = mapped_column(ForeignKey("audit_entry.id"), primary_key=True)
    old: Mapped[dict | None] = mapped_column(PAYLOAD_VALUES)
    new: Mapped[dict | None] = mapped_column(PAYLOAD_VALUES)
    reason: Mapped[str | None] = mapped_column(PAYLOAD_TEXT)
    salt: Mapped[str | None] = mapped_column(String(32))


class AuditErasure(Base):
    """A payload erased, and the erasure entry that erased it (append-only; it also lets the DELETE through)."""

    __tablename__ = "audit_erasure"

    entry_id: Mapped[int] = mapped_column(ForeignKey("audit_entry.id"), primary_key=True)
    erased_by_id: Mapped[int] = mapped_column(ForeignKey("audit_entry.id"), index=True)


class AuditEntry(Base):
    """One append-only, hash-chained record of a change or a sensitive read.

    `hash` covers every other column and the previous entry's hash; in format 2
    it covers the payload's salted digest instead of its values (domain.audit_chain).
    Editing or deleting any row breaks the chain from that row on.
    """

    __tablename__ = "audit_entry"
    # The log's filters, each newest first, and the distinct values the viewer offers, read from an index: a
    # national log of tens of millions is never read whole to show one page.
    __table_args__ = (
        Index("ix_audit_entry_actor", "actor", "id"),
        Index("ix_audit_entry_action", "action", "id"),
        Index("ix_audit_entry_entity", "entity", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(40), index=True)
    # 1: the values are hashed (entries written before payloads); 2: the payload's digest is.
    format: Mapped[int] = mapped_column(server_default=text("1"))
    payload_digest: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    payload: Mapped[AuditPayload | None] = relationship(lazy="joined")
    erasure: Mapped[AuditErasure | None] = relationship(
        lazy="joined", viewonly=True, primaryjoin="AuditEntry.id == AuditErasure.entry_id",
        foreign_keys="AuditErasure.entry_id")

    # The values read through the payload, None once erased; usable in queries as well.
    @hybrid_property
    def old(self) -> dict | None:
        return self.payload.old if self.payload is not None else None

    @old.inplace.expression
    @classmethod
    def _old(cls):
        return select(AuditPayload.old).where(AuditPayload.entry_id == cls.id).scalar_subquery()

    @hybrid_property
    def new(self) -> dict | None:
        return self.payload.new if self.payload is not None else None

    @new.inplace.expression
    @classmethod
    def _new(cls):
        return select(AuditPayload.new).where(AuditPayload.entry_id == cls.id).scalar_subquery()

    @hybrid_property
    def reason(self) -> str | None:
        return self.payload.reason if self.payload is not None else None

    @reason.inplace.expression
    @classmethod
    def _reason(cls):
        return select(AuditPayload.reason).where(AuditPayload.entry_id == cls.id).scalar_subquery()

    @property
    def erased_by(self) -> int | None:
        return self.erasure.erased_by_id if self.erasure is not None else None


class AuditHead(Base):
    """The chain's tip, one row, locked by each writer so entries never fork."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_id: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
