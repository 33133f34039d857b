from datetime import date, timedelta

import pytest
from hypothesis import given, strategies as st

from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.monthly_report import Month, days_reported, month_of, parse_month, running_stock

months = st.builds(Month, st.integers(1900, 9997), st.integers(1, 12))


@given(months)
def test_a_month_s_days_run_without_gap_from_its_first_to_its_last(month):
    days = month.days
    assert days[0] == month.first_day and days[-1] == month.last_day
    assert all(b - a == timedelta(days=1) for a, b in zip(days, days[1:]))
    assert month.last_day + timedelta(days=1) == month.next().first_day


@given(st.builds(Month, st.integers(1901, 9997), st.integers(1, 12)))
def test_next_and_previous_undo_each_other_and_the_text_reads_back(month):
    assert month.next().previous() == month == month.previous().next()
    assert parse_month(str(month)) == month


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(9998, 12, 31)))
def test_every_day_lies_in_its_own_month(day):
    assert day in month_of(day).days


@pytest.mark.parametrize("text", ["", "2026", "2026-13", "2026-00", "26-11", "2026/11", "November", "0202-11",
                                  "2026-11-01", "2026-1\x00"])
def test_what_is_not_a_month_is_refused_in_words(text):
    with pytest.raises(InvalidInput, match="month"):
        parse_month(text)


def test_there_is_no_month_before_the_first_year_or_after_the_last():
    with pytest.raises(InvalidInput, match="no month 1899-12"):
        Month(1900, 1).previous()
    with pytest.raises(InvalidInput, match="no month 9999-01"):
        Month(9998, 12).next()


def test_a_running_month_is_reported_up_to_today_and_a_future_one_not_at_all():
    march = Month(2026, 3)
    assert days_reported(march, date(2026, 3, 10))[-1] == date(2026, 3, 10)
    assert days_reported(march, date(2026, 2, 27)) == ()
    assert len(days_reported(march, date(2026, 5, 1))) == 31


@given(st.integers(0, 1000), st.lists(st.integers(-50, 50), min_size=1, max_size=31))
def test_running_stock_adds_each_day_s_change_and_never_goes_below_zero(opening, changes):
    days = tuple(date(2026, 3, 1) + timedelta(days=n) for n in range(len(changes)))
    levels = running_stock(opening, dict(zip(days, changes)), days)
    level = opening
    for change, shown in zip(changes, levels):
        level += change
        assert shown == max(level, 0)
