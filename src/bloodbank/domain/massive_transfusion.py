"""Massive transfusion: what each cooler holds, and the ratio given so far.

A round (cooler) holds red cells, plasma and platelet doses in the hospital's
ratio (`rules/massive_transfusion.toml`, or the hospital's own). The first
round is made of emergency units, chosen as if the patient's group were
unknown; later rounds are group-specific once the group is confirmed. Which
unit may go to which patient is never decided here: it is
`requirements.compatible_with_patient` (which reads `compatibility`, the
emergency-release rules included) and `requirements.unmet_requirements`, the
same checks the issue makes again when the cooler leaves.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from fractions import Fraction
from functools import cache
from importlib import resources

from bloodbank.domain.blood_groups import parse_group
from bloodbank.domain.components import dose_refusal
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.messages import N_
from bloodbank.domain.patient_profile import PatientProfile
from bloodbank.domain.requirements import (
    UnitFacts, compatible_with_patient, emergency_group, group_status, unmet_requirements,
)

FAMILIES = ("red_cells", "plasma", "platelets")
# Stock kinds filling each part of a round; whole blood given (e.g. a walking-blood-bank unit) counts
# as one red cell and one plasma in the ratio, its platelets not counted as a dose.
KINDS_OF = {"red_cells": ("red_cells",), "plasma": ("plasma",),
            "platelets": ("platelets_apheresis", "platelets_pooled")}
WHOLE_BLOOD = frozenset({"whole_blood", "ltowb"})
O_NEGATIVE = "O-"


class MassiveTransfusionRulesError(ValueError):
    """The protocol data are malformed: refuse to start."""


@dataclass(frozen=True)
class Ratio:
    red_cells: int
    plasma: int
    platelets: int

    @property
    def text(self) -> str:
        return f"{self.red_cells}:{self.plasma}:{self.platelets}"

    def of(self, family: str) -> int:
        return getattr(self, family)


@dataclass(frozen=True)
class Protocol:
    code: str
    name: str  # the words a person reads, and `description` too: both in the catalogues (babel.cfg)
    ratio: Ratio
    source: str  # a citation, written alike in every language
    description: str


@dataclass(frozen=True)
class Rules:
    protocols: Mapping[str, Protocol]
    default: str
    max_per_kind: int
    limit_source: str

    @property
    def default_ratio(self) -> Ratio:
        return self.protocols[self.default].ratio


def _count(value: object, where: str, *, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise MassiveTransfusionRulesError(f"massive_transfusion.toml: {where} must be a whole number "
                                           f"from {low} to {high}.")
    return value


def rules_from_toml(text: str) -> Rules:
    data = tomllib.loads(text)
    try:
        limits = data["limits"]
        top = _count(limits["max_per_kind"], "limits.max_per_kind", low=1, high=100)
        protocols = {}
        for code, row in data["protocols"].items():
            ratio = Ratio(*(_count(row[f], f"protocols.{code}.{f}", low=1 if f == "red_cells" else 0, high=top)
                            for f in FAMILIES))
            for text in ("source", "description"):
                if not row[text].strip():
                    raise MassiveTransfusionRulesError(f"massive_transfusion.toml: protocol {code} has no {text}.")
            protocols[code] = Protocol(code, row["name"], ratio, row["source"], row["description"])
        default = data["default"]
        if default not in protocols:
            raise MassiveTransfusionRulesError(f"massive_transfusion.toml: default {default!r} is not a protocol.")
        return Rules(protocols, default, top, limits["source"])
    except KeyError as missing:
        raise MassiveTransfusionRulesError(f"massive_transfusion.toml: {missing} is missing.") from None


@cache
def rules() -> Rules:
    path = resources.files("bloodbank.domain").joinpath("rules/massive_transfusion.toml")
    return rules_from_toml(path.read_text("utf-8"))


def parse_ratio(text: object) -> Ratio:
    """"4:4:1" (red cells : plasma : platelet doses per round), or a protocol's name; refused with what to type."""
    raw = text.strip() if isinstance(text, str) else ""
    if raw in rules().protocols:
        return rules().protocols[raw].ratio
    parts = raw.replace(" ", "").split(":")
    top = rules().max_per_kind
    refusal = InvalidInput(N_("A ratio is red cells : plasma : platelet doses per round, each a whole number up "
                              "to %(most)s and at least one red cell, e.g. 4:4:1; got '%(text)s'."),
                           params={"most": top, "text": raw})
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() for p in parts):
        raise refusal
    ratio = Ratio(*(int(p) for p in parts))
    if ratio.red_cells < 1 or any(ratio.of(f) > top for f in FAMILIES):
        raise refusal
    return ratio


