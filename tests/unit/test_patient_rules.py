from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bloodbank.domain.blood_groups import ALL_GROUPS
from bloodbank.domain.errors import InvalidInput, InvalidTransition
from bloodbank.domain.patient_profile import Grouping, PatientProfile
from bloodbank.domain.patients import (
    ANTIBODIES, ENFORCED_REQUIREMENTS, IDENTIFIER_SYSTEMS, ORDER_KINDS, ORDER_TRANSITIONS, SPECIAL_REQUIREMENTS,
    URGENCIES,
    antibody_name, candidate_identifiers, emergency_number, emergency_serial, grouping_status, nhs_number_valid,
    normalize_group, normalize_identifier, normalize_sex, order_kind, order_quantity, order_transition,
    requirement_code, split_identifier, urgency_code,
)

AT = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
groups = st.sampled_from([str(g) for g in ALL_GROUPS])


def grouping(group: str, sample_id: int | None, *, historical: bool = False) -> Grouping:
    return Grouping(blood_group=group, sample_id=sample_id, tested_at=AT, historical=historical)


# ---------------------------------------------------------------- identifiers


@pytest.mark.parametrize("number", ["9434765919", "9434765870", "4010232137", "9999999999"])
def test_a_valid_nhs_number_passes_the_modulus_11_check(number):
    assert nhs_number_valid(number)


@pytest.mark.parametrize("number", ["9434765918", "1234567890", "943476591", "94347659190", "94347659A9"])
def test_an_nhs_number_with_a_wrong_check_digit_or_length_fails(number):
    assert not nhs_number_valid(number)


@given(st.integers(0, 9), st.integers(1, 9))
def test_changing_any_one_digit_of_a_valid_nhs_number_is_detected(position, shift):
    number = "9434765919"
    changed = number[:position] + str((int(number[position]) + shift) % 10) + number[position + 1:]
    assert not nhs_number_valid(changed)


def test_an_nhs_number_is_stored_without_spaces():
    assert normalize_identifier("NHS", " 943 476 5919 ") == ("nhs", "9434765919")


def test_an_nhs_number_with_a_wrong_check_digit_is_refused_with_a_clear_message():
    with pytest.raises(InvalidInput, match="check digit is wrong"):
        normalize_identifier("nhs", "943 476 5918")


def test_a_hospital_number_is_qualified_by_the_hospital_code():
    assert normalize_identifier("mrn", "rxh: 123 456") == ("mrn", "RXH:123456")
    with pytest.raises(InvalidInput, match="HOSPITALCODE:NUMBER"):
        normalize_identifier("mrn", "123456")


def test_passport_and_national_numbers_carry_the_country():
    assert normalize_identifier("passport", "gbr:123456789") == ("passport", "GBR:123456789")
    with pytest.raises(InvalidInput, match="COUNTRY:NUMBER"):
        normalize_identifier("national", "1840275123456")


def test_an_emergency_number_has_the_year_and_a_serial():
    assert emergency_number(2026, 7) == "EM-2026-0007"
    assert emergency_serial("EM-2026-12345") == (2026, 12345)
    assert normalize_identifier("emergency", "em-2026-0007") == ("emergency", "EM-2026-0007")
    with pytest.raises(InvalidInput, match="EM-2026-0001"):
        normalize_identifier("emergency", "EM-26-7")


def test_an_unknown_identifier_system_is_refused_naming_the_known_ones():
    with pytest.raises(InvalidInput, match="mrn, nhs, national, emergency, passport"):
        normalize_identifier("ssn", "123")


def test_a_known_system_before_the_first_colon_is_the_system():
    assert split_identifier("mrn:RXH:1") == ("mrn", "RXH:1")
    assert split_identifier("RXH:1") == (None, "RXH:1")
    assert split_identifier("NHS:9434765919") == ("nhs", "9434765919")


def test_a_bare_value_stands_for_every_system_it_is_valid_in():
    assert set(candidate_identifiers("GBR:123")) == {("mrn", "GBR:123"), ("national", "GBR:123"),
                                                     ("passport", "GBR:123")}
    assert candidate_identifiers("9434765919") == [("nhs", "9434765919")]


def test_every_identifier_system_has_an_example_that_passes_its_own_validation():
    for code, system in IDENTIFIER_SYSTEMS.items():
        assert normalize_identifier(code, system.example)[0] == code


# ---------------------------------------------------------------- people


@pytest.mark.parametrize(("text", "expected"), [("f", "F"), ("Male", "M"), (None, None), ("", None), ("U", None)])
def test_sex_is_f_m_or_not_known(text, expected):
    assert normalize_sex(text) == expected


def test_an_unreadable_sex_is_refused():
    with pytest.raises(InvalidInput, match="F, M"):
        normalize_sex("x")


def test_a_group_is_stored_in_compact_form_and_a_bad_one_refused():
    assert normalize_group("O neg") == "O-"
    with pytest.raises(InvalidInput, match="no RhD"):
        normalize_group("A")


# ---------------------------------------------------------------- requirements and antibodies


def test_only_the_profile_requirements_are_enforced_and_the_others_say_so():
    assert ENFORCED_REQUIREMENTS == {"irradiated", "cmv_negative", "rhd_negative_only"}
    for code in set(SPECIAL_REQUIREMENTS) - ENFORCED_REQUIREMENTS:
        assert "NOT yet enforced" in SPECIAL_REQUIREMENTS[code]


