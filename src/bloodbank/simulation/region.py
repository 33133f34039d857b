"""A region: one blood centre releasing platelets every day and the hospitals it supplies.

Each morning the centre releases what was collected and tested (its own
seeded stream, the same under either policy); under our policy, units at a
smaller hospital with `rotate_days_left` days or fewer go to the largest
hospital, where they are more likely to be used that day; then each hospital,
largest first, orders up to its level and the centre ships oldest-first from
what it has; each hospital's requests are filled by the policy; at midnight
everything past expiry is outdated, at the centre and in every hospital.

A hospital is the region's scenario with its demand scaled
(`region.hospital_scales`), so each has its own policy levels and its own
demand stream.
"""

from __future__ import annotations

import bisect
import math
from statistics import NormalDist
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bloodbank.domain import mass_casualty
from bloodbank.domain.inventory import age_days
from bloodbank.simulation import appeal, incident, policies
from bloodbank.simulation.demand import Request, day_requests, units_pmf
from bloodbank.simulation.engine import (
    ISSUED, MORNING, NOON, OUTDATED, RECEIVED, REQUESTED, SHORT, START, Event, Run, patient,
)
from bloodbank.simulation.scenario import Scenario
from bloodbank.simulation.stock import Stock
from bloodbank.simulation.streams import stream
from bloodbank.simulation.supply import Deliveries

SHIPPED, ROTATED = "shipped", "rotated"
LATE = "issued late"  # a casualty's unit given after the day it was asked for: counted short that day, once
PRODUCTION = 2  # the stream of how many units the centre releases each day
CENTRE = 1_000  # the centre's place in the streams; hospitals are 1, 2, …


@dataclass
class CasualtyUnit:
    """One unit a casualty asked for: given on the day asked, later (`issued late`), or never (None)."""
    hospital: int  # 1 is the largest
    group: str
    asked: int  # day
    given: int | None


@dataclass
class RegionRun:
    scenario: Scenario
    policy: policies.Policy  # the policy of the first (largest) hospital, for its name and description
    seed: int
    days: int
    hospitals: list[Run]
    centre: Run
    total: Run = field(init=False)  # the region as one: released, issued, short, outdated anywhere
    appeal_plan: appeal.Plan | None = None
    appeal_units: set[int] = field(default_factory=set)  # ids of the units the appeal's donations gave
    casualty_units: list[CasualtyUnit] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.total = Run(self.scenario, self.policy, self.seed, self.days)


def hospital_scenarios(scenario: Scenario) -> list[Scenario]:
    """The region's hospitals, largest first: H01 is the largest."""
    scales = sorted(scenario.region.hospital_scales, reverse=True)
    return [replace(scenario, hospital=f"H{i + 1:02d}", region=None, incident=None,
                    weekday_means=tuple(scale * m for m in scenario.weekday_means))
            for i, scale in enumerate(scales)]


def delivery_weekdays(scenario: Scenario) -> list[tuple[int, ...] | None]:
    """Each hospital's delivery weekdays, largest first; None: every day."""
    scales = sorted(scenario.region.hospital_scales, reverse=True)
    return [scenario.region.delivery_weekdays.get(scale) for scale in scales]


def _policy(name: str, hospital: Scenario, deliveries: tuple[int, ...] | None) -> policies.Policy:
    return policies.ours(hospital, delivery_weekdays=deliveries) if name == policies.OURS \
        else policies.baseline(hospital)


