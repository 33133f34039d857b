from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bloodbank.domain import haemovigilance as hv
from bloodbank.domain.components import ComponentKind
from bloodbank.domain.errors import InvalidInput

BASELINE = {"temperature_c": 36.8, "pulse": 72, "systolic": 124, "diastolic": 78, "respiratory_rate": 16}
REFRIGERATED = ("whole_blood", "ltowb", "red_cells", "plasma")
ROOM_TEMPERATURE = ("platelets_apheresis", "platelets_pooled", "cryo")


def test_every_category_of_the_isbt_definitions_is_there_with_a_source():
    assert set(hv.REACTION_CATEGORIES) == {
        "fnhtr", "allergic", "anaphylactic", "ahtr", "dhtr", "dstr", "taco", "trali", "tad", "hypotensive",
        "ta_gvhd", "ptp", "tti", "bacterial", "other"}
    assert all(c.source and c.summary and c.onset for c in hv.REACTION_CATEGORIES.values())
    assert "2018" in hv.category("taco").source


def test_grades_and_imputability_levels_are_the_published_ones():
    assert [g.code for g in sorted(hv.SEVERITIES.values(), key=lambda g: g.level)] == [
        "non_severe", "severe", "life_threatening", "death"]
    assert set(hv.IMPUTABILITY) == {"definite", "probable", "possible", "unlikely", "excluded", "not_assessable"}


@pytest.mark.parametrize("severity, serious", [
    ("non_severe", False), ("severe", True), ("Life-threatening", True), ("death", True)])
def test_severe_and_worse_are_serious(severity, serious):
    assert hv.is_serious(severity) is serious


def test_unknown_codes_are_refused_with_the_list():
    with pytest.raises(InvalidInput, match="not a severity grade: use one of non_severe"):
        hv.is_serious("moderate")
    with pytest.raises(InvalidInput, match="not a reaction category"):
        hv.category(None)


@given(st.sampled_from(list(hv.REACTION_CATEGORIES)), st.sampled_from(list(hv.SEVERITIES)),
       st.sampled_from(list(hv.IMPUTABILITY)))
def test_the_donor_side_follows_up_serious_and_donor_sourced_reactions_unless_excluded(category, severity, cause):
    expected = cause != "excluded" and (hv.is_serious(severity) or category in {"trali", "tti", "bacterial"})
    assert hv.needs_donor_follow_up(category, severity, cause) is expected


def test_a_complete_baseline_passes_and_comes_back_as_numbers():
    assert hv.validate_vitals(BASELINE, required=hv.BASELINE_REQUIRED) == BASELINE


@pytest.mark.parametrize("change, message", [
    ({"temperature_c": 29.9}, "temperature of 29.9"), ({"temperature_c": 45.1}, "not possible"),
    ({"pulse": 19}, "pulse of 19"), ({"pulse": 251}, "pulse of 251"), ({"pulse": 72.5}, "whole number"),
    ({"systolic": 39}, "systolic blood pressure of 39"), ({"systolic": 301}, "not possible"),
    ({"diastolic": 130}, "diastolic must be lower"), ({"pulse": True}, "must be a number"),
    ({"pulse": "72"}, "must be a number"), ({"bp": 120}, "Unknown vital sign bp"),
])
def test_implausible_vital_signs_are_refused_naming_the_sign(change, message):
    with pytest.raises(InvalidInput, match=message):
        hv.validate_vitals({**BASELINE, **change})


def test_missing_baseline_signs_are_named_and_empty_observations_refused():
    with pytest.raises(InvalidInput, match="Also record: respiratory rate"):
        hv.validate_vitals({k: v for k, v in BASELINE.items() if k != "respiratory_rate"},
                           required=hv.BASELINE_REQUIRED)
    with pytest.raises(InvalidInput, match="Record the vital signs"):
        hv.validate_vitals({})


@given(st.floats(min_value=30, max_value=45), st.integers(20, 250), st.integers(41, 300))
def test_any_value_inside_the_bounds_is_accepted(temperature, pulse, systolic):
    clean = hv.validate_vitals({"temperature_c": temperature, "pulse": pulse, "systolic": systolic,
                                "diastolic": min(systolic - 1, 200)})
    assert clean["pulse"] == pulse and 30 <= clean["temperature_c"] <= 45


def test_fever_hypotension_and_hypoxaemia_are_flagged_against_the_baseline():
    warnings = hv.warning_signs(BASELINE, {"temperature_c": 38.2, "systolic": 80, "spo2": 88})
    assert len(warnings) == 3
    assert hv.warning_signs(BASELINE, {"temperature_c": 37.9, "systolic": 100}) == ()
    # 38 °C from a febrile baseline of 37.5 is not a rise of 1 °C.
    assert hv.warning_signs({"temperature_c": 37.5}, {"temperature_c": 38.0}) == ()


@pytest.mark.parametrize("kind", REFRIGERATED)
def test_refrigerated_components_follow_the_30_minute_rule_or_a_cold_box(kind):
    assert hv.return_restockable(kind, 30, False)
    assert not hv.return_restockable(kind, 31, False)
    assert hv.return_restockable(kind, 240, True)


def test_the_limit_is_data_a_service_can_set_to_60_minutes():
    sixty = hv.RETURN_RULES["60-minute"]
    assert hv.return_restockable("red_cells", 60, False, rule=sixty)
    assert not hv.return_restockable("red_cells", 61, False, rule=sixty)
    assert all(rule.source for rule in hv.RETURN_RULES.values())


@given(st.sampled_from(ROOM_TEMPERATURE), st.integers(0, 10_000))
def test_refrigerated_platelets_or_cryo_are_never_restockable(kind, minutes):
    assert not hv.return_restockable(kind, minutes, True)


@given(st.sampled_from([k.value for k in ComponentKind]), st.integers(0, 10_000), st.booleans())
def test_a_restockable_unit_always_has_a_reason_and_longer_never_helps(kind, minutes, cold):
    decision = hv.return_decision(kind, minutes, cold)
    assert decision.reason
    if not decision.restockable:
        assert not hv.return_restockable(kind, minutes + 1, cold)


@pytest.mark.parametrize("kind, minutes, message", [
    ("blood", 5, "not a component kind"), ("red_cells", -1, "whole number"), ("red_cells", 2.5, "whole number"),
])
def test_bad_return_input_is_refused(kind, minutes, message):
    with pytest.raises(InvalidInput, match=message):
        hv.return_decision(kind, minutes, False)
