from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bloodbank.adapters.db.models.base import Base

INCIDENT_KINDS = ("explosion", "air_strike", "shooting", "building_collapse", "transport", "fire", "other")
SEVERITIES = ("severe", "moderate", "minor")


class Incident(Base):
    """A mass-casualty incident, declared by the blood service and closed by a signed act."""

    __tablename__ = "incident"
    __table_args__ = (
        CheckConstraint("kind IN " + str(INCIDENT_KINDS), name="kind_known"),
        CheckConstraint("status IN ('declared', 'closed')", name="status_known"),
        CheckConstraint("(status = 'closed') = (closed_at IS NOT NULL)", name="closed_has_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    place: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime]
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))  # the site whose clock it is read on
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="declared")
    declared_at: Mapped[datetime]
    declared_by: Mapped[str] = mapped_column(String(100))
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(100))
    close_note: Mapped[str | None] = mapped_column(Text)


class CasualtyCount(Base):
    """One entry of casualties by severity: counted, never named. Append-only; the totals are their sum."""

    __tablename__ = "casualty_count"
    __table_args__ = (
        CheckConstraint("severity IN " + str(SEVERITIES), name="severity_known"),
        CheckConstraint("basis IN ('expected', 'admitted')", name="basis_known"),
        CheckConstraint("change <> 0", name="change_not_zero"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    hospital_id: Mapped[int | None] = mapped_column(ForeignKey("hospital.id"))  # None: the declarer's estimate
    basis: Mapped[str] = mapped_column(String(10))
    severity: Mapped[str] = mapped_column(String(10))
    change: Mapped[int]
    reason: Mapped[str] = mapped_column(Text, default="")  # why a correction was made
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String(100))
