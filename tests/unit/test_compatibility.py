import copy
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bloodbank.domain import compatibility
from bloodbank.domain.blood_groups import ABO, ALL_GROUPS, BloodGroup, parse_group
from bloodbank.domain.compatibility import (
    CompatibilityTableError,
    build_rules,
    compatible_donors,
    compatible_recipients,
    cryo_compatible,
    default_policy,
    emergency_plasma_alternative,
    emergency_plasma_group,
    emergency_red_cell_group,
    plasma_compatible,
    platelet_preference,
    platelets_compatible,
    read_packaged_data,
    red_cells_compatible,
    rhd_override_permitted,
    whole_blood_compatible,
)
from bloodbank.domain.errors import InvalidInput

GROUPS = ["O-", "O+", "A-", "A+", "B-", "B+", "AB-", "AB+"]

# Copied by hand from the reference tables, so the tests do not share the code's logic.
RED_CELLS_REFERENCE = {
    "O-": {"O-"},
    "O+": {"O-", "O+"},
    "A-": {"A-", "O-"},
    "A+": {"A+", "A-", "O+", "O-"},
    "B-": {"B-", "O-"},
    "B+": {"B+", "B-", "O+", "O-"},
    "AB-": {"AB-", "A-", "B-", "O-"},
    "AB+": set(GROUPS),
}
PLASMA_REFERENCE = {"O": {"O", "A", "B", "AB"}, "A": {"A", "AB"}, "B": {"B", "AB"}, "AB": {"AB"}}
PAIRS = [(donor, recipient) for recipient in GROUPS for donor in GROUPS]
groups = st.sampled_from(ALL_GROUPS)


def abo_of(text):
    return text[:-1]


# --- reference tables, all 64 pairs ------------------------------------------

@pytest.mark.parametrize("donor, recipient", PAIRS)
def test_red_cells_follow_the_reference_table_for_every_pair(donor, recipient):
    assert red_cells_compatible(donor, recipient) is (donor in RED_CELLS_REFERENCE[recipient])


@pytest.mark.parametrize("donor, recipient", PAIRS)
def test_plasma_follows_the_reference_table_for_every_pair_whatever_the_rhd(donor, recipient):
    assert plasma_compatible(donor, recipient) is (abo_of(donor) in PLASMA_REFERENCE[abo_of(recipient)])


@pytest.mark.parametrize("donor, recipient", PAIRS)
def test_cryo_for_a_child_follows_the_plasma_table(donor, recipient):
    expected = abo_of(donor) in PLASMA_REFERENCE[abo_of(recipient)]
    assert cryo_compatible(donor, recipient, recipient_is_child=True) is expected


@pytest.mark.parametrize("donor, recipient", PAIRS)
def test_cryo_of_any_group_goes_to_an_adult(donor, recipient):
    assert cryo_compatible(donor, recipient) is True


# --- platelets ---------------------------------------------------------------

@pytest.mark.parametrize("donor, recipient, rank", [
    ("O-", "O-", 0), ("O-", "O+", 0), ("A+", "A+", 0), ("AB-", "AB+", 0),
    ("A-", "O-", 1), ("AB+", "O+", 1), ("AB+", "A+", 1), ("AB-", "B-", 1), ("B+", "O+", 1),
    ("O-", "A-", None), ("O+", "AB+", None), ("A+", "B+", None), ("B-", "A-", None),
    ("A+", "A-", None), ("AB+", "O-", None), ("O+", "O-", None),
])
def test_platelets_rank_abo_identical_before_plasma_compatible_and_refuse_the_rest(donor, recipient, rank):
    assert platelet_preference(donor, recipient) == rank
    assert platelets_compatible(donor, recipient) is (rank is not None)


def test_platelet_donors_are_listed_identical_first():
    assert [str(g) for g in compatible_donors("platelets", "A+")] == ["A-", "A+", "AB-", "AB+"]


def test_both_platelet_kinds_follow_the_platelet_table():
    assert compatible_donors("platelets_pooled", "O-") == compatible_donors("platelets_apheresis", "O-")
    assert [str(g) for g in compatible_donors("platelets_pooled", "O-")] == ["O-", "A-", "B-", "AB-"]


# --- whole blood and low-titer group O whole blood ---------------------------

@pytest.mark.parametrize("donor, recipient, expected", [
    ("A+", "A+", True), ("A-", "A+", True), ("A+", "A-", False), ("O-", "A-", False),
    ("O+", "AB+", False), ("AB-", "AB+", True), ("B+", "AB+", False), ("O-", "O+", True),
])
def test_whole_blood_must_be_abo_identical(donor, recipient, expected):
    assert whole_blood_compatible(donor, recipient) is expected


