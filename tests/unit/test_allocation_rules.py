from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bloodbank.domain.allocation import (
    O_NEGATIVE, choose_units, kinds_for_order, needs_o_negative, possible_groups, unit_refusals,
)
from bloodbank.domain.blood_groups import ALL_GROUPS
from bloodbank.domain.components import dose_refusal
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.patient_profile import Grouping, PatientProfile
from bloodbank.domain.requirements import (
    UnitFacts, abo_identical, compatible_with_patient, group_status, unmet_requirements,
)

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
NEEDED_BY = NOW + timedelta(hours=6)
GROUPS = [str(g) for g in ALL_GROUPS]
KINDS = ["red_cells", "plasma", "platelets_apheresis", "cryo", "whole_blood", "ltowb"]
# Stock may hold what no order is ever filled with: a single platelet concentrate.
STOCK_KINDS = KINDS + ["platelets_pooled", "platelet_concentrate"]
NOT_A_DOSE = "a single platelet concentrate is a fraction of an adult dose: pool it first"


def confirmed(group, *, sex="M", born=date(1960, 1, 1), requirements=()):
    groupings = (Grouping(group, 1, NOW - timedelta(days=400), historical=True), Grouping(group, 2, NOW))
    return PatientProfile(patient_id=1, sex=sex, date_of_birth=born, identifiers=(("mrn", "RXH:1"),),
                          groupings=groupings, requirements=frozenset(requirements))


def unit(unit_id, group, *, kind="red_cells", days=10, **kw):
    return UnitFacts(id=unit_id, din=f"G1234260{unit_id:05d}", kind=kind, blood_group=group,
                     expires_at=NOW + timedelta(days=days), product_code="E0791", **kw)


def choose(stock, profile, *, kind="red_cells", quantity=1, emergency=False):
    return choose_units(stock, kind=kind, quantity=quantity, profile=profile, needed_by=NEEDED_BY, now=NOW,
                        emergency=emergency)


# ---------------------------------------------------------------- examples

def test_abo_identical_units_come_before_merely_compatible_ones():
    stock = [unit(1, "O+", days=2), unit(2, "A+", days=9), unit(3, "A-", days=5)]
    chosen = choose(stock, confirmed("A+"), quantity=2)
    assert [u.id for u in chosen.units] == [3, 2]  # both group A, first-expiring first


def test_first_expiring_first_out_within_a_tier():
    stock = [unit(1, "A+", days=9), unit(2, "A+", days=3), unit(3, "A+", days=6)]
    assert [u.id for u in choose(stock, confirmed("A+"), quantity=3).units] == [2, 3, 1]


def test_o_negative_goes_to_an_a_positive_patient_only_when_nothing_else_fits_and_says_so():
    stock = [unit(1, "O-", days=2), unit(2, "O+", days=9)]
    first = choose(stock, confirmed("A+"))
    assert [u.id for u in first.units] == [2] and first.notes == ()
    both = choose(stock, confirmed("A+"), quantity=2)
    assert [u.id for u in both.units] == [2, 1]
    assert "O-negative unit used for an A+ patient: no other compatible unit in stock." in both.notes


def test_an_o_negative_patient_gets_o_negative_without_a_note():
    chosen = choose([unit(1, "O-"), unit(2, "O+")], confirmed("O-"))
    assert [u.id for u in chosen.units] == [1] and chosen.notes == ()


def test_an_rhd_negative_patient_never_gets_rhd_positive_red_cells():
    chosen = choose([unit(1, "A+"), unit(2, "O+")], confirmed("A-"), quantity=2)
    assert chosen.units == () and chosen.shortfall == 2
    assert "Only 0 of 2 red cells units could be found: 2 short." in chosen.notes


