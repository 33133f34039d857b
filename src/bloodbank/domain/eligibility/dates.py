"""Calendar arithmetic for ages and deferral periods.

One convention throughout: when a date does not exist in the target month
(29 February in a common year, 31 April), the period ends on the 1st of the
next month. That is the later of the two possible readings, so a donor is
never accepted a day early, and it matches the age computation: someone born
on 29 February turns 18 on 1 March in a common year.
"""

from __future__ import annotations

from datetime import date, timedelta


def age_in_years(born: date, on: date) -> int:
    """Completed years of life on `on`."""
    before_birthday = (on.month, on.day) < (born.month, born.day)
    return on.year - born.year - before_birthday


def add_months(start: date, months: int) -> date:
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    try:
        return start.replace(year=year, month=month)
    except ValueError:
        # The day does not exist in that month: roll to the 1st of the next.
        index += 1
        return date(start.year + index // 12, index % 12 + 1, 1)


def add_years(start: date, years: int) -> date:
    return add_months(start, 12 * years)


def birthday(born: date, years: int) -> date:
    """The day on which someone born on `born` has completed `years` years."""
    return add_years(born, years)


def add_days(start: date, days: int) -> date:
    return start + timedelta(days=days)
