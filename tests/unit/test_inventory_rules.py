from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bloodbank.domain import inventory as rules
from bloodbank.domain.components import ComponentKind
from bloodbank.domain.errors import InvalidInput

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("days, label", [(0, "0-7"), (7, "0-7"), (8, "8-14"), (14, "8-14"), (15, "15-21"),
                                         (21, "15-21"), (22, "22-28"), (28, "22-28"), (29, "29+"), (400, "29+")])
def test_ages_fall_in_weekly_bands(days, label):
    assert rules.age_bucket(days) == label


@given(st.integers(min_value=0, max_value=5000))
def test_every_age_has_exactly_one_band(days):
    matching = [label for low, high, label in rules.AGE_BUCKETS if days >= low and (high is None or days <= high)]
    assert matching == [rules.age_bucket(days)]


def test_a_negative_age_is_refused():
    with pytest.raises(InvalidInput, match="cannot be negative"):
        rules.age_bucket(-1)


def test_age_counts_calendar_days_with_the_collection_day_as_day_zero():
    assert rules.age_days(datetime(2026, 3, 10, 0, 5, tzinfo=timezone.utc), NOW) == 0
    assert rules.age_days(datetime(2026, 3, 9, 23, 55, tzinfo=timezone.utc), NOW) == 1
    assert rules.age_days(NOW + timedelta(hours=1), NOW) == 0


def test_days_of_supply_is_stock_over_daily_use_and_none_without_use():
    assert rules.days_of_supply(14, 2.0) == 7.0
    assert rules.days_of_supply(0, 1.5) == 0.0
    assert rules.days_of_supply(10, 0.0) is None


def test_mean_daily_use_averages_over_four_weeks():
    assert rules.USE_WINDOW_DAYS == 28
    assert rules.mean_daily_use(56) == 2.0
    with pytest.raises(InvalidInput, match="cannot be negative"):
        rules.mean_daily_use(-1)


@given(st.integers(min_value=0, max_value=10_000), st.floats(min_value=0.01, max_value=1000))
def test_more_use_never_means_more_days_of_supply(units, use):
    assert rules.days_of_supply(units, use * 2) <= rules.days_of_supply(units, use)


def test_negative_stock_or_use_is_refused():
    with pytest.raises(InvalidInput, match="cannot be negative"):
        rules.days_of_supply(-1, 1.0)
    with pytest.raises(InvalidInput, match="cannot be negative"):
        rules.days_of_supply(1, -1.0)


def test_every_kind_has_an_expiring_soon_threshold():
    assert set(rules.EXPIRING_SOON) == set(ComponentKind)


def test_red_cells_expire_soon_within_three_days_and_platelets_within_one():
    assert rules.expiring_soon("red_cells", NOW + timedelta(days=2, hours=23), NOW)
    assert not rules.expiring_soon("red_cells", NOW + timedelta(days=3, hours=1), NOW)
    assert rules.expiring_soon("platelets_apheresis", NOW + timedelta(hours=20), NOW)
    assert not rules.expiring_soon("platelets_apheresis", NOW + timedelta(days=2), NOW)
    assert rules.expiring_soon("red_cells", NOW - timedelta(days=1), NOW)  # already expired: listed too


@pytest.mark.parametrize("kind, low, high, breached", [
    ("platelets_apheresis", 20.5, 23.5, False),  # a warm room is the platelets' own range
    ("red_cells", 20.5, 23.5, True),
    ("red_cells", 2.0, 6.0, False),  # the limits themselves are inside the range
    ("red_cells", 1.5, 5.0, True),   # too cold harms red cells too
    ("red_cells", 3.0, 6.5, True),
    ("platelets_pooled", 18.0, 22.0, True),  # platelets must not be chilled
    ("plasma", -40.0, -26.0, False),  # frozen: no lower limit
    ("plasma", -40.0, -20.0, True),
    ("cryo", -30.0, -25.0, False),
])
def test_an_excursion_affects_a_kind_whose_storage_range_it_left(kind, low, high, breached):
    assert rules.excursion_affects(kind, low, high, 10, regime="eu") is breached


def test_the_us_range_for_red_cells_starts_at_one_degree():
    assert not rules.excursion_affects("red_cells", 1.5, 5.0, 10, regime="us")
    assert rules.excursion_affects("plasma", -30.0, -15.0, 5, regime="us")
    assert not rules.excursion_affects("plasma", -30.0, -19.0, 5, regime="us")


@given(st.sampled_from(list(ComponentKind)), st.floats(-60, 40), st.floats(0, 20), st.floats(0, 10_000))
def test_any_duration_outside_the_range_counts(kind, low, spread, minutes):
    high = low + spread
    assert rules.excursion_affects(kind, low, high, minutes) == rules.excursion_affects(kind, low, high, 0.0)


def test_impossible_readings_are_refused():
    with pytest.raises(InvalidInput, match="is above the highest"):
        rules.excursion_affects("red_cells", 8.0, 4.0, 10)
    with pytest.raises(InvalidInput, match="negative time"):
        rules.excursion_affects("red_cells", 4.0, 8.0, -1)
    with pytest.raises(InvalidInput, match="numbers in °C"):
        rules.check_readings(float("nan"), 4.0)


def test_excursion_times_must_be_past_ordered_and_zoned():
    start = NOW - timedelta(hours=2)
    assert rules.check_excursion_times(start, NOW - timedelta(hours=1), NOW) == timedelta(hours=1)
    with pytest.raises(InvalidInput, match="before it starts"):
        rules.check_excursion_times(start, start - timedelta(minutes=1), NOW)
    with pytest.raises(InvalidInput, match="in the future"):
        rules.check_excursion_times(start, NOW + timedelta(minutes=5), NOW)
    with pytest.raises(InvalidInput, match="time zone"):
        rules.check_excursion_times(start.replace(tzinfo=None), NOW.replace(tzinfo=None), NOW)


@pytest.mark.parametrize("rule_set, regime", [("who", "who"), ("eu", "eu"), ("uk", "uk"), ("us-fda", "us")])
def test_a_sites_rule_set_maps_to_a_component_regime(rule_set, regime):
    assert rules.regime_for(rule_set) == regime


def test_an_unknown_rule_set_has_no_regime():
    with pytest.raises(InvalidInput, match="has no component regime"):
        rules.regime_for("mars")


def _band_by_starts(collected_at, now):
    for label, earliest in rules.age_bucket_starts(now):
        if earliest is None or collected_at >= earliest:
            return label


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(timezone.utc)),
       st.integers(min_value=-2 * 24 * 3600, max_value=60 * 24 * 3600))
def test_the_band_a_database_picks_by_collection_time_is_the_band_of_the_units_age_in_days(now, seconds_old):
    collected_at = now - timedelta(seconds=seconds_old)
    assert _band_by_starts(collected_at, now) == rules.age_bucket(rules.age_days(collected_at, now))