def test_units_expiring_before_they_are_needed_are_not_offered():
    stock = [unit(1, "A+", days=0.1), unit(2, "A+", days=-1)]
    assert choose(stock, confirmed("A+"), quantity=2).units == ()
    reasons = unit_refusals(stock[0], kind="red_cells", profile=confirmed("A+"), needed_by=NEEDED_BY, now=NOW)
    assert "before it is needed" in reasons[0]


def test_a_special_requirement_removes_units_that_fail_it():
    stock = [unit(1, "A+", days=2), unit(2, "A+", days=5, irradiated=True)]
    chosen = choose(stock, confirmed("A+", requirements=["irradiated"]))
    assert [u.id for u in chosen.units] == [2]


def test_an_unconfirmed_woman_under_fifty_gets_o_negative_red_cells_and_ab_plasma():
    single = PatientProfile(patient_id=1, sex="F", date_of_birth=date(1995, 1, 1), identifiers=(),
                            groupings=(Grouping("A+", 1, NOW),))
    red = choose([unit(1, "A+"), unit(2, "O+"), unit(3, "O-")], single, quantity=3)
    assert [u.id for u in red.units] == [3]
    assert any("one sample only" in note for note in red.notes)
    plasma = choose([unit(4, "A+", kind="plasma"), unit(5, "AB-", kind="plasma")], single, kind="plasma", quantity=2)
    assert [u.id for u in plasma.units] == [5]


def test_a_stock_order_without_a_patient_gets_universal_groups_only():
    chosen = choose([unit(1, "O+"), unit(2, "O-"), unit(3, "A-")], None, quantity=3)
    assert [u.id for u in chosen.units] == [2] and chosen.shortfall == 2


def test_an_unconfirmed_man_gets_o_positive_before_o_negative():
    man = PatientProfile(patient_id=1, sex="M", date_of_birth=date(1960, 1, 1), identifiers=())
    chosen = choose([unit(1, "O-", days=1), unit(2, "O+", days=9)], man, quantity=2, emergency=True)
    assert [u.id for u in chosen.units] == [2, 1]
    assert any("O-negative unit used for a patient whose group is not confirmed: emergency" in n for n in chosen.notes)


def test_platelet_orders_are_filled_by_apheresis_or_pooled_units():
    stock = [unit(1, "A+", kind="platelets_pooled", days=2), unit(2, "A+", kind="platelets_apheresis", days=3),
             unit(3, "A+", kind="red_cells")]
    assert [u.id for u in choose(stock, confirmed("A+"), kind="platelets", quantity=3).units] == [1, 2]


@pytest.mark.parametrize("order_kind", ["platelets", "platelets_pooled", "platelet_concentrate"])
def test_a_single_platelet_concentrate_never_fills_an_order_even_when_it_is_all_there_is(order_kind):
    stock = [unit(1, "A+", kind="platelet_concentrate", days=3), unit(2, "A+", kind="platelet_concentrate", days=4)]
    chosen = choose(stock, confirmed("A+"), kind=order_kind, quantity=1)
    assert chosen.units == () and chosen.shortfall == 1
    assert "platelet_concentrate" not in kinds_for_order(order_kind)


@pytest.mark.parametrize("order_kind", ["platelets", "platelets_pooled", "platelet_concentrate", "red_cells"])
def test_a_platelet_concentrate_held_by_hand_is_refused_with_the_reason(order_kind):
    concentrate = unit(1, "A+", kind="platelet_concentrate", days=3)
    reasons = unit_refusals(concentrate, kind=order_kind, profile=confirmed("A+"), needed_by=NEEDED_BY, now=NOW)
    assert reasons[0] == f"Unit {concentrate.label}: {NOT_A_DOSE} (4 to 6 of one ABO/RhD group make one adult dose)."


def test_a_pool_of_concentrates_fills_a_platelet_order_beside_them():
    stock = [unit(1, "A+", kind="platelet_concentrate", days=1), unit(2, "A+", kind="platelets_pooled", days=4)]
    assert [u.id for u in choose(stock, confirmed("A+"), kind="platelets").units] == [2]
    assert [u.id for u in choose(stock, confirmed("A+"), kind="platelets_pooled").units] == [2]


