from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bloodbank.adapters.db.models.base import Base, Timestamped


class Hospital(Timestamped, Base):
    __tablename__ = "hospital"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # The blood bank (site) whose stock serves this hospital.
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    # IANA zone name for "needed by" and the ward's day; empty means the serving site's zone.
    time_zone: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(300), default="")
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]


class Patient(Timestamped, Base):
    """A recipient. Kept when merged (merged_into_id), so no grouping, antibody or flag is lost."""

    __tablename__ = "patient"

    id: Mapped[int] = mapped_column(primary_key=True)
    given_name: Mapped[str] = mapped_column(String(100), default="")
    family_name: Mapped[str] = mapped_column(String(100), default="")
    date_of_birth: Mapped[date | None]
    # An emergency patient's age is guessed: the date of birth is then an estimate, never a check.
    date_of_birth_estimated: Mapped[bool] = mapped_column(default=False)
    sex: Mapped[str | None] = mapped_column(String(1))
    hospital_id: Mapped[int | None] = mapped_column(ForeignKey("hospital.id"))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id"), index=True)


class PatientIdentifier(Base):
    """Hospital number, national number, emergency number: one patient, many identifiers."""

    __tablename__ = "patient_identifier"
    __table_args__ = (UniqueConstraint("system", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    system: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(60))
    added_at: Mapped[datetime]


class PatientSample(Base):
    __tablename__ = "patient_sample"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    sample_number: Mapped[str] = mapped_column(String(40), unique=True)
    taken_at: Mapped[datetime]
    taken_by: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime]


class PatientGrouping(Base):
    __tablename__ = "patient_grouping"
    __table_args__ = (
        CheckConstraint("source IN ('analyser', 'manual', 'unrecorded')", name="source_known"),
        CheckConstraint("(second_entry_at IS NULL AND second_entry_by IS NULL AND second_entry_group IS NULL)"
                        " OR (second_entry_at IS NOT NULL AND second_entry_by IS NOT NULL"
                        " AND second_entry_group IS NOT NULL)", name="second_entry_in_full"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    sample_id: Mapped[int | None] = mapped_column(ForeignKey("patient_sample.id"))
    blood_group: Mapped[str] = mapped_column(String(3))
    tested_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String(100))
    # Typed in by hand rather than from an analyser: electronic issue is then not allowed.
    manually_edited: Mapped[bool] = mapped_column(default=False)
    historical: Mapped[bool] = mapped_column(default=False)
    # Entered in error (e.g. wrong blood in tube): kept for the record, no longer counted for the patient.
    # Marked by one account under signature and confirmed by a second.
    in_error_at: Mapped[datetime | None]
    in_error_by: Mapped[str | None] = mapped_column(String(100))
    in_error_reason: Mapped[str | None] = mapped_column(Text)
    in_error_confirmed_by: Mapped[str | None] = mapped_column(String(100))
    # Where the group came from (`domain.second_entry.SOURCES`): one typed by hand counts for the patient only
    # once a blind second entry of it agrees; groupings stored before the source was kept are "unrecorded".
    source: Mapped[str] = mapped_column(String(10))
    second_entry_group: Mapped[str | None] = mapped_column(String(3))
    second_entry_at: Mapped[datetime | None]
    second_entry_by: Mapped[str | None] = mapped_column(String(100))


class AntibodyScreen(Base):
    __tablename__ = "antibody_screen"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    sample_id: Mapped[int | None] = mapped_column(ForeignKey("patient_sample.id"))
    positive: Mapped[bool]
    tested_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String(100))
    manually_edited: Mapped[bool] = mapped_column(default=False)


class PatientAntibody(Base):
    __tablename__ = "patient_antibody"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    antibody: Mapped[str] = mapped_column(String(30))
    clinically_significant: Mapped[bool] = mapped_column(default=True)
    identified_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")


class SpecialRequirement(Base):
    """Irradiated, CMV-negative, RhD-negative only…: carried by the patient, enforced at allocation and issue."""

    __tablename__ = "special_requirement"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    requirement: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text, default="")
    since: Mapped[date]
    until: Mapped[date | None]
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime]
