import pytest
from hypothesis import given
from hypothesis import strategies as st

from bloodbank.domain.errors import InvalidTransition
from bloodbank.domain.unit_status import TRANSITIONS, UnitStatus, can_transition, discard_reason, transition

S = UnitStatus
statuses = st.sampled_from(list(UnitStatus))


@pytest.mark.parametrize("current, target", [
    (S.QUARANTINED, S.AVAILABLE), (S.AVAILABLE, S.RESERVED), (S.RESERVED, S.ISSUED),
    (S.ISSUED, S.TRANSFUSED), (S.ISSUED, S.RETURNED), (S.RETURNED, S.AVAILABLE), (S.RESERVED, S.AVAILABLE),
    (S.AVAILABLE, S.IN_TRANSIT), (S.IN_TRANSIT, S.AVAILABLE), (S.QUARANTINED, S.PROCESSED),
    (S.QUARANTINED, S.DISCARDED), (S.ISSUED, S.RECALLED), (S.RECALLED, S.DISCARDED), (S.QUARANTINED, S.ISSUED),
])
def test_the_life_cycle_moves_are_allowed(current, target):
    assert transition(current, target) == target


@pytest.mark.parametrize("current, target", [
    (S.QUARANTINED, S.RESERVED), (S.AVAILABLE, S.ISSUED),
    (S.COLLECTED, S.AVAILABLE), (S.TRANSFUSED, S.DISCARDED), (S.DISCARDED, S.AVAILABLE),
    (S.PROCESSED, S.AVAILABLE), (S.RECALLED, S.AVAILABLE), (S.IN_TRANSIT, S.RESERVED),
])
def test_moves_outside_the_table_are_refused_with_what_is_possible(current, target):
    with pytest.raises(InvalidTransition, match="can only become|final state"):
        transition(current, target)


@given(statuses)
def test_only_available_units_can_be_reserved_and_only_reserved_or_emergency_units_issued(current):
    """Quarantined → issued is the signed issue of blood not fully tested: `unit_moves.move` makes it only with
    the clearance `domain.field_issue` allows."""
    assert can_transition(current, S.RESERVED) == (current == S.AVAILABLE)
    assert can_transition(current, S.ISSUED) == (current in {S.RESERVED, S.QUARANTINED})


@given(statuses)
def test_every_state_but_the_final_ones_can_be_discarded(current):
    final = current in {S.TRANSFUSED, S.PROCESSED, S.DISCARDED}
    assert can_transition(current, S.DISCARDED) == (not final)


@given(st.lists(statuses, min_size=1, max_size=12))
def test_no_walk_through_the_table_reaches_issue_without_release(path):
    """Whatever sequence of allowed moves, a unit issued was available (released) before, or went straight from
    quarantine: the signed issue of blood not fully tested, the one move guarded by its own clearance."""
    state, seen = S.QUARANTINED, [S.QUARANTINED]
    for target in path:
        if can_transition(state, target):
            state = target
            seen.append(state)
    if S.ISSUED in seen:
        first = seen.index(S.ISSUED)
        assert S.AVAILABLE in seen[:first] or seen[first - 1] == S.QUARANTINED


def test_no_state_leads_to_itself():
    assert all(state not in targets for state, targets in TRANSITIONS.items())


def test_a_self_exclusion_discard_never_says_why():
    assert "exclu" not in discard_reason("self_excluded")
    with pytest.raises(InvalidTransition, match="Unknown discard reason"):
        discard_reason("because")


@pytest.mark.parametrize("held_from", [S.AVAILABLE, S.RESERVED, S.RETURNED, S.IN_TRANSIT])
def test_a_unit_in_stock_or_on_the_road_goes_straight_to_quarantine_when_held(held_from):
    assert transition(held_from, S.QUARANTINED) == S.QUARANTINED


@given(statuses)
def test_quarantine_is_reached_only_from_where_a_hold_can_find_the_unit(current):
    """Collection, stock, a reservation, a return or the road; never from a patient, a bin or a recall."""
    reachable = {S.COLLECTED, S.AVAILABLE, S.RESERVED, S.RETURNED, S.IN_TRANSIT}
    assert can_transition(current, S.QUARANTINED) == (current in reachable)


@given(st.sampled_from([S.AVAILABLE, S.RESERVED, S.RETURNED, S.IN_TRANSIT]), st.lists(statuses, max_size=12))
def test_a_held_unit_leaves_quarantine_for_stock_only_by_the_release_move(held_from, path):
    """Whatever walk through the table follows a hold, the one way from quarantine towards a patient is
    quarantined → available, the move only the release check may make, or quarantined → issued, the move only
    the signed issue of blood not fully tested may make: no other state is a back door."""
    towards_patient = {S.AVAILABLE, S.RESERVED, S.ISSUED, S.RETURNED, S.IN_TRANSIT, S.TRANSFUSED}
    state = transition(held_from, S.QUARANTINED)
    for target in path:
        if can_transition(state, target):
            if state == S.QUARANTINED:
                assert target not in towards_patient or target in {S.AVAILABLE, S.ISSUED}
            state = target
