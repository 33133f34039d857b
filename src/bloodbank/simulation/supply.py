"""Deliveries from the blood centre: each unit's group and remaining life on arrival.

The expiry is the domain's (`components.expiry` for the scenario's regime): a
unit arriving with r days left was collected so that its shelf life ends at
23:59 on the (r-1)-th day after arrival.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

from bloodbank.domain import components
from bloodbank.domain.requirements import UnitFacts
from bloodbank.simulation.scenario import Scenario
from bloodbank.simulation.streams import SUPPLY, stream


@lru_cache(maxsize=4096)
def _shelf_days(kind: str, regime: str, screened: bool) -> int:
    spec = components.spec(kind, regime=regime)
    return (spec.screened_shelf_life if screened and spec.screened_shelf_life else spec.shelf_life).days


@lru_cache(maxsize=65536)
def collected_and_expiry(kind: str, regime: str, arrival: datetime, remaining: int,
                         screened: bool = False) -> tuple[datetime, datetime]:
    collected = arrival - timedelta(days=_shelf_days(kind, regime, screened) - remaining + 1)
    return collected, components.expiry(kind, collected, regime=regime, bacterial_screened=screened)


class Deliveries:
    """Makes the units a day's order brings; ids run on across the run."""

    def __init__(self, scenario: Scenario, seed: int, place: int = 0) -> None:
        self.scenario = scenario
        self.seed = seed
        self.place = place
        self.next_id = 1
        self.collected: dict[int, datetime] = {}

    def deliver(self, day: int, arrival: datetime, order: dict[str, int]) -> list[UnitFacts]:
        """The units for `order` (group -> units); the i-th unit of the day has the same life under any policy."""
        total = sum(order.values())
        if total == 0:
            return []
        s = self.scenario
        rng = stream(self.seed, SUPPLY, day, self.place)
        lives = rng.choice(s.remaining_days, size=total, p=s.remaining_weights)
        units, i = [], 0
        for group in sorted(order):
            for _ in range(order[group]):
                collected, expires = collected_and_expiry(s.stock_kind, s.regime, arrival, int(lives[i]),
                                                         s.bacterial_screened)
                unit = UnitFacts(id=self.next_id, din=f"SIM{self.next_id:09d}", kind=s.stock_kind,
                                 blood_group=group, expires_at=expires)
                self.collected[unit.id] = collected
                units.append(unit)
                self.next_id += 1
                i += 1
        return units

    def donated(self, arrival: datetime, collected: datetime, group: str) -> UnitFacts:
        """A unit from a donation given at `collected` (an appeal's), released at `arrival`; the domain's expiry."""
        s = self.scenario
        unit = UnitFacts(id=self.next_id, din=f"SIM{self.next_id:09d}", kind=s.stock_kind, blood_group=group,
                         expires_at=components.expiry(s.stock_kind, collected, regime=s.regime,
                                                      bacterial_screened=s.bacterial_screened))
        self.collected[unit.id] = collected
        self.next_id += 1
        return unit
