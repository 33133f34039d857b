from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bloodbank.adapters.db.models.base import Base, Timestamped

APPOINTMENT_STATUSES = ("booked", "cancelled", "checked_in", "no_show")


class Appointment(Timestamped, Base):
    __tablename__ = "appointment"
    __table_args__ = (
        CheckConstraint("status IN " + str(APPOINTMENT_STATUSES), name="status_known"),
        Index("ix_appointment_site_slot", "site_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    donor_id: Mapped[int] = mapped_column(ForeignKey("donor.id"), index=True)
    starts_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(20), default="whole_blood")
    status: Mapped[str] = mapped_column(String(12), default="booked")
    booked_by: Mapped[str] = mapped_column(String(100))
    status_changed_at: Mapped[datetime | None]


class SlotCounter(Base):
    """Bookings held in one site's slot.

    A row per (site, slot) that every booking increments under a CHECK: two
    clerks booking the last chair at once cannot both succeed, on any database.
    """

    __tablename__ = "slot_counter"
    __table_args__ = (CheckConstraint("booked >= 0", name="booked_not_negative"),)

    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(primary_key=True)
    booked: Mapped[int] = mapped_column(default=0)
