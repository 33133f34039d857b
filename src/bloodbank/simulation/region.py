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

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bloodbank.domain.inventory import age_days
from bloodbank.simulation import incident, policies
from bloodbank.simulation.demand import Request, day_requests
from bloodbank.simulation.engine import (
    ISSUED, MORNING, NOON, OUTDATED, RECEIVED, REQUESTED, SHORT, START, Event, Run, patient,
)
from bloodbank.simulation.scenario import Scenario
from bloodbank.simulation.stock import Stock
from bloodbank.simulation.streams import stream
from bloodbank.simulation.supply import Deliveries

SHIPPED, ROTATED = "shipped", "rotated"
PRODUCTION = 2  # the stream of how many units the centre releases each day
CENTRE = 1_000  # the centre's place in the streams; hospitals are 1, 2, …


@dataclass
class RegionRun:
    scenario: Scenario
    policy: policies.Policy  # the policy of the first (largest) hospital, for its name and description
    seed: int
    days: int
    hospitals: list[Run]
    centre: Run
    total: Run = field(init=False)  # the region as one: released, issued, short, outdated anywhere

    def __post_init__(self) -> None:
        self.total = Run(self.scenario, self.policy, self.seed, self.days)


def hospital_scenarios(scenario: Scenario) -> list[Scenario]:
    """The region's hospitals, largest first: H01 is the largest."""
    scales = sorted(scenario.region.hospital_scales, reverse=True)
    return [replace(scenario, hospital=f"H{i + 1:02d}", region=None, incident=None,
                    weekday_means=tuple(scale * m for m in scenario.weekday_means))
            for i, scale in enumerate(scales)]


def _policy(name: str, hospital: Scenario) -> policies.Policy:
    return policies.ours(hospital) if name == policies.OURS else policies.baseline(hospital)


def run(scenario: Scenario, policy_name: str, *, seed: int, days: int,
        progress: Callable[[int], None] | None = None) -> RegionRun:
    hospitals = hospital_scenarios(scenario)
    chosen = [_policy(policy_name, h) for h in hospitals]
    runs = [Run(h, p, seed, days) for h, p in zip(hospitals, chosen)]
    centre_run = Run(replace(scenario, hospital="blood centre"), chosen[0], seed, days)
    result = RegionRun(scenario, chosen[0], seed, days, runs, centre_run)
    centre, stocks = Stock(), [Stock() for _ in hospitals]
    released = Deliveries(scenario, seed, place=CENTRE)
    profiles = {g: patient(g) for g in scenario.patient_groups}
    collected = released.collected
    for day in range(days):
        date = (START + timedelta(days=day)).date()
        morning, noon = datetime.combine(date, MORNING), datetime.combine(date, NOON)
        _release(scenario, seed, day, morning, centre, released, centre_run, result.total)
        if policy_name == policies.OURS and scenario.region.rotate_days_left:
            _rotate(scenario, day, morning, stocks, runs)
        extra = [incident.extra_requests(scenario, day, h) for h in range(len(hospitals))]
        for stock, hospital_run in zip(stocks, runs):
            _ship(day, morning, centre, stock, hospital_run, centre_run)
        if policy_name == policies.OURS and any(extra):
            _meet_forecast(day, morning, extra, centre, stocks, runs, centre_run)
        for place, (stock, hospital_run) in enumerate(zip(stocks, runs), start=1):
            _serve(day, noon, stock, hospital_run, profiles, collected, seed, place, result.total, extra[place - 1])
        cutoff = datetime.combine(date + timedelta(days=1), MORNING)
        for stock, place_run in [(centre, centre_run), *zip(stocks, runs)]:
            for unit in stock.outdate(cutoff):
                event = Event(OUTDATED, day, unit.expires_at, unit.id, unit.blood_group, unit.expires_at)
                place_run.events.append(event)
                result.total.events.append(event)
            place_run.stock_by_day.append(stock.count())
        result.total.stock_by_day.append(centre.count() + sum(s.count() for s in stocks))
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

    First from the centre, a unit at a time to each receiving hospital in turn so
    none is left with nothing; then, for what the centre lacks, from the other
    hospitals' stock beyond the day's mean demand, oldest first.
    """
    group = next(iter(runs[0].scenario.patient_groups))
    gaps = {h: n for h, n in enumerate(extra) if n}
    _round_robin(gaps, centre.count(group), lambda h: _move(
        day, morning, centre.first([group], 1), centre, centre_run, SHIPPED, stocks[h], runs[h]))
    for giver, (stock, giver_run) in enumerate(zip(stocks, runs)):
        if extra[giver] or not gaps:
            continue
        spare = stock.count(group) - math.ceil(giver_run.scenario.weekday_means[day % 7])
        _round_robin(gaps, spare, lambda h, stock=stock, giver_run=giver_run: _move(
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


def _serve(day, noon, stock, hospital_run, profiles, collected, seed, place, total, casualties: int = 0) -> None:
    requests = day_requests(hospital_run.scenario, seed, day, place)
    if casualties:  # an incident's casualties, one dose each, in the pool's group
        requests += tuple(Request(next(iter(hospital_run.scenario.patient_groups)), 1) for _ in range(casualties))
    hospital_run.requests += len(requests)
    for request in requests:
        asked = Event(REQUESTED, day, noon, patient_group=request.patient_group, units=request.quantity)
        hospital_run.events.append(asked)
        total.events.append(asked)
        units = hospital_run.policy.issue(stock, hospital_run.scenario, request, profiles[request.patient_group],
                                          noon)
        stock.remove(units)
        for unit in units:
            event = Event(ISSUED, day, noon, unit.id, unit.blood_group, unit.expires_at, request.patient_group,
                          age_days=age_days(collected[unit.id], noon))
            hospital_run.events.append(event)
            total.events.append(event)
        if len(units) < request.quantity:
            short = Event(SHORT, day, noon, patient_group=request.patient_group,
                          units=request.quantity - len(units))
            hospital_run.events.append(short)
            total.events.append(short)
