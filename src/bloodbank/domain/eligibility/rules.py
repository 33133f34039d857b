"""Rule sets as data: one TOML file per regime, read into frozen dataclasses.

The files live in `bloodbank/domain/rules/eligibility/`. Every rule names the
section of the document it comes from, because a clerk who defers a donor
must be able to say why, and an auditor must be able to check the figure.
Loading is strict: an unknown key, a missing `source` or an incomplete
interval table is a packaging error that must fail loudly at load time, not
quietly turn into a missing check at the donor's chair.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Any, Callable, Literal, Mapping

from bloodbank.domain.errors import InvalidInput


class DonationKind(str, Enum):
    WHOLE_BLOOD = "whole_blood"
    DOUBLE_RED_CELLS = "double_red_cells"
    PLASMA = "plasma"
    PLATELETS = "platelets"

    @property
    def label(self) -> str:
        """As in "a double red cell donation"."""
        return {"double_red_cells": "double red cell", "platelets": "platelet"}.get(self.value, self.value.replace("_", " "))


KINDS: tuple[str, ...] = tuple(kind.value for kind in DonationKind)
Sex = Literal["F", "M"]
RULE_SETS: tuple[str, ...] = ("who", "eu", "us-fda", "uk")

# One vocabulary for every regime, so that a record typed at one site means
# the same thing everywhere and a typo is refused instead of ignored. Each
# rule set says how long (or whether) it defers for each code it knows.
DEFERRAL_VOCABULARY: Mapping[str, str] = MappingProxyType({
    "tattoo": "Tattoo, semi-permanent make-up or similar skin penetration (since = day of the procedure)",
    "piercing": "Body or ear piercing (since = day of the procedure)",
    "malaria_area_travel": "Visit to a malaria-endemic area (since = day of return)",
    "pregnancy": "Pregnancy (since = day it ended: delivery or termination)",
    "major_surgery": "Major surgery (since = day of the operation)",
    "minor_surgery": "Minor surgery (since = day of the operation)",
    "dental_treatment": "Dental treatment: extraction, root filling or similar (since = day of treatment)",
    "acute_infection": "Fever above 38 °C, flu-like illness or other acute infection (since = day symptoms stopped)",
    "vaccination_live": "Vaccination with a live attenuated vaccine (since = day of vaccination)",
    "blood_transfusion_received": "Received a transfusion of blood or blood components (since = day of transfusion)",
    "new_sexual_partner": "New or more than one sexual partner, with anal sex, in the past 3 months (since = last contact)",
    "injecting_drug_use": "Injection of drugs not prescribed by a doctor (since = last injection)",
    "hiv": "HIV infection",
    "hbv": "Hepatitis B infection",
    "hcv": "Hepatitis C infection",
    "htlv": "HTLV-I/II infection",
    "cjd_risk": "Risk of Creutzfeldt-Jakob disease (family history, dura mater or cornea graft, pituitary hormones, vCJD exposure)",
    "cancer": "Malignant disease (other than those the regime lets a physician accept)",
    "serious_cardiovascular_disease": "Active or past serious cardiovascular disease",
})


class RuleSetError(ValueError):
    """A packaged rule file is malformed: a bug to fix before release, never a donor's problem."""


@dataclass(frozen=True)
class BySex:
    """A figure that may differ for women and men."""

    F: float
    M: float

    @property
    def uniform(self) -> bool:
        return self.F == self.M

    def get(self, sex: Sex | None, strictest: Callable[[float, float], float]) -> float:
        # Without a recorded sex the stricter figure applies: never accept on a guess.
        if sex is None:
            return strictest(self.F, self.M)
        return self.F if sex == "F" else self.M


@dataclass(frozen=True)
class AgeRule:
    minimum: int
    minimum_with_consent: int | None
    maximum_first_time: int | None
    first_time_discretion: bool
    maximum_repeat: int | None
    repeat_discretion: bool
    regular_donor_months: int | None
    source: str


@dataclass(frozen=True)
class ReducedVolume:
    minimum_kg: float
    maximum_volume_ml: float
    source: str


