"""Component kinds: storage, shelf life, expiry, and what a donation splits into.

The figures are data (`rules/components.toml`, per regime, each with its
source), read and checked once on first use. Expiry follows the UK Red Book
convention, used here for every regime: the day of collection is day 0 and a
unit is good until 23:59 on its last day, in the time zone of the times given
(pass the site's local time).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import Enum
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.messages import N_

REGIMES = ("eu", "uk", "us", "who")
DEFAULT_REGIME = "eu"
LAST_MINUTE = time(23, 59)


class ComponentKind(str, Enum):
    WHOLE_BLOOD = "whole_blood"
    LTOWB = "ltowb"  # low-titer group O whole blood
    RED_CELLS = "red_cells"  # red cells in additive solution
    PLASMA = "plasma"  # fresh frozen plasma
    PLATELETS_APHERESIS = "platelets_apheresis"
    PLATELETS_POOLED = "platelets_pooled"
    PLATELET_CONCENTRATE = "platelet_concentrate"  # one donation's platelets (PRP): pooled, never a dose
    CRYO = "cryo"


# How a person names each kind: screens, reports and labels say these words, never the codes.
KIND_NAMES = {
    ComponentKind.WHOLE_BLOOD: N_("whole blood"),
    ComponentKind.LTOWB: N_("low-titre group O whole blood"),
    ComponentKind.RED_CELLS: N_("red cells"),
    ComponentKind.PLASMA: N_("plasma"),
    ComponentKind.PLATELETS_APHERESIS: N_("platelets (apheresis)"),
    ComponentKind.PLATELETS_POOLED: N_("platelets (pooled)"),
    ComponentKind.PLATELET_CONCENTRATE: N_("platelet concentrate (for pooling)"),
    ComponentKind.CRYO: N_("cryoprecipitate"),
}


def kind_name(kind: ComponentKind | str | None) -> str:
    """The words for a component kind; an unknown code is shown as it is rather than hidden."""
    if kind is None:
        return ""
    try:
        return KIND_NAMES[ComponentKind(kind)]
    except ValueError:
        return str(kind).replace("_", " ")


class ComponentRulesError(ValueError):
    """The component data are malformed: refuse to start."""


class IrradiationTooLate(InvalidInput):
    code = "irradiation_too_late"


@dataclass(frozen=True)
class ComponentSpec:
    kind: ComponentKind
    regime: str
    display_name: str
    min_c: float
    max_c: float
    shelf_life: timedelta
    screened_shelf_life: timedelta | None  # with bacterial screening or pathogen reduction
    agitated: bool
    source: str


@dataclass(frozen=True)
class IrradiationRule:
    latest_day_after_collection: int | None  # None: any time before the original expiry
    expires_days_after_irradiation: int
    source: str


@dataclass(frozen=True)
class WholeBloodSplit:
    method: str
    components: tuple[ComponentKind, ...]
    intermediate: str | None  # e.g. a buffy coat, pooled with others into `pooled_into`
    pooled_into: ComponentKind | None
    source: str


@dataclass(frozen=True)
class ComponentRules:
    specs: Mapping[tuple[ComponentKind, str], ComponentSpec]
    irradiation: Mapping[str, IrradiationRule]
    irradiation_shortens: frozenset[ComponentKind]
    splits: Mapping[str, WholeBloodSplit]
    derivations: Mapping[ComponentKind, frozenset[ComponentKind]]
    pool_sizes: range
    pool_source: str
    pool_only: frozenset[ComponentKind]  # a fraction of an adult dose: only ever pooled


# --- loading and checking the data ------------------------------------------

def _fail(message: str) -> ComponentRulesError:
    return ComponentRulesError(f"components.toml: {message}")


def _get(data: Mapping[str, Any], key: str, where: str, kind: type | tuple[type, ...]) -> Any:
    if key not in data:
        raise _fail(f"{where} is missing '{key}'.")
    value = data[key]
    # bool is an int in Python; a figure written `true` is a typo, not 1.
    if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
        raise _fail(f"{where}.{key} has the wrong type ({type(value).__name__}).")
    return value


def _days(data: Mapping[str, Any], key: str, where: str) -> timedelta:
    days = _get(data, key, where, int)
    if days <= 0:
        raise _fail(f"{where}.{key} must be a positive number of days.")
    return timedelta(days=days)


def _kind_in_data(text: Any, where: str) -> ComponentKind:
    try:
        return ComponentKind(text)
    except ValueError as exc:
        raise _fail(f"{where}: '{text}' is not a component kind.") from exc


def _spec(kind: ComponentKind, regime: str, entry: Mapping[str, Any], row: Mapping[str, Any]) -> ComponentSpec:
    where = f"kinds.{kind.value}.{regime}"
    low, high = _get(row, "min_c", where, (int, float)), _get(row, "max_c", where, (int, float))
    if not low < high or math.isinf(high):
        raise _fail(f"{where}: the storage range {low}..{high} °C is empty or open above.")
    shelf = _days(row, "shelf_life_days", where)
    screened = _days(row, "screened_shelf_life_days", where) if "screened_shelf_life_days" in row else None
    if screened is not None and screened < shelf:
        raise _fail(f"{where}: screening cannot shorten the shelf life.")
    return ComponentSpec(
        kind=kind, regime=regime,
        display_name=_get(entry, "display_name", f"kinds.{kind.value}", str),
        min_c=float(low), max_c=float(high), shelf_life=shelf, screened_shelf_life=screened,
        agitated=_get(entry, "agitated", f"kinds.{kind.value}", bool),
        source=_get(row, "source", where, str),
    )


def _specs(data: Mapping[str, Any]) -> dict[tuple[ComponentKind, str], ComponentSpec]:
    kinds = _get(data, "kinds", "the file", dict)
    specs = {}
    for kind in ComponentKind:
        entry = _get(kinds, kind.value, "kinds", dict)
        for regime in REGIMES:
            specs[kind, regime] = _spec(kind, regime, entry, _get(entry, regime, f"kinds.{kind.value}", dict))
    return specs


def _irradiation(section: Mapping[str, Any]) -> dict[str, IrradiationRule]:
    rules = {}
    for regime in REGIMES:
        row = _get(section, regime, "irradiation", dict)
        where = f"irradiation.{regime}"
        latest = _get(row, "latest_day_after_collection", where, int) if "latest_day_after_collection" in row else None
        if latest is not None and latest < 0:
            raise _fail(f"{where}.latest_day_after_collection cannot be negative.")
        after = _days(row, "expires_days_after_irradiation", where).days
        rules[regime] = IrradiationRule(latest, after, _get(row, "source", where, str))
    return rules


def _split(method: str, row: Mapping[str, Any]) -> WholeBloodSplit:
    where = f"splits.{method}"
    kinds = tuple(_kind_in_data(k, where) for k in _get(row, "components", where, list))
    pooled = _kind_in_data(row["pooled_into"], where) if "pooled_into" in row else None
    intermediate = _get(row, "intermediate", where, str) if "intermediate" in row else None
    if (pooled is None) != (intermediate is None):
        raise _fail(f"{where}: an intermediate and the kind it is pooled into go together.")
    return WholeBloodSplit(method, kinds, intermediate, pooled, _get(row, "source", where, str))


def _derivations(data: Mapping[str, Any], splits: Mapping[str, WholeBloodSplit]) -> dict[ComponentKind, frozenset[ComponentKind]]:
    section = _get(data, "derivations", "the file", dict)
    _get(section, "source", "derivations", str)
    children: dict[ComponentKind, set[ComponentKind]] = {}
    for parent, kids in section.items():
        if parent != "source":
            children[_kind_in_data(parent, "derivations")] = {_kind_in_data(k, f"derivations.{parent}") for k in kids}
    from_whole_blood = children.setdefault(ComponentKind.WHOLE_BLOOD, set())
    for split in splits.values():
        from_whole_blood.update(split.components, [split.pooled_into] if split.pooled_into else [])
    return {parent: frozenset(kids) for parent, kids in children.items()}


def build_rules(data: Mapping[str, Any]) -> ComponentRules:
    """Check parsed component data and turn it into lookups."""
    irradiation = _get(data, "irradiation", "the file", dict)
    splits = {m: _split(m, row) for m, row in _get(data, "splits", "the file", dict).items()}
    pooling = _get(data, "pooling", "the file", dict)
    low, high = _get(pooling, "buffy_coats_min", "pooling", int), _get(pooling, "buffy_coats_max", "pooling", int)
    if not 1 < low <= high:
        raise _fail("pooling: buffy_coats_min must be at least 2 and not above buffy_coats_max.")
    shortens = _get(irradiation, "shortens", "irradiation", list)
    derivations = _derivations(data, splits)
    pool_only = frozenset(_kind_in_data(k, "pooling.pool_only") for k in _get(pooling, "pool_only", "pooling", list))
    _get(pooling, "pool_only_source", "pooling", str)
    for kind in pool_only:
        if not derivations.get(kind):
            raise _fail(f"pooling.pool_only: {kind.value} is made into nothing, so it could never be used.")
    return ComponentRules(
        specs=MappingProxyType(_specs(data)),
        irradiation=MappingProxyType(_irradiation(irradiation)),
        irradiation_shortens=frozenset(_kind_in_data(k, "irradiation.shortens") for k in shortens),
        splits=MappingProxyType(splits),
        derivations=MappingProxyType(derivations),
        pool_sizes=range(low, high + 1),
        pool_source=_get(pooling, "source", "pooling", str),
        pool_only=pool_only,
    )


def read_packaged_data() -> dict[str, Any]:
    path = resources.files("bloodbank.domain") / "rules" / "components.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))


@cache
def rules() -> ComponentRules:
    return build_rules(read_packaged_data())


def __getattr__(name: str) -> Any:
    # SPLITS is read from the data on first use, not at import.
    if name == "SPLITS":
        return rules().splits
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --- questions answered from the data ---------------------------------------

def _kind(kind: ComponentKind | str) -> ComponentKind:
    try:
        return ComponentKind(kind)
    except ValueError:
        names = ", ".join(k.value for k in ComponentKind)
        raise InvalidInput(f"'{kind}' is not a component kind: expected one of {names}.") from None


def _regime(regime: str) -> str:
    if regime not in REGIMES:
        raise InvalidInput(f"'{regime}' is not a regime: expected one of {', '.join(REGIMES)}.")
    return regime


def spec(kind: ComponentKind | str, *, regime: str = DEFAULT_REGIME) -> ComponentSpec:
    return rules().specs[_kind(kind), _regime(regime)]


def storage_ok(kind: ComponentKind | str, temperature_c: float, *, regime: str = DEFAULT_REGIME) -> bool:
    s = spec(kind, regime=regime)
    return s.min_c <= temperature_c <= s.max_c


def _end_of_day(moment: datetime, days: int) -> datetime:
    return datetime.combine(moment.date() + timedelta(days=days), LAST_MINUTE, tzinfo=moment.tzinfo)


def _same_clock(collected_at: datetime, other: datetime) -> datetime:
    """`other` on the collection's clock, so calendar days compare correctly."""
    if (collected_at.tzinfo is None) != (other.tzinfo is None):
        raise InvalidInput("Collection and irradiation times must both carry a time zone, or neither.")
    return other.astimezone(collected_at.tzinfo) if other.tzinfo else other