@pytest.mark.parametrize("recipient", GROUPS)
def test_low_titer_o_negative_whole_blood_goes_to_every_group(recipient):
    assert whole_blood_compatible("O-", recipient, low_titer=True)


@pytest.mark.parametrize("recipient", GROUPS)
def test_low_titer_o_positive_whole_blood_goes_only_to_rhd_positive_patients(recipient):
    assert whole_blood_compatible("O+", recipient, low_titer=True) is recipient.endswith("+")


def test_low_titer_does_not_widen_a_group_other_than_o():
    assert not whole_blood_compatible("A+", "AB+", low_titer=True)
    assert whole_blood_compatible("A+", "A+", low_titer=True)


def test_the_ltowb_table_lists_only_group_o_donors():
    assert [str(g) for g in compatible_donors("ltowb", "AB+")] == ["O-", "O+"]
    assert [str(g) for g in compatible_recipients("ltowb", "O+")] == ["O+", "A+", "B+", "AB+"]


# --- properties --------------------------------------------------------------

@given(groups, groups)
def test_plasma_is_the_mirror_image_of_red_cells_by_abo(donor, recipient):
    abo_only = red_cells_compatible(BloodGroup(recipient.abo, True), BloodGroup(donor.abo, True))
    assert plasma_compatible(donor, recipient) is abo_only


@given(groups)
def test_o_negative_red_cells_go_to_everyone(recipient):
    assert red_cells_compatible("O-", recipient)


@given(groups)
def test_ab_positive_receives_every_red_cell_group(donor):
    assert red_cells_compatible(donor, "AB+")


@given(groups, st.booleans())
def test_ab_plasma_goes_to_everyone(recipient, rhd_positive):
    assert plasma_compatible(BloodGroup(ABO.AB, rhd_positive), recipient)


@given(groups, st.booleans(), st.booleans())
def test_a_group_is_compatible_with_itself_for_every_component(group, child, low_titer):
    assert red_cells_compatible(group, group)
    assert plasma_compatible(group, group)
    assert platelets_compatible(group, group) and platelet_preference(group, group) == 0
    assert cryo_compatible(group, group, recipient_is_child=child)
    assert whole_blood_compatible(group, group, low_titer=low_titer)


@given(groups, groups)
def test_rhd_positive_red_cells_never_reach_an_rhd_negative_patient(donor, recipient):
    if donor.rhd_positive and not recipient.rhd_positive:
        assert not red_cells_compatible(donor, recipient)
        assert not platelets_compatible(donor, recipient)


@given(st.sampled_from(["red_cells", "plasma", "platelets", "whole_blood", "ltowb"]), groups)
def test_donor_and_recipient_lists_agree(component, group):
    for donor in compatible_donors(component, group):
        assert group in compatible_recipients(component, donor)


# --- inputs ------------------------------------------------------------------

def test_groups_may_be_written_as_clerks_write_them():
    assert red_cells_compatible("o neg", "ab pos")
    assert plasma_compatible(parse_group("AB RhD negative"), "O+")


@pytest.mark.parametrize("bad", ["C+", "", "+"])
def test_a_group_that_cannot_be_read_is_refused(bad):
    with pytest.raises(ValueError, match="not a blood group"):
        red_cells_compatible(bad, "O+")


def test_a_group_without_rhd_is_refused():
    with pytest.raises(ValueError, match="no RhD"):
        plasma_compatible("AB", "O+")


def test_an_unknown_component_is_refused_with_the_names_it_knows():
    with pytest.raises(InvalidInput, match="Unknown component 'granulocytes'.*red_cells"):
        compatible_donors("granulocytes", "O+")


def test_red_cell_donor_and_recipient_lists_for_the_extremes():
    assert [str(g) for g in compatible_donors("red_cells", "O-")] == ["O-"]
    assert [str(g) for g in compatible_recipients("red_cells", "O-")] == GROUPS
    assert [str(g) for g in compatible_recipients("plasma", "AB-")] == GROUPS


def test_cryo_lists_depend_on_whether_the_patient_is_a_child():
    assert len(compatible_donors("cryo", "O+")) == 8
    assert [str(g) for g in compatible_donors("cryo", "A+", recipient_is_child=True)] == ["A-", "A+", "AB-", "AB+"]


def test_every_component_names_its_source():
    for component in compatibility.COMPONENTS:
        assert compatibility.rule_source(component).strip()


# --- emergency release and the RhD override ----------------------------------

