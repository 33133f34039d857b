"""The individual checks behind an eligibility decision, one function per rule family.

Each returns the rules it finds broken (empty when all pass). See engine.py
for what `clears_on`, `hard` and `permanent` mean.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from bloodbank.domain.eligibility.dates import add_days, add_months, age_in_years, birthday
from bloodbank.domain.eligibility.facts import DeferralRecord, DonorFacts, PastDonation
from bloodbank.domain.eligibility.rules import BySex, DeferralRule, DonationKind, FrequencyRule, RuleSet, Sex
from bloodbank.domain.errors import InvalidInput


@dataclass(frozen=True)
class FailedRule:
    rule: str
    message: str
    clears_on: date | None = None
    hard: bool = True
    permanent: bool = False


def collection_limit_ml(weight_kg: object, sex: object, rules: RuleSet) -> float:
    weight = positive(weight_kg, "weight_kg")
    volume = rules.volume
    if volume.max_ml_per_kg is not None:
        limit = volume.max_ml_per_kg * weight
    else:
        limit = volume.max_fraction_of_ebv * volume.ebv_ml_per_kg.get(checked_sex(sex), min) * weight  # type: ignore[operator]
    # The epsilon absorbs binary fractions (0.13 * 65 * 50 = 422.50000000000006).
    return float(math.floor(limit + 1e-6))


def _n(value: float) -> str:
    return f"{value:g}"


def _g_dl(value: float) -> str:
    # Two decimals at most, so 12.49 is not shown as a passing-looking 12.5.
    text = f"{value:.2f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _sex_words(limit: BySex, sex: Sex | None) -> str:
    if limit.uniform:
        return ""
    if sex is None:
        return " (the stricter figure: sex not recorded)"
    return " for women" if sex == "F" else " for men"


def checked_sex(sex: object) -> Sex | None:
    if sex not in ("F", "M", None):
        raise InvalidInput(f"sex must be \"F\", \"M\" or None (got {sex!r}).")
    return sex  # type: ignore[return-value]


def positive(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise InvalidInput(f"{name} must be a number above 0 (got {value!r}).")
    return float(value)


def history_failures(facts: DonorFacts, rules: RuleSet) -> tuple[FailedRule, ...]:
    """What the donor's past decides: intervals, yearly limits, deferrals."""
    return (*_interval_failures(facts, rules), *_frequency_failures(facts, rules), *_deferral_failures(facts, rules))


def kind_failures(facts: DonorFacts, rules: RuleSet) -> list[FailedRule]:
    if facts.kind.value in rules.kinds:
        return []
    covered = ", ".join(DonationKind(kind).label for kind in rules.kinds)
    return [FailedRule(
        "kind.unsupported",
        f"The {rules.short} rule set gives no criteria for a {facts.kind.label} donation "
        f"(it covers: {covered}); use a rule set that does.",
    )]


def sex_failures(facts: DonorFacts) -> list[FailedRule]:
    if facts.sex is not None:
        return []
    return [FailedRule("sex.missing", "Sex not recorded: limits that differ for women and men cannot be applied.")]


def age_failures(facts: DonorFacts, rules: RuleSet) -> list[FailedRule]:
    rule = rules.age
    born = facts.date_of_birth
    if born is None:
        return [FailedRule("age.missing", "Date of birth not recorded: age cannot be checked.")]
    age = age_in_years(born, facts.on)
    lowest = rule.minimum_with_consent if rule.minimum_with_consent is not None else rule.minimum
    if age < lowest:
        turns = birthday(born, lowest)
        return [FailedRule(
            "age.minimum",
            f"Age {age} is below the minimum of {lowest} years ({rule.source}); old enough on {turns.isoformat()}.",
            clears_on=turns,
        )]
    if age < rule.minimum:
        turns = birthday(born, rule.minimum)
        return [FailedRule(
            "age.consent",
            f"Age {age} is below {rule.minimum} years: only with the consent the law requires ({rule.source}); "
            f"without it, from {turns.isoformat()}.",
            clears_on=turns, hard=False,
        )]
    return _age_maximum_failures(facts, rules, age)