def _irradiated(
    kind: ComponentKind, collected_at: datetime, irradiated_at: datetime, regime: str, original: datetime
) -> datetime:
    irradiated_at = _same_clock(collected_at, irradiated_at)
    if irradiated_at < collected_at:
        raise InvalidInput("The irradiation time is before the collection time: check both.")
    if irradiated_at > original:
        raise InvalidInput(f"The unit expired at {original:%Y-%m-%d %H:%M}, before it was irradiated.")
    if kind not in rules().irradiation_shortens:
        return original
    rule = rules().irradiation[regime]
    day = (irradiated_at.date() - collected_at.date()).days
    if rule.latest_day_after_collection is not None and day > rule.latest_day_after_collection:
        raise IrradiationTooLate(
            f"Irradiated on day {day} after collection; {kind.value} may be irradiated only up to day "
            f"{rule.latest_day_after_collection} ({regime} rules). Do not issue it as irradiated."
        )
    return min(original, _end_of_day(irradiated_at, rule.expires_days_after_irradiation))


def expiry(
    kind: ComponentKind | str,
    collected_at: datetime,
    *,
    regime: str = DEFAULT_REGIME,
    irradiated_at: datetime | None = None,
    bacterial_screened: bool = False,
) -> datetime:
    """When the unit expires: 23:59 on the last day of its shelf life, collection day being day 0.

    `bacterial_screened` (or pathogen reduced) lengthens only kinds that have
    a screened shelf life (platelets). Irradiation shortens components holding
    red cells, and is refused once too late for the regime.
    """
    s = spec(kind, regime=regime)
    shelf = s.screened_shelf_life if bacterial_screened and s.screened_shelf_life else s.shelf_life
    original = _end_of_day(collected_at, shelf.days)
    if irradiated_at is None:
        return original
    return _irradiated(s.kind, collected_at, irradiated_at, s.regime, original)


