from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bloodbank.adapters.db.models.base import Base
from bloodbank.adapters.db.sealed_types import SealedText


class Transfer(Base):
    __tablename__ = "transfer"
    __table_args__ = (
        CheckConstraint("from_site_id <> to_site_id", name="between_two_sites"),
        CheckConstraint("status IN ('dispatched', 'received')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    from_site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    to_site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    status: Mapped[str] = mapped_column(String(12), default="dispatched")
    dispatched_at: Mapped[datetime]
    dispatched_by: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime | None]
    received_by: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")


class TransferItem(Base):
    __tablename__ = "transfer_item"

    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfer.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), primary_key=True, index=True)
    received_ok: Mapped[bool | None]


class TemperatureExcursion(Base):
    __tablename__ = "temperature_excursion"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    storage_location: Mapped[str] = mapped_column(String(60))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime]
    lowest_c: Mapped[float]
    highest_c: Mapped[float]
    recorded_by: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")


class ExcursionUnit(Base):
    __tablename__ = "excursion_unit"

    excursion_id: Mapped[int] = mapped_column(ForeignKey("temperature_excursion.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), primary_key=True)


class Recall(Base):
    __tablename__ = "recall"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Sealed: a recall's reason is often what a donor disclosed after giving.
    reason: Mapped[str] = mapped_column(SealedText("recall.reason"))
    opened_at: Mapped[datetime]
    opened_by: Mapped[str] = mapped_column(String(100))
    # What was asked for: {"donor_id": 3} or {"din": "..."} or {"donation_ids": [...]}.
    scope: Mapped[str] = mapped_column(Text)


class RecallUnit(Base):
    __tablename__ = "recall_unit"

    recall_id: Mapped[int] = mapped_column(ForeignKey("recall.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), primary_key=True)
    status_before: Mapped[str] = mapped_column(String(12))
    action: Mapped[str] = mapped_column(String(20))  # quarantined | listed (already issued/transfused)
    # What the site holding the unit did about it; until then the recall stays on that site's home page.
    handled_at: Mapped[datetime | None]
    handled_by: Mapped[str | None] = mapped_column(String(100))
    handled_note: Mapped[str | None] = mapped_column(Text)
