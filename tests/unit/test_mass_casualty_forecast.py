import copy
import dataclasses
import tomllib
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bloodbank.domain import mass_casualty as mc
from bloodbank.domain.incidents import Severity

P = mc.default_parameters()
counts = st.fixed_dictionaries({s: st.integers(0, 400) for s in Severity})
lots = st.lists(st.builds(mc.Lot, st.sampled_from(mc.KINDS), st.sampled_from(mc.GROUPS), st.integers(0, 60),
                          st.floats(-10, 100), st.sampled_from(mc.SOURCES)), max_size=25)
now = st.floats(0, 80)


def _document():
    path = resources.files("bloodbank.domain") / "rules" / "mass_casualty.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))


def test_every_figure_names_its_source():
    assert all(source.strip() for _, source, _ in P.sources())


def test_window_shares_that_do_not_add_up_refuse_to_load():
    document = copy.deepcopy(_document())
    document["windows"]["0-6h"]["value"] = 0.9
    with pytest.raises(mc.MassCasualtyRulesError, match="add up"):
        mc.parameters_from(document)


def test_a_figure_without_its_source_refuses_to_load():
    document = copy.deepcopy(_document())
    document["need"]["red_cells_per_casualty"]["severe"]["source"] = ""
    with pytest.raises(mc.MassCasualtyRulesError, match="source"):
        mc.parameters_from(document)


def test_ten_severe_casualties_need_67_red_cells_over_three_days():
    needs = mc.need({Severity.SEVERE: 10}, P)
    red = sum(v for w in needs.values() for (kind, _), v in w.items() if kind == "red_cells")
    # Rounded up group by group and window by window: at most one unit more per line.
    assert 67 <= red <= 67 + 3 * 8


def test_half_of_the_first_window_red_cells_are_group_o():
    needs = mc.need({Severity.SEVERE: 100}, P)["0-6h"]
    red = {g: v for (k, g), v in needs.items() if k == "red_cells"}
    o_share = (red["O+"] + red["O-"]) / sum(red.values())
    assert 0.5 + 0.45 * 0.5 - 0.02 < o_share < 0.5 + 0.45 * 0.5 + 0.02
    later = {g: v for (k, g), v in mc.need({Severity.SEVERE: 100}, P)["6-24h"].items() if k == "red_cells"}
    assert (later["O+"] + later["O-"]) / sum(later.values()) < 0.5


@given(counts, counts)
def test_need_is_monotone_in_casualties(a, b):
    more = {s: a[s] + b[s] for s in Severity}
    small, large = mc.need(a, P), mc.need(more, P)
    for window in small:
        for key in small[window]:
            assert small[window][key] <= large[window][key]


@given(counts, lots, now)
def test_totals_per_window_add_up(casualties, supply, hours):
    result = mc.shortfall(mc.need(casualties, P), supply, hours, P)
    for summary in result.windows:
        lines = [l for l in result.lines if l.window == summary.window.label]
        assert summary.need == sum(l.need for l in lines)
        assert summary.gap == sum(l.gap for l in lines)
        assert summary.supply == sum(l.stock + l.quarantine + l.transfer for l in lines)


@given(counts, lots, now)
def test_no_unit_is_counted_twice_across_windows(casualties, supply, hours):
    result = mc.shortfall(mc.need(casualties, P), supply, hours, P)
    within = sum(l.units for l in supply if l.units > 0 and mc.window_index(l.usable_at, hours) is not None)
    assert sum(s.supply for s in result.windows) == within
    # What was on hand either met a need or is left over at the end: never both, never twice.
    last = [l for l in result.lines if l.window == mc.WINDOWS[-1].label]
    met = sum(l.need - l.gap for l in result.lines)
    assert met + sum(l.left_over for l in last) == within


@given(st.floats(0, 100))
def test_an_appeal_never_reaches_a_window_before_its_processing_delay(hours):
    for window in mc.WINDOWS:
        donations = mc.appeal_donations(window, mc.appeal_usable_from(hours, hours, P), P)
        if window.end <= hours + P.usable_after_hours.value:
            assert donations == 0
        else:
            assert donations > 0


@given(counts, now)
def test_donors_are_asked_for_only_where_an_appeal_reaches(casualties, hours):
    result = mc.shortfall(mc.need(casualties, P), [], hours, P)
    for summary in result.windows:
        if not summary.appeal_reaches:
            assert summary.donors_to_cover == 0
            assert all(l.donors_to_cover == 0 for l in result.lines if l.window == summary.window.label)
    assert all(key[0] in mc.KINDS for key in result.appeal_gap())


def test_the_statements_say_an_appeal_cannot_cover_the_first_day():
    result = mc.shortfall(mc.need({Severity.SEVERE: 20}, P), [], 0, P)
    assert result.statements[0].startswith("An appeal cannot cover the 0-6h and 6-24h gap")
    assert "(36 h), from about 36 h" in result.statements[0]
    # Blood given at once is usable from 36 h: the last 36 of the 24-72 h window's 48 hours.
    assert any(s.startswith("An appeal reaches only the last 36 h of the 24-72h window") for s in result.statements)
    assert any(s.startswith("The part of the 24-72h gap of red cells an appeal can cover") for s in result.statements)


def test_a_window_wholly_after_the_first_usable_hour_is_covered_whole():
    needs = {"0-6h": {}, "6-24h": {("red_cells", "O+"): 10}, "24-72h": {}}
    # With a short processing delay, a donor booked at 4 h gives blood usable at 6 h: all of 6-24 h is reached.
    quick = dataclasses.replace(P, usable_after_hours=mc.Figure(2, "test"))
    result = mc.shortfall(needs, [], 0, quick, first_booking_hours=4)
    line = next(l for l in result.lines if l.window == "6-24h" and l.group == "O+" and l.kind == "red_cells")
    assert (line.gap, line.appeal_gap) == (10, 10)
    assert any(s.startswith("The 6-24h gap of red cells (10 O+)") for s in result.statements)


