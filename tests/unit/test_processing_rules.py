from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bloodbank.domain import processing as rules
from bloodbank.domain.components import ComponentKind as K
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.isbt128 import (
    ProductInfo, ProductTable, default_product_table, encode_product_code, parse_product_code,
)


@pytest.mark.parametrize("rule_set, regime", [("who", "who"), ("eu", "eu"), ("uk", "uk"), ("us-fda", "us")])
def test_each_rule_set_has_its_component_regime(rule_set, regime):
    assert rules.regime_for_rule_set(rule_set) == regime


def test_an_unknown_rule_set_has_no_regime():
    with pytest.raises(InvalidInput, match="rule set 'fda' has no component regime"):
        rules.regime_for_rule_set("fda")


@pytest.mark.parametrize("key", sorted(rules.DEFAULT_CHOICES, key=str))
def test_every_default_choice_is_in_the_shipped_table_with_the_right_attributes(key):
    kind, irradiated, leucoreduced = key
    info = rules.choose_product(kind, irradiated=irradiated, leucoreduced=leucoreduced)
    assert (info.kind, info.irradiated, info.leucoreduced) == (kind.value, irradiated, leucoreduced)
    assert info.code == rules.DEFAULT_CHOICES[key]


def test_the_generic_product_is_chosen_over_a_specific_public_code():
    # E0398 is also irradiated leucoreduced red cells, but states an anticoagulant and a volume.
    assert rules.choose_product(K.RED_CELLS, irradiated=True, leucoreduced=True).code == "X0005"


def test_plasma_is_never_asked_to_be_leucoreduced():
    assert rules.choose_product(K.PLASMA, leucoreduced=True).code == "X0006"


def test_a_combination_the_table_lacks_is_refused_by_name():
    with pytest.raises(InvalidInput, match="no product for platelets apheresis, irradiated, leucocyte-reduced"):
        rules.choose_product(K.PLATELETS_APHERESIS, irradiated=True, leucoreduced=True)


def product(code, kind="red_cells", irradiated=False, leucoreduced=True):
    return ProductInfo(code, f"product {code}", kind, irradiated, leucoreduced, "test")


def test_a_single_match_in_another_table_is_used_and_several_without_a_choice_are_refused():
    one = ProductTable([product("E1111")])
    assert rules.choose_product(K.RED_CELLS, leucoreduced=True, table=one).code == "E1111"
    with pytest.raises(InvalidInput, match=r"several products for .* \(E1111, E2222\)"):
        rules.choose_product(K.RED_CELLS, leucoreduced=True, table=ProductTable([product("E1111"), product("E2222")]))


@given(st.integers(min_value=rules.MIN_PARTS, max_value=rules.MAX_PARTS))
def test_division_codes_are_distinct_first_level_divisions_a_label_can_carry(parts):
    codes = rules.division_codes(parts)
    assert len(set(codes)) == parts and codes[0] == "A0" and rules.UNDIVIDED not in codes
    for code in codes:
        assert parse_product_code(encode_product_code("X0003", "V", code)).division == code


@given(st.integers().filter(lambda n: not rules.MIN_PARTS <= n <= rules.MAX_PARTS))
def test_a_split_into_too_few_or_too_many_parts_is_refused(parts):
    with pytest.raises(InvalidInput, match="2 to 4 aliquots"):
        rules.division_codes(parts)


def test_only_an_undivided_unit_is_split():
    rules.check_splittable("00")
    with pytest.raises(InvalidInput, match="already an aliquot"):
        rules.check_splittable("B0")


@given(st.integers(min_value=1, max_value=2000), st.integers(min_value=2, max_value=4))
def test_equal_aliquots_never_hold_more_than_the_parent(parent_ml, parts):
    each = rules.aliquot_volume_ml(parent_ml, parts)
    assert each * parts <= parent_ml


@given(st.integers(min_value=1, max_value=500), st.integers(min_value=1, max_value=500), st.integers(2, 4))
def test_chosen_aliquot_volumes_fit_in_the_parent_or_are_refused(parent_ml, each_ml, parts):
    if each_ml * parts <= parent_ml:
        assert rules.aliquot_volume_ml(parent_ml, parts, each_ml) == each_ml
    else:
        with pytest.raises(InvalidInput, match="the unit holds"):
            rules.aliquot_volume_ml(parent_ml, parts, each_ml)


@given(st.integers(min_value=100, max_value=600))
def test_component_volumes_scale_with_the_donation_in_steps_of_five(volume):
    for kind in (K.RED_CELLS, K.PLASMA, K.PLATELET_CONCENTRATE):
        ml = rules.component_volume_ml(kind, volume)
        assert ml % 5 == 0 and ml > 0
    assert rules.component_volume_ml(K.WHOLE_BLOOD, volume) == volume


def test_a_standard_donation_gives_the_typical_volumes():
    assert [rules.component_volume_ml(k, 450) for k in (K.RED_CELLS, K.PLASMA, K.PLATELET_CONCENTRATE)] == [
        280, 250, 60]
    assert rules.component_volume_ml(K.RED_CELLS, None) is None


