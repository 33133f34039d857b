"""What the blood bank knows about a patient that decides what they may receive.

Built by the service layer from every record of the person (merged records
included), so a flag on one identifier is never missed on another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from bloodbank.domain.lab_tests import GROUPING
from bloodbank.domain.second_entry import ANALYSER, Check, Entry, check

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
    # Where the group came from (`second_entry.SOURCES`), and the blind second entry of one typed by hand.
    source: str = ANALYSER
    second_entry: str | None = None

    @property
    def entry_check(self) -> Check:
        """Whether it counts towards the patient's group: one typed by hand only once its second entry agrees."""
        second = Entry("typed", self.second_entry) if self.second_entry is not None else None
        return check(GROUPING, self.source, True, Entry("typed", self.blood_group), second)

    @property
    def typed_groups(self) -> tuple[str, ...]:
        """Every group entered for it: a second entry that disagrees is one more reading of the patient."""
        return (self.blood_group,) if self.second_entry in (None, self.blood_group) \
            else (self.blood_group, self.second_entry)


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
