from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bloodbank.adapters.db.models.base import Base


class TestResult(Base):
    """One result of one test on a donation's samples.

    A correction never overwrites: it adds a row and points the old one at it
    (`superseded_by_id`), with the reason. The current result is the row that
    nothing supersedes.
    """

    __tablename__ = "test_result"
    __table_args__ = (
        CheckConstraint("outcome IN ('negative', 'reactive', 'indeterminate', 'positive', 'typed')",
                        name="outcome_known"),
        Index("ix_test_result_current", "donation_id", "test", "superseded_by_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_id: Mapped[int] = mapped_column(ForeignKey("donation.id"), index=True)
    test: Mapped[str] = mapped_column(String(30))
    outcome: Mapped[str] = mapped_column(String(15))
    # The typed value where there is one (ABO/RhD group "A+").
    value: Mapped[str | None] = mapped_column(String(20))
    final: Mapped[bool] = mapped_column(default=True)
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String(100))
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("test_result.id"))
    correction_reason: Mapped[str | None] = mapped_column(Text)


class DonorFollowUp(Base):
    """Opened when a donation's marker is reactive or its grouping disagrees with history."""

    __tablename__ = "donor_follow_up"

    id: Mapped[int] = mapped_column(primary_key=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donor.id"), index=True)
    donation_id: Mapped[int | None] = mapped_column(ForeignKey("donation.id"))
    reason: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")
    opened_at: Mapped[datetime]
    opened_by: Mapped[str] = mapped_column(String(100))
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str | None] = mapped_column(Text)
