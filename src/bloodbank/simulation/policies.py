"""How a hospital orders and issues: the common baseline, and ours on the live allocation rule.

Baseline (what most hospitals do): one fixed order-up-to level all week,
split between groups as the blood centre supplies them; the oldest compatible
unit first, whatever its group, so O-negative units go to anyone.

Ours: a level for each weekday and group, the forecast demand of the day the
delivery covers at a chosen chance of covering it; issuing through
`allocation.choose_units` (first-expiring-first, ABO-identical first,
O-negative kept back for O-negative patients).

Both ask the domain whether a unit suits the patient; neither has a copy of
that rule. The stock handed to either is already pre-filtered by
`allocation.possible_groups`, a superset that can only save time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import numpy as np

from bloodbank.domain.allocation import choose_units, possible_groups
from bloodbank.domain.patient_profile import PatientProfile
from bloodbank.domain.requirements import UnitFacts, recipient
from bloodbank.simulation.demand import Request, quantile, units_pmf
from bloodbank.simulation.scenario import Scenario
from bloodbank.simulation.stock import Stock

BASELINE, OURS = "baseline", "ours"


@dataclass(frozen=True)
class Policy:
    name: str
    description: str
    levels: tuple[dict[str, int], ...]  # order-up-to level by group, one table per weekday (Monday first)

    def order(self, weekday: int, stock: Stock) -> dict[str, int]:
        return {g: level - stock.count(g) for g, level in self.levels[weekday].items() if level > stock.count(g)}

    def candidates(self, stock: Stock, scenario: Scenario, profile: PatientProfile, quantity: int,
                   now: datetime) -> list[UnitFacts]:
        return stock.first(_groups(scenario.order_kind, profile, now), quantity)

    def issue(self, stock: Stock, scenario: Scenario, request: Request, profile: PatientProfile,
              now: datetime) -> tuple[UnitFacts, ...]:
        raise NotImplementedError


@lru_cache(maxsize=1024)
def _groups(kind: str, profile: PatientProfile, now: datetime) -> tuple[str, ...]:
    """`possible_groups`, asked once per patient and moment: it depends on nothing else."""
    return tuple(sorted(possible_groups(kind, profile, now=now)))


class Baseline(Policy):
    def issue(self, stock, scenario, request, profile, now):
        who = recipient(profile, now=now)
        suitable = [u for u in self.candidates(stock, scenario, profile, request.quantity, now)
                    if who.compatible(u) and u.expires_at > now]
        suitable.sort(key=lambda u: (u.expires_at, u.id))
        return tuple(suitable[:request.quantity])


class Ours(Policy):
    def issue(self, stock, scenario, request, profile, now):
        allocation = choose_units(self.candidates(stock, scenario, profile, request.quantity, now),
                                  kind=scenario.order_kind, quantity=request.quantity, profile=profile,
                                  needed_by=now, now=now, emergency=False)
        return allocation.units


def baseline(scenario: Scenario, cover_days: float | None = None) -> Baseline:
    cover = scenario.baseline_cover_days if cover_days is None else cover_days
    total = cover * scenario.mean_daily_units
    level = {g: math.ceil(total * share) for g, share in scenario.supply_groups.items()}
    return Baseline(BASELINE, f"fixed order-up-to level of {cover:g} days of mean demand, oldest compatible "
                              "unit first, no O-negative keep-back", tuple(level for _ in range(7)))


def cover_days(weekday: int, delivery_weekdays: tuple[int, ...] | None) -> tuple[int, ...]:
    """The weekdays a delivery on `weekday` has to last: until the next delivery, which may be a week later."""
    if not delivery_weekdays:
        return (weekday,)
    days = [weekday]
    while (days[-1] + 1) % 7 not in delivery_weekdays:
        days.append((days[-1] + 1) % 7)
    return tuple(days)


def _cover_pmf(scenario: Scenario, days: tuple[int, ...], share: float) -> list[float]:
    pmf = units_pmf(scenario, days[0], share)
    for day in days[1:]:
        pmf = list(np.convolve(pmf, units_pmf(scenario, day, share)))
    return pmf


def ours(scenario: Scenario, service_level: float | None = None,
         delivery_weekdays: tuple[int, ...] | None = None) -> Ours:
    """Levels cover the demand until the next delivery (the day itself when deliveries come every day)."""
    level = scenario.ours_service_level if service_level is None else service_level
    levels = tuple({g: quantile(_cover_pmf(scenario, cover_days(weekday, delivery_weekdays), share), level)
                    for g, share in scenario.patient_groups.items()} for weekday in range(7))
    return Ours(OURS, f"weekday order-up-to levels covering each day's forecast demand with probability "
                      f"{level:g}; issuing by the live allocation rule (first-expiring-first, ABO-identical "
                      "first, O-negative kept back)", levels)