def test_a_requirement_is_read_loosely_but_must_be_known():
    assert requirement_code("CMV negative") == "cmv_negative"
    with pytest.raises(InvalidInput, match="not a special requirement"):
        requirement_code("gold-plated")


@pytest.mark.parametrize(("text", "expected"), [
    ("anti-K", "anti-K"), ("anti-k", "anti-k"), ("Anti Fy(a)", "anti-Fya"), ("anti-jka", "anti-Jka"),
    ("other: anti-Yta", "other:anti-Yta"),
])
def test_an_antibody_is_stored_under_its_listed_name(text, expected):
    assert antibody_name(text) == expected


def test_an_antibody_in_capitals_whose_case_decides_its_meaning_is_refused():
    with pytest.raises(InvalidInput, match="could be anti-C or anti-c"):
        antibody_name("ANTI-C")
    assert antibody_name("ANTI-D") == "anti-D"


def test_free_text_is_not_an_antibody_unless_marked_other():
    with pytest.raises(InvalidInput, match="write 'other:'"):
        antibody_name("something odd")
    with pytest.raises(InvalidInput, match="After 'other:'"):
        antibody_name("other:")


def test_the_antibody_list_keeps_case_distinct_antigens_apart():
    assert {"anti-C", "anti-c", "anti-E", "anti-e", "anti-K", "anti-k", "anti-S", "anti-s"} <= set(ANTIBODIES)


# ---------------------------------------------------------------- grouping status


def test_no_grouping_means_status_none():
    assert grouping_status(()) == "none"


@given(groups)
def test_one_grouping_is_single(group):
    assert grouping_status([grouping(group, 1)]) == "single"


@given(groups)
def test_two_concordant_groupings_on_separate_samples_confirm(group):
    assert grouping_status([grouping(group, 1), grouping(group, 2)]) == "confirmed"


@given(groups)
def test_two_groupings_on_the_same_sample_do_not_confirm(group):
    assert grouping_status([grouping(group, 1), grouping(group, 1)]) == "single"


@given(groups, groups, st.lists(groups, max_size=4))
def test_any_two_different_groups_are_discrepant_whatever_else_agrees(first, second, others):
    if first == second:
        return
    found = [grouping(first, 1), grouping(second, 2)] + [grouping(g, 3 + i) for i, g in enumerate(others)]
    assert grouping_status(found) == "discrepant"


def test_a_historical_result_confirms_but_a_sampleless_typed_one_does_not():
    assert grouping_status([grouping("A+", 1), grouping("A+", None, historical=True)]) == "confirmed"
    assert grouping_status([grouping("A+", 1), grouping("A+", None)]) == "single"
    assert grouping_status([grouping("A+", 1), grouping("B+", None)]) == "discrepant"


def test_an_unreadable_stored_group_is_discrepant_never_agreement():
    assert grouping_status([grouping("A+", 1), grouping("??", 2)]) == "discrepant"


def test_grouping_status_reads_a_whole_profile():
    profile = PatientProfile(patient_id=1, sex="F", date_of_birth=None, identifiers=(),
                             groupings=(grouping("O-", 1), grouping("O-", 2)))
    assert grouping_status(profile) == "confirmed"


# ---------------------------------------------------------------- orders


def test_an_order_moves_only_along_the_transition_table():
    assert order_transition("open", "allocated") == "allocated"
    assert order_transition("issued", "issued") == "issued"
    with pytest.raises(InvalidTransition, match="cancelled cannot become open"):
        order_transition("cancelled", "open")
    with pytest.raises(InvalidInput, match="not an order status"):
        order_transition("open", "lost")


def test_finished_orders_go_nowhere():
    assert ORDER_TRANSITIONS["fulfilled"] == ORDER_TRANSITIONS["cancelled"] == frozenset()


def test_every_urgency_has_a_meaning_and_is_read_loosely():
    assert set(URGENCIES) == {"routine", "urgent", "emergency", "massive_transfusion"}
    assert urgency_code("Massive transfusion") == "massive_transfusion"
    with pytest.raises(InvalidInput, match="not an urgency"):
        urgency_code("whenever")


@pytest.mark.parametrize("quantity", [0, -1, 51, 2.0, True, "3"])
def test_an_order_quantity_is_a_whole_number_from_1_to_50(quantity):
    with pytest.raises(InvalidInput, match="between 1 and 50"):
        order_quantity(quantity)


def test_an_order_kind_is_a_component_kind():
    assert order_kind("Red cells") == "red_cells"
    with pytest.raises(InvalidInput, match="not a component that can be ordered"):
        order_kind("granulocytes")


def test_a_single_platelet_concentrate_cannot_be_ordered_pooled_platelets_can():
    assert "platelet_concentrate" not in ORDER_KINDS and "platelets_pooled" in ORDER_KINDS
    assert order_kind("platelets pooled") == "platelets_pooled"
    with pytest.raises(InvalidInput, match="cannot be ordered: a single platelet concentrate is a fraction of an "
                                           "adult dose: pool it first"):
        order_kind("Platelet concentrate")
