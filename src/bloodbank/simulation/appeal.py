"""An appeal to donors after a mass-casualty incident: none, an open public appeal, or the sized appeal.

- **open**: everyone who comes is bled (`incident.open_appeal_donations` over
  `incident.open_appeal_days`, the donors' groups in the population mix), as
  the public flooded the sites after Las Vegas 2017;
- **sized**: bloodbank's appeal, sized by the live code: the domain's gap
  (`mass_casualty.shortfall` on the region's stock and the units in testing,
  for the component modelled, counting only the need of the hours after an
  invited donor's unit is usable) and donors to invite per group
  (`appeal_sizing.donors_needed`, restocking red cells to the target days of
  `rules/appeals.toml`), spread over days within the sites' chairs
  (`appeal_sizing.size`); the invited accept and come at the rule data's
  response and show-up rates (seeded draws).

A donation becomes a usable unit with the rules' usable share, after the
rules' processing and testing delay (`mass_casualty.toml`
`supply.usable_after_hours`), released at the first morning after; its expiry
is the domain's for the scenario's component. One whole blood donation gives
one red cell unit; platelets come from buffy coats pooled by
`yield_per_donation` (five donations a dose).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from bloodbank.domain import appeal_rules, appeal_sizing, mass_casualty
from bloodbank.simulation import incident
from bloodbank.simulation.scenario import Scenario
from bloodbank.simulation.streams import stream

NONE, OPEN, SIZED = "no appeal", "open appeal", "sized appeal"
VARIANTS = (NONE, OPEN, SIZED)
APPEAL = 3  # the appeal's random stream
DONATED_AT = 12  # donors give around noon


@dataclass(frozen=True)
class Batch:
    """Units from one day's donations of one group, released on `release_day`."""
    given_day: int
    release_day: int
    group: str
    donors: int  # donors bled
    units: int  # usable units they give


@dataclass(frozen=True)
class Plan:
    variant: str
    donors_needed: dict[str, int]  # the sized appeal: donors per group the live rule asks for
    invitations: int
    batches: tuple[Batch, ...]

    @property
    def donors(self) -> int:
        return sum(b.donors for b in self.batches)

    @property
    def units(self) -> int:
        return sum(b.units for b in self.batches)


def _release_day(start: datetime, given_day: int, morning_hour: int) -> int:
    ready = start + timedelta(days=given_day, hours=DONATED_AT) + timedelta(
        hours=mass_casualty.default_parameters().usable_after_hours.value)
    days = (ready - (start + timedelta(hours=morning_hour))).total_seconds() / 86400
    return math.ceil(days)


def _batches(scenario: Scenario, seed: int, donors: dict[tuple[int, str], int], start: datetime,
             morning_hour: int) -> tuple[Batch, ...]:
    """Donors by (day, group) made into usable units: the usable share, then pooling for platelets."""
    mc = mass_casualty.default_parameters()
    kind = incident.forecast_kind(scenario)
    pool = next(iter(scenario.patient_groups)) if len(scenario.patient_groups) == 1 else None
    out = []
    usable_by_day: dict[int, int] = {}
    for (day, group), n in sorted(donors.items()):
        if n <= 0:
            continue
        rng = stream(seed, APPEAL, day, 1 + appeal_sizing.GROUPS.index(group))
        usable = int(rng.binomial(n, mc.usable_share.value))
        if kind == "red_cells":
            units = usable * round(mc.yield_per_donation["red_cells"].value)
            out.append(Batch(day, _release_day(start, day, morning_hour), group, n, units))
        else:
            usable_by_day[day] = usable_by_day.get(day, 0) + usable
            out.append(Batch(day, _release_day(start, day, morning_hour), pool or group, n, 0))
    if kind != "red_cells":  # a dose pools the buffy coats of 1 / yield donations, whatever their groups
        per_dose = 1 / mc.yield_per_donation["platelets"].value
        doses = {day: math.floor(n / per_dose) for day, n in usable_by_day.items()}
        merged: dict[int, Batch] = {}
        for b in out:
            old = merged.get(b.given_day)
            merged[b.given_day] = Batch(b.given_day, b.release_day, b.group, b.donors + (old.donors if old else 0),
                                        doses[b.given_day])
        out = list(merged.values())
    return tuple(out)


