"""A hospital's stock of one kind, kept by blood group in first-expiring-first order.

Indexed by group so that a request looks only at the groups that could suit
the patient (`allocation.possible_groups`), and only at the first units of
each, which are the ones any first-expiring-first rule would pick.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from datetime import datetime

from bloodbank.domain.requirements import UnitFacts


def _order(unit: UnitFacts) -> tuple[datetime, int]:
    return (unit.expires_at, unit.id)


class Stock:
    def __init__(self) -> None:
        self.by_group: dict[str, list[UnitFacts]] = {}

    def add(self, units: Iterable[UnitFacts]) -> None:
        for unit in units:
            bisect.insort(self.by_group.setdefault(unit.blood_group, []), unit, key=_order)

    def first(self, groups: Iterable[str], n: int) -> list[UnitFacts]:
        """The n first-expiring units of each group."""
        return [u for g in groups for u in self.by_group.get(g, ())[:n]]

    def remove(self, units: Iterable[UnitFacts]) -> None:
        for unit in units:
            self.by_group[unit.blood_group].remove(unit)

    def outdate(self, cutoff: datetime) -> list[UnitFacts]:
        """Take out every unit expiring before `cutoff`."""
        gone = []
        for units in self.by_group.values():
            n = bisect.bisect_left(units, cutoff, key=lambda u: u.expires_at)
            gone.extend(units[:n])
            del units[:n]
        return gone

    def count(self, group: str | None = None) -> int:
        if group is not None:
            return len(self.by_group.get(group, ()))
        return sum(len(units) for units in self.by_group.values())

    def counts(self) -> dict[str, int]:
        return {g: len(units) for g, units in self.by_group.items()}