@dataclass(frozen=True)
class WeightRule:
    minimum_kg: Mapping[str, BySex]
    reduced_volume: ReducedVolume | None
    source: str
    kind_sources: Mapping[str, str]

    def source_for(self, kind: str) -> str:
        return self.kind_sources.get(kind, self.source)


@dataclass(frozen=True)
class KindHaemoglobin:
    minimum_g_dl: BySex
    source: str


@dataclass(frozen=True)
class HaemoglobinRule:
    minimum_g_dl: BySex
    maximum_g_dl: BySex | None
    by_kind: Mapping[str, KindHaemoglobin]
    source: str
    maximum_source: str | None


@dataclass(frozen=True)
class BloodPressureRule:
    systolic_max: float
    systolic_min: float | None
    diastolic_max: float
    diastolic_min: float | None
    source: str


@dataclass(frozen=True)
class PulseRule:
    minimum: float
    maximum: float
    low_discretion: bool
    source: str


@dataclass(frozen=True)
class TemperatureRule:
    maximum_c: float
    source: str


@dataclass(frozen=True)
class FeverRule:
    """A measured fever defers under every regime, even one that does not ask for the measurement."""

    above_c: float
    source: str


@dataclass(frozen=True)
class IntervalRule:
    previous: str
    days: Mapping[str, BySex]
    source: str
    next_sources: Mapping[str, str]

    def source_for(self, kind: str) -> str:
        return self.next_sources.get(kind, self.source)


@dataclass(frozen=True)
class FrequencyRule:
    id: str
    counts: Mapping[str, int]
    maximum: BySex
    window_days: int | None
    window_months: int | None
    source: str

    @property
    def window_text(self) -> str:
        if self.window_months is not None:
            return _plural(self.window_months, "month")
        return _plural(self.window_days or 0, "day")


@dataclass(frozen=True)
class VolumeRule:
    ebv_ml_per_kg: BySex
    max_fraction_of_ebv: float | None
    max_ml_per_kg: float | None
    standard_ml: float
    standard_tolerance: float
    source: str