def run(scenario: Scenario, policy_name: str, *, seed: int, days: int,
        progress: Callable[[int], None] | None = None, appeal_variant: str = appeal.NONE) -> RegionRun:
    hospitals = hospital_scenarios(scenario)
    delivers = delivery_weekdays(scenario)
    chosen = [_policy(policy_name, h, d) for h, d in zip(hospitals, delivers)]
    runs = [Run(h, p, seed, days) for h, p in zip(hospitals, chosen)]
    centre_run = Run(replace(scenario, hospital="blood centre"), chosen[0], seed, days)
    name = policy_name if appeal_variant == appeal.NONE else f"{policy_name}, {appeal_variant}"
    result = RegionRun(scenario, replace(chosen[0], name=name), seed, days, runs, centre_run)
    centre, stocks = Stock(), [Stock() for _ in hospitals]
    released = Deliveries(scenario, seed, place=CENTRE)
    profiles = {g: patient(g) for g in scenario.patient_groups}
    collected = released.collected
    planner = Planner(scenario, hospitals, chosen) if (
        policy_name == policies.OURS and scenario.region.planned is not None) else None
    waiting: list[list[CasualtyUnit]] = [[] for _ in hospitals]  # casualties' units not yet given, by hospital
    if planner is not None:  # the region starts empty: the first release is what was collected the day before
        planner.plan(-1, centre, stocks, start=True)
    for day in range(days):
        date = (START + timedelta(days=day)).date()
        morning, noon = datetime.combine(date, MORNING), datetime.combine(date, NOON)
        if planner is None:
            _release(scenario, seed, day, morning, centre, released, centre_run, result.total)
        else:
            _put_in(day, morning, released.deliver(day, morning, planner.due(day)), centre, centre_run, result.total)
        if scenario.incident is not None and day == scenario.incident.day and appeal_variant != appeal.NONE:
            result.appeal_plan = _plan_appeal(scenario, seed, appeal_variant, centre, stocks, planner, day)
        if result.appeal_plan is not None:
            for batch in result.appeal_plan.batches:
                if batch.release_day == day and batch.units:
                    given = START + timedelta(days=batch.given_day, hours=appeal.DONATED_AT)
                    units = [released.donated(morning, given, batch.group) for _ in range(batch.units)]
                    result.appeal_units.update(u.id for u in units)
                    _put_in(day, morning, units, centre, centre_run, result.total)
        if policy_name == policies.OURS and scenario.region.rotate_days_left:
            _rotate(scenario, day, morning, stocks, runs)
        extra = [incident.extra_requests(scenario, day, h) for h in range(len(hospitals))]
        for stock, hospital_run, delivers_on in zip(stocks, runs, delivers):
            if delivers_on is None or day % 7 in delivers_on:
                _ship(day, morning, centre, stock, hospital_run, centre_run)
            else:
                hospital_run.ordered_by_day.append(0)
        if policy_name == policies.OURS and any(extra):
            _meet_forecast(day, morning, extra, centre, stocks, runs, centre_run)
        for place, (stock, hospital_run) in enumerate(zip(stocks, runs), start=1):
            _serve_waiting(day, noon, stock, hospital_run, profiles, collected, result, waiting[place - 1])
            _serve(day, noon, stock, hospital_run, profiles, collected, seed, place, result, extra[place - 1],
                   waiting[place - 1])
        cutoff = datetime.combine(date + timedelta(days=1), MORNING)
        for stock, place_run in [(centre, centre_run), *zip(stocks, runs)]:
            for unit in stock.outdate(cutoff):
                event = Event(OUTDATED, day, unit.expires_at, unit.id, unit.blood_group, unit.expires_at)
                place_run.events.append(event)
                result.total.events.append(event)
            place_run.stock_by_day.append(stock.count())
        result.total.stock_by_day.append(centre.count() + sum(s.count() for s in stocks))
        if planner is not None:
            planner.plan(day, centre, stocks)
        if progress is not None:
            progress(day)
    centre_run.end_stock = centre.count()
    for stock, hospital_run in zip(stocks, runs):
        hospital_run.end_stock = stock.count()
    result.total.end_stock = result.total.stock_by_day[-1] if days else 0
    result.total.requests = sum(r.requests for r in runs)
    return result


def _release(scenario, seed, day, morning, centre, released, centre_run, total) -> None:
    mean = scenario.region.production_means[day % 7]
    count = int(stream(seed, PRODUCTION, day, CENTRE).poisson(mean)) if mean else 0
    group = next(iter(scenario.supply_groups))
    units = released.deliver(day, morning, {group: count}) if len(scenario.supply_groups) == 1 else \
        released.deliver(day, morning, _split(scenario, seed, day, count))
    _put_in(day, morning, units, centre, centre_run, total)


def _put_in(day, morning, units, centre, centre_run, total) -> None:
    centre.add(units)
    for unit in units:
        event = Event(RECEIVED, day, morning, unit.id, unit.blood_group, unit.expires_at)
        centre_run.events.append(event)
        total.events.append(event)


def _split(scenario, seed, day, count) -> dict[str, int]:
    groups = list(scenario.supply_groups)
    drawn = stream(seed, PRODUCTION, day, CENTRE + 1).multinomial(count, [scenario.supply_groups[g] for g in groups])
    return {g: int(n) for g, n in zip(groups, drawn) if n}


def _rotate(scenario, day, morning, stocks, runs) -> None:
    """Near-expiry units at smaller hospitals go to the largest, which can use them before they expire."""
    cutoff = datetime.combine(morning.date() + timedelta(days=scenario.region.rotate_days_left), MORNING)
    for stock, hospital_run in zip(stocks[1:], runs[1:]):
        moving = stock.outdate(cutoff)  # takes out every unit expiring before the cutoff
        stocks[0].add(moving)
        for unit in moving:
            hospital_run.events.append(Event(ROTATED, day, morning, unit.id, unit.blood_group, unit.expires_at))
            runs[0].events.append(Event(RECEIVED, day, morning, unit.id, unit.blood_group, unit.expires_at))


