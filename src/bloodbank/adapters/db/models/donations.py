from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from bloodbank.adapters.db.models.base import Base, Timestamped


class DinCounter(Base):
    """Last serial handed out per facility code and year.

    Incremented with an UPDATE inside the collection's transaction, which locks
    the row: concurrent collections queue for the next serial instead of
    reading the same one.
    """

    __tablename__ = "din_counter"

    facility_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_serial: Mapped[int] = mapped_column(default=0)


class Donation(Timestamped, Base):
    """A collection: one bag, one Donation Identification Number, never reused."""

    __tablename__ = "donation"
    __table_args__ = (
        UniqueConstraint("facility_code", "din_year", "serial"),
        CheckConstraint("volume_ml IS NULL OR volume_ml > 0", name="volume_positive"),
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    din: Mapped[str] = mapped_column(String(13), unique=True)
    facility_code: Mapped[str] = mapped_column(String(5))
    din_year: Mapped[int]
    serial: Mapped[int]
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id"), unique=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donor.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    kind: Mapped[str] = mapped_column(String(20))
    bag_type: Mapped[str] = mapped_column(String(40))
    bag_lot: Mapped[str] = mapped_column(String(40))
    phlebotomist: Mapped[str] = mapped_column(String(100))
    planned_volume_ml: Mapped[int | None]
    max_volume_ml: Mapped[int | None]
    volume_ml: Mapped[int | None]
    # Set when a recorded volume exceeded the donor's weight-based maximum: the bag is kept
    # (the blood is already drawn) but the lab must see it.
    volume_flag: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(12), default="in_progress")  # in_progress | complete | aborted
    # From a walking-blood-bank member called in an emergency: bedside tests only, a sample kept for the rest.
    emergency: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The call it answered: its unit is issued only while that call's incident or cut-off lasts.
    activation_id: Mapped[int | None] = mapped_column(ForeignKey("panel_activation.id"))


class AdverseReaction(Timestamped, Base):
    __tablename__ = "adverse_reaction"
    __table_args__ = (
        CheckConstraint("severity IN ('mild', 'moderate', 'severe')", name="severity_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_id: Mapped[int] = mapped_column(ForeignKey("donation.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(10))
    outcome: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(100))