def open_plan(scenario: Scenario, seed: int, start: datetime, morning_hour: int) -> Plan:
    """Everyone who comes is bled: the day's crowd in the population's group mix."""
    spec, mix = scenario.incident, mass_casualty.default_parameters().population
    groups = list(mix)
    donors: dict[tuple[int, str], int] = {}
    per_day, rest = divmod(spec.open_appeal_donations, spec.open_appeal_days)
    for i in range(spec.open_appeal_days):
        day = spec.day + i
        n = per_day + (1 if i < rest else 0)
        drawn = stream(seed, APPEAL, day).multinomial(n, [mix[g] for g in groups])
        for group, count in zip(groups, drawn):
            if count:
                donors[(day, group)] = int(count)
    return Plan(OPEN, {}, 0, _batches(scenario, seed, donors, start, morning_hour))


def sized_plan(scenario: Scenario, seed: int, start: datetime, morning_hour: int,
               lots: list[mass_casualty.Lot], daily_use: float) -> Plan:
    """bloodbank's appeal: sized by the live rules on the region's stock and units in testing at the incident.

    Only the component the scenario models is in the gap: its region has no stock of the others to count.
    """
    mc, ap = mass_casualty.default_parameters(), appeal_rules.default_parameters()
    kind = incident.forecast_kind(scenario)
    pool = next(iter(scenario.patient_groups)) if len(scenario.patient_groups) == 1 else None
    needs: dict[str, dict[tuple[str, str], int]] = {}
    for label, lines in mass_casualty.need(incident.casualties(scenario), mc).items():
        needs[label] = {}
        for (line_kind, group), n in lines.items():
            if line_kind == kind and n:
                key = (kind, pool or group)
                needs[label][key] = needs[label].get(key, 0) + n
    # The incident is declared at the morning hour; invited donors give from the first day invitations book, at
    # the hour the simulated donors give: the live rule's earliest usable time, in the simulator's day.
    first_booking = 24.0 * int(ap.first_day_offset) + DONATED_AT - morning_hour
    gap = mass_casualty.shortfall(needs, lots, 0.0, mc, first_booking)
    last = mass_casualty.WINDOWS[-1].label
    left_over = {line.group: line.left_over for line in gap.lines if line.window == last and line.kind == "red_cells"}
    per_donor = {kind: mc.yield_per_donation[kind].value * mc.usable_share.value}
    # The appeal rules' usual daily use is "set from the service's own issues": here, the region's.
    needed = appeal_sizing.donors_needed(gap.appeal_gap(), left_over, ap.target_days_of_supply, daily_use,
                                         mc.population, per_donor)
    rates = appeal_sizing.Rates(ap.response_rate, ap.show_up_rate)
    first = scenario.incident.day + int(ap.first_day_offset)
    capacity = [appeal_sizing.DayCapacity((start + timedelta(days=first + i)).date(), scenario.incident.chairs_per_day)
                for i in range(int(ap.days))]
    plan = appeal_sizing.size(needed, {}, rates, capacity)
    donors: dict[tuple[int, str], int] = {}
    for (group, when), invited in sorted(plan.invitations.items()):
        day = (when - start.date()).days
        rng = stream(seed, APPEAL, day, 100 + appeal_sizing.GROUPS.index(group))
        came = int(rng.binomial(int(rng.binomial(invited, rates.response)), rates.show_up))
        if came:
            donors[(day, group)] = came
    return Plan(SIZED, {g: n for g, n in needed.items() if n}, plan.total(),
                _batches(scenario, seed, donors, start, morning_hour))

