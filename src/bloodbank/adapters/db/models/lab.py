from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bloodbank.adapters.db.models.base import Base
from bloodbank.adapters.db.sealed_types import SealedText


class TestResult(Base):
    """One result of one test on a donation's samples.

    A correction never overwrites: it adds a row and points the old one at it
    (`superseded_by_id`), with the reason. The current result is the row that
    nothing supersedes.

    A result typed by hand (`source` "manual") of a critical test counts only
    once its second entry, stored here beside it, agrees (`domain.second_entry`).

    Outcomes, values and correction reasons are sealed at rest: the test's name
    stays in clear (every donation has the same panel), what it found does not.
    The outcome is checked against the test's vocabulary before it is stored
    (`domain.lab_tests.check_result`), not by the database, which sees only
    sealed values.
    """

    __tablename__ = "test_result"
    __table_args__ = (
        CheckConstraint("source IN ('analyser', 'manual', 'unrecorded')", name="source_known"),
        CheckConstraint("(second_entry_at IS NULL AND second_entry_by IS NULL AND second_entry_outcome IS NULL)"
                        " OR (second_entry_at IS NOT NULL AND second_entry_by IS NOT NULL"
                        " AND second_entry_outcome IS NOT NULL)", name="second_entry_in_full"),
        Index("ix_test_result_current", "donation_id", "test", "superseded_by_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_id: Mapped[int] = mapped_column(ForeignKey("donation.id"), index=True)
    test: Mapped[str] = mapped_column(String(30))
    outcome: Mapped[str] = mapped_column(SealedText("test_result.outcome"))
    # The typed value where there is one (ABO/RhD group "A+").
    value: Mapped[str | None] = mapped_column(SealedText("test_result.value"))
    final: Mapped[bool] = mapped_column(default=True)
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String(100))
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("test_result.id"))
    correction_reason: Mapped[str | None] = mapped_column(SealedText("test_result.correction_reason"))
    # "analyser" (read from an instrument's file), "manual" (typed by hand), or "unrecorded" for results
    # stored before the source was kept, which count as they did then.
    source: Mapped[str] = mapped_column(String(10))
    # The blind second entry of a manual result, kept whether it agreed or not.
    second_entry_outcome: Mapped[str | None] = mapped_column(SealedText("test_result.second_entry_outcome"))
    second_entry_value: Mapped[str | None] = mapped_column(SealedText("test_result.second_entry_value"))
    second_entry_at: Mapped[datetime | None]
    second_entry_by: Mapped[str | None] = mapped_column(String(100))


class DonorFollowUp(Base):
    """Opened when a donation's marker is reactive or its grouping disagrees with history.

    Why, what was found and how it ended are sealed at rest; a copy of the database shows only that a
    donor had something to follow up.
    """

    __tablename__ = "donor_follow_up"

    id: Mapped[int] = mapped_column(primary_key=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donor.id"), index=True)
    # Indexed: the follow-ups of a donation are read by it and sorted out in Python (the reason is sealed).
    donation_id: Mapped[int | None] = mapped_column(ForeignKey("donation.id"), index=True)
    reason: Mapped[str] = mapped_column(SealedText("donor_follow_up.reason"))
    detail: Mapped[str] = mapped_column(SealedText("donor_follow_up.detail"), default="")
    opened_at: Mapped[datetime]
    opened_by: Mapped[str] = mapped_column(String(100))
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str | None] = mapped_column(SealedText("donor_follow_up.outcome"))