@dataclass(frozen=True)
class DeferralRule:
    code: str
    description: str
    days: int | None
    months: int | None
    permanent: bool
    until_recovered: bool
    discretion: bool
    source: str

    @property
    def duration_text(self) -> str:
        if self.permanent:
            return "permanent"
        if self.until_recovered:
            return "until recovered: the physician sets the date"
        if self.months is not None:
            return _plural(self.months, "month")
        if self.days is not None and self.days % 7 == 0:
            return _plural(self.days // 7, "week")
        return _plural(self.days or 0, "day")


@dataclass(frozen=True)
class RuleSet:
    name: str
    short: str
    title: str
    sources: tuple[str, ...]
    kinds: tuple[str, ...]
    note: str
    age: AgeRule
    weight: WeightRule
    haemoglobin: HaemoglobinRule
    blood_pressure: BloodPressureRule | None
    pulse: PulseRule | None
    temperature: TemperatureRule | None
    fever: FeverRule
    intervals: Mapping[str, IntervalRule]
    frequency: tuple[FrequencyRule, ...]
    volume: VolumeRule
    deferrals: Mapping[str, DeferralRule]


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


class _Table:
    """Reads one TOML table and insists every key in it was understood."""

    def __init__(self, data: Any, where: str):
        if not isinstance(data, dict):
            raise RuleSetError(f"{where}: expected a table")
        self._data = dict(data)
        self.where = where

    def take(self, key: str, default: Any = ..., *, check: Callable[[Any, str], Any] | None = None) -> Any:
        if key not in self._data:
            if default is ...:
                raise RuleSetError(f"{self.where}: missing required key {key!r}")
            return default
        value = self._data.pop(key)
        return check(value, f"{self.where}.{key}") if check else value

    def source(self) -> str:
        return self.take("source", check=_text)

    def rest(self) -> dict[str, Any]:
        remaining, self._data = self._data, {}
        return remaining

    def done(self) -> None:
        if self._data:
            raise RuleSetError(f"{self.where}: unknown key(s) {', '.join(sorted(self._data))}")


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RuleSetError(f"{where}: expected non-empty text")
    return value.strip()


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise RuleSetError(f"{where}: expected a positive number")
    return float(value)


def _whole(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RuleSetError(f"{where}: expected a whole number")
    return value


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise RuleSetError(f"{where}: expected true or false")
    return value


def _by_sex(value: Any, where: str, read: Callable[[Any, str], float] = _number) -> BySex:
    if not isinstance(value, dict):
        figure = read(value, where)
        return BySex(figure, figure)
    table = _Table(value, where)
    result = BySex(F=read(table.take("F"), f"{where}.F"), M=read(table.take("M"), f"{where}.M"))
    table.done()
    return result


def _kind(value: str, where: str) -> str:
    if value not in KINDS:
        raise RuleSetError(f"{where}: unknown donation kind {value!r} (known: {', '.join(KINDS)})")
    return value


def _frozen(mapping: dict) -> Mapping:
    return MappingProxyType(mapping)


def _read_header(data: dict) -> _Table:
    return _Table(data.pop("rule_set", None), "rule_set")


def _read_age(table: _Table) -> AgeRule:
    rule = AgeRule(
        minimum=table.take("minimum", check=_whole),
        minimum_with_consent=table.take("minimum_with_consent", None, check=_whole),
        maximum_first_time=table.take("maximum_first_time", None, check=_whole),
        first_time_discretion=table.take("first_time_discretion", False, check=_flag),
        maximum_repeat=table.take("maximum_repeat", None, check=_whole),
        repeat_discretion=table.take("repeat_discretion", False, check=_flag),
        regular_donor_months=table.take("regular_donor_months", None, check=_whole),
        source=table.source(),
    )
    table.done()
    return rule


def _read_weight(table: _Table, kinds: tuple[str, ...]) -> WeightRule:
    minimum = _Table(table.take("minimum_kg"), f"{table.where}.minimum_kg")
    by_kind = {_kind(k, minimum.where): _by_sex(v, f"{minimum.where}.{k}") for k, v in minimum.rest().items()}
    missing = [k for k in kinds if k not in by_kind]
    if missing:
        raise RuleSetError(f"{minimum.where}: no minimum weight for {', '.join(missing)}")
    reduced = table.take("reduced_volume", None)
    kind_sources = _Table(table.take("kind_sources", {}), f"{table.where}.kind_sources")
    sources = {_kind(k, kind_sources.where): _text(v, f"{kind_sources.where}.{k}") for k, v in kind_sources.rest().items()}
    source = table.source()
    table.done()
    return WeightRule(
        _frozen(by_kind), _read_reduced(reduced, table.where) if reduced else None, source, _frozen(sources),
    )


def _read_reduced(data: Any, where: str) -> ReducedVolume:
    table = _Table(data, f"{where}.reduced_volume")
    rule = ReducedVolume(
        minimum_kg=table.take("minimum_kg", check=_number),
        maximum_volume_ml=table.take("maximum_volume_ml", check=_number),
        source=table.source(),
    )
    table.done()
    return rule


def _read_haemoglobin(table: _Table) -> HaemoglobinRule:
    minimum = _by_sex(table.take("minimum_g_dl"), f"{table.where}.minimum_g_dl")
    maximum = table.take("maximum_g_dl", None)
    by_kind_data = _Table(table.take("by_kind", {}), f"{table.where}.by_kind")
    by_kind = {}
    for kind, data in by_kind_data.rest().items():
        entry = _Table(data, f"{by_kind_data.where}.{_kind(kind, by_kind_data.where)}")
        by_kind[kind] = KindHaemoglobin(_by_sex(entry.take("minimum_g_dl"), entry.where), entry.source())
        entry.done()
    rule = HaemoglobinRule(
        minimum_g_dl=minimum,
        maximum_g_dl=_by_sex(maximum, f"{table.where}.maximum_g_dl") if maximum is not None else None,
        by_kind=_frozen(by_kind),
        source=table.source(),
        maximum_source=table.take("maximum_source", None, check=_text),
    )
    table.done()
    return rule


def _read_blood_pressure(table: _Table) -> BloodPressureRule:
    rule = BloodPressureRule(
        systolic_max=table.take("systolic_max", check=_number),
        systolic_min=table.take("systolic_min", None, check=_number),
        diastolic_max=table.take("diastolic_max", check=_number),
        diastolic_min=table.take("diastolic_min", None, check=_number),
        source=table.source(),
    )
    table.done()
    return rule


def _read_pulse(table: _Table) -> PulseRule:
    rule = PulseRule(
        minimum=table.take("minimum", check=_number),
        maximum=table.take("maximum", check=_number),
        low_discretion=table.take("low_discretion", False, check=_flag),
        source=table.source(),
    )
    table.done()
    return rule


def _read_fever(table: _Table) -> FeverRule:
    rule = FeverRule(above_c=table.take("above_c", check=_number), source=table.source())
    table.done()
    return rule


def _read_temperature(table: _Table) -> TemperatureRule:
    rule = TemperatureRule(maximum_c=table.take("maximum_c", check=_number), source=table.source())
    table.done()
    return rule


def _days(value: Any, where: str) -> float:
    return float(_whole(value, where))


def _interval_entry(value: Any, where: str) -> tuple[BySex, str | None]:
    # Either a figure ({F, M} or one number) or {days = ..., source = "..."}
    # when that pair has a source of its own.
    if isinstance(value, dict) and "days" in value:
        entry = _Table(value, where)
        days = _by_sex(entry.take("days"), f"{where}.days", _days)
        source = entry.source()
        entry.done()
        return days, source
    return _by_sex(value, where, _days), None


def _read_intervals(table: _Table, kinds: tuple[str, ...]) -> Mapping[str, IntervalRule]:
    table.take("note", None, check=_text)
    rules = {}
    for previous, data in table.rest().items():
        entry = _Table(data, f"{table.where}.{_kind(previous, table.where)}")
        source = entry.source()
        days, sources = {}, {}
        for kind, value in entry.rest().items():
            days[_kind(kind, entry.where)], own_source = _interval_entry(value, f"{entry.where}.{kind}")
            if own_source:
                sources[kind] = own_source
        unsupported = [k for k in days if k not in kinds]
        if unsupported:
            raise RuleSetError(f"{entry.where}: interval before {', '.join(unsupported)}, a kind this rule set does not cover")
        missing = [k for k in kinds if k not in days]
        if missing:
            raise RuleSetError(f"{entry.where}: no interval before {', '.join(missing)}")
        rules[previous] = IntervalRule(previous, _frozen(days), source, _frozen(sources))
    # Any past donation may be on record, whatever kind the regime covers next.
    missing_previous = [k for k in KINDS if k not in rules]
    if missing_previous:
        raise RuleSetError(f"{table.where}: no intervals after {', '.join(missing_previous)}")
    return _frozen(rules)


def _read_frequency(items: Any) -> tuple[FrequencyRule, ...]:
    if not isinstance(items, list):
        raise RuleSetError("frequency: expected an array of tables ([[frequency]])")
    rules = []
    for index, data in enumerate(items):
        table = _Table(data, f"frequency[{index}]")
        counts = _Table(table.take("counts"), f"{table.where}.counts")
        rule = FrequencyRule(
            id=table.take("id", check=_text),
            counts=_frozen({_kind(k, counts.where): _whole(v, f"{counts.where}.{k}") for k, v in counts.rest().items()}),
            maximum=_by_sex(table.take("maximum"), f"{table.where}.maximum", _days),
            window_days=table.take("window_days", None, check=_whole),
            window_months=table.take("window_months", None, check=_whole),
            source=table.source(),
        )
        table.done()
        if (rule.window_days is None) == (rule.window_months is None):
            raise RuleSetError(f"{table.where}: give exactly one of window_days and window_months")
        rules.append(rule)
    return tuple(rules)


def _read_volume(table: _Table) -> VolumeRule:
    rule = VolumeRule(
        ebv_ml_per_kg=_by_sex(table.take("ebv_ml_per_kg"), f"{table.where}.ebv_ml_per_kg"),
        max_fraction_of_ebv=table.take("max_fraction_of_ebv", None, check=_number),
        max_ml_per_kg=table.take("max_ml_per_kg", None, check=_number),
        standard_ml=table.take("standard_ml", check=_number),
        standard_tolerance=table.take("standard_tolerance", check=_number),
        source=table.source(),
    )
    table.done()
    if (rule.max_fraction_of_ebv is None) == (rule.max_ml_per_kg is None):
        raise RuleSetError(f"{table.where}: give exactly one of max_fraction_of_ebv and max_ml_per_kg")
    return rule


def _read_deferral(code: str, data: Any) -> DeferralRule:
    where = f"deferrals.{code}"
    if code not in DEFERRAL_VOCABULARY:
        raise RuleSetError(f"{where}: {code!r} is not a known deferral code")
    table = _Table(data, where)
    weeks = table.take("weeks", None, check=_whole)
    days = table.take("days", None, check=_whole)
    rule = DeferralRule(
        code=code,
        description=table.take("description", check=_text),
        days=days if weeks is None else 7 * weeks,
        months=table.take("months", None, check=_whole),
        permanent=table.take("permanent", False, check=_flag),
        until_recovered=table.take("until_recovered", False, check=_flag),
        discretion=table.take("discretion", False, check=_flag),
        source=table.source(),
    )
    table.done()
    forms = [weeks is not None, days is not None, rule.months is not None, rule.permanent, rule.until_recovered]
    if sum(forms) != 1:
        raise RuleSetError(f"{where}: give exactly one of days, weeks, months, permanent or until_recovered")
    return rule


def _optional(data: dict, key: str, read: Callable[[_Table], Any]) -> Any:
    return read(_Table(data.pop(key), key)) if key in data else None


def rule_set_from_toml(text: str) -> RuleSet:
    """Parse and validate one rule file; raises RuleSetError naming the first fault."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RuleSetError(f"not valid TOML: {error}") from None
    header = _read_header(data)
    name = header.take("name", check=_text)
    kinds = tuple(_kind(k, "rule_set.kinds") for k in header.take("kinds"))
    short = header.take("short", check=_text)
    title = header.take("title", check=_text)
    sources = tuple(_text(s, "rule_set.sources") for s in header.take("sources"))
    note = header.take("note", "", check=_text)
    header.done()
    if not sources:
        raise RuleSetError("rule_set.sources: name at least one primary document")
    deferrals = _Table(data.pop("deferrals", {}), "deferrals")
    rule_set = RuleSet(
        name=name, short=short, title=title, sources=sources, kinds=kinds, note=note,
        age=_read_age(_Table(data.pop("age", None), "age")),
        weight=_read_weight(_Table(data.pop("weight", None), "weight"), kinds),
        haemoglobin=_read_haemoglobin(_Table(data.pop("haemoglobin", None), "haemoglobin")),
        blood_pressure=_optional(data, "blood_pressure", _read_blood_pressure),
        pulse=_optional(data, "pulse", _read_pulse),
        temperature=_optional(data, "temperature", _read_temperature),
        fever=_read_fever(_Table(data.pop("fever", None), "fever")),
        intervals=_read_intervals(_Table(data.pop("intervals", None), "intervals"), kinds),
        frequency=_read_frequency(data.pop("frequency", [])),
        volume=_read_volume(_Table(data.pop("volume", None), "volume")),
        deferrals=_frozen({code: _read_deferral(code, value) for code, value in deferrals.rest().items()}),
    )
    if data:
        raise RuleSetError(f"unknown table(s) {', '.join(sorted(data))}")
    return rule_set


@lru_cache(maxsize=None)
def _load_packaged(name: str) -> RuleSet:
    path = resources.files("bloodbank.domain").joinpath("rules", "eligibility", f"{name}.toml")
    rule_set = rule_set_from_toml(path.read_text(encoding="utf-8"))
    if rule_set.name != name:
        raise RuleSetError(f"{name}.toml declares the name {rule_set.name!r}")
    return rule_set


def load_rule_set(name: str) -> RuleSet:
    """The packaged rule set called `name` (who, eu, us-fda, uk), read once and cached."""
    key = (name or "").strip().lower() if isinstance(name, str) else name
    if key not in RULE_SETS:
        raise InvalidInput(f"Unknown rule set {name!r}. Use one of: {', '.join(RULE_SETS)}.")
    return _load_packaged(key)
