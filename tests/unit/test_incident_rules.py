import pytest
from hypothesis import given
from hypothesis import strategies as st

from bloodbank.domain.errors import Conflict, InvalidInput
from bloodbank.domain.incidents import (
    Basis, CountEntry, Severity, Status, casualties_for_forecast, check_totals, count_change, ensure_open,
    incident_kind, severity,
)

entries = st.lists(st.builds(CountEntry, st.sampled_from(list(Basis)), st.sampled_from(list(Severity)),
                             st.integers(-50, 50)), max_size=30)


def test_an_arrival_adds_casualties_and_needs_no_reason():
    assert count_change(3, correction=False, reason="") == 3


@pytest.mark.parametrize("change", [0, -2])
def test_an_arrival_cannot_lower_a_count(change):
    with pytest.raises(InvalidInput, match="correction"):
        count_change(change, correction=False, reason="")


def test_a_correction_must_say_why():
    with pytest.raises(InvalidInput, match="why"):
        count_change(-1, correction=True, reason="")
    assert count_change(-1, correction=True, reason="counted twice") == -1


def test_an_entry_of_absurd_size_is_refused():
    with pytest.raises(InvalidInput, match="At most"):
        count_change(10_001, correction=False, reason="")


@pytest.mark.parametrize("value", [True, 1.5, "3"])
def test_a_count_is_a_whole_number(value):
    with pytest.raises(InvalidInput, match="whole number"):
        count_change(value, correction=False, reason="")


@given(entries)
def test_totals_are_never_negative_once_checked(items):
    try:
        result = check_totals(items)
    except InvalidInput:
        running = {}
        for e in items:
            running[(e.basis, e.severity)] = running.get((e.basis, e.severity), 0) + e.change
        assert any(v < 0 for v in running.values())
    else:
        assert all(v >= 0 for v in result.values())


@given(entries)
def test_the_forecast_takes_per_severity_the_larger_of_expected_and_admitted(items):
    totals = check_totals([e for e in items if e.change > 0])
    chosen = casualties_for_forecast(totals)
    for s in Severity:
        assert chosen[s] == max(totals[(Basis.EXPECTED, s)], totals[(Basis.ADMITTED, s)])


def test_a_closed_incident_takes_nothing_more():
    ensure_open(Status.DECLARED.value, 1)
    with pytest.raises(Conflict, match="closed"):
        ensure_open(Status.CLOSED.value, 1)


def test_unknown_kind_and_severity_are_refused_naming_the_choices():
    with pytest.raises(InvalidInput, match="explosion"):
        incident_kind("meteor")
    with pytest.raises(InvalidInput, match="severe"):
        severity("mild")