def _age_maximum_failures(facts: DonorFacts, rules: RuleSet, age: int) -> list[FailedRule]:
    rule = rules.age
    if facts.first_time:
        limit = rule.maximum_first_time if rule.maximum_first_time is not None else rule.maximum_repeat
        discretion = rule.first_time_discretion if rule.maximum_first_time is not None else rule.repeat_discretion
        who, rule_id = "a first-time donor", "age.first_time_maximum"
    else:
        limit, discretion = rule.maximum_repeat, rule.repeat_discretion
        who, rule_id = "a repeat donor", "age.repeat_maximum"
        if limit is not None and _is_regular(facts, rule.regular_donor_months):
            return []
    if limit is None or age <= limit:
        return []
    extra = ": only with a physician's permission" if discretion else ""
    regular = (
        f" unless they have donated in the last {rule.regular_donor_months} months"
        if not facts.first_time and rule.regular_donor_months else ""
    )
    return [FailedRule(
        rule_id, f"Age {age} is above the maximum of {limit} years for {who}{regular} ({rule.source}){extra}.",
        hard=not discretion,
    )]


def _is_regular(facts: DonorFacts, months: int | None) -> bool:
    if months is None:
        return False
    return any(add_months(donation.date, months) > facts.on for donation in facts.donations)


def weight_failures(facts: DonorFacts, rules: RuleSet) -> list[FailedRule]:
    rule = rules.weight
    limit = rule.minimum_kg.get(facts.kind.value)
    if limit is None:
        return []
    if facts.weight_kg is None:
        return [FailedRule("weight.missing", "Weight not recorded.")]
    minimum = limit.get(facts.sex, max)
    if facts.weight_kg >= minimum:
        return []
    reduced = rule.reduced_volume
    if facts.kind is DonationKind.WHOLE_BLOOD and reduced is not None and facts.weight_kg >= reduced.minimum_kg:
        planned = facts.planned_volume_ml
        if planned is not None and planned <= reduced.maximum_volume_ml:
            return []
        return [FailedRule(
            "weight.minimum",
            f"Weight {_n(facts.weight_kg)} kg is below the minimum of {_n(minimum)} kg for a standard whole blood "
            f"donation ({rule.source}); from {_n(reduced.minimum_kg)} kg a donation of at most "
            f"{_n(reduced.maximum_volume_ml)} mL may be planned ({reduced.source}).",
        )]
    return [FailedRule(
        "weight.minimum",
        f"Weight {_n(facts.weight_kg)} kg is below the minimum of {_n(minimum)} kg{_sex_words(limit, facts.sex)} "
        f"for a {facts.kind.label} donation ({rule.source_for(facts.kind.value)}).",
    )]


def haemoglobin_failures(facts: DonorFacts, rules: RuleSet) -> list[FailedRule]:
    rule = rules.haemoglobin
    hb = facts.hemoglobin_g_dl
    if hb is None:
        return [FailedRule("haemoglobin.missing", "Haemoglobin not recorded.")]
    special = rule.by_kind.get(facts.kind.value)
    limit, source = (special.minimum_g_dl, special.source) if special else (rule.minimum_g_dl, rule.source)
    kind_words = f" for a {facts.kind.label} donation" if special else ""
    failed = []
    minimum = limit.get(facts.sex, max)
    if hb < minimum:
        failed.append(FailedRule(
            "haemoglobin.minimum",
            f"Haemoglobin {_g_dl(hb)} g/dL is below the minimum of {_g_dl(minimum)} g/dL"
            f"{_sex_words(limit, facts.sex)}{kind_words} ({source}).",
        ))
    if rule.maximum_g_dl is not None:
        maximum = rule.maximum_g_dl.get(facts.sex, min)
        if hb > maximum:
            failed.append(FailedRule(
                "haemoglobin.maximum",
                f"Haemoglobin {_g_dl(hb)} g/dL is above the maximum of {_g_dl(maximum)} g/dL"
                f"{_sex_words(rule.maximum_g_dl, facts.sex)} ({rule.maximum_source or rule.source}).",
            ))
    return failed


def _range_failures(rule_id: str, label: str, value: float, unit: str, low: float | None, high: float | None,
                    source: str) -> list[FailedRule]:
    def show(figure: float) -> str:
        return f"{_n(figure)}{unit}" if unit.startswith("/") else f"{_n(figure)} {unit}"

    if high is not None and value > high:
        return [FailedRule(f"{rule_id}.high", f"{label} {show(value)} is above the maximum of {show(high)} ({source}).")]
    if low is not None and value < low:
        return [FailedRule(f"{rule_id}.low", f"{label} {show(value)} is below the minimum of {show(low)} ({source}).")]
    return []