@pytest.mark.parametrize("method, kinds", [
    ("buffy_coat", (K.RED_CELLS, K.PLASMA)),
    ("prp", (K.RED_CELLS, K.PLASMA, K.PLATELET_CONCENTRATE)),
    ("whole_blood", (K.WHOLE_BLOOD,)),
])
def test_each_method_gives_its_components(method, kinds):
    assert rules.components_for(method) == kinds


def test_low_titer_is_group_o_whole_blood_only():
    assert rules.components_for("whole_blood", low_titer=True, donor_group="O-") == (K.LTOWB,)
    with pytest.raises(InvalidInput, match="method whole_blood"):
        rules.components_for("buffy_coat", low_titer=True, donor_group="O-")
    with pytest.raises(InvalidInput, match="must be group O; this donor is B+"):
        rules.components_for("whole_blood", low_titer=True, donor_group="B+")


def test_separated_components_are_filtered_by_default_and_whole_blood_is_not():
    assert rules.usual_leucoreduction("buffy_coat") and not rules.usual_leucoreduction("whole_blood")
    with pytest.raises(InvalidInput, match="not a processing method"):
        rules.usual_leucoreduction("spin")


@given(st.integers(min_value=0, max_value=12))
def test_a_pool_is_four_to_six_buffy_coats(count):
    if 4 <= count <= 6:
        rules.check_pool_size(count)
    else:
        with pytest.raises(InvalidInput, match=f"4 to 6 buffy coats; {count} given"):
            rules.check_pool_size(count)


def test_a_pool_takes_the_one_group_of_its_sources():
    assert rules.pool_group([("D1", "A pos"), ("D2", "A+"), ("D3", "a+"), ("D4", "A RhD positive")]) == "A+"
    with pytest.raises(InvalidInput, match="mixed: D1 A\\+; D2 A-"):
        rules.pool_group([("D1", "A+"), ("D2", "A-")])
    with pytest.raises(InvalidInput, match="group of D2 is not known"):
        rules.pool_group([("D1", "A+"), ("D2", None)])


@given(st.integers(min_value=0, max_value=12))
def test_a_pool_is_four_to_six_platelet_concentrates(count):
    if 4 <= count <= 6:
        rules.check_pool_size(count, rules.PRP)
    else:
        with pytest.raises(InvalidInput, match=f"4 to 6 platelet concentrates; {count} given"):
            rules.check_pool_size(count, rules.PRP)


def test_a_pool_is_made_from_buffy_coats_or_from_platelet_concentrates_never_both():
    assert rules.pool_method([("D1", "prp"), ("D2", "prp")]) == "prp"
    assert rules.pool_method([("D1", "buffy_coat")]) == "buffy_coat"
    with pytest.raises(InvalidInput, match="never both; these are mixed: D1 buffy coat; D2 platelet concentrate"):
        rules.pool_method([("D1", "buffy_coat"), ("D2", "prp")])
    with pytest.raises(InvalidInput, match="4 to 6 buffy coats or platelet concentrates; none given"):
        rules.pool_method([])


def test_a_pool_of_concentrates_takes_their_one_group_and_names_them():
    assert rules.pool_group([("D1", "O-"), ("D2", "O-")], rules.PRP) == "O-"
    with pytest.raises(InvalidInput, match="platelet concentrates of one ABO/RhD group; these are mixed"):
        rules.pool_group([("D1", "O-"), ("D2", "O+")], rules.PRP)


def test_a_pool_of_concentrates_is_labelled_as_such_and_holds_what_they_held():
    assert rules.choose_product(K.PLATELETS_POOLED, leucoreduced=True).code == "X0008"
    assert rules.choose_product(K.PLATELETS_POOLED, leucoreduced=True,
                                choices=rules.CONCENTRATE_POOL_CHOICES).code == "X0012"
    assert rules.choose_product(K.PLATELET_CONCENTRATE, leucoreduced=True).code == "X0011"
    assert rules.concentrate_pool_volume_ml([60, 55, 65, 60]) == 240
    assert rules.concentrate_pool_volume_ml([60, None, 65, 60]) is None


def test_a_platelet_concentrate_is_neither_irradiated_nor_split_on_its_own():
    with pytest.raises(InvalidInput, match="Irradiate the pool.*fraction of an adult dose: pool it first"):
        rules.check_irradiable(K.PLATELET_CONCENTRATE)
    with pytest.raises(InvalidInput, match="not split into aliquots.*fraction of an adult dose: pool it first"):
        rules.check_splittable("00", "platelet_concentrate")
    rules.check_splittable("00", "platelets_pooled")


def test_acellular_components_are_not_irradiated():
    for kind in (K.PLASMA, K.CRYO):
        with pytest.raises(InvalidInput, match="is not irradiated"):
            rules.check_irradiable(kind)
    assert rules.check_irradiable("red_cells") is K.RED_CELLS


def test_the_shipped_table_holds_a_product_for_every_processing_output():
    table = default_product_table()
    for method in rules.METHODS:
        for kind in rules.components_for(method):
            assert table.of_kind(kind.value)
