from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from bloodbank.adapters.db.models.base import Base, Timestamped
from bloodbank.adapters.db.sealed_types import SealedJSON, SealedText

VISIT_STATUSES = ("checked_in", "screened", "deferred", "consented", "collected", "withdrawn")


class Visit(Timestamped, Base):
    """One attendance: questionnaire, measurements, the eligibility decision and what followed.

    What the donor answered and why they were found not eligible are sealed at rest (adapters.data_keys).
    """

    __tablename__ = "visit"
    __table_args__ = (
        CheckConstraint("status IN " + str(VISIT_STATUSES), name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donor.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"))
    status: Mapped[str] = mapped_column(String(12), default="checked_in")
    kind: Mapped[str] = mapped_column(String(20), default="whole_blood")
    checked_in_at: Mapped[datetime]
    checked_in_by: Mapped[str] = mapped_column(String(100))
    rule_set: Mapped[str | None] = mapped_column(String(20))
    questionnaire: Mapped[dict] = mapped_column(SealedJSON("visit.questionnaire"), default=dict)
    weight_kg: Mapped[float | None]
    hemoglobin_g_dl: Mapped[float | None]
    systolic: Mapped[int | None]
    diastolic: Mapped[int | None]
    pulse: Mapped[int | None]
    temperature_c: Mapped[float | None]
    eligible: Mapped[bool | None]
    decision_reasons: Mapped[list] = mapped_column(SealedJSON("visit.decision_reasons"), default=list)
    next_eligible_date: Mapped[date | None]
    screened_at: Mapped[datetime | None]
    screened_by: Mapped[str | None] = mapped_column(String(100))
    withdrawn_at: Mapped[datetime | None]
    withdrawn_step: Mapped[str | None] = mapped_column(String(20))
    # A visit found not eligible stands for the day; only a signed override allows another screening.
    rescreen_allowed_at: Mapped[datetime | None]
    rescreen_allowed_by: Mapped[str | None] = mapped_column(String(100))
    rescreen_reason: Mapped[str | None] = mapped_column(SealedText("visit.rescreen_reason"))


class Consent(Timestamped, Base):
    """The donor's own informed consent for one visit, against a versioned text."""

    __tablename__ = "consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id"), unique=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donor.id"), index=True)
    text_version: Mapped[str] = mapped_column(String(20))
    given_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String(100))
    withdrawn_at: Mapped[datetime | None]
    withdrawal_note: Mapped[str | None] = mapped_column(SealedText("consent.withdrawal_note"))


class ConfidentialAnswer(Base):
    """The donor's private answer at one visit: "use" my blood, or do "not" use it.

    Kept apart from every table that staff screens read. Every answer is stored,
    sealed, and both seal to values of the same length: a copy of the database
    shows which visits were asked, never who said "do not use my blood". The
    system acts on a "not" (the blood is discarded) without any ordinary screen
    learning why.
    """

    __tablename__ = "confidential_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id"), unique=True)
    recorded_at: Mapped[datetime]
    answer: Mapped[str] = mapped_column(SealedText("confidential_answer.answer"))
