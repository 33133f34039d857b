"""The level of stock the public sees for a blood group: good, low or very low, from its days of supply.

Thresholds are data (rules/stock_levels.toml), each with its source. The public sees levels and whole days,
never unit counts: a handful of units at a small site tells nothing about a person, but the public page has no
need of numbers that small.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Mapping

from bloodbank.domain.messages import N_

GOOD, LOW, VERY_LOW = "good", "low", "very_low"
LEVELS = (VERY_LOW, LOW, GOOD)  # from the most urgent
LABELS = {GOOD: N_("Good"), LOW: N_("Low"), VERY_LOW: N_("Very low")}
SHOWN = ("red_cells", "platelets")
# "platelets" is no component kind of its own here (every platelet kind counts): its words, for the catalogues.
SHOWN_WORDS = (N_("platelets"),)


class StockLevelRulesError(ValueError):
    """The thresholds are malformed: refuse to start."""


@dataclass(frozen=True)
class Thresholds:
    good_days: float
    low_days: float
    source: str


def thresholds_from(data: Mapping[str, Any]) -> dict[str, Thresholds]:
    found = {}
    for kind in SHOWN:
        row = data.get(kind)
        if not isinstance(row, Mapping):
            raise StockLevelRulesError(f"stock_levels: [{kind}] is missing.")
        try:
            good, low, source = float(row["good_days"]), float(row["low_days"]), str(row["source"]).strip()
        except (KeyError, TypeError, ValueError) as error:
            raise StockLevelRulesError(f"stock_levels: [{kind}] needs good_days, low_days and source ({error}).")
        if not (0 < low < good) or not source:
            raise StockLevelRulesError(f"stock_levels: [{kind}] needs 0 < low_days < good_days and a source.")
        found[kind] = Thresholds(good, low, source)
    return found


@cache
def thresholds() -> dict[str, Thresholds]:
    path = resources.files("bloodbank.domain") / "rules" / "stock_levels.toml"
    return thresholds_from(tomllib.loads(path.read_text(encoding="utf-8")))


def level(available: int, days_of_supply: float | None, rules: Thresholds) -> str:
    """None days of supply means nothing was used lately: any stock is then plenty, none is very low."""
    if available < 0 or (days_of_supply is not None and (days_of_supply < 0 or math.isnan(days_of_supply))):
        raise ValueError("stock and days of supply cannot be negative")
    if days_of_supply is None:
        return GOOD if available > 0 else VERY_LOW
    if days_of_supply >= rules.good_days:
        return GOOD
    return LOW if days_of_supply >= rules.low_days else VERY_LOW


def shown_days(days_of_supply: float | None) -> int | None:
    """Whole days, rounded down: "2 days" when 2.9 are left, never a promise of a third."""
    return None if days_of_supply is None else math.floor(days_of_supply)