def blood_pressure_failures(facts: DonorFacts, rules: RuleSet) -> list[FailedRule]:
    rule = rules.blood_pressure
    if rule is None:
        return []
    missing = [name for name, value in (("systolic", facts.systolic), ("diastolic", facts.diastolic)) if value is None]
    if missing:
        return [FailedRule("blood_pressure.missing", f"Blood pressure not recorded ({' and '.join(missing)}).")]
    return [
        *_range_failures("blood_pressure.systolic", "Systolic pressure", facts.systolic, "mmHg",  # type: ignore[arg-type]
                         rule.systolic_min, rule.systolic_max, rule.source),
        *_range_failures("blood_pressure.diastolic", "Diastolic pressure", facts.diastolic, "mmHg",  # type: ignore[arg-type]
                         rule.diastolic_min, rule.diastolic_max, rule.source),
    ]


def pulse_failures(facts: DonorFacts, rules: RuleSet) -> list[FailedRule]:
    rule = rules.pulse
    if rule is None:
        return []
    if facts.pulse is None:
        return [FailedRule("pulse.missing", "Pulse not recorded.")]
    failed = _range_failures("pulse", "Pulse", facts.pulse, "/min", rule.minimum, rule.maximum, rule.source)
    if failed and failed[0].rule == "pulse.low" and rule.low_discretion:
        message = f"{failed[0].message.removesuffix('.')}: a physician may accept a healthy athlete."
        return [FailedRule("pulse.low", message, hard=False)]
    return failed


def temperature_failures(facts: DonorFacts, rules: RuleSet) -> list[FailedRule]:
    rule = rules.temperature
    if rule is None:
        return []
    if facts.temperature_c is None:
        return [FailedRule("temperature.missing", "Temperature not recorded.")]
    return _range_failures("temperature", "Temperature", facts.temperature_c, "°C", None, rule.maximum_c, rule.source)


def fever_failures(facts: DonorFacts, rules: RuleSet) -> list[FailedRule]:
    """A temperature taken and found feverish defers, whether or not the regime asks for it to be taken."""
    value, rule = facts.temperature_c, rules.fever
    if value is None or value <= rule.above_c:
        return []
    if rules.temperature is not None and value > rules.temperature.maximum_c:
        return []  # already refused, in the temperature rule's own words
    return [FailedRule("fever", f"Temperature {_n(value)} °C is a fever (above {_n(rule.above_c)} °C): no donation "
                                f"until after recovery ({rule.source}).")]


def volume_basis(weight_kg: float, sex: Sex | None, rules: RuleSet) -> str:
    volume = rules.volume
    if volume.max_ml_per_kg is not None:
        return f"{_n(volume.max_ml_per_kg)} mL/kg, samples included, at {_n(weight_kg)} kg"
    ebv = volume.ebv_ml_per_kg.get(sex, min)
    return (f"{_n(round(volume.max_fraction_of_ebv * 100, 2))} % of an estimated blood volume of "  # type: ignore[operator]
            f"{_n(ebv)} mL/kg{_sex_words(volume.ebv_ml_per_kg, sex)} at {_n(weight_kg)} kg")


def volume_failures(facts: DonorFacts, rules: RuleSet) -> list[FailedRule]:
    planned = facts.planned_volume_ml
    if planned is None or facts.kind is not DonationKind.WHOLE_BLOOD or facts.weight_kg is None:
        # Apheresis volumes follow the device's nomogram, not the whole-blood cap.
        return []
    volume = rules.volume
    failed = []
    maximum = collection_limit_ml(facts.weight_kg, facts.sex, rules)
    if planned > maximum:
        failed.append(FailedRule(
            "volume.maximum",
            f"Planned volume {_n(planned)} mL is above this donor's maximum of {_n(maximum)} mL "
            f"({volume_basis(facts.weight_kg, facts.sex, rules)}; {volume.source}).",
        ))
    upper = math.floor(volume.standard_ml * (1 + volume.standard_tolerance) + 1e-6)
    if planned > upper:
        failed.append(FailedRule(
            "volume.standard",
            f"Planned volume {_n(planned)} mL is above {upper} mL, the top of a standard "
            f"{_n(volume.standard_ml)} mL ± {_n(round(volume.standard_tolerance * 100, 2))} % donation ({volume.source}).",
        ))
    return failed


def _interval_failures(facts: DonorFacts, rules: RuleSet) -> list[FailedRule]:
    latest: dict[DonationKind, date] = {}
    for donation in facts.donations:
        latest[donation.kind] = max(donation.date, latest.get(donation.kind, donation.date))
    failed = []
    for previous, when in latest.items():
        rule = rules.intervals[previous.value]
        limit = rule.days.get(facts.kind.value)
        if limit is None:
            continue
        days = int(limit.get(facts.sex, max))
        clears = add_days(when, days)
        if facts.on < clears:
            failed.append(FailedRule(
                f"interval.{previous.value}",
                f"Last {previous.label} donation was on {when.isoformat()} ({(facts.on - when).days} days ago); "
                f"a {facts.kind.label} donation needs {days} days{_sex_words(limit, facts.sex)} after it "
                f"({rule.source_for(facts.kind.value)}): next possible on {clears.isoformat()}.",
                clears_on=clears,
            ))
    return failed


