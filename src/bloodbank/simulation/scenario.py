"""A simulation scenario read from a TOML file: every figure with the source it was taken from.

Each parameter is a table `{ value = ..., source = "..." }`, so a figure cannot
lose its citation on the way into a run. A file that breaks the shape is
refused with a message naming the field, before anything is simulated.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from bloodbank.domain.blood_groups import parse_group
from bloodbank.domain.components import REGIMES, ComponentKind

DEMAND_MODELS = ("negative_binomial", "poisson")
SECTIONS = ("component", "demand", "supply", "baseline", "ours", "targets", "region", "incident")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class ScenarioError(ValueError):
    """The scenario file is malformed: the message names the field."""


@dataclass(frozen=True)
class RegionSpec:
    hospital_scales: tuple[float, ...]  # each hospital's demand as a multiple of demand.weekday_means
    production_means: tuple[float, ...]  # units the blood centre releases a day, Monday first
    rotate_days_left: int  # units with this many days left or fewer go to the largest hospital
    # Weekdays (0 = Monday) a hospital of a given scale receives its delivery; every day when not given.
    delivery_weekdays: dict[float, tuple[int, ...]] = field(default_factory=dict)
    # Ours: the centre plans each day's collection from the region's forecast demand and stock position
    # instead of releasing production_means; None keeps production_means for both policies.
    planned: PlannedProduction | None = None


@dataclass(frozen=True)
class PlannedProduction:
    lead_days: int  # days from collection to release (processing and testing)
    collection_weekdays: tuple[int, ...]  # weekdays the centre collects
    service_level: float  # chance that the region's stock position covers demand until the next release
    count_days_left: int  # units with fewer days left than this are not counted in the stock position
    centre_buffer_days: float  # mean demand the centre holds back beyond what the hospitals' levels take

    def __post_init__(self) -> None:
        if not self.collection_weekdays:
            raise ValueError("collection_weekdays is empty")


@dataclass(frozen=True)
class IncidentSpec:
    day: int  # the day of the incident (day 0 is the first Monday)
    casualties: dict[str, int]  # triage severity -> casualties admitted
    receiving_hospitals: int  # the largest hospitals of the region receive them, in equal shares
    open_appeal_donations: int  # an open public appeal: donors bled, all told, whoever comes
    open_appeal_days: int  # over this many days from the incident's
    chairs_per_day: int  # a sized appeal books no more donors a day than the sites' free chairs


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    hospital: str
    order_kind: str  # what a request asks for ("platelets", "red_cells")
    stock_kind: str  # what the hospital holds ("platelets_apheresis", "red_cells")
    regime: str  # shelf lives come from the domain's component rules for this regime
    demand_model: str
    weekday_means: tuple[float, ...]  # units a day, Monday first
    weekday_sizes: tuple[float, ...] | None  # negative-binomial size (dispersion), Monday first
    request_sizes: dict[int, float]  # units per request -> probability
    patient_groups: dict[str, float]
    supply_groups: dict[str, float]
    remaining_days: tuple[int, ...]  # remaining life on arrival, counting the day of arrival
    remaining_weights: tuple[float, ...]
    baseline_cover_days: float  # the baseline's fixed order-up-to level, in days of mean demand
    ours_service_level: float  # chance that a weekday's order-up-to level covers that day's demand
    targets: dict[str, float]
    sources: dict[str, str]  # "section.field" -> source, for the report
    bacterial_screened: bool = False  # platelets: the longer shelf life with bacterial screening
    region: RegionSpec | None = None  # a blood centre and its hospitals; None for one hospital
    incident: IncidentSpec | None = None  # a mass-casualty incident in the region

    @property
    def mean_daily_units(self) -> float:
        return sum(self.weekday_means) / 7

    @property
    def mean_request_size(self) -> float:
        return sum(size * p for size, p in self.request_sizes.items())


def _fail(where: str, message: str) -> ScenarioError:
    return ScenarioError(f"Scenario field '{where}': {message}")


def _param(data: dict[str, Any], section: str, field: str, sources: dict[str, str], *,
           required: bool = True) -> Any:
    where = f"{section}.{field}"
    entry = data.get(section, {}).get(field)
    if entry is None:
        if required:
            raise _fail(where, "missing; give it as { value = ..., source = \"...\" }.")
        return None
    if not isinstance(entry, dict) or "value" not in entry:
        raise _fail(where, "must be a table { value = ..., source = \"...\" }.")
    source = entry.get("source")
    if not isinstance(source, str) or not source.strip():
        raise _fail(where, "has no source: say where the figure comes from (or that it is an assumption).")
    unknown = set(entry) - {"value", "source"}
    if unknown:
        raise _fail(where, f"unknown key(s) {', '.join(sorted(unknown))}.")
    sources[where] = source.strip()
    return entry["value"]


def _number(value: Any, where: str, *, low: float = 0.0, high: float = math.inf, strict_low: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise _fail(where, f"must be a number; got {value!r}.")
    if value < low or value > high or (strict_low and value == low):
        bound = f"above {low}" if strict_low else f"at least {low}"
        raise _fail(where, f"must be {bound}{'' if high == math.inf else f' and at most {high}'}; got {value!r}.")
    return float(value)


def _weekly(value: Any, where: str, *, strict: bool) -> tuple[float, ...]:
    if not isinstance(value, list) or len(value) != 7:
        raise _fail(where, f"must be a list of 7 numbers, Monday to Sunday; got {value!r}.")
    return tuple(_number(v, f"{where}[{WEEKDAYS[i]}]", strict_low=strict) for i, v in enumerate(value))


def _mix(value: Any, where: str) -> dict[str, float]:
    if not isinstance(value, dict) or not value:
        raise _fail(where, "must be a table of blood group = share, e.g. { \"O-\" = 0.07, ... }.")
    mix = {}
    for group, share in value.items():
        try:
            name = str(parse_group(group))
        except ValueError:
            raise _fail(where, f"'{group}' is not a blood group.") from None
        mix[name] = _number(share, f"{where}.{group}")
    total = sum(mix.values())
    if abs(total - 1.0) > 0.01:
        raise _fail(where, f"shares must add up to 1 (within 0.01); they add up to {total:.4f}.")
    return {g: s / total for g, s in mix.items()}


def _request_sizes(value: Any, where: str) -> dict[int, float]:
    if not isinstance(value, dict) or not value:
        raise _fail(where, "must be a table of units per request = probability, e.g. { 1 = 0.4, 2 = 0.6 }.")
    sizes = {}
    for size, p in value.items():
        if not str(size).isdigit() or int(size) < 1:
            raise _fail(where, f"'{size}' is not a whole number of units, at least 1.")
        sizes[int(size)] = _number(p, f"{where}.{size}")
    total = sum(sizes.values())
    if abs(total - 1.0) > 0.01:
        raise _fail(where, f"probabilities must add up to 1 (within 0.01); they add up to {total:.4f}.")
    return {s: p / total for s, p in sorted(sizes.items())}


def _remaining(data: dict[str, Any], sources: dict[str, str]) -> tuple[tuple[int, ...], tuple[float, ...]]:
    days = _param(data, "supply", "remaining_days", sources)
    where = "supply.remaining_days"
    if not isinstance(days, list) or not days or any(isinstance(d, bool) or not isinstance(d, int) or d < 1
                                                        for d in days):
        raise _fail(where, f"must be a list of whole days, each at least 1; got {days!r}.")
    log_weights = _param(data, "supply", "remaining_log_weights", sources)
    where = "supply.remaining_log_weights"
    if not isinstance(log_weights, list) or len(log_weights) != len(days):
        raise _fail(where, f"must be a list of {len(days)} numbers, one for each of supply.remaining_days.")
    weights = tuple(math.exp(_number(w, f"{where}[{i}]", low=-50.0, high=50.0)) for i, w in enumerate(log_weights))
    total = sum(weights)
    return tuple(days), tuple(w / total for w in weights)


def _text(data: dict[str, Any], field: str) -> str:
    value = data.get(field)
    if not isinstance(value, str) or not value.strip():
        raise _fail(field, "missing: a scenario needs a name, a title and a hospital.")
    return value.strip()


def _kind(value: Any, where: str) -> str:
    try:
        return ComponentKind(value).value
    except ValueError:
        raise _fail(where, f"'{value}' is not a component kind: expected one of "
                           f"{', '.join(k.value for k in ComponentKind)}.") from None


def build(data: dict[str, Any]) -> Scenario:
    unknown = set(k for k, v in data.items() if isinstance(v, dict)) - set(SECTIONS)
    if unknown:
        raise _fail(sorted(unknown)[0], f"unknown section; expected {', '.join(SECTIONS)}.")
    sources: dict[str, str] = {}
    name, title, hospital = _text(data, "name"), _text(data, "title"), _text(data, "hospital")
    order_kind = _param(data, "component", "order_kind", sources)
    if order_kind not in ("platelets", "red_cells"):
        raise _fail("component.order_kind", f"must be \"platelets\" or \"red_cells\"; got {order_kind!r}.")
    stock_kind = _kind(_param(data, "component", "stock_kind", sources), "component.stock_kind")
    regime = _param(data, "component", "regime", sources)
    if regime not in REGIMES:
        raise _fail("component.regime", f"must be one of {', '.join(REGIMES)}; got {regime!r}.")
    model = _param(data, "demand", "model", sources)
    if model not in DEMAND_MODELS:
        raise _fail("demand.model", f"must be one of {', '.join(DEMAND_MODELS)}; got {model!r}.")
    means = _weekly(_param(data, "demand", "weekday_means", sources), "demand.weekday_means", strict=True)
    sizes = None
    if model == "negative_binomial":
        sizes = _weekly(_param(data, "demand", "weekday_sizes", sources), "demand.weekday_sizes", strict=True)
    days, weights = _remaining(data, sources)
    service = _number(_param(data, "ours", "service_level", sources), "ours.service_level", high=0.9999,
                      strict_low=True)
    targets = {}
    for field in ("outdating_max", "shortage_max", "fill_rate_min", "o_negative_to_others_max",
                  "hospital_outdating_max", "centre_outdating_max", "appeal_unused_max", "casualty_hours_waited_max"):
        value = _param(data, "targets", field, sources, required=False)
        if value is not None:
            targets[field] = _number(value, f"targets.{field}", high=1.0)
    screened = _param(data, "component", "bacterial_screened", sources, required=False)
    if screened is not None and not isinstance(screened, bool):
        raise _fail("component.bacterial_screened", f"must be true or false; got {screened!r}.")
    return Scenario(
        bacterial_screened=bool(screened), region=_region(data, sources) if "region" in data else None,
        incident=_incident(data, sources) if "incident" in data else None,
        name=name, title=title, hospital=hospital, order_kind=order_kind, stock_kind=stock_kind, regime=regime,
        demand_model=model, weekday_means=means, weekday_sizes=sizes,
        request_sizes=_request_sizes(_param(data, "demand", "request_sizes", sources), "demand.request_sizes"),
        patient_groups=_mix(_param(data, "demand", "patient_groups", sources), "demand.patient_groups"),
        supply_groups=_mix(_param(data, "supply", "supply_groups", sources), "supply.supply_groups"),
        remaining_days=days, remaining_weights=weights,
        baseline_cover_days=_number(_param(data, "baseline", "order_up_to_days", sources),
                                    "baseline.order_up_to_days", strict_low=True),
        ours_service_level=service, targets=targets, sources=sources,
    )


def _region(data: dict[str, Any], sources: dict[str, str]) -> RegionSpec:
    scales = _param(data, "region", "hospital_scales", sources)
    if not isinstance(scales, list) or not scales:
        raise _fail("region.hospital_scales", "must be a list of numbers, one for each hospital.")
    rotate = _param(data, "region", "rotate_days_left", sources)
    if isinstance(rotate, bool) or not isinstance(rotate, int) or rotate < 0:
        raise _fail("region.rotate_days_left", f"must be a whole number of days, at least 0; got {rotate!r}.")
    scales = tuple(_number(v, f"region.hospital_scales[{i}]", strict_low=True) for i, v in enumerate(scales))
    delivery = {}
    raw = _param(data, "region", "delivery_weekdays", sources, required=False)
    if raw is not None:
        if not isinstance(raw, dict):
            raise _fail("region.delivery_weekdays", "must be a table of hospital scale = [weekdays, 0 = Monday].")
        for scale, days in raw.items():
            where = f"region.delivery_weekdays.{scale}"
            try:
                key = float(scale)
            except ValueError:
                raise _fail(where, "the key must be one of region.hospital_scales.") from None
            if key not in scales:
                raise _fail(where, "the key must be one of region.hospital_scales.")
            delivery[key] = _weekdays(days, where)
    return RegionSpec(
        hospital_scales=scales,
        production_means=_weekly(_param(data, "region", "production_means", sources), "region.production_means",
                                 strict=False),
        rotate_days_left=rotate, delivery_weekdays=delivery, planned=_planned(data, sources))


def _weekdays(value: Any, where: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not value or any(isinstance(d, bool) or not isinstance(d, int)
                                                       or not 0 <= d <= 6 for d in value):
        raise _fail(where, f"must be a list of weekdays, 0 (Monday) to 6 (Sunday); got {value!r}.")
    return tuple(sorted(set(value)))


def _planned(data: dict[str, Any], sources: dict[str, str]) -> PlannedProduction | None:
    if _param(data, "region", "planned_production", sources, required=False) is not True:
        return None
    return PlannedProduction(
        lead_days=_whole(_param(data, "region", "production_lead_days", sources), "region.production_lead_days", 0),
        collection_weekdays=_weekdays(_param(data, "region", "collection_weekdays", sources),
                                      "region.collection_weekdays"),
        service_level=_number(_param(data, "region", "production_service_level", sources),
                              "region.production_service_level", high=0.9999, strict_low=True),
        count_days_left=_whole(_param(data, "region", "count_days_left", sources), "region.count_days_left", 0),
        centre_buffer_days=_number(_param(data, "region", "centre_buffer_days", sources), "region.centre_buffer_days",
                                   high=60))


def _whole(value: Any, where: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise _fail(where, f"must be a whole number, at least {low}; got {value!r}.")
    return value


def _incident(data: dict[str, Any], sources: dict[str, str]) -> IncidentSpec:
    if "region" not in data:
        raise _fail("incident", "an incident needs a [region] whose hospitals receive the casualties.")
    casualties = {severity: _whole(_param(data, "incident", severity, sources), f"incident.{severity}", 0)
                  for severity in ("severe", "moderate", "minor")}
    return IncidentSpec(day=_whole(_param(data, "incident", "day", sources), "incident.day", 0),
                        casualties=casualties,
                        receiving_hospitals=_whole(_param(data, "incident", "receiving_hospitals", sources),
                                                   "incident.receiving_hospitals", 1),
                        open_appeal_donations=_whole(_param(data, "incident", "open_appeal_donations", sources),
                                                     "incident.open_appeal_donations", 0),
                        open_appeal_days=_whole(_param(data, "incident", "open_appeal_days", sources),
                                                "incident.open_appeal_days", 1),
                        chairs_per_day=_whole(_param(data, "incident", "chairs_per_day", sources),
                                              "incident.chairs_per_day", 0))


def parse(text: str, *, where: str = "scenario") -> Scenario:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(f"{where} is not valid TOML: {error}.") from None
    return build(data)


def shipped() -> tuple[str, ...]:
    folder = resources.files("bloodbank.simulation") / "scenarios"
    return tuple(sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")))


def load(name_or_path: str) -> Scenario:
    """A shipped scenario by name (`hamilton-platelets`), or a TOML file by path."""
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.exists():
        return parse(path.read_text(encoding="utf-8"), where=str(path))
    if name_or_path in shipped():
        text = (resources.files("bloodbank.simulation") / "scenarios" / f"{name_or_path}.toml").read_text("utf-8")
        return parse(text, where=name_or_path)
    raise ScenarioError(f"No scenario '{name_or_path}': give a TOML file or one of {', '.join(shipped())}.")