def test_a_unit_left_over_early_serves_a_later_window():
    needs = {"0-6h": {("red_cells", "O-"): 1}, "6-24h": {("red_cells", "O-"): 3}, "24-72h": {}}
    result = mc.shortfall(needs, [mc.Lot("red_cells", "O-", 4, 0, "stock")], 0, P)
    line = next(l for l in result.lines if l.window == "6-24h" and l.group == "O-" and l.kind == "red_cells")
    assert (line.carried_in, line.gap, line.left_over) == (3, 0, 0)


def test_a_quarantined_unit_serves_the_window_its_results_arrive_in():
    needs = {"0-6h": {("red_cells", "A+"): 2}, "6-24h": {}, "24-72h": {}}
    result = mc.shortfall(needs, [mc.Lot("red_cells", "A+", 2, 10, "quarantine")], 0, P)
    first = next(l for l in result.lines if l.window == "0-6h" and l.group == "A+" and l.kind == "red_cells")
    second = next(l for l in result.lines if l.window == "6-24h" and l.group == "A+" and l.kind == "red_cells")
    assert first.gap == 2 and second.quarantine == 2


def test_enough_supply_says_no_appeal_is_needed():
    result = mc.shortfall({}, [], 0, P)
    assert "no appeal is needed" in result.statements[0]


# ---- how much of a window an appeal reaches


def _line(result, window, kind="platelets", group="O+"):
    return next(l for l in result.lines if l.window == window and l.kind == kind and l.group == group)


def test_the_share_reached_is_the_window_s_hours_after_the_first_usable_hour():
    window = mc.WINDOW_BY_LABEL["24-72h"]
    assert mc.appeal_share(window, 20) == 1
    assert mc.appeal_share(window, 60) == pytest.approx(12 / 48)
    assert mc.appeal_share(window, 72) == 0
    assert mc.appeal_share(window, 90) == 0


def test_an_invited_donor_gives_at_the_first_booking_and_is_usable_after_processing():
    assert mc.appeal_usable_from(2, 25, P) == 25 + P.usable_after_hours.value
    assert mc.appeal_usable_from(30, 25, P) == 30 + P.usable_after_hours.value  # never before now


def test_a_booking_the_next_morning_counts_only_the_need_after_its_blood_is_usable():
    # 48 doses short over 24-72 h; a donor booked at 25 h gives blood usable at 61 h: 11 of 48 hours.
    needs = {"0-6h": {}, "6-24h": {}, "24-72h": {("platelets", "O+"): 48}}
    result = mc.shortfall(needs, [], 0, P, first_booking_hours=25)
    assert result.appeal_usable_from_hours == 61
    assert _line(result, "24-72h").appeal_gap == 11
    assert result.appeal_gap() == {("platelets", "O+"): 11}
    summary = result.windows[2]
    assert summary.appeal_reaches and summary.appeal_share == pytest.approx(11 / 48)


def test_what_is_on_hand_serves_the_early_hours_so_a_small_gap_is_all_reachable():
    needs = {"0-6h": {}, "6-24h": {}, "24-72h": {("platelets", "O+"): 48}}
    result = mc.shortfall(needs, [mc.Lot("platelets", "O+", 44, 0, "stock")], 0, P, first_booking_hours=25)
    assert (_line(result, "24-72h").gap, _line(result, "24-72h").appeal_gap) == (4, 4)


def test_the_statements_say_which_part_of_a_window_an_appeal_can_cover():
    needs = {"0-6h": {}, "6-24h": {}, "24-72h": {("platelets", "O+"): 48}}
    result = mc.shortfall(needs, [], 0, P, first_booking_hours=25)
    assert any(s.startswith("An appeal reaches only the last 11 h of the 24-72h window: of its gap of 48 units it "
                            "can cover about 11") for s in result.statements)
    assert not any("cover the whole" in s for s in result.statements)


bookings = st.floats(0, 120)


@given(counts, lots, now, bookings)
def test_never_more_donors_than_counting_the_whole_gap_of_every_window_reached(casualties, supply, hours, booking):
    needs = mc.need(casualties, P)
    result = mc.shortfall(needs, supply, hours, P, first_booking_hours=booking)
    usable_from = mc.appeal_usable_from(hours, booking, P)
    for summary in result.windows:
        lines = [l for l in result.lines if l.window == summary.window.label]
        # The rule before: the whole gap of every window ending after blood given now is usable.
        reached_before = summary.window.end > hours + P.usable_after_hours.value
        before = {}
        for line in lines:
            assert 0 <= line.appeal_gap <= line.gap
            donors = mc.donors_for(line.kind, line.gap, P) if reached_before else 0
            assert line.donors_to_cover <= donors
            before[line.group] = max(before.get(line.group, 0), donors)
        assert summary.donors_to_cover <= sum(before.values())
        if summary.window.end <= usable_from:
            assert summary.donors_to_cover == 0 and summary.appeal_gap == 0
            assert all(l.donors_to_cover == 0 and l.appeal_gap == 0 for l in lines)


@given(counts, lots, now, bookings, bookings)
def test_a_later_booking_never_asks_for_more_donors(casualties, supply, hours, early, delay):
    needs = mc.need(casualties, P)
    sooner = mc.shortfall(needs, supply, hours, P, first_booking_hours=early)
    later = mc.shortfall(needs, supply, hours, P, first_booking_hours=early + delay)
    for a, b in zip(sooner.lines, later.lines):
        assert b.appeal_gap <= a.appeal_gap and b.donors_to_cover <= a.donors_to_cover
