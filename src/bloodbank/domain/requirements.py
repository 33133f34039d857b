"""What a unit must be for one patient: group-compatible and every special requirement met.

Allocation and issue both ask these questions, so they are answered once,
here. The patient's group counts only once it is confirmed; until then the
unit must suit a patient of any ABO group (hazard: the first sample of a new
patient may be the wrong patient's blood).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bloodbank.domain import compatibility
from bloodbank.domain.blood_groups import ABO, BloodGroup, parse_group
from bloodbank.domain.messages import N_, Text
from bloodbank.domain.patient_profile import PatientProfile, counted_groupings
from bloodbank.domain.patients import (
    ENFORCED_REQUIREMENTS, SPECIAL_REQUIREMENTS, awaiting_second_entry, grouping_status, requirement_name,
)
from bloodbank.domain.second_entry import DISPUTED

RED_CELL_KINDS = frozenset({"red_cells", "whole_blood", "ltowb"})
# A platelet concentrate is platelets too, but never a dose on its own: see `components.dose_refusal`.
PLATELET_KINDS = frozenset({"platelets", "platelets_apheresis", "platelets_pooled", "platelet_concentrate"})
# Irradiation prevents graft-versus-host disease from donor lymphocytes and CMV
# lives in leucocytes: both matter for cellular components only. BSH guidelines
# on irradiated blood components (Foukaneli et al., 2020) and SaBTO on
# CMV-tested components (2012) need neither for plasma or cryoprecipitate.
CELLULAR_KINDS = RED_CELL_KINDS | PLATELET_KINDS
# RhD antigen sits on red cells; platelet units carry enough to sensitise.
RHD_KINDS = RED_CELL_KINDS | PLATELET_KINDS
# Below this age a patient gets cryoprecipitate of a plasma-compatible group.
CHILD_UNDER_YEARS = 18


@dataclass(frozen=True)
class UnitFacts:
    id: int
    din: str
    kind: str
    blood_group: str | None
    expires_at: datetime
    irradiated: bool = False
    cmv_negative: bool = False
    low_titer: bool = False
    status: str = "available"
    site_id: int | None = None
    product_code: str = ""
    division: str = "00"

    @property
    def label(self) -> str:
        return f"{self.din} {self.product_code}".strip()

    @property
    def group(self) -> BloodGroup | None:
        try:
            return parse_group(self.blood_group) if self.blood_group else None
        except ValueError:
            return None


# ---------------------------------------------------------------- the patient's group

CONFIRMED, SINGLE, DISCREPANT, UNKNOWN = "confirmed", "single", "discrepant", "unknown"
# Only groupings typed by hand, none yet verified by a second entry: the patient is treated as ungrouped.
UNVERIFIED = "unverified"


@dataclass(frozen=True)
class GroupStatus:
    state: str
    group: BloodGroup | None  # set only when confirmed
    message: str  # a `Text`: English for a program, made again in the reader's language on a page

    @property
    def confirmed(self) -> bool:
        return self.state == CONFIRMED


def group_status(profile: PatientProfile | None) -> GroupStatus:
    """Confirmed only by two concordant groupings from separate samples (one may be historical).

    BSH pre-transfusion guideline (Milkins et al., 2013): a second sample
    guards against wrong blood in tube. A grouping typed by hand counts only
    once a blind second entry agrees with it (`domain.second_entry`), which
    guards against a slip of the keyboard. The rule itself is
    `patients.grouping_status`, shared with the patient screens.
    """
    groupings = counted_groupings(profile) if profile is not None else ()
    if not groupings:
        return GroupStatus(UNKNOWN, None, Text(N_("The patient has no blood group on record.")))
    state = grouping_status(groupings)
    readable = set()
    for grouping in groupings:
        for typed in grouping.typed_groups:
            try:
                readable.add(parse_group(typed))
            except ValueError:
                return GroupStatus(DISCREPANT, None, Text(N_("A recorded group '%(typed)s' cannot be read: "
                                                             "the laboratory must check it."), typed=typed))
    if state == DISCREPANT or len(readable) > 1:
        listed = ", ".join(sorted(str(g) for g in readable))
        if any(g.entry_check.state == DISPUTED for g in groupings):
            return GroupStatus(DISCREPANT, None, Text(
                N_("The two entries of a grouping typed by hand disagree (%(listed)s): group O red cells and AB "
                   "plasma until the laboratory resolves it (mark the grouping entered in error and group the "
                   "sample again)."), listed=listed))
        return GroupStatus(DISCREPANT, None, Text(
            N_("The patient's groupings disagree (%(listed)s): group O red cells and AB plasma until the "
               "laboratory resolves it."), listed=listed))
    if state == UNVERIFIED:
        return GroupStatus(UNVERIFIED, None, Text(
            N_("The patient's grouping was typed by hand and awaits a second entry: until one agrees the patient "
               "is treated as ungrouped (group O red cells and AB plasma).")))
    group = readable.pop()
    if state != CONFIRMED:
        if awaiting_second_entry(groupings):
            return GroupStatus(SINGLE, None, Text(
                N_("The patient's group %(group)s comes from one sample only: a second sample must confirm it "
                   "(until then group O red cells and AB plasma). A grouping typed by hand awaits its second "
                   "entry."), group=str(group)))
        return GroupStatus(SINGLE, None, Text(
            N_("The patient's group %(group)s comes from one sample only: a second sample must confirm it "
               "(until then group O red cells and AB plasma)."), group=str(group)))
    return GroupStatus(CONFIRMED, group, Text(N_("Group %(group)s, confirmed on separate samples."),
                                              group=str(group)))


def emergency_group(profile: PatientProfile | None, *, now: datetime) -> BloodGroup:
    """O RhD-negative unless the patient is known to be male or a female past child-bearing age."""
    if profile is None:
        return compatibility.emergency_red_cell_group(None, None)
    return compatibility.emergency_red_cell_group(profile.sex, profile.age_on(now.date()))


# ---------------------------------------------------------------- compatibility

def _is_child(profile: PatientProfile | None, now: datetime) -> bool:
    age = profile.age_on(now.date()) if profile else None
    return age is None or age < CHILD_UNDER_YEARS  # unknown age: the stricter table


def component_compatible(kind: str, donor: BloodGroup, recipient: BloodGroup, *, low_titer: bool = False,
                         recipient_is_child: bool = False) -> bool:
    if kind == "red_cells":
        return compatibility.red_cells_compatible(donor, recipient)
    if kind == "plasma":
        return compatibility.plasma_compatible(donor, recipient)
    if kind in PLATELET_KINDS:
        return compatibility.platelets_compatible(donor, recipient)
    if kind == "cryo":
        return compatibility.cryo_compatible(donor, recipient, recipient_is_child=recipient_is_child)
    if kind in ("whole_blood", "ltowb"):
        return compatibility.whole_blood_compatible(donor, recipient, low_titer=low_titer)
    return False  # a kind nobody has told us about is never compatible


def compatible_with_patient(unit: UnitFacts, profile: PatientProfile | None, *, now: datetime) -> bool:
    """Compatible with the confirmed group; without one, with a patient of any ABO group.

    Without a confirmed group the RhD assumed is the emergency one: RhD-negative
    unless the patient is a male or a female past child-bearing age.
    """
    return recipient(profile, now=now).compatible(unit)


def incompatibility(unit: UnitFacts, profile: PatientProfile | None, *, now: datetime) -> str | None:
    """Why this unit may not go to this patient's current profile, naming both groups; None when it may."""
    if compatible_with_patient(unit, profile, now=now):
        return None
    status = group_status(profile)
    if status.confirmed:
        if unit.blood_group:
            return Text(N_("Unit %(unit)s is %(group)s: NOT compatible with the patient's group %(patient)s."),
                        unit=unit.label, group=unit.blood_group, patient=str(status.group))
        return Text(N_("Unit %(unit)s is of unknown group: NOT compatible with the patient's group %(patient)s."),
                    unit=unit.label, patient=str(status.group))
    if unit.blood_group:
        return Text(N_("Unit %(unit)s is %(group)s: not one that may be given until the patient's group is "
                       "confirmed. %(status)s"), unit=unit.label, group=unit.blood_group, status=status.message)
    return Text(N_("Unit %(unit)s is of unknown group: not one that may be given until the patient's group is "
                   "confirmed. %(status)s"), unit=unit.label, status=status.message)


