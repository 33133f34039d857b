from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bloodbank.adapters.db.models.base import Base


class Transfusion(Base):
    __tablename__ = "transfusion"

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id"), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    administered_by: Mapped[str] = mapped_column(String(100))
    checked_by: Mapped[str | None] = mapped_column(String(100))
    # {"before": {...}, "during": [...], "after": {...}}: temperature, pulse, blood pressure, respiration.
    vitals: Mapped[dict] = mapped_column(JSON, default=dict)
    volume_given_ml: Mapped[int | None]
    outcome: Mapped[str | None] = mapped_column(String(30))


class TransfusionReaction(Base):
    __tablename__ = "transfusion_reaction"

    id: Mapped[int] = mapped_column(primary_key=True)
    transfusion_id: Mapped[int] = mapped_column(ForeignKey("transfusion.id"), index=True)
    category: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(20))
    imputability: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text, default="")
    reported_at: Mapped[datetime]
    reported_by: Mapped[str] = mapped_column(String(100))


class UnitReturn(Base):
    __tablename__ = "unit_return"

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    returned_at: Mapped[datetime]
    received_by: Mapped[str] = mapped_column(String(100))
    minutes_out_of_storage: Mapped[int]
    kept_in_cold_chain: Mapped[bool]
    restocked: Mapped[bool]
    note: Mapped[str] = mapped_column(Text, default="")