def family(kind: str) -> str | None:
    return next((name for name, kinds in KINDS_OF.items() if kind in kinds), None)


# ---------------------------------------------------------------- composing a round


def round_is_emergency(number: int, profile: PatientProfile) -> bool:
    """The first round is the emergency shelf's; later ones are group-specific once the group is confirmed."""
    return number <= 1 or not group_status(profile).confirmed


def judged_profile(profile: PatientProfile, emergency: bool) -> PatientProfile:
    """For an emergency round, the patient as if no group were known: only units fit for any group."""
    return replace(profile, groupings=()) if emergency else profile


def fits(unit: UnitFacts, profile: PatientProfile, now: datetime) -> bool:
    return (unit.status == "available" and unit.expires_at > now and dose_refusal(unit.kind) is None
            and compatible_with_patient(unit, profile, now=now) and not unmet_requirements(unit, profile))


@dataclass(frozen=True)
class RoundPlan:
    emergency: bool
    units: tuple[UnitFacts, ...]
    short: Mapping[str, int]  # family → how many the stock could not fill


def compose_round(ratio: Ratio, number: int, profile: PatientProfile, candidates: Iterable[UnitFacts],
                  now: datetime) -> RoundPlan:
    """The units for round `number`: each fits the patient (as judged for the round), soonest expiry first.

    The patient's own group comes before other compatible ones; O-negative is
    kept back for those whose emergency group it is, offered after the rest.
    """
    emergency = round_is_emergency(number, profile)
    judged = judged_profile(profile, emergency)
    status = group_status(judged)
    own = status.group if status.confirmed else None
    keep_o_negative = str(own or emergency_group(judged, now=now)) != O_NEGATIVE
    chosen: list[UnitFacts] = []
    short: dict[str, int] = {}
    pool = [u for u in candidates if fits(u, judged, now)]
    for name in FAMILIES:
        wanted = ratio.of(name)
        ranked = sorted((u for u in pool if family(u.kind) == name),
                        key=lambda u: (own is not None and u.group != own,
                                       keep_o_negative and u.kind == "red_cells" and u.blood_group == O_NEGATIVE,
                                       u.expires_at, u.id))
        chosen.extend(ranked[:wanted])
        if len(ranked) < wanted:
            short[name] = wanted - len(ranked)
    return RoundPlan(emergency, tuple(chosen), short)


# ---------------------------------------------------------------- what was given


@dataclass(frozen=True)
class Given:
    red_cells: int = 0
    plasma: int = 0
    platelets: int = 0
    whole_blood: int = 0

    @property
    def red_cell_units(self) -> int:
        return self.red_cells + self.whole_blood

    @property
    def plasma_units(self) -> int:
        return self.plasma + self.whole_blood


def tally(kinds: Iterable[str]) -> Given:
    counts = Counter("whole_blood" if k in WHOLE_BLOOD else family(k) for k in kinds)
    return Given(counts["red_cells"], counts["plasma"], counts["platelets"], counts["whole_blood"])


def ratio_achieved(given: Given) -> tuple[Fraction, Fraction, Fraction] | None:
    """Red cells : plasma : platelet doses given, scaled to one red cell; None before any red cell."""
    if given.red_cell_units == 0:
        return None
    red = given.red_cell_units
    return Fraction(1), Fraction(given.plasma_units, red), Fraction(given.platelets, red)


def target_per_red_cell(ratio: Ratio) -> tuple[Fraction, Fraction, Fraction]:
    return Fraction(1), Fraction(ratio.plasma, ratio.red_cells), Fraction(ratio.platelets, ratio.red_cells)


def o_negative_flag(sex: str | None, groups_given: Iterable[tuple[str, str | None]]) -> int:
    """How many O-negative red-cell units went to a male patient: the scarce group, spent where O-positive would do.

    `groups_given` holds (kind, group) of each unit given. A patient of unknown
    sex is treated as possibly female (O-negative is right for them), so only a
    recorded male is flagged.
    """
    if (sex or "").strip().upper() != "M":
        return 0
    return sum(1 for kind, group in groups_given
               if (kind == "red_cells" or kind in WHOLE_BLOOD) and group and _is_o_negative(group))


def _is_o_negative(text: str) -> bool:
    try:
        return str(parse_group(text)) == O_NEGATIVE
    except ValueError:
        return False