def _meet_forecast(day, morning, extra, centre, stocks, runs, centre_run) -> None:
    """An incident's forecast need for the day, sent to the receiving hospitals as it is declared.

    Group by group: first from the centre, a unit at a time to each receiving
    hospital in turn so none is left with nothing; then, for what the centre
    lacks, from the other hospitals' stock beyond the day's mean demand for
    the group, oldest first.
    """
    groups = sorted({g for wanted in extra for g in wanted})
    for group in groups:
        gaps = {h: wanted[group] for h, wanted in enumerate(extra) if wanted.get(group)}
        _round_robin(gaps, centre.count(group), lambda h, group=group: _move(
            day, morning, centre.first([group], 1), centre, centre_run, SHIPPED, stocks[h], runs[h]))
        for giver, (stock, giver_run) in enumerate(zip(stocks, runs)):
            if extra[giver] or not gaps:
                continue
            share = giver_run.scenario.patient_groups.get(group, 0.0)
            spare = stock.count(group) - math.ceil(giver_run.scenario.weekday_means[day % 7] * share)
            _round_robin(gaps, spare, lambda h, stock=stock, giver_run=giver_run, group=group: _move(
                day, morning, stock.first([group], 1), stock, giver_run, ROTATED, stocks[h], runs[h]))


def _round_robin(gaps: dict[int, int], available: int, send: Callable[[int], None]) -> None:
    """Send up to `available` units, one at a time to each hospital with a gap in turn."""
    while gaps and available > 0:
        for h in list(gaps):
            if available <= 0:
                return
            send(h)
            available -= 1
            gaps[h] -= 1
            if not gaps[h]:
                del gaps[h]


def _move(day, morning, units, source, source_run, how, target, target_run) -> None:
    source.remove(units)
    target.add(units)
    for unit in units:
        source_run.events.append(Event(how, day, morning, unit.id, unit.blood_group, unit.expires_at))
        target_run.events.append(Event(RECEIVED, day, morning, unit.id, unit.blood_group, unit.expires_at))


def _ship(day, morning, centre, stock, hospital_run, centre_run) -> None:
    order = hospital_run.policy.order(day % 7, stock)
    for group, wanted in order.items():
        sent = centre.first([group], wanted)  # the centre ships its oldest units first
        centre.remove(sent)
        stock.add(sent)
        for unit in sent:
            centre_run.events.append(Event(SHIPPED, day, morning, unit.id, unit.blood_group, unit.expires_at))
            hospital_run.events.append(Event(RECEIVED, day, morning, unit.id, unit.blood_group, unit.expires_at))
        hospital_run.ordered_by_day.append(len(sent))


def _issue(request, day, noon, stock, hospital_run, profiles, collected, result, what=ISSUED):
    units = hospital_run.policy.issue(stock, hospital_run.scenario, request, profiles[request.patient_group], noon)
    stock.remove(units)
    for unit in units:
        event = Event(what, day, noon, unit.id, unit.blood_group, unit.expires_at, request.patient_group,
                      age_days=age_days(collected[unit.id], noon))
        hospital_run.events.append(event)
        result.total.events.append(event)
    return units


def _serve_waiting(day, noon, stock, hospital_run, profiles, collected, result, waiting) -> None:
    """Casualties still waiting for a unit are served first, before the day's own requests."""
    for record in list(waiting):
        if _issue(Request(record.group, 1), day, noon, stock, hospital_run, profiles, collected, result, LATE):
            record.given = day
            waiting.remove(record)


def _serve(day, noon, stock, hospital_run, profiles, collected, seed, place, result, casualties=None,
           waiting=None) -> None:
    """The casualties' units first (an emergency comes before routine requests), then the day's own requests."""
    first = tuple(Request(group, 1) for group, n in sorted((casualties or {}).items()) for _ in range(n))
    requests = first + day_requests(hospital_run.scenario, seed, day, place)
    hospital_run.requests += len(requests)
    total = result.total
    for index, request in enumerate(requests):
        asked = Event(REQUESTED, day, noon, patient_group=request.patient_group, units=request.quantity)
        hospital_run.events.append(asked)
        total.events.append(asked)
        units = _issue(request, day, noon, stock, hospital_run, profiles, collected, result)
        if index < len(first):
            record = CasualtyUnit(place, request.patient_group, day, day if units else None)
            result.casualty_units.append(record)
            if not units and waiting is not None:
                waiting.append(record)
        if len(units) < request.quantity:
            short = Event(SHORT, day, noon, patient_group=request.patient_group,
                          units=request.quantity - len(units))
            hospital_run.events.append(short)
            total.events.append(short)


