"""The walking blood bank: titres, the panel, supply cut-offs, activations and their calls, bedside tests, and
the recipients followed up when an emergency donation's full tests come back reactive."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bloodbank.adapters.db.models.base import Base
from bloodbank.adapters.db.sealed_types import SealedText

CALL_OUTCOMES = ("accepted", "declined", "no_answer")


class Titre(Base):
    """A donor's anti-A and anti-B titres (reciprocal dilutions), measured on a sample or a donation."""

    __tablename__ = "titre"
    __table_args__ = (
        CheckConstraint("anti_a >= 0 AND anti_b >= 0", name="titres_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donor.id"), index=True)
    donation_id: Mapped[int | None] = mapped_column(ForeignKey("donation.id"))
    anti_a: Mapped[int]
    anti_b: Mapped[int]
    tested_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String(100))


class PanelMember(Base):
    """A volunteer on a site's walking-blood-bank panel, by their own consent to be called at any hour.

    Withdrawing ends the consent at once; joining again gives it anew on the same row (the audit log keeps
    each step).
    """

    __tablename__ = "panel_member"
    __table_args__ = (UniqueConstraint("site_id", "donor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    donor_id: Mapped[int] = mapped_column(ForeignKey("donor.id"), index=True)
    consent_text_version: Mapped[str] = mapped_column(String(20))
    joined_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String(100))
    available: Mapped[bool] = mapped_column(default=True)
    availability_note: Mapped[str] = mapped_column(Text, default="")
    withdrawn_at: Mapped[datetime | None]


class SupplyCutOff(Base):
    """A medical director's signed declaration that tested blood cannot reach a site, until they end it."""

    __tablename__ = "supply_cut_off"
    __table_args__ = (
        CheckConstraint("ended_at IS NULL OR ended_at >= declared_at", name="ends_after_declared"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    declared_at: Mapped[datetime]
    declared_by: Mapped[str] = mapped_column(String(100))
    ended_at: Mapped[datetime | None]
    ended_by: Mapped[str | None] = mapped_column(String(100))


class PanelActivation(Base):
    """The panel called for patients waiting, inside an open incident or a cut-off."""

    __tablename__ = "panel_activation"
    __table_args__ = (
        CheckConstraint("incident_id IS NOT NULL OR cut_off_id IS NOT NULL", name="inside_an_emergency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"))
    cut_off_id: Mapped[int | None] = mapped_column(ForeignKey("supply_cut_off.id"))
    waiting: Mapped[list] = mapped_column(JSON, default=list)  # [{"group": "A+" or null, "count": 2}]
    activated_at: Mapped[datetime]
    activated_by: Mapped[str] = mapped_column(String(100))


class PanelCall(Base):
    """One member phoned for one activation and what they answered; a refusal has no other consequence."""

    __tablename__ = "panel_call"
    __table_args__ = (
        CheckConstraint("outcome IN " + str(CALL_OUTCOMES), name="outcome_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activation_id: Mapped[int] = mapped_column(ForeignKey("panel_activation.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("panel_member.id"))
    outcome: Mapped[str] = mapped_column(String(10))
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String(100))


class RapidTest(Base):
    """A bedside test before an emergency collection, with the kit and lot it was done with."""

    __tablename__ = "rapid_test"

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_id: Mapped[int] = mapped_column(ForeignKey("donation.id"), index=True)
    marker: Mapped[str] = mapped_column(String(20))
    result: Mapped[str] = mapped_column(String(12))
    kit: Mapped[str] = mapped_column(String(80))
    lot: Mapped[str] = mapped_column(String(40))
    tested_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String(100))


class RecipientFollowUp(Base):
    """A patient who received blood from an emergency donation whose full tests later found a marker not negative.

    Open until a clinician records what was done (tested, treated, told); the director's home counts it until
    then. The outcome is sealed: it says something about the patient's health.
    """

    __tablename__ = "recipient_follow_up"
    __table_args__ = (UniqueConstraint("donation_id", "issue_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_id: Mapped[int] = mapped_column(ForeignKey("donation.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    hospital_id: Mapped[int | None] = mapped_column(ForeignKey("hospital.id"))
    opened_at: Mapped[datetime]
    opened_by: Mapped[str] = mapped_column(String(100))
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str | None] = mapped_column(SealedText("recipient_follow_up.outcome"))
