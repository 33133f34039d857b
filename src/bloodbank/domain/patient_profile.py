"""What the blood bank knows about a patient that decides what they may receive.

Built by the service layer from every record of the person (merged records
included), so a flag on one identifier is never missed on another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

# Special requirements a unit must meet; the unit attribute each one needs.
REQUIREMENTS = {
    "irradiated": "irradiated",
    "cmv_negative": "cmv_negative",
    "rhd_negative_only": None,  # checked against the unit's group, not an attribute
}


@dataclass(frozen=True)
class Grouping:
    blood_group: str
    sample_id: int | None
    tested_at: datetime
    manually_edited: bool = False
    historical: bool = False
    # Entered in error (e.g. wrong blood in tube), confirmed by a second person: kept, never counted.
    in_error: bool = False


def counted_groupings(groupings) -> tuple:
    """The groupings that count for the patient: every one not marked entered in error."""
    return tuple(g for g in getattr(groupings, "groupings", groupings) if not getattr(g, "in_error", False))


@dataclass(frozen=True)
class AntibodyScreenResult:
    positive: bool
    sample_id: int | None
    tested_at: datetime
    manually_edited: bool = False


@dataclass(frozen=True)
class PatientProfile:
    patient_id: int
    sex: str | None
    date_of_birth: date | None
    identifiers: tuple[tuple[str, str], ...]  # (system, value), every record of the person
    groupings: tuple[Grouping, ...] = ()
    antibody_screens: tuple[AntibodyScreenResult, ...] = ()
    antibodies: tuple[str, ...] = ()  # clinically significant antibodies ever identified
    requirements: frozenset[str] = field(default_factory=frozenset)  # active special requirements

    def age_on(self, day: date) -> int | None:
        if self.date_of_birth is None:
            return None
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
