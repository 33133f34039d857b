"""The month a blood service reports on: which month is meant, its days, and the figures drawn from each day.

A month is cut on each record's own clock (a site's for what happens at a site, a hospital's for what
happens at a hospital), so a donation at 00:30 local time on the 1st counts in the month it was given
in, whatever UTC says.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from bloodbank.domain.errors import InvalidInput

_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
FIRST_YEAR = 1900  # no blood service kept records before; a typo like 0202 is refused, not reported on


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not (FIRST_YEAR <= self.year <= 9998 and 1 <= self.month <= 12):
            raise InvalidInput(f"There is no month {self.year:04d}-{self.month:02d}: give a month as YYYY-MM, "
                               "for example 2026-11.")

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def days(self) -> tuple[date, ...]:
        return tuple(self.first_day + timedelta(days=n) for n in range(self.last_day.day))

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def parse_month(text: str) -> Month:
    """'2026-11' → Month(2026, 11); anything else is refused with the form expected."""
    match = _MONTH.fullmatch((text or "").strip())
    if match is None:
        raise InvalidInput(f"'{(text or '').strip()[:20]}' is not a month: give it as YYYY-MM, for example 2026-11.")
    return Month(int(match.group(1)), int(match.group(2)))


def month_of(day: date) -> Month:
    return Month(day.year, day.month)


def days_reported(month: Month, today: date) -> tuple[date, ...]:
    """The month's days that have begun: a month still running is reported up to today, a future one not at all."""
    return tuple(d for d in month.days if d <= today)


def running_stock(opening: int, changes_by_day: dict[date, int], days: tuple[date, ...]) -> tuple[int, ...]:
    """The stock at the end of each day, from the level the month opened with and each day's net change."""
    level, levels = opening, []
    for day in days:
        level += changes_by_day.get(day, 0)
        levels.append(max(level, 0))
    return tuple(levels)
