import pytest
from hypothesis import given
from hypothesis import strategies as st

from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.lab_tests import (
    DEFAULT_PANEL, MARKERS, TESTS, check_result, is_unsafe, required_tests, validate_panel,
)


def test_the_vocabulary_holds_grouping_antibodies_markers_and_cmv():
    assert {"abo_rh", "antibody_screen", "cmv"} <= set(TESTS)
    assert set(MARKERS) == {"hiv", "hbv", "hcv", "syphilis", "htlv", "nat_hiv", "nat_hbv", "nat_hcv", "bacterial"}
    assert DEFAULT_PANEL == ("hiv", "hbv", "hcv", "syphilis")


@pytest.mark.parametrize("outcome, value", [("typed", "A+"), ("A+", None), ("typed", "a pos"), ("", "A RhD positive")])
def test_a_grouping_is_stored_as_typed_with_the_group_as_value(outcome, value):
    checked = check_result("abo_rh", outcome, value)
    assert (checked.outcome, checked.value) == ("typed", "A+")


@pytest.mark.parametrize("outcome, value, message", [
    ("typed", None, "needs the group"),
    ("typed", "C+", "not a blood group"),
    ("A+", "B+", "outcome 'typed'"),
])
def test_a_grouping_without_a_readable_group_is_refused(outcome, value, message):
    with pytest.raises(InvalidInput, match=message):
        check_result("abo_rh", outcome, value)


def test_an_unknown_test_is_refused_naming_the_known_ones():
    with pytest.raises(InvalidInput, match="Unknown test 'hiv1'.*hiv, hbv"):
        check_result("hiv1", "negative")


@pytest.mark.parametrize("test, outcome", [("hiv", "negitive"), ("antibody_screen", "reactive"), ("cmv", "typed")])
def test_an_outcome_the_test_cannot_give_is_refused(test, outcome):
    with pytest.raises(InvalidInput, match="is not a .* outcome"):
        check_result(test, outcome)


def test_outcomes_and_test_names_are_read_without_regard_to_case_or_spaces():
    checked = check_result(" HIV ", " Reactive ")
    assert (checked.test, checked.outcome, checked.value) == ("hiv", "reactive", None)


@given(st.sampled_from(MARKERS), st.sampled_from(["reactive", "indeterminate", "positive"]))
def test_every_marker_outcome_but_negative_is_unsafe(marker, outcome):
    assert is_unsafe(marker, outcome)
    assert not is_unsafe(marker, "negative")


def test_cmv_and_antibody_results_are_not_infection_markers():
    assert not is_unsafe("cmv", "positive")
    assert not is_unsafe("antibody_screen", "positive")


def test_a_site_panel_is_cleaned_and_deduplicated():
    assert validate_panel(["HIV", "hbv", "hcv", "syphilis", "htlv", "hiv"]) == ("hiv", "hbv", "hcv", "syphilis", "htlv")


@pytest.mark.parametrize("panel, message", [
    (["hiv", "hbv", "hcv", "syphilis", "zika"], "'zika' is not an infection marker"),
    (["hiv", "hbv", "hcv", "syphilis", "cmv"], "'cmv' is not an infection marker"),
    (["hiv", "hbv"], "missing: hcv, syphilis"),
    ("hiv", "must be a list"),
])
def test_a_panel_with_unknown_markers_or_short_of_the_minimum_is_refused(panel, message):
    with pytest.raises(InvalidInput, match=message):
        validate_panel(panel)


def test_bacterial_screening_is_required_of_platelets_only():
    panel = (*DEFAULT_PANEL, "bacterial")
    assert "bacterial" in required_tests(panel, "platelets_pooled")
    assert "bacterial" not in required_tests(panel, "red_cells")


def test_grouping_and_the_minimum_panel_are_required_even_if_the_site_list_lost_them():
    assert required_tests(["hiv"], "plasma") == ("abo_rh", "hiv", "hbv", "hcv", "syphilis")
