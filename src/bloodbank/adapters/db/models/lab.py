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

    A result typed by hand (`source` "manual") of a critical test counts only
    once its second entry, stored here beside it, agrees (`domain.second_entry`).
    """

    __tablename__ = "test_result"
    __table_args__ = (
        CheckConstraint("outcome IN ('negative', 'reactive', 'indeterminate', 'positive', 'typed')",
                        name="outcome_known"),
        CheckConstraint("source IN ('analyser', 'manual', 'unrecorded')", name="source_known"),
        CheckConstraint("(second_entry_at IS NULL AND second_entry_by IS NULL AND second_entry_outcome IS NULL)"
                        " OR (second_entry_at IS NOT NULL AND second_entry_by IS NOT NULL"
                        " AND second_entry_outcome IS NOT NULL)", name="second_entry_in_full"),
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
    # "analyser" (read from an instrument's file), "manual" (typed by hand), or "unrecorded" for results
    # stored before the source was kept, which count as they did then.
    source: Mapped[str] = mapped_column(String(10))
    # The blind second entry of a manual result, kept whether it agreed or not.
    second_entry_outcome: Mapped[str | None] = mapped_column(String(15))
    second_entry_value: Mapped[str | None] = mapped_column(String(20))
    second_entry_at: Mapped[datetime | None]
    second_entry_by: Mapped[str | None] = mapped_column(String(100))


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
