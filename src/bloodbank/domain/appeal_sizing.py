"""How many donors of which groups to invite, and on which days: an appeal sized to the gap.

The gap an appeal can reach (`mass_casualty.Shortfall.appeal_gap`: of each
window, the need of the hours after an invited donor's blood is usable) plus
what restores red cell stock to its target days of supply is a number of
donors per group. Invitations are those donors divided by the expected
response and show-up rates, less what invitations already out are expected to
bring: an appeal tops up, it never starts over. Arrivals are spread over the
next days, the most useful group first, and no day is given more invitations
than its free chairs can take at the expected response rate: a crowd on one
day is what wasted blood in Las Vegas and overwhelmed sites in Israel.

Rates start from the rule data's priors and move towards the incident's own
figures as answers come in (a beta-binomial mean: the prior counts as
`prior_weight` invitations).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from bloodbank.domain import compatibility
from bloodbank.domain.blood_groups import ALL_GROUPS

GROUPS = tuple(str(g) for g in ALL_GROUPS)


@dataclass(frozen=True)
class Rates:
    response: float  # invited who accept
    show_up: float  # accepted who come

    @property
    def per_invitation(self) -> float:
        return self.response * self.show_up


def learned(prior: Rates, weight: float, *, settled: int, accepted: int, due: int, arrived: int) -> Rates:
    """The prior moved towards the incident's own answers: `accepted` of `settled` invitations (answered or
    expired), `arrived` of `due` bookings whose slot has passed."""
    def blend(p: float, successes: int, trials: int) -> float:
        trials, successes = max(trials, 0), min(max(successes, 0), max(trials, 0))
        value = (p * weight + successes) / (weight + trials) if weight + trials else p
        return min(1.0, max(0.01, value))  # never zero: a dead appeal is paused by a person, not divided by 0
    return Rates(blend(prior.response, accepted, settled), blend(prior.show_up, arrived, due))


@lru_cache(maxsize=64)
def usefulness(group: str) -> int:
    """How many recipient groups this donor's red cells can serve: O- serves all eight."""
    return len(compatibility.compatible_recipients("red_cells", group))


def by_usefulness(groups) -> list[str]:
    return sorted(groups, key=lambda g: (-usefulness(g), GROUPS.index(g)))


def donors_for_units(units: int, per_donor: float) -> int:
    return 0 if units <= 0 or per_donor <= 0 else math.ceil(units / per_donor)


def restock_units(target_days: float, daily_use: float, mix: Mapping[str, float],
                  left_over: Mapping[str, int]) -> dict[str, int]:
    """Red cell units per group that bring stock back to its target days of supply after the forecast."""
    return {g: max(0, math.ceil(round(target_days * daily_use * mix.get(g, 0), 6)) - left_over.get(g, 0))
            for g in GROUPS}


def donors_needed(appeal_gap: Mapping[tuple[str, str], int], red_cells_left_over: Mapping[str, int],
                  target_days: float, daily_use: float, mix: Mapping[str, float],
                  per_donor: Mapping[str, float]) -> dict[str, int]:
    """Donors per group: the gap an appeal can reach plus restoring red cell stock, the scarcest kind deciding.

    `appeal_gap` is (kind, group) -> units short in the windows an appeal reaches; `red_cells_left_over` the red
    cells left after the last window; `per_donor` the usable units of each kind one donation gives. One whole
    blood donation gives every kind, so a group's donors are those its scarcest kind needs.
    """
    restock = restock_units(target_days, daily_use, mix, red_cells_left_over)
    return {group: max(donors_for_units(appeal_gap.get((kind, group), 0)
                                        + (restock[group] if kind == "red_cells" else 0), per_donor[kind])
                       for kind in per_donor)
            for group in GROUPS}


def invitations_needed(donors: int, expected: float, rates: Rates) -> int:
    """Invitations that bring the donors still missing, beyond what those already out are expected to bring."""
    missing = donors - expected
    if missing <= 0:
        return 0
    return math.ceil(round(missing / rates.per_invitation, 9))


@dataclass(frozen=True)
class DayCapacity:
    day: date
    chairs: int  # free chairs that day, over the sites in reach


@dataclass(frozen=True)
class Plan:
    needed: Mapping[str, int]  # invitations each group needs
    invitations: Mapping[tuple[str, date], int]  # (group, day) -> invitations to send for that day
    per_day: Mapping[date, int]
    unplaced: Mapping[str, int]  # invitations the chairs over the spread cannot take: ask other services

    def total(self, group: str | None = None) -> int:
        return sum(n for (g, _), n in self.invitations.items() if group is None or g == group)


def day_room(chairs: int, rates: Rates) -> int:
    """Invitations a day's free chairs can take: the bookings they bring at the response rate fit the chairs."""
    return max(0, math.floor(round(chairs / rates.response, 9)))


def size(donors_needed: Mapping[str, int], expected: Mapping[str, float], rates: Rates,
         capacity: Sequence[DayCapacity]) -> Plan:
    """Invitations per group and day. `expected` is what invitations already out will bring, in donors."""
    needed = {g: invitations_needed(donors_needed.get(g, 0), expected.get(g, 0.0), rates) for g in GROUPS}
    remaining = dict(needed)
    room = {c.day: day_room(c.chairs, rates) for c in capacity}
    days = [c.day for c in capacity]
    out: dict[tuple[str, date], int] = {}
    order = by_usefulness(g for g in GROUPS if needed[g])
    # First pass: each group spread evenly over the days; then what is left fills any room, earliest first.
    for even in (True, False):
        for index, day in enumerate(days):
            for group in order:
                share = math.ceil(needed[group] / len(days)) if even else remaining[group]
                take = min(share, remaining[group], room[day])
                if take > 0:
                    out[(group, day)] = out.get((group, day), 0) + take
                    remaining[group] -= take
                    room[day] -= take
    per_day = {day: sum(n for (_, d), n in out.items() if d == day) for day in days}
    return Plan(needed=needed, invitations=out, per_day=per_day, unplaced={g: n for g, n in remaining.items() if n})


def walk_in_advice(collected_today: int, planned_today: int) -> str:
    """A donor who walks in once the day's need is met is offered a later booking, not a bag today."""
    return "book_later" if collected_today >= planned_today else "collect"