def _plan_appeal(scenario, seed, variant, centre, stocks, planner, day) -> appeal.Plan:
    if variant == appeal.OPEN:
        return appeal.open_plan(scenario, seed, START, MORNING.hour)
    kind = incident.forecast_kind(scenario)
    lots = []
    for stock in [centre, *stocks]:  # every unit in the region is "stock" at the incident's hour
        for group, n in stock.counts().items():
            if n:
                lots.append(mass_casualty.Lot(kind, group, n, 0.0, "stock"))
    # Units in testing: the next releases, usable when released (hours after the incident, declared at 07:00).
    for ahead, units in (planner.in_testing(day) if planner else _fixed_in_testing(scenario, seed, day)).items():
        for group, n in units.items():
            if n:
                lots.append(mass_casualty.Lot(kind, group, n, 24.0 * ahead, "quarantine"))
    daily_use = scenario.mean_daily_units * sum(scenario.region.hospital_scales)
    return appeal.sized_plan(scenario, seed, START, MORNING.hour, lots, daily_use)


def _fixed_in_testing(scenario, seed, day) -> dict[int, dict[str, int]]:
    """With fixed production, tomorrow's release is already collected and in testing."""
    mean = scenario.region.production_means[(day + 1) % 7]
    count = int(stream(seed, PRODUCTION, day + 1, CENTRE).poisson(mean)) if mean else 0
    groups = {next(iter(scenario.supply_groups)): count} if len(scenario.supply_groups) == 1 else \
        _split(scenario, seed, day + 1, count)
    return {1: groups}


class Planner:
    """Ours at the centre: each collection day, collect what brings the region's stock position up to its target.

    The position is every unit in the region with at least `count_days_left`
    days left, plus what is in testing. What this collection is released into
    must last until the release after it: the target is the region's forecast
    demand on the days before the last of those (its mean plus z standard
    deviations at `service_level`, a normal approximation of the hospitals'
    weekday distributions), plus what the hospitals hold on that last day at
    their own levels, plus `centre_buffer_days` of mean demand held back at
    the centre.
    """

    def __init__(self, scenario: Scenario, hospitals: list[Scenario], chosen: list[policies.Policy]) -> None:
        self.spec = scenario.region.planned
        self.groups = list(scenario.patient_groups)
        self.pipeline: dict[int, dict[str, int]] = {}
        self.mean = [{g: 0.0 for g in self.groups} for _ in range(7)]
        self.var = [{g: 0.0 for g in self.groups} for _ in range(7)]
        self.levels = [{g: 0 for g in self.groups} for _ in range(7)]
        for h, policy in zip(hospitals, chosen):
            for weekday in range(7):
                for g, share in h.patient_groups.items():
                    pmf = units_pmf(h, weekday, share)
                    m = sum(k * p for k, p in enumerate(pmf))
                    self.mean[weekday][g] += m
                    self.var[weekday][g] += sum(k * k * p for k, p in enumerate(pmf)) - m * m
                    self.levels[weekday][g] += policy.levels[weekday].get(g, 0)
        self.daily = {g: sum(self.mean[w][g] for w in range(7)) / 7 for g in self.groups}
        self.z = NormalDist().inv_cdf(self.spec.service_level)

    def due(self, day: int) -> dict[str, int]:
        return self.pipeline.pop(day, {})

    def in_testing(self, day: int) -> dict[int, dict[str, int]]:
        return {d - day: units for d, units in self.pipeline.items() if d > day}

    def plan(self, day: int, centre: Stock, stocks: list[Stock], start: bool = False) -> None:
        spec = self.spec
        if day % 7 not in spec.collection_weekdays and not start:
            return
        release = day + 1 if start else day + max(1, spec.lead_days)
        following = day + 1
        while following % 7 not in spec.collection_weekdays:
            following += 1
        last = following + max(1, spec.lead_days) - 1  # the last day before the next release
        before = range(day + 1, last)
        counted_from = datetime.combine((START + timedelta(days=day + spec.count_days_left)).date(), MORNING)
        order = {}
        for g in self.groups:
            target = (sum(self.mean[d % 7][g] for d in before)
                      + self.z * math.sqrt(sum(self.var[d % 7][g] for d in before))
                      + self.levels[last % 7][g] + spec.centre_buffer_days * self.daily[g])
            on_hand = sum(len(units) - bisect.bisect_left(units, counted_from, key=lambda u: u.expires_at)
                          for units in (s.by_group.get(g, []) for s in [centre, *stocks]))
            in_testing = sum(units.get(g, 0) for d, units in self.pipeline.items() if d > day)
            wanted = math.ceil(target - on_hand - in_testing)
            if wanted > 0:
                order[g] = wanted
        if order:
            self.pipeline[release] = order
