"""The eligibility decision: every rule of the regime, applied to the donor's facts.

Each check returns the rules it finds broken, never stopping at the first:
the clerk needs the whole list to tell the donor once, and the physician to
judge the whole picture.

`clears_on` is set only where the passing of time alone lifts the rule
(intervals, yearly limits, time-limited deferrals, a minimum age). A
measurement out of range today (haemoglobin, blood pressure, pulse,
temperature, weight) carries no date: it is re-measured at the next visit
and nothing promises it will then pass. `hard` is False where the regime
lets a physician accept the donor all the same (age limits at the
physician's discretion, a slow pulse in a healthy athlete); the donor is
still not eligible until that physician has decided.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from bloodbank.domain.eligibility.checks import (
    FailedRule,
    age_failures,
    blood_pressure_failures,
    collection_limit_ml,
    fever_failures,
    haemoglobin_failures,
    history_failures,
    kind_failures,
    positive,
    pulse_failures,
    sex_failures,
    temperature_failures,
    volume_basis,
    volume_failures,
    weight_failures,
)
from bloodbank.domain.eligibility.facts import DonorFacts, PastDonation
from bloodbank.domain.eligibility.rules import DonationKind, RuleSet, Sex
from bloodbank.domain.errors import VolumeTooHigh


@dataclass(frozen=True)
class Decision:
    eligible: bool
    reasons: tuple[str, ...]
    next_eligible_date: date | None
    permanent: bool
    failed: tuple[FailedRule, ...]


def evaluate(facts: DonorFacts, rules: RuleSet) -> Decision:
    """Apply every rule of `rules` to `facts`; the decision lists all that fail."""
    failed = (
        *kind_failures(facts, rules),
        *age_failures(facts, rules),
        *sex_failures(facts),
        *weight_failures(facts, rules),
        *haemoglobin_failures(facts, rules),
        *blood_pressure_failures(facts, rules),
        *pulse_failures(facts, rules),
        *temperature_failures(facts, rules),
        *fever_failures(facts, rules),
        *volume_failures(facts, rules),
        *history_failures(facts, rules),
    )
    return _decide(failed)


def next_eligible_date(facts: DonorFacts, rules: RuleSet, kind: DonationKind | str | None = None) -> date | None:
    """After a donation of `facts.kind` today, the first day a `kind` donation may follow.

    Only what time alone decides is considered (intervals, yearly limits,
    deferrals, age); measurements are taken again at that visit. None when
    no date can be promised: a permanent deferral, an age limit passed, a
    kind the regime does not cover.
    """
    after = replace(
        facts,
        kind=DonationKind(kind) if kind is not None else facts.kind,
        donations=(*facts.donations, PastDonation(facts.on, facts.kind)),
    )
    day = facts.on + timedelta(days=1)
    # Each round moves strictly forward to a date where every failure seen so
    # far has cleared; a handful of rounds settles any real history.
    for _ in range(64):
        failed = _time_failures(replace(after, on=day), rules)
        if not failed:
            return day
        if any(f.clears_on is None for f in failed):
            return None
        day = max(f.clears_on for f in failed)  # type: ignore[type-var]
    return None


def max_collection_volume_ml(weight_kg: float, sex: Sex | None, rules: RuleSet) -> float:
    """The most whole blood (samples included) the regime lets this donor give, rounded down to the mL."""
    return collection_limit_ml(weight_kg, sex, rules)


def check_collection_volume(planned_ml: float, weight_kg: float, sex: Sex | None, rules: RuleSet) -> float:
    """Refuse a planned volume above the donor's maximum; returns that maximum when it fits."""
    planned = positive(planned_ml, "planned_ml")
    maximum = max_collection_volume_ml(weight_kg, sex, rules)
    if planned > maximum:
        raise VolumeTooHigh(
            f"Planned volume {planned:g} mL is above this donor's maximum of {maximum:g} mL "
            f"({volume_basis(weight_kg, sex, rules)}; {rules.volume.source})."
        )
    return maximum


def deferral_codes(rules: RuleSet) -> dict[str, str]:
    """Each deferral code the regime defines, with its meaning and duration."""
    return {code: f"{rule.description} ({rule.duration_text})" for code, rule in rules.deferrals.items()}


def _decide(failed: tuple[FailedRule, ...]) -> Decision:
    if not failed:
        return Decision(True, (), None, False, ())
    time_bound = all(f.clears_on is not None for f in failed)
    next_date = max(f.clears_on for f in failed) if time_bound else None  # type: ignore[type-var]
    return Decision(
        eligible=False,
        reasons=tuple(f.message for f in failed),
        next_eligible_date=next_date,
        permanent=any(f.permanent for f in failed),
        failed=failed,
    )


def evaluate_in_advance(facts: DonorFacts, rules: RuleSet) -> Decision:
    """What can be decided before the day's measurements: kind, age, intervals, yearly limits, deferrals.

    Booking and check-in ask it, so a donor who may not give on that day is told so at once, with the date
    they may, instead of after the questionnaire and a finger prick. The measurements are `evaluate`'s.
    """
    return _decide(_time_failures(facts, rules))


def _time_failures(facts: DonorFacts, rules: RuleSet) -> tuple[FailedRule, ...]:
    return (*kind_failures(facts, rules), *age_failures(facts, rules), *history_failures(facts, rules))


