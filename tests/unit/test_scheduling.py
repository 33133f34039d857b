from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bloodbank.domain import scheduling
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.scheduling import (
    describe_hours, hours_from_text, is_bookable, local_to_utc, normalise_opening_hours, parse_opening_hours,
    slot_instants, slots,
)

MONDAY = date(2026, 3, 2)
WEEKDAYS = {"mon": ["08:00", "16:00"], "tue": ["08:00", "16:00"]}
LUNCH = {"mon": [["08:00", "12:00"], ["13:00", "17:00"]]}


def test_a_day_gives_slots_from_opening_until_the_last_one_that_fits():
    result = slots({"mon": ["08:00", "09:00"]}, MONDAY, 15)
    assert result == [time(8, 0), time(8, 15), time(8, 30), time(8, 45)]


def test_a_slot_that_would_run_past_closing_is_not_offered():
    assert slots({"mon": ["08:00", "09:10"]}, MONDAY, 20) == [time(8, 0), time(8, 20), time(8, 40)]


def test_a_lunch_break_has_no_slots_and_the_afternoon_starts_its_own_grid():
    result = slots({"mon": [["08:00", "09:00"], ["13:05", "14:00"]]}, MONDAY, 30)
    assert result == [time(8, 0), time(8, 30), time(13, 5)]


def test_a_day_missing_from_the_hours_is_closed():
    assert slots(WEEKDAYS, date(2026, 3, 4), 15) == []  # a Wednesday


def test_an_empty_list_is_a_closed_day():
    assert slots({"mon": []}, MONDAY, 15) == []


def test_a_site_may_close_at_midnight():
    assert slots({"mon": ["23:00", "24:00"]}, MONDAY, 30) == [time(23, 0), time(23, 30)]


def test_a_time_on_a_slot_boundary_inside_the_hours_is_bookable():
    assert is_bookable(LUNCH, datetime(2026, 3, 2, 13, 15), 15)


@pytest.mark.parametrize("when", [
    datetime(2026, 3, 2, 10, 7),       # between slots
    datetime(2026, 3, 2, 12, 15),      # lunch
    datetime(2026, 3, 2, 16, 50),      # the slot would end after closing
    datetime(2026, 3, 2, 7, 45),       # before opening
    datetime(2026, 3, 3, 10, 0),       # closed on Tuesday
    datetime(2026, 3, 2, 10, 0, 30),   # seconds are not a slot
])
def test_a_time_off_the_grid_or_out_of_hours_is_not_bookable(when):
    assert not is_bookable(LUNCH, when, 15)


def test_a_single_interval_and_a_list_of_intervals_are_both_read():
    parsed = parse_opening_hours({"mon": ["08:00", "16:00"], "tue": [["08:00", "12:00"], ["13:00", "17:00"]]})
    assert [str(i) for i in parsed["mon"]] == ["08:00-16:00"]
    assert [str(i) for i in parsed["tue"]] == ["08:00-12:00", "13:00-17:00"]


def test_normalised_hours_keep_one_pair_as_a_pair_and_sort_several():
    result = normalise_opening_hours({"tue": [["13:00", "17:00"], ["08:00", "12:00"]], "mon": [["08:00", "16:00"]]})
    assert result == {"mon": ["08:00", "16:00"], "tue": [["08:00", "12:00"], ["13:00", "17:00"]]}


@pytest.mark.parametrize("hours, message", [
    ({"monday": ["08:00", "16:00"]}, "Unknown day 'monday'"),
    ({"mon": ["8:00", "16:00"]}, "HH:MM"),
    ({"mon": ["08:00", "16:60"]}, "HH:MM"),
    ({"mon": ["08:00", "24:30"]}, "latest closing time is 24:00"),
    ({"mon": ["16:00", "08:00"]}, "open before it closes"),
    ({"mon": ["08:00", "08:00"]}, "open before it closes"),
    ({"mon": ["24:00", "24:00"]}, "cannot open at 24:00"),
    ({"mon": [["08:00", "12:00"], ["11:00", "17:00"]]}, "overlap"),
    ({"mon": ["08:00"]}, "opening and a closing time"),
    ({"mon": "08:00-16:00"}, "must be a pair"),
    (["mon", "08:00", "16:00"], "per day"),
])
def test_unreadable_opening_hours_are_refused_with_the_reason(hours, message):
    with pytest.raises(InvalidInput, match=message):
        parse_opening_hours(hours)


@pytest.mark.parametrize("minutes", [0, -15, 1441, 15.0, True, "15"])
def test_a_slot_length_must_be_whole_minutes_within_a_day(minutes):
    with pytest.raises(InvalidInput, match="slot length"):
        slots(WEEKDAYS, MONDAY, minutes)


def test_hours_typed_at_a_command_line_are_read_with_day_ranges():
    result = hours_from_text(["mon-wed=08:00-12:00,13:00-17:00", "sat=09:00-13:00"])
    assert result == {
        "mon": [["08:00", "12:00"], ["13:00", "17:00"]],
        "tue": [["08:00", "12:00"], ["13:00", "17:00"]],
        "wed": [["08:00", "12:00"], ["13:00", "17:00"]],
        "sat": ["09:00", "13:00"],
    }


