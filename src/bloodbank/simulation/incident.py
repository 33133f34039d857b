"""A mass-casualty incident in a region: the units its casualties need, day by day, group by group and hospital.

The need is the domain's forecast (`mass_casualty.need` with its published
planning figures) for the scenario's component: the 0-6 h and 6-24 h windows
fall on the incident's day, the 24-72 h window on the next two days in equal
parts. Red cells keep the forecast's groups (its universal-group share of the
first window becomes group O patients, O+ and O- as in the population); the
platelet models have one pool, so every dose is of the pool's group. The
casualties go to the region's largest hospitals in equal shares, one unit a
request. Our policy sends the forecast to the receiving hospitals as it is
declared (an emergency shipment from the blood centre before the casualties'
requests); the baseline only reorders up to its level.
"""

from __future__ import annotations

import math

from bloodbank.domain import mass_casualty
from bloodbank.domain.incidents import Severity
from bloodbank.simulation.scenario import Scenario

FORECAST_KIND = {"platelets": "platelets", "red_cells": "red_cells"}  # the scenario's order kind -> forecast kind


def forecast_kind(scenario: Scenario) -> str:
    return FORECAST_KIND[scenario.order_kind]


def casualties(scenario: Scenario) -> dict[Severity, int]:
    return {Severity(name): count for name, count in scenario.incident.casualties.items()}


def need_by_day(scenario: Scenario) -> dict[int, dict[str, int]]:
    """Units the incident's casualties need, by day and patient group."""
    incident, kind = scenario.incident, forecast_kind(scenario)
    windows = mass_casualty.need(casualties(scenario), mass_casualty.default_parameters())
    pooled = len(scenario.patient_groups) == 1
    pool = next(iter(scenario.patient_groups))
    by_window: dict[str, dict[str, int]] = {}
    for label, lines in windows.items():
        groups: dict[str, int] = {}
        for (line_kind, group), units in lines.items():
            if line_kind == kind and units:
                key = pool if pooled else group
                groups[key] = groups.get(key, 0) + units
        by_window[label] = groups
    days: dict[int, dict[str, int]] = {incident.day: {}, incident.day + 1: {}, incident.day + 2: {}}
    for label in ("0-6h", "6-24h"):
        for group, units in by_window[label].items():
            days[incident.day][group] = days[incident.day].get(group, 0) + units
    for group, units in by_window["24-72h"].items():
        days[incident.day + 1][group] = math.ceil(units / 2)
        days[incident.day + 2][group] = units // 2
    return {day: {g: n for g, n in groups.items() if n} for day, groups in days.items()}


def units_by_day(scenario: Scenario) -> dict[int, int]:
    """Units (doses, for platelets) the casualties need by day, all groups together."""
    return {day: sum(groups.values()) for day, groups in need_by_day(scenario).items()}


def extra_requests(scenario: Scenario, day: int, hospital_index: int) -> dict[str, int]:
    """Units by patient group the incident adds to one hospital's requests on one day (largest first, from 0)."""
    incident = scenario.incident
    if incident is None or hospital_index >= incident.receiving_hospitals or not 0 <= day - incident.day <= 2:
        return {}
    out = {}
    n = scenario.incident.receiving_hospitals
    for group, units in sorted(need_by_day(scenario).get(day, {}).items()):
        share, rest = divmod(units, n)
        # The odd unit goes to the first hospital for some groups and the second for others, not always the first.
        offset = sorted(scenario.patient_groups).index(group) if group in scenario.patient_groups else 0
        count = share + (1 if (hospital_index - offset) % n < rest else 0)
        if count:
            out[group] = count
    return out
