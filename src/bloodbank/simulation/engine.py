"""The day-stepped model: each morning the order arrives, then the day's requests, then expiry at midnight.

Order of a day (as in the Hamilton model: the morning order arrives before
that day's demand): the policy orders up to its level; the units arrive with
the supply stream's remaining lives; each request is filled at noon by the
policy's issuing rule; at the end of the day every unit whose expiry has
passed is outdated. Everything that happens to a unit is an `Event`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from bloodbank.domain.inventory import age_days
from bloodbank.domain.patient_profile import Grouping, PatientProfile
from bloodbank.simulation.demand import day_requests
from bloodbank.simulation.policies import Policy
from bloodbank.simulation.scenario import Scenario
from bloodbank.simulation.stock import Stock
from bloodbank.simulation.supply import Deliveries

START = datetime(2027, 1, 4)  # a Monday: day 0 is a Monday, so day % 7 is the weekday
MORNING, NOON = time(7, 0), time(12, 0)
REQUESTED, RECEIVED, ISSUED, OUTDATED, SHORT = "requested", "received", "issued", "outdated", "short"


@dataclass(frozen=True, slots=True)
class Event:
    what: str
    day: int
    at: datetime
    unit_id: int | None = None
    unit_group: str | None = None
    expires_at: datetime | None = None
    patient_group: str | None = None
    units: int = 1
    age_days: int | None = None


@dataclass
class Run:
    scenario: Scenario
    policy: Policy
    seed: int
    days: int
    events: list[Event] = field(default_factory=list)
    stock_by_day: list[int] = field(default_factory=list)  # units in stock at the end of each day
    ordered_by_day: list[int] = field(default_factory=list)
    end_stock: int = 0
    requests: int = 0


def patient(group: str) -> PatientProfile:
    """A patient whose group is confirmed: two concordant groupings from separate samples."""
    when = START - timedelta(days=1)
    return PatientProfile(patient_id=0, sex=None, date_of_birth=None, identifiers=(),
                          groupings=(Grouping(group, 1, when), Grouping(group, 2, when)))


def run(scenario: Scenario, policy: Policy, *, seed: int, days: int,
        progress: Callable[[int], None] | None = None) -> Run:
    result = Run(scenario, policy, seed, days)
    stock, deliveries = Stock(), Deliveries(scenario, seed)
    profiles = {g: patient(g) for g in scenario.patient_groups}
    log = result.events.append
    for day in range(days):
        date = (START + timedelta(days=day)).date()
        morning, noon = datetime.combine(date, MORNING), datetime.combine(date, NOON)
        order = policy.order(day % 7, stock)
        arrived = deliveries.deliver(day, morning, order)
        stock.add(arrived)
        for unit in arrived:
            log(Event(RECEIVED, day, morning, unit.id, unit.blood_group, unit.expires_at))
        requests = day_requests(scenario, seed, day)
        result.requests += len(requests)
        for request in requests:
            log(Event(REQUESTED, day, noon, patient_group=request.patient_group, units=request.quantity))
            units = policy.issue(stock, scenario, request, profiles[request.patient_group], noon)
            stock.remove(units)
            for unit in units:
                log(Event(ISSUED, day, noon, unit.id, unit.blood_group, unit.expires_at, request.patient_group,
                          age_days=age_days(deliveries.collected[unit.id], noon)))
            if len(units) < request.quantity:
                log(Event(SHORT, day, noon, patient_group=request.patient_group,
                          units=request.quantity - len(units)))
        for unit in stock.outdate(datetime.combine(date + timedelta(days=1), MORNING)):
            log(Event(OUTDATED, day, unit.expires_at, unit.id, unit.blood_group, unit.expires_at))
        result.stock_by_day.append(stock.count())
        result.ordered_by_day.append(len(arrived))
        if progress is not None:
            progress(day)
    result.end_stock = stock.count()
    return result