def _window_end(rule: FrequencyRule, start: date) -> date:
    if rule.window_months is not None:
        return add_months(start, rule.window_months)
    return add_days(start, rule.window_days)  # type: ignore[arg-type]


def _frequency_failures(facts: DonorFacts, rules: RuleSet) -> list[FailedRule]:
    return [failure for rule in rules.frequency if (failure := _frequency_failure(facts, rule)) is not None]


def _frequency_failure(facts: DonorFacts, rule: FrequencyRule) -> FailedRule | None:
    units = rule.counts.get(facts.kind.value)
    if units is None:
        return None
    maximum = int(rule.maximum.get(facts.sex, min))
    counted = sorted(
        (d for d in facts.donations if d.kind.value in rule.counts and _window_end(rule, d.date) > facts.on),
        key=lambda d: d.date,
    )
    used = sum(rule.counts[d.kind.value] for d in counted)
    if used + units <= maximum:
        return None
    clears = _frequency_clears(rule, counted, used, units, maximum)
    kinds = " and ".join(DonationKind(kind).label for kind in rule.counts)
    weights = [f"a {DonationKind(k).label} donation counts {n}" for k, n in rule.counts.items() if n != 1]
    weighting = f" ({'; '.join(weights)})" if weights else ""
    when = f": next possible on {clears.isoformat()}" if clears else ""
    return FailedRule(
        f"frequency.{rule.id}",
        f"{used} {kinds} donation units{weighting} in the last {rule.window_text}; this donation would make "
        f"{used + units}, above the maximum of {maximum}{_sex_words(rule.maximum, facts.sex)} ({rule.source}){when}.",
        clears_on=clears,
    )


def _frequency_clears(rule: FrequencyRule, counted: list[PastDonation], used: int, units: int,
                      maximum: int) -> date | None:
    # The oldest donations leave the rolling window first.
    remaining = used
    for donation in counted:
        remaining -= rule.counts[donation.kind.value]
        if remaining + units <= maximum:
            return _window_end(rule, donation.date)
    return None


def _deferral_failures(facts: DonorFacts, rules: RuleSet) -> list[FailedRule]:
    by_code: dict[str, list[DeferralRecord]] = {}
    for record in facts.deferrals:
        by_code.setdefault(record.code, []).append(record)
    failed = []
    for code, records in by_code.items():
        rule = rules.deferrals.get(code)
        failure = _undefined_deferral(code, records, rules) if rule is None else _deferral_failure(rule, records, facts.on)
        if failure is not None:
            failed.append(failure)
    return failed


def _undefined_deferral(code: str, records: list[DeferralRecord], rules: RuleSet) -> FailedRule:
    # Ignoring it would accept a donor on a fact nobody has judged.
    since = min(record.since for record in records)
    return FailedRule(
        f"deferral.{code}",
        f"Deferral {code!r} (recorded since {since.isoformat()}) has no rule in the {rules.short} rule set: "
        f"the responsible physician must decide.",
    )


def _deferral_end(rule: DeferralRule, record: DeferralRecord) -> date | None:
    if rule.until_recovered:
        return record.until
    end = add_months(record.since, rule.months) if rule.months is not None else add_days(record.since, rule.days or 0)
    return max(end, record.until) if record.until is not None else end


def _deferral_failure(rule: DeferralRule, records: list[DeferralRecord], on: date) -> FailedRule | None:
    rule_id = f"deferral.{rule.code}"
    since = max(record.since for record in records)
    if rule.permanent:
        extra = ": a physician may review it" if rule.discretion else ""
        return FailedRule(rule_id, f"{rule.description}: permanent deferral ({rule.source}){extra}.",
                          hard=not rule.discretion, permanent=True)
    ends = [_deferral_end(rule, record) for record in records]
    if any(end is None for end in ends):
        return FailedRule(rule_id, f"{rule.description} on {since.isoformat()}: deferred until recovered "
                                   f"({rule.source}); record the date the physician cleared the donor.")
    clears = max(ends)  # type: ignore[type-var]
    if on >= clears:
        return None
    return FailedRule(
        rule_id,
        f"{rule.description} on {since.isoformat()}: deferred for {rule.duration_text} "
        f"until {clears.isoformat()} ({rule.source}).",
        clears_on=clears,
    )
