from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from bloodbank.adapters.db.models.base import Base


class DonorErasure(Base):
    """A person's personal data erased, at their request or by a retention rule, and the statement of it.

    The statement says what was erased, what was kept and why; it holds nothing of what it erased.
    """

    __tablename__ = "donor_erasure"
    __table_args__ = (CheckConstraint("kind IN ('request', 'retention')", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The record that held the person (the survivor of any merges); the others are named in the statement.
    donor_id: Mapped[int] = mapped_column(ForeignKey("donor.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    requested_on: Mapped[date]
    channel: Mapped[str | None] = mapped_column(String(20))
    erased_at: Mapped[datetime]
    erased_by: Mapped[str] = mapped_column(String(100))
    audit_entry_id: Mapped[int] = mapped_column(ForeignKey("audit_entry.id"))
    # {"records": donor numbers of every record of the person, "items": domain.erasure.items_as_data}
    statement: Mapped[dict] = mapped_column(JSON)


class ErasedIdentity(Base):
    """A salted fingerprint of a name and date of birth an erased person was on file under.

    Kept for a person who is permanently deferred or has donated (a finding about their blood may defer
    them later). A new record that matches it carries the erased record's permanent deferral, so the
    person is stopped before any donation. Nothing can be read back from it.
    """

    __tablename__ = "erased_identity"

    id: Mapped[int] = mapped_column(primary_key=True)
    erasure_id: Mapped[int] = mapped_column(ForeignKey("donor_erasure.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64))
    salt: Mapped[str] = mapped_column(String(32))
