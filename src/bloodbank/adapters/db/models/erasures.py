from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from bloodbank.adapters.db.models.base import Base


class DonorErasure(Base):
    """A person's personal data erased, at their request or by a retention rule, and the statement of it.

    The statement says what was erased, what was kept and why; it holds nothing of
    what it erased. `fingerprint` is kept only while the person may not donate (a
    permanent deferral): a salted digest of name and date of birth that a new
    registration of the same person matches, and nothing can be read back from.
    """

    __tablename__ = "donor_erasure"
    __table_args__ = (
        CheckConstraint("kind IN ('request', 'retention')", name="kind_known"),
        CheckConstraint("(fingerprint IS NULL) = (fingerprint_salt IS NULL)", name="fingerprint_salted"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The record that held the person (the survivor of any merges); the others are named in the statement.
    donor_id: Mapped[int] = mapped_column(ForeignKey("donor.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    requested_on: Mapped[date]
    channel: Mapped[str | None] = mapped_column(String(20))
    erased_at: Mapped[datetime]
    erased_by: Mapped[str] = mapped_column(String(100))
    audit_entry_id: Mapped[int] = mapped_column(ForeignKey("audit_entry.id"))
    statement: Mapped[dict] = mapped_column(JSON)
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    fingerprint_salt: Mapped[str | None] = mapped_column(String(32))