def abo_identical(unit: UnitFacts, profile: PatientProfile | None) -> bool:
    return _same_abo(unit, group_status(profile))


def _same_abo(unit: UnitFacts, status: GroupStatus) -> bool:
    return bool(status.confirmed and unit.group and unit.group.abo is status.group.abo)


# ---------------------------------------------------------------- special requirements

def unmet_requirements(unit: UnitFacts, profile: PatientProfile | None) -> tuple[str, ...]:
    """One clerk-readable line per special requirement this unit fails; none when it meets all."""
    return _unmet(unit, _sorted_requirements(profile))


def _sorted_requirements(profile: PatientProfile | None) -> tuple[str, ...]:
    return tuple(sorted(profile.requirements)) if profile is not None else ()


def _unmet(unit: UnitFacts, requirements: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(message for message in (_requirement_failure(r, unit) for r in requirements) if message)


def _requirement_failure(requirement: str, unit: UnitFacts) -> str | None:
    if requirement == "irradiated":
        if unit.kind in CELLULAR_KINDS and not unit.irradiated:
            return Text(N_("The patient needs irradiated components; unit %(unit)s is not irradiated."),
                        unit=unit.label)
        return None
    if requirement == "cmv_negative":
        if unit.kind in CELLULAR_KINDS and not unit.cmv_negative:
            return Text(N_("The patient needs CMV-negative components; unit %(unit)s is not CMV-negative."),
                        unit=unit.label)
        return None
    if requirement == "rhd_negative_only":
        group = unit.group
        if unit.kind in RHD_KINDS and (group is None or group.rhd_positive):
            if unit.blood_group:
                return Text(N_("The patient must have RhD-negative components only; unit %(unit)s is %(group)s."),
                            unit=unit.label, group=unit.blood_group)
            return Text(N_("The patient must have RhD-negative components only; unit %(unit)s is of unknown "
                           "group."), unit=unit.label)
        return None
    if requirement in SPECIAL_REQUIREMENTS and requirement not in ENFORCED_REQUIREMENTS:
        return None  # no unit attribute tells; see `manual_checks`
    # A requirement this version does not know cannot be checked, so it is not met.
    return Text(N_("The patient has a special requirement '%(requirement)s' that cannot be checked here: ask the "
                   "laboratory supervisor."), requirement=requirement)


def manual_checks(profile: PatientProfile | None) -> tuple[str, ...]:
    """Requirements recorded but not told by any unit attribute (washed, HLA-matched).

    Shown wherever a unit is allocated or issued, so the flag is seen by the
    person who must check the unit by hand.
    """
    if profile is None:
        return ()
    return tuple(Text(N_("Check by hand: the patient needs %(requirement)s components, which this system cannot "
                         "tell from the unit's record."), requirement=Text(requirement_name(requirement)))
                 for requirement in sorted(profile.requirements)
                 if requirement in SPECIAL_REQUIREMENTS and requirement not in ENFORCED_REQUIREMENTS)


# ---------------------------------------------------------------- one patient, many units

@dataclass(frozen=True)
class Recipient:
    """The patient as every unit is judged against them at one moment, worked out once.

    Choosing among a shelf of units asks the same questions of the patient
    (group status, age band, emergency group, requirements) for each unit;
    asked again per unit they were most of an allocation's time. The rules
    are the methods here, and `compatible_with_patient`, `abo_identical` and
    `unmet_requirements` ask them, so each rule is written once.
    """
    profile: PatientProfile | None
    status: GroupStatus
    child: bool
    emergency: BloodGroup | None  # the emergency red-cell group, set only while the group is unconfirmed
    requirements: tuple[str, ...]  # sorted, so messages come in the same order every time

    def compatible(self, unit: UnitFacts) -> bool:
        donor = unit.group
        if donor is None:
            return False
        if self.status.confirmed:
            return component_compatible(unit.kind, donor, self.status.group, low_titer=unit.low_titer,
                                        recipient_is_child=self.child)
        rhd_positive = self.emergency.rhd_positive
        return all(component_compatible(unit.kind, donor, BloodGroup(abo, rhd_positive),
                                        low_titer=unit.low_titer, recipient_is_child=self.child) for abo in ABO)

    def abo_identical(self, unit: UnitFacts) -> bool:
        return _same_abo(unit, self.status)

    def unmet_requirements(self, unit: UnitFacts) -> tuple[str, ...]:
        return _unmet(unit, self.requirements)


def recipient(profile: PatientProfile | None, *, now: datetime) -> Recipient:
    status = group_status(profile)
    return Recipient(profile=profile, status=status, child=_is_child(profile, now),
                     emergency=None if status.confirmed else emergency_group(profile, now=now),
                     requirements=_sorted_requirements(profile))
