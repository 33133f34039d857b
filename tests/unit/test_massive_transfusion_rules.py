"""Massive transfusion rounds: what a cooler may hold, and the ratio given so far."""

from datetime import datetime, timedelta, timezone
from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

from bloodbank.domain.blood_groups import ABO, ALL_GROUPS, BloodGroup, parse_group
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.massive_transfusion import (
    FAMILIES, Given, Ratio, compose_round, o_negative_flag, parse_ratio, ratio_achieved, round_is_emergency,
    rules, tally,
)
from bloodbank.domain.patient_profile import Grouping, PatientProfile
from bloodbank.domain.requirements import UnitFacts, component_compatible

NOW = datetime(2026, 12, 6, 4, 0, tzinfo=timezone.utc)
KINDS = ("red_cells", "plasma", "platelets_apheresis", "platelets_pooled", "whole_blood", "cryo")
GROUPS = [str(g) for g in ALL_GROUPS]


def profile(group: str | None = None, sex: str | None = None, age: int | None = 40) -> PatientProfile:
    groupings = () if group is None else (
        Grouping(group, 1, NOW - timedelta(hours=2)), Grouping(group, 2, NOW - timedelta(hours=1)))
    born = None if age is None else NOW.date().replace(year=NOW.year - age)
    return PatientProfile(patient_id=1, sex=sex, date_of_birth=born, identifiers=(), groupings=groupings)


units_strategy = st.lists(st.builds(
    UnitFacts, id=st.integers(1, 10_000), din=st.just("G123426000001"), kind=st.sampled_from(KINDS),
    blood_group=st.sampled_from(GROUPS), expires_at=st.sampled_from([NOW - timedelta(hours=1), NOW + timedelta(days=3)]),
    status=st.sampled_from(["available", "available", "reserved"]),
), max_size=40, unique_by=lambda u: u.id)
ratios = st.builds(Ratio, st.integers(1, 6), st.integers(0, 6), st.integers(0, 2))


@settings(max_examples=200, deadline=None)
@given(units=units_strategy, ratio=ratios, group=st.sampled_from(GROUPS), number=st.integers(2, 6),
       sex=st.sampled_from([None, "F", "M"]))
def test_a_group_specific_round_never_holds_a_unit_incompatible_with_the_confirmed_group(units, ratio, group, number,
                                                                                       sex):
    plan = compose_round(ratio, number, profile(group, sex), units, NOW)
    assert not plan.emergency
    for unit in plan.units:
        assert component_compatible(unit.kind, unit.group, parse_group(group))
        assert unit.status == "available" and unit.expires_at > NOW


@settings(max_examples=200, deadline=None)
@given(units=units_strategy, ratio=ratios, group=st.sampled_from(GROUPS + [None]),
       sex=st.sampled_from([None, "F", "M"]))
def test_the_first_round_holds_only_units_fit_for_a_patient_of_any_abo_group(units, ratio, group, sex):
    plan = compose_round(ratio, 1, profile(group, sex), units, NOW)
    assert plan.emergency
    rhd_positive_allowed = sex == "M"
    for unit in plan.units:
        assert all(component_compatible(unit.kind, unit.group, BloodGroup(abo, rhd_positive_allowed))
                   for abo in ABO), unit


@settings(max_examples=200, deadline=None)
@given(units=units_strategy, ratio=ratios, number=st.integers(1, 4))
def test_a_round_holds_at_most_the_ratio_and_says_what_it_could_not_fill(units, ratio, number):
    plan = compose_round(ratio, number, profile("A+"), units, NOW)
    counts = tally(u.kind for u in plan.units)
    assert counts.whole_blood == 0
    for name in FAMILIES:
        filled = getattr(counts, name)
        assert filled + plan.short.get(name, 0) == ratio.of(name)


def test_the_first_round_is_emergency_units_even_when_the_group_is_known():
    units = [UnitFacts(1, "D1", "red_cells", "A+", NOW + timedelta(days=5)),
             UnitFacts(2, "D2", "red_cells", "O-", NOW + timedelta(days=5)),
             UnitFacts(3, "D3", "plasma", "A+", NOW + timedelta(days=5)),
             UnitFacts(4, "D4", "plasma", "AB+", NOW + timedelta(days=5))]
    first = compose_round(Ratio(1, 1, 0), 1, profile("A+", "F"), units, NOW)
    second = compose_round(Ratio(1, 1, 0), 2, profile("A+", "F"), units, NOW)
    assert [u.id for u in first.units] == [2, 4]
    assert [u.id for u in second.units] == [1, 3]


def test_an_unconfirmed_group_keeps_later_rounds_on_emergency_units():
    assert round_is_emergency(3, profile(None))
    assert not round_is_emergency(2, profile("B-"))


def test_o_negative_is_kept_back_from_a_man_when_o_positive_will_do():
    units = [UnitFacts(1, "D1", "red_cells", "O-", NOW + timedelta(days=1)),
             UnitFacts(2, "D2", "red_cells", "O+", NOW + timedelta(days=9))]
    man = compose_round(Ratio(1, 0, 0), 1, profile(None, "M"), units, NOW)
    woman = compose_round(Ratio(1, 0, 0), 1, profile(None, "F", 30), units, NOW)
    assert [u.id for u in man.units] == [2]
    assert [u.id for u in woman.units] == [1]


@given(red=st.integers(0, 30), plasma=st.integers(0, 30), platelets=st.integers(0, 10), whole=st.integers(0, 10))
def test_the_ratio_achieved_is_plasma_and_platelets_per_red_cell_counting_whole_blood_as_both(red, plasma,
                                                                                             platelets, whole):
    kinds = ["red_cells"] * red + ["plasma"] * plasma + ["platelets_pooled"] * platelets + ["ltowb"] * whole
    achieved = ratio_achieved(tally(kinds))
    if red + whole == 0:
        assert achieved is None
    else:
        assert achieved == (1, Fraction(plasma + whole, red + whole), Fraction(platelets, red + whole))


def test_o_negative_is_flagged_only_for_a_male_patient():
    given_units = [("red_cells", "O-"), ("red_cells", "O+"), ("plasma", "O-"), ("ltowb", "O-")]
    assert o_negative_flag("M", given_units) == 2
    assert o_negative_flag("F", given_units) == 0
    assert o_negative_flag(None, given_units) == 0


@pytest.mark.parametrize("text", ["", "4:4", "0:4:1", "4:4:x", "99:1:1", "4:-1:1", "٤:٤:١"])
def test_a_ratio_that_cannot_be_read_is_refused(text):
    with pytest.raises(InvalidInput):
        parse_ratio(text)


def test_a_ratio_is_read_as_typed_or_by_its_protocol_name():
    assert parse_ratio(" 6:6:1 ") == Ratio(6, 6, 1)
    assert parse_ratio("4:4:1") == Ratio(4, 4, 1)
    assert rules().default_ratio == Ratio(4, 4, 1)
    assert all(p.source for p in rules().protocols.values())


def test_tally_counts_each_family():
    assert tally(["red_cells", "plasma", "platelets_apheresis", "whole_blood"]) == Given(1, 1, 1, 1)
