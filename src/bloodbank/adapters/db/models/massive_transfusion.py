"""Massive transfusion: a hospital's ratio, each protocol activated for a patient, its rounds (coolers) and their
units; and the packs of emergency identities printed ahead for a trauma bay."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bloodbank.adapters.db.models.base import Base


class HospitalMtpRatio(Base):
    """A hospital's own ratio of red cells : plasma : platelet doses per round, set with a reason."""

    __tablename__ = "hospital_mtp_ratio"
    __table_args__ = (
        CheckConstraint("red_cells > 0 AND plasma >= 0 AND platelets >= 0", name="counts_in_range"),
    )

    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospital.id"), primary_key=True)
    red_cells: Mapped[int]
    plasma: Mapped[int]
    platelets: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    set_at: Mapped[datetime]
    set_by: Mapped[str] = mapped_column(String(100))


class MassiveTransfusion(Base):
    """A massive transfusion protocol in force for one patient, from activation to its signed end."""

    __tablename__ = "massive_transfusion"
    __table_args__ = (
        CheckConstraint("ended_at IS NULL OR ended_at >= activated_at", name="ends_after_activation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospital.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"))
    # The ratio in force when it was activated: a later change of the hospital's does not rewrite it.
    red_cells: Mapped[int]
    plasma: Mapped[int]
    platelets: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    activated_at: Mapped[datetime]
    activated_by: Mapped[str] = mapped_column(String(100))
    ended_at: Mapped[datetime | None]
    ended_by: Mapped[str | None] = mapped_column(String(100))
    end_signature_id: Mapped[int | None] = mapped_column(ForeignKey("signature.id"))
    end_note: Mapped[str] = mapped_column(Text, default="")


class MtpRound(Base):
    """One cooler: prepared by the blood bank, issued as one, and returned with what was not used."""

    __tablename__ = "mtp_round"
    __table_args__ = (UniqueConstraint("mtp_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mtp_id: Mapped[int] = mapped_column(ForeignKey("massive_transfusion.id"), index=True)
    number: Mapped[int]
    emergency: Mapped[bool]  # made of emergency units (group unknown), not group-specific
    prepared_at: Mapped[datetime]
    prepared_by: Mapped[str] = mapped_column(String(100))
    issued_at: Mapped[datetime | None]
    issued_by: Mapped[str | None] = mapped_column(String(100))
    returned_at: Mapped[datetime | None]
    returned_by: Mapped[str | None] = mapped_column(String(100))


class MtpRoundUnit(Base):
    """A unit packed in a round: held for the patient, then issued, and perhaps returned."""

    __tablename__ = "mtp_round_unit"
    __table_args__ = (UniqueConstraint("round_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("mtp_round.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    reservation_id: Mapped[int] = mapped_column(ForeignKey("reservation.id"))
    issue_id: Mapped[int | None] = mapped_column(ForeignKey("issue.id"))
    return_id: Mapped[int | None] = mapped_column(ForeignKey("unit_return.id"))


class IdentityPack(Base):
    """Emergency identities printed ahead for a trauma bay: wristbands and tube labels, one number each."""

    __tablename__ = "identity_pack"

    id: Mapped[int] = mapped_column(primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospital.id"), index=True)
    place: Mapped[str] = mapped_column(String(100))
    printed_at: Mapped[datetime]
    printed_by: Mapped[str] = mapped_column(String(100))


class EmergencyIdentity(Base):
    """One pre-printed emergency number: never given twice, and a patient's once its wristband is scanned."""

    __tablename__ = "emergency_identity"

    id: Mapped[int] = mapped_column(primary_key=True)
    pack_id: Mapped[int] = mapped_column(ForeignKey("identity_pack.id"), index=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id"), index=True)
    registered_at: Mapped[datetime | None]
    registered_by: Mapped[str | None] = mapped_column(String(100))