@pytest.mark.parametrize("quantity", [0, -1, 1.5, True, "2"])
def test_a_quantity_that_is_not_a_positive_whole_number_is_refused(quantity):
    with pytest.raises(InvalidInput, match="whole number of units"):
        choose([unit(1, "A+")], confirmed("A+"), quantity=quantity)


# ---------------------------------------------------------------- properties

groups = st.sampled_from(GROUPS)


@st.composite
def profiles(draw):
    kind = draw(st.sampled_from(["none", "unknown", "single", "confirmed", "discrepant"]))
    if kind == "none":
        return None
    sex = draw(st.sampled_from(["F", "M", None]))
    born = draw(st.one_of(st.none(), st.dates(date(1930, 1, 1), date(2025, 1, 1))))
    group = draw(groups)
    groupings = {
        "unknown": (),
        "single": (Grouping(group, 1, NOW),),
        "confirmed": (Grouping(group, 1, NOW), Grouping(group, 2, NOW)),
        "discrepant": (Grouping(group, 1, NOW), Grouping(draw(groups.filter(lambda g: g != group)), 2, NOW)),
    }[kind]
    requirements = draw(st.frozensets(st.sampled_from(["irradiated", "cmv_negative", "rhd_negative_only"])))
    return PatientProfile(patient_id=1, sex=sex, date_of_birth=born, identifiers=(), groupings=groupings,
                          requirements=requirements)


@st.composite
def stocks(draw):
    size = draw(st.integers(0, 14))
    return [UnitFacts(id=i, din=f"G1234260{i:05d}", kind=draw(st.sampled_from(STOCK_KINDS)), blood_group=draw(groups),
                      expires_at=NOW + timedelta(hours=draw(st.integers(-24, 24 * 30))),
                      irradiated=draw(st.booleans()), cmv_negative=draw(st.booleans()),
                      low_titer=draw(st.booleans()), status=draw(st.sampled_from(["available"] * 4 + ["reserved"])))
            for i in range(size)]


def _eligible(stock, kind, profile):
    return [u for u in stock if not unit_refusals(u, kind=kind, profile=profile, needed_by=NEEDED_BY, now=NOW)]


@settings(max_examples=400, deadline=None)
@given(stock=stocks(), profile=profiles(), kind=st.sampled_from(KINDS), quantity=st.integers(1, 6),
       emergency=st.booleans())
def test_every_allocation_obeys_the_rules(stock, profile, kind, quantity, emergency):
    result = choose(stock, profile, kind=kind, quantity=quantity, emergency=emergency)
    eligible = _eligible(stock, kind, profile)
    assert len(result.units) == min(quantity, len(eligible))
    assert result.shortfall == quantity - len(result.units)
    assert len({u.id for u in result.units}) == len(result.units)
    for chosen in result.units:
        assert chosen.kind == kind and chosen.status == "available"
        assert dose_refusal(chosen.kind) is None
        assert compatible_with_patient(chosen, profile, now=NOW)
        assert chosen.expires_at > NEEDED_BY
        assert unmet_requirements(chosen, profile) == ()
        status = group_status(profile)
        if status.confirmed and status.group is not None and kind == "red_cells" and not status.group.rhd_positive:
            assert not chosen.group.rhd_positive
    _o_negative_only_as_a_last_resort(result, eligible, profile, kind)
    _first_expiring_first_within_each_tier(result, eligible, profile)


