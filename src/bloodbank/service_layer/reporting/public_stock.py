"""What the public sees of the blood supply: for each group, a level and whole days of supply, nationally and at
each blood bank, and which groups are needed. No person, no count of units, no casualty figure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import stock_levels
from bloodbank.domain.blood_groups import ALL_GROUPS
from bloodbank.domain.messages import N_
from bloodbank.service_layer.blood import inventory
from bloodbank.service_layer.donors import sites
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

# The kinds of stock each public component adds up: pooled and apheresis platelets are both a dose.
KINDS = {"red_cells": ("red_cells",), "platelets": ("platelets_pooled", "platelets_apheresis")}


@dataclass(frozen=True)
class GroupLevel:
    blood_group: str
    component: str
    level: str
    days: int | None  # whole days of supply; None when none was used lately


@dataclass(frozen=True)
class AreaStock:
    code: str | None  # None: the whole service
    name: str
    groups: tuple[GroupLevel, ...]


@dataclass(frozen=True)
class PublicStock:
    at: datetime
    national: AreaStock
    sites: tuple[AreaStock, ...]
    needed: tuple[str, ...]  # red-cell groups low or very low nationally, the most urgent first
    sources: dict[str, str]


def public_stock(uow: UnitOfWork) -> PublicStock:
    rules = stock_levels.thresholds()
    national = _area(uow, None, None, N_("Every blood bank"), rules)
    areas = tuple(_area(uow, s.id, s.code, s.name, rules) for s in sites.list_sites(uow.again())
                  if s.kind == "fixed")
    urgency = {level: n for n, level in enumerate(stock_levels.LEVELS)}
    needed = tuple(g.blood_group for g in sorted(
        (g for g in national.groups if g.component == "red_cells" and g.level != stock_levels.GOOD),
        key=lambda g: (urgency[g.level], g.days if g.days is not None else 0)))
    return PublicStock(at=utcnow(), national=national, sites=areas, needed=needed,
                       sources={kind: t.source for kind, t in rules.items()})


def _area(uow: UnitOfWork, site_id: int | None, code: str | None, name: str, rules) -> AreaStock:
    shown = []
    for component, kinds in KINDS.items():
        supplies = [inventory.supply_by_group(uow.again(), site_id=site_id, kind=kind) for kind in kinds]
        if component != "red_cells" and not any(s.available or s.mean_daily_use for rows in supplies for s in rows):
            continue  # platelets are shown where they are held
        for group in (str(g) for g in ALL_GROUPS):
            mine = [s for rows in supplies for s in rows if s.blood_group == group]
            available = sum(s.available for s in mine)
            daily = sum(s.mean_daily_use for s in mine)
            days = available / daily if daily else None
            if component != "red_cells" and not available and not daily:
                continue  # a group of platelets neither held nor asked for here says nothing to the public
            shown.append(GroupLevel(blood_group=group, component=component,
                                    level=stock_levels.level(available, days, rules[component]),
                                    days=stock_levels.shown_days(days)))
    return AreaStock(code=code, name=name, groups=tuple(shown))
