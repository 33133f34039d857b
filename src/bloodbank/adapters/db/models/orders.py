from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from bloodbank.adapters.db.models.base import Base, Timestamped
from bloodbank.adapters.db.sealed_types import SealedText

URGENCIES = ("routine", "urgent", "emergency", "massive_transfusion")
ORDER_STATUSES = ("open", "allocated", "issued", "fulfilled", "cancelled")


class Order(Timestamped, Base):
    __tablename__ = "blood_order"
    __table_args__ = (
        CheckConstraint("urgency IN " + str(URGENCIES), name="urgency_known"),
        CheckConstraint("status IN " + str(ORDER_STATUSES), name="status_known"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospital.id"), index=True)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    quantity: Mapped[int]
    needed_by: Mapped[datetime]
    urgency: Mapped[str] = mapped_column(String(20), default="routine")
    status: Mapped[str] = mapped_column(String(12), default="open")
    ordered_by: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"), index=True)  # for its casualties


class Reservation(Base):
    """A unit held for an order.

    The partial unique index allows one live reservation per unit: two clerks
    reserving the last O-negative unit at once cannot both succeed.
    """

    __tablename__ = "reservation"
    __table_args__ = (
        Index("uq_reservation_live_unit", "unit_id", unique=True,
              sqlite_where=text("released_at IS NULL"), postgresql_where=text("released_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("blood_order.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    reserved_at: Mapped[datetime]
    reserved_by: Mapped[str] = mapped_column(String(100))
    # Why this unit: e.g. that an O-negative unit went to a non-O-negative patient because nothing else fitted.
    note: Mapped[str] = mapped_column(Text, default="")
    released_at: Mapped[datetime | None]
    released_by: Mapped[str | None] = mapped_column(String(100))
    # Sealed: a reservation ended by a discard takes the discard's reason, "reactive infection marker" among them.
    release_reason: Mapped[str | None] = mapped_column(SealedText("reservation.release_reason"))


class Crossmatch(Base):
    __tablename__ = "crossmatch"
    __table_args__ = (
        CheckConstraint("result IN ('compatible', 'incompatible')", name="result_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    sample_id: Mapped[int | None] = mapped_column(ForeignKey("patient_sample.id"))
    result: Mapped[str] = mapped_column(String(12))
    method: Mapped[str] = mapped_column(String(30), default="serological")
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String(100))


class Issue(Base):
    """A unit handed out for one patient, after the unit and the patient's identifier were scanned."""

    __tablename__ = "issue"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("blood_order.id"))
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservation.id"))
    crossmatch_id: Mapped[int | None] = mapped_column(ForeignKey("crossmatch.id"))
    electronic: Mapped[bool] = mapped_column(default=False)
    emergency: Mapped[bool] = mapped_column(default=False)
    issued_at: Mapped[datetime]
    issued_by: Mapped[str] = mapped_column(String(100))
    scanned_unit: Mapped[str] = mapped_column(String(40))
    scanned_patient: Mapped[str] = mapped_column(String(60))
    follow_up_done_at: Mapped[datetime | None]
    follow_up_note: Mapped[str | None] = mapped_column(Text)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"), index=True)  # its order's
    # The physician's signature accepting blood not fully tested (domain.field_issue); None for any other issue.
    signature_id: Mapped[int | None] = mapped_column(ForeignKey("signature.id"))
    cut_off_id: Mapped[int | None] = mapped_column(ForeignKey("supply_cut_off.id"))