@st.composite
def shelves(draw, kind):
    """A stock mostly of the kinds that fill the order, so that many units compete for each pick."""
    fills = sorted(kinds_for_order(kind))
    size = draw(st.integers(0, 20))
    return [UnitFacts(id=i, din=f"G1234260{i:05d}", blood_group=draw(groups),
                      kind=draw(st.one_of(st.sampled_from(fills), st.sampled_from(STOCK_KINDS))),
                      expires_at=NOW + timedelta(hours=draw(st.integers(-24, 24 * 30))),
                      irradiated=draw(st.booleans()), cmv_negative=draw(st.booleans()),
                      low_titer=draw(st.booleans()), status=draw(st.sampled_from(["available"] * 4 + ["reserved"])))
            for i in range(size)]


@settings(max_examples=400, deadline=None)
@given(data=st.data(), profile=profiles(), kind=st.sampled_from(KINDS + ["platelets"]), quantity=st.integers(1, 6),
       emergency=st.booleans())
def test_an_allocation_picks_exactly_the_units_judging_each_unit_on_its_own_would_pick(data, profile, kind, quantity,
                                                                                        emergency):
    # choose_units works the patient out once for all the units; asking the public per-unit rules afresh for
    # each unit must give the same units in the same order.
    stock = data.draw(shelves(kind))
    spare_o_negative = kind == "red_cells" and not needs_o_negative(profile, now=NOW)
    expected = sorted(_eligible(stock, kind, profile),
                      key=lambda u: (spare_o_negative and u.group == O_NEGATIVE, not abo_identical(u, profile),
                                     u.expires_at, u.id))
    result = choose(stock, profile, kind=kind, quantity=quantity, emergency=emergency)
    assert result.units == tuple(expected[:quantity])


def _o_negative_only_as_a_last_resort(result, eligible, profile, kind):
    if kind != "red_cells" or needs_o_negative(profile, now=NOW):
        return
    chosen_ids = {u.id for u in result.units}
    if any(u.group == O_NEGATIVE for u in result.units):
        left_out = [u for u in eligible if u.id not in chosen_ids and u.group != O_NEGATIVE]
        assert left_out == []
        assert any(note.startswith("O-negative unit used for") for note in result.notes)


def _first_expiring_first_within_each_tier(result, eligible, profile):
    chosen_ids = {u.id for u in result.units}
    for picked in result.units:
        for other in eligible:
            same_tier = (abo_identical(other, profile) == abo_identical(picked, profile)
                         and (other.group == O_NEGATIVE) == (picked.group == O_NEGATIVE))
            if same_tier and other.id not in chosen_ids:
                assert other.expires_at >= picked.expires_at


@given(profile=profiles(), stock=stocks())
def test_an_rhd_negative_patient_never_gets_rhd_positive_red_cells_whatever_the_stock(profile, stock):
    result = choose(stock, profile, quantity=5)
    status = group_status(profile)
    if status.confirmed and not status.group.rhd_positive:
        assert all(not u.group.rhd_positive for u in result.units)


@settings(max_examples=300, deadline=None)
@given(stock=stocks(), profile=profiles(),
       kind=st.sampled_from(KINDS + ["platelets", "platelets_pooled", "platelet_concentrate"]),
       quantity=st.integers(1, 6))
def test_no_order_of_any_kind_is_ever_filled_with_a_fraction_of_a_dose(stock, profile, kind, quantity):
    result = choose(stock, profile, kind=kind, quantity=quantity)
    assert all(u.kind != "platelet_concentrate" for u in result.units)
    for concentrate in (u for u in stock if u.kind == "platelet_concentrate"):
        reasons = unit_refusals(concentrate, kind=kind, profile=profile, needed_by=NEEDED_BY, now=NOW)
        assert NOT_A_DOSE in reasons[0]


@settings(max_examples=300, deadline=None)
@given(stock=stocks(), profile=profiles(), kind=st.sampled_from(KINDS + ["platelets"]))
def test_the_stock_query_filter_never_hides_a_unit_the_rules_would_offer(stock, profile, kind):
    wanted = possible_groups(kind, profile, now=NOW)
    for offered in _eligible(stock, kind, profile):
        assert offered.blood_group in wanted