def split_whole_blood(method: str) -> tuple[ComponentKind, ...]:
    """The units one whole blood donation yields by `method` ("buffy_coat" or "prp").

    The buffy-coat method also leaves a buffy coat, which is not a unit: see
    `SPLITS[method].intermediate` and `pool_size_ok`. The platelet-rich plasma
    method's platelet concentrate is a unit, but never a dose: see `dose_refusal`.
    """
    splits = rules().splits
    if method not in splits:
        raise InvalidInput(f"'{method}' is not a split method: expected one of {', '.join(splits)}.")
    return splits[method].components


def can_derive(parent_kind: ComponentKind | str, child_kind: ComponentKind | str) -> bool:
    """Whether a unit of `child_kind` is made directly from one of `parent_kind` (or, for pooled platelets, from several)."""
    return _kind(child_kind) in rules().derivations.get(_kind(parent_kind), frozenset())


def pool_size_ok(n: int) -> bool:
    return n in rules().pool_sizes


def dose_refusal(kind: ComponentKind | str) -> str | None:
    """Why a unit of `kind` may never be allocated, reserved or issued to a patient; None when it may.

    The one rule every path asks (allocation, manual reservation, issue,
    emergency release, orders, irradiation, splitting). A single
    whole-blood-derived platelet concentrate is a fraction of an adult dose:
    it is only pooled, 4-6 of one group, into pooled platelets, and the pool
    is the dose. Which kinds are pool-only is data (`pooling.pool_only`). A
    name that is not a stock kind (the order kind "platelets") is not
    refused here.
    """
    try:
        kind = ComponentKind(kind)
    except ValueError:
        return None
    r = rules()
    if kind not in r.pool_only:
        return None
    return (f"a single {spec(kind).display_name.lower()} is a fraction of an adult dose: pool it first "
            f"({r.pool_sizes.start} to {r.pool_sizes.stop - 1} of one ABO/RhD group make one adult dose)")