@pytest.mark.parametrize("sex, age, expected", [
    ("F", 25, "O-"), ("female", 49, "O-"), ("female", 50, "O+"), ("F", 82, "O+"),
    ("M", 30, "O+"), ("male", None, "O+"), ("m", 4, "O+"),
    ("female", None, "O-"), ("unknown", 70, "O-"), (None, None, "O-"), ("", 40, "O-"),
])
def test_emergency_red_cells_are_o_negative_unless_the_patient_cannot_bear_children(sex, age, expected):
    assert str(emergency_red_cell_group(sex, age)) == expected


def test_the_emergency_age_limit_comes_from_the_policy():
    later = replace(default_policy(), child_bearing_age_limit=55)
    assert str(emergency_red_cell_group("F", 52, policy=later)) == "O-"
    assert str(emergency_red_cell_group("F", 55, policy=later)) == "O+"


def test_a_site_may_forbid_o_positive_in_emergencies():
    no_positive = replace(default_policy(), rhd_positive_allowed=False)
    assert str(emergency_red_cell_group("M", 40, policy=no_positive)) == "O-"
    assert not rhd_override_permitted("M", 40, policy=no_positive)


def test_the_default_policy_comes_from_the_data_with_its_source():
    assert compatibility.DEFAULT_POLICY.child_bearing_age_limit == 50
    assert compatibility.DEFAULT_POLICY.rhd_positive_allowed is True
    assert "BSH" in compatibility.DEFAULT_POLICY.source


@pytest.mark.parametrize("sex, age, expected", [
    ("M", 20, True), ("F", 60, True), ("F", 30, False), ("F", None, False), ("unknown", 80, False),
])
def test_an_rhd_override_may_be_considered_only_for_males_and_older_women(sex, age, expected):
    assert rhd_override_permitted(sex, age) is expected


def test_the_override_does_not_change_the_compatibility_answer():
    assert rhd_override_permitted("M", 40)
    assert not red_cells_compatible("O+", "O-")


@pytest.mark.parametrize("sex, age, problem", [
    ("femal", 30, "not a recorded sex"), ("F", -1, "not an age"), ("F", 30.5, "not an age"),
])
def test_emergency_inputs_that_cannot_be_read_are_refused(sex, age, problem):
    with pytest.raises(InvalidInput, match=problem):
        emergency_red_cell_group(sex, age)


def test_emergency_plasma_is_ab_with_group_a_as_the_alternative():
    assert emergency_plasma_group() is ABO.AB
    assert emergency_plasma_alternative() is ABO.A


# --- the data must agree with the rule ---------------------------------------

@pytest.fixture
def data():
    return copy.deepcopy(read_packaged_data())


def test_the_packaged_tables_agree_with_their_rules(data):
    assert build_rules(data).tables["red_cells"][parse_group("O+")] == {parse_group("O-"), parse_group("O+")}


def test_a_table_that_allows_an_incompatible_unit_refuses_to_load(data):
    data["red_cells"]["donors_for"]["O-"].append("O+")
    with pytest.raises(CompatibilityTableError, match=r"red_cells.*O-.*allows O\+"):
        build_rules(data)


def test_a_table_that_omits_a_compatible_group_refuses_to_load(data):
    data["plasma"]["donors_for"]["A"] = ["A"]
    with pytest.raises(CompatibilityTableError, match="plasma.*omits AB-, AB\\+"):
        build_rules(data)


def test_a_table_missing_a_patient_group_refuses_to_load(data):
    del data["whole_blood"]["donors_for"]["B+"]
    with pytest.raises(CompatibilityTableError, match="no row for patient group B\\+"):
        build_rules(data)


def test_a_platelet_table_that_calls_a_non_identical_unit_identical_refuses_to_load(data):
    data["platelets"]["donors_for"]["O-"] = {"identical": ["O-", "A-"], "plasma_compatible": ["B-", "AB-"]}
    with pytest.raises(CompatibilityTableError, match="platelets.identical.*allows A-"):
        build_rules(data)


def test_a_misspelt_group_in_a_table_refuses_to_load(data):
    data["ltowb"]["donors_for"]["A+"] = ["O+", "Q-"]
    with pytest.raises(CompatibilityTableError, match="'Q-' is not a blood group"):
        build_rules(data)


def test_a_table_naming_an_unknown_rule_refuses_to_load(data):
    data["red_cells"]["rule"] = "anything_goes"
    with pytest.raises(CompatibilityTableError, match="unknown rule 'anything_goes'"):
        build_rules(data)


def test_an_emergency_age_limit_that_is_not_a_number_refuses_to_load(data):
    data["emergency"]["child_bearing_age_limit"] = "fifty"
    with pytest.raises(CompatibilityTableError, match="child_bearing_age_limit"):
        build_rules(data)
