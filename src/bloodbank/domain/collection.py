"""Collection rules: which bag fits which donation, how much goes in it, what can go wrong.

Volumes. A standard whole-blood donation is 450 mL ± 10 % (405–495 mL),
anticoagulant excluded (WHO, "Blood donor selection: guidelines on assessing
donor suitability for blood donation", 2012; Council of Europe / EDQM, "Guide
to the preparation, use and quality assurance of blood components", whole
blood monograph). The bag holds anticoagulant for its nominal volume, so an
under- or over-filled bag has the wrong blood-to-anticoagulant ratio: the lab
must know. Where 350 mL bags are used the same ± 10 % applies (315–385 mL).

Two different limits, two different reactions:
- before the needle, a planned volume above the donor's weight-based maximum
  is refused (the service layer does that with the eligibility rule set);
- after the needle, a recorded volume above it cannot be undone: the bag is
  kept and flagged, never silently accepted and never thrown away here.

Adverse reactions use the categories of the ISBT Working Party on
Haemovigilance, "Standard for surveillance of complications related to blood
donation" (2014), at the granularity a collection room records them.
"""

from __future__ import annotations

from dataclasses import dataclass

from bloodbank.domain.eligibility import DonationKind
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.messages import N_

# How a donation's state (in_progress, complete, aborted) reads on a page, written out for the catalogues.
DONATION_STATUS_WORDS = (N_("in progress"), N_("complete"), N_("aborted"))

WHOLE_BLOOD = DonationKind.WHOLE_BLOOD.value
APHERESIS_KINDS = tuple(kind.value for kind in DonationKind if kind is not DonationKind.WHOLE_BLOOD)

FILL_TOLERANCE_PERCENT = 10
# Anything beyond this is a typing error, not a donation (no single collection reaches a litre).
ABSURD_VOLUME_ML = 1000

# Typical apheresis targets, used only when the clerk gives none; the device
# protocol sets the real figure and the clerk may type it.
_PLANNED_VOLUME_ML = {
    WHOLE_BLOOD: 450,
    "plasma": 600,
    "platelets": 250,
    "double_red_cells": 400,
}


@dataclass(frozen=True)
class BagType:
    code: str
    description: str
    kinds: tuple[str, ...]
    # Volume the anticoagulant is dosed for; None where a device meters it (apheresis).
    nominal_ml: int | None

    def fits(self, kind: str) -> bool:
        return kind in self.kinds


BAG_TYPES: tuple[BagType, ...] = (
    BagType("single", N_("Single bag (whole blood, no separation)"), (WHOLE_BLOOD,), 450),
    BagType("low_volume", N_("Single bag for a 350 mL collection"), (WHOLE_BLOOD,), 350),
    BagType("double", N_("Double bag (red cells + plasma)"), (WHOLE_BLOOD,), 450),
    BagType("triple", N_("Triple bag (red cells + plasma + platelets or buffy coat)"), (WHOLE_BLOOD,), 450),
    BagType("quadruple", N_("Quadruple bag (with additive solution)"), (WHOLE_BLOOD,), 450),
    BagType("top_and_bottom", N_("Top-and-bottom bag (buffy-coat method)"), (WHOLE_BLOOD,), 450),
    BagType("apheresis", N_("Apheresis kit (device-metered anticoagulant)"), APHERESIS_KINDS, None),
)
_BAGS = {bag.code: bag for bag in BAG_TYPES}


def bag_type(code: str) -> BagType:
    bag = _BAGS.get((code or "").strip().lower())
    if bag is None:
        known = ", ".join(_BAGS)
        raise InvalidInput(f"Unknown bag type {code!r}. Use one of: {known}.")
    return bag


def ensure_bag_fits(bag: BagType, kind: str) -> None:
    if kind not in _PLANNED_VOLUME_ML:
        raise InvalidInput(f"Unknown donation kind {kind!r}.")
    if not bag.fits(kind):
        fitting = ", ".join(b.code for b in BAG_TYPES if b.fits(kind)) or "none"
        raise InvalidInput(
            f"A {bag.code} bag cannot be used for a {kind.replace('_', ' ')} donation. "
            f"Bags that fit: {fitting}."
        )


def planned_volume_for(kind: str, bag: BagType | None = None) -> int:
    """Default planned volume: the bag's nominal volume for whole blood, else the kind's typical target."""
    if bag is not None and bag.nominal_ml is not None:
        return bag.nominal_ml
    try:
        return _PLANNED_VOLUME_ML[kind]
    except KeyError:
        raise InvalidInput(f"Unknown donation kind {kind!r}.") from None