@pytest.mark.parametrize("spec, message", [
    ("fri-mon=08:00-12:00", "runs backwards"),
    ("funday=08:00-12:00", "Cannot read the days"),
    ("mon=08:00", "HH:MM-HH:MM"),
    ("mon=", "No hours given"),
])
def test_badly_typed_hours_are_refused(spec, message):
    with pytest.raises(InvalidInput, match=message):
        hours_from_text([spec])


def test_a_day_typed_twice_is_refused():
    with pytest.raises(InvalidInput, match="mon is given twice"):
        hours_from_text(["mon-fri=08:00-12:00", "mon=13:00-17:00"])


def test_hours_are_described_for_a_clerk():
    assert describe_hours(LUNCH | {"wed": ["09:00", "12:00"]}) == "Mon 08:00-12:00, 13:00-17:00; Wed 09:00-12:00"
    assert describe_hours({}) == "closed every day"


def test_an_unknown_time_zone_is_refused():
    with pytest.raises(InvalidInput, match="Unknown time zone 'Mars/Olympus'"):
        scheduling.zone("Mars/Olympus")


def test_the_default_zone_is_utc():
    assert local_to_utc(datetime(2026, 3, 2, 8, 0)) == datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


def test_a_local_time_becomes_its_utc_instant():
    assert local_to_utc(datetime(2026, 3, 2, 8, 0), ZoneInfo("Europe/Amsterdam")) == datetime(
        2026, 3, 2, 7, 0, tzinfo=timezone.utc)


def test_a_wall_clock_time_skipped_when_clocks_go_forward_is_never_offered():
    # 29 March 2026, Amsterdam: 02:00 jumps to 03:00.
    sunday = date(2026, 3, 29)
    assert local_to_utc(datetime(2026, 3, 29, 2, 30), "Europe/Amsterdam") is None
    instants = slot_instants({"sun": ["01:00", "04:00"]}, sunday, 30, "Europe/Amsterdam")
    local = [i.astimezone(ZoneInfo("Europe/Amsterdam")).strftime("%H:%M") for i in instants]
    assert local == ["01:00", "01:30", "03:00", "03:30"]
    assert len(set(instants)) == len(instants)


def test_a_repeated_wall_clock_time_when_clocks_go_back_is_its_first_occurrence():
    # 25 October 2026, Amsterdam: 02:30 happens twice; the first is 00:30 UTC.
    assert local_to_utc(datetime(2026, 10, 25, 2, 30), "Europe/Amsterdam") == datetime(
        2026, 10, 25, 0, 30, tzinfo=timezone.utc)


# ---------------------------------------------------------------- properties


@st.composite
def day_hours(draw):
    """Non-overlapping intervals within a day, in one of the two accepted shapes."""
    edges = sorted(draw(st.sets(st.integers(0, 24 * 60), min_size=0, max_size=8)))
    pairs = [edges[i:i + 2] for i in range(0, len(edges) - 1, 2)]
    pairs = [[f"{a // 60:02d}:{a % 60:02d}", f"{b // 60:02d}:{b % 60:02d}"] for a, b in pairs if a < 24 * 60]
    if len(pairs) == 1 and draw(st.booleans()):
        return pairs[0]
    return pairs


hours_strategy = st.dictionaries(st.sampled_from(scheduling.DAYS), day_hours(), max_size=7)
dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
lengths = st.integers(min_value=1, max_value=240)


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


@settings(deadline=None)
@given(hours_strategy, dates, lengths)
def test_every_generated_slot_is_bookable(hours, on, slot_minutes):
    for start in slots(hours, on, slot_minutes):
        assert is_bookable(hours, datetime.combine(on, start), slot_minutes)


@settings(deadline=None)
@given(hours_strategy, dates, lengths)
def test_no_slot_ends_after_closing(hours, on, slot_minutes):
    intervals = parse_opening_hours(hours).get(scheduling.day_key(on), ())
    for start in slots(hours, on, slot_minutes):
        begins, ends = _minutes(start), _minutes(start) + slot_minutes
        assert any(i.opens <= begins and ends <= i.closes for i in intervals)


@settings(deadline=None)
@given(hours_strategy, dates, lengths)
def test_slots_never_overlap(hours, on, slot_minutes):
    starts = [_minutes(t) for t in slots(hours, on, slot_minutes)]
    assert starts == sorted(starts)
    assert all(later - earlier >= slot_minutes for earlier, later in zip(starts, starts[1:]))


@settings(deadline=None)
@given(hours_strategy, dates, lengths, st.integers(0, 24 * 60 - 1))
def test_a_bookable_time_is_always_one_of_the_slots(hours, on, slot_minutes, minute):
    when = datetime.combine(on, time(minute // 60, minute % 60))
    assert is_bookable(hours, when, slot_minutes) == (when.time() in slots(hours, on, slot_minutes))


@settings(deadline=None)
@given(hours_strategy)
def test_normalising_hours_twice_changes_nothing(hours):
    once = normalise_opening_hours(hours)
    assert normalise_opening_hours(once) == once


@settings(deadline=None)
@given(hours_strategy, dates, st.integers(5, 120))
def test_slot_instants_in_a_zone_with_daylight_saving_are_distinct_and_ordered(hours, on, slot_minutes):
    instants = slot_instants(hours, on, slot_minutes, "Europe/Amsterdam")
    assert instants == sorted(instants)
    assert all(later - earlier >= timedelta(minutes=1) for earlier, later in zip(instants, instants[1:]))