def fill_range(nominal_ml: int) -> tuple[int, int]:
    """The volumes that keep the anticoagulant ratio right: nominal ± 10 %, rounded inwards."""
    # Integer arithmetic: 450 * 0.9 in floating point is 405.00000000000006.
    low = -(-nominal_ml * (100 - FILL_TOLERANCE_PERCENT) // 100)
    high = nominal_ml * (100 + FILL_TOLERANCE_PERCENT) // 100
    return low, high


def check_volume_is_plausible(volume_ml: int, what: str = "volume") -> int:
    if isinstance(volume_ml, bool) or not isinstance(volume_ml, int):
        raise InvalidInput(f"The {what} must be a whole number of millilitres.")
    if volume_ml <= 0:
        raise InvalidInput(f"The {what} must be more than 0 mL (got {volume_ml} mL).")
    if volume_ml > ABSURD_VOLUME_ML:
        raise InvalidInput(
            f"A {what} of {volume_ml} mL is not possible (more than {ABSURD_VOLUME_ML} mL): check the figure."
        )
    return volume_ml


def check_planned_fits_bag(planned_ml: int, bag: BagType) -> None:
    """A planned whole-blood volume the bag's anticoagulant cannot take is refused before the needle."""
    if bag.nominal_ml is None:
        return
    low, high = fill_range(bag.nominal_ml)
    if not low <= planned_ml <= high:
        raise InvalidInput(
            f"A {bag.code} bag is dosed for {bag.nominal_ml} mL ({low}–{high} mL); "
            f"{planned_ml} mL would give the wrong anticoagulant ratio. Choose another bag or volume."
        )


@dataclass(frozen=True)
class VolumeAssessment:
    ok: bool
    flag_message: str | None


def assess_volume(recorded_ml: int, planned_ml: int | None, max_ml: int | None, *,
                  nominal_ml: int | None = None) -> VolumeAssessment:
    """Judge a volume already collected: nonsense is refused, anything else is kept and maybe flagged.

    `nominal_ml` is the bag's anticoagulant volume (450 or 350 for whole blood;
    None for apheresis, whose device meters the anticoagulant).
    """
    check_volume_is_plausible(recorded_ml, "recorded volume")
    flags = []
    if max_ml is not None and recorded_ml > max_ml:
        flags.append(
            f"OVER MAXIMUM: {recorded_ml} mL collected, above this donor's weight-based maximum "
            f"of {max_ml} mL (planned {planned_ml if planned_ml is not None else '?'} mL)."
        )
    if nominal_ml is not None:
        low, high = fill_range(nominal_ml)
        if recorded_ml < low:
            flags.append(f"UNDER-FILLED: {recorded_ml} mL in a bag dosed for {nominal_ml} mL "
                         f"(acceptable {low}–{high} mL): anticoagulant ratio too high.")
        elif recorded_ml > high:
            flags.append(f"OVER-FILLED: {recorded_ml} mL in a bag dosed for {nominal_ml} mL "
                         f"(acceptable {low}–{high} mL): anticoagulant ratio too low.")
    return VolumeAssessment(ok=not flags, flag_message=" ".join(flags) or None)


MAX_LOT_LENGTH = 40


def validate_lot(lot: str) -> str:
    """A bag lot number as printed on the pack: kept for recalls, so it must be readable."""
    value = (lot or "").strip()
    if not value:
        raise InvalidInput("The bag lot number is missing: copy it from the bag's label.")
    if len(value) > MAX_LOT_LENGTH:
        raise InvalidInput(f"The bag lot number is longer than {MAX_LOT_LENGTH} characters: check it.")
    if not value.isprintable():
        raise InvalidInput("The bag lot number contains characters that cannot be printed: retype it.")
    return value


@dataclass(frozen=True)
class ReactionKind:
    code: str
    description: str


# ISBT 2014 groups: local symptoms (blood outflow, pain), generalised (vasovagal),
# apheresis-specific (citrate), and other.
REACTION_KINDS: tuple[ReactionKind, ...] = (
    ReactionKind("vasovagal",
                 N_("Vasovagal reaction (faintness, sweating, with or without loss of consciousness)")),
    ReactionKind("haematoma", N_("Haematoma (bruise) at the venepuncture site")),
    ReactionKind("arterial_puncture", N_("Arterial puncture")),
    ReactionKind("nerve_injury", N_("Nerve injury or irritation (pain radiating along the arm)")),
    ReactionKind("citrate_reaction", N_("Citrate reaction (tingling, cramps; apheresis)")),
    ReactionKind("other", N_("Other complication (describe in the outcome)")),
)
SEVERITIES = ("mild", "moderate", "severe")
_REACTIONS = {kind.code: kind for kind in REACTION_KINDS}


def reaction_kind(code: str) -> ReactionKind:
    kind = _REACTIONS.get((code or "").strip().lower())
    if kind is None:
        raise InvalidInput(f"Unknown reaction {code!r}. Use one of: {', '.join(_REACTIONS)}.")
    return kind


def severity(text: str) -> str:
    value = (text or "").strip().lower()
    if value not in SEVERITIES:
        raise InvalidInput(f"Unknown severity {text!r}. Use one of: {', '.join(SEVERITIES)}.")
    return value


def outcome(text: str) -> str:
    value = (text or "").strip()
    if not value:
        raise InvalidInput("Describe the outcome (for example: recovered on the chair, sent home).")
    return value
