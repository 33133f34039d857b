from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bloodbank.domain import collection as c
from bloodbank.domain.eligibility import DonationKind
from bloodbank.domain.errors import InvalidInput


def test_every_whole_blood_bag_but_the_low_volume_one_is_dosed_for_450_ml():
    whole_blood_bags = [b for b in c.BAG_TYPES if b.fits(c.WHOLE_BLOOD)]
    assert {b.code for b in whole_blood_bags} == {
        "single", "low_volume", "double", "triple", "quadruple", "top_and_bottom"}
    assert {b.code: b.nominal_ml for b in whole_blood_bags if b.nominal_ml != 450} == {"low_volume": 350}


def test_an_apheresis_kit_fits_apheresis_donations_and_no_whole_blood():
    kit = c.bag_type("apheresis")
    assert all(kit.fits(kind) for kind in c.APHERESIS_KINDS)
    assert not kit.fits(c.WHOLE_BLOOD)
    with pytest.raises(InvalidInput, match="cannot be used for a whole blood donation"):
        c.ensure_bag_fits(kit, c.WHOLE_BLOOD)


def test_a_whole_blood_bag_is_refused_for_plasmapheresis_and_the_fitting_bags_are_named():
    with pytest.raises(InvalidInput, match="Bags that fit: apheresis"):
        c.ensure_bag_fits(c.bag_type("triple"), "plasma")


@pytest.mark.parametrize("kind", [k.value for k in DonationKind])
def test_every_donation_kind_has_a_default_volume_and_a_bag_that_fits(kind):
    assert c.planned_volume_for(kind) > 0
    assert any(bag.fits(kind) for bag in c.BAG_TYPES)


def test_bag_type_codes_are_read_case_insensitively_and_unknown_ones_refused():
    assert c.bag_type(" Quadruple ").code == "quadruple"
    with pytest.raises(InvalidInput, match="Unknown bag type 'sextuple'"):
        c.bag_type("sextuple")


def test_the_default_whole_blood_volume_is_450_ml_or_the_bags_nominal_volume():
    assert c.planned_volume_for(c.WHOLE_BLOOD) == 450
    assert c.planned_volume_for(c.WHOLE_BLOOD, c.bag_type("low_volume")) == 350
    with pytest.raises(InvalidInput, match="Unknown donation kind"):
        c.planned_volume_for("lemonade")


def test_fill_ranges_are_the_nominal_volume_plus_or_minus_ten_percent():
    assert c.fill_range(450) == (405, 495)
    assert c.fill_range(350) == (315, 385)


@pytest.mark.parametrize("recorded", [405, 450, 495])
def test_a_whole_blood_volume_within_450_plus_or_minus_ten_percent_is_not_flagged(recorded):
    assert c.assess_volume(recorded, 450, 520, nominal_ml=450) == c.VolumeAssessment(True, None)


def test_a_volume_under_405_ml_is_flagged_as_under_filled():
    result = c.assess_volume(404, 450, 520, nominal_ml=450)
    assert not result.ok
    assert "UNDER-FILLED" in result.flag_message and "405–495" in result.flag_message


def test_a_volume_over_495_ml_is_flagged_as_over_filled():
    result = c.assess_volume(496, 450, 520, nominal_ml=450)
    assert not result.ok and "OVER-FILLED" in result.flag_message


def test_the_low_volume_bag_is_judged_against_350_ml():
    assert c.assess_volume(350, 350, 400, nominal_ml=350).ok
    assert "OVER-FILLED" in c.assess_volume(400, 350, 420, nominal_ml=350).flag_message


def test_a_volume_above_the_donors_maximum_is_flagged_with_both_figures_not_refused():
    result = c.assess_volume(480, 450, 472, nominal_ml=450)
    assert not result.ok
    assert "OVER MAXIMUM" in result.flag_message
    assert "480 mL" in result.flag_message and "472 mL" in result.flag_message


def test_apheresis_volumes_are_not_judged_by_a_bag_fill_range():
    assert c.assess_volume(620, 600, None, nominal_ml=None).ok


@pytest.mark.parametrize("nonsense", [0, -5, 1001, 5000])
def test_a_volume_of_zero_or_below_or_above_a_litre_is_refused(nonsense):
    with pytest.raises(InvalidInput, match="recorded volume"):
        c.assess_volume(nonsense, 450, 520, nominal_ml=450)


def test_a_volume_that_is_not_a_whole_number_is_refused():
    with pytest.raises(InvalidInput, match="whole number"):
        c.assess_volume(450.5, 450, 520, nominal_ml=450)  # type: ignore[arg-type]


def test_a_planned_volume_the_bag_cannot_take_is_refused():
    with pytest.raises(InvalidInput, match="wrong anticoagulant ratio"):
        c.check_planned_fits_bag(350, c.bag_type("double"))
    c.check_planned_fits_bag(350, c.bag_type("low_volume"))
    c.check_planned_fits_bag(700, c.bag_type("apheresis"))


@given(recorded=st.integers(1, 1000), nominal=st.sampled_from([350, 450]), max_ml=st.integers(200, 700))
def test_a_plausible_volume_is_never_refused_and_is_flagged_exactly_when_out_of_range(recorded, nominal, max_ml):
    result = c.assess_volume(recorded, nominal, max_ml, nominal_ml=nominal)
    low, high = c.fill_range(nominal)
    expected_ok = recorded <= max_ml and low <= recorded <= high
    assert result.ok is expected_ok
    assert (result.flag_message is None) is expected_ok


@given(st.integers(1, 2000))
def test_the_fill_range_always_contains_the_nominal_volume_and_stays_within_ten_percent(nominal):
    low, high = c.fill_range(nominal)
    assert low <= nominal <= high
    assert low * 10 >= nominal * 9 and high * 10 <= nominal * 11


def test_a_lot_number_is_trimmed_and_kept():
    assert c.validate_lot("  LOT-2026-0417 ") == "LOT-2026-0417"


@pytest.mark.parametrize("lot, message", [
    ("", "missing"), ("   ", "missing"), ("X" * 41, "longer than 40"), ("AB\x00C", "cannot be printed"),
    ("AB\tC", "cannot be printed"),
])
def test_an_unreadable_lot_number_is_refused(lot, message):
    with pytest.raises(InvalidInput, match=message):
        c.validate_lot(lot)


@given(st.text(max_size=60))
def test_a_lot_number_is_either_refused_or_printable_and_short(text):
    try:
        lot = c.validate_lot(text)
    except InvalidInput:
        return
    assert lot and lot.isprintable() and len(lot) <= 40


def test_reaction_kinds_follow_the_isbt_categories_and_unknown_ones_are_refused():
    assert [k.code for k in c.REACTION_KINDS] == [
        "vasovagal", "haematoma", "arterial_puncture", "nerve_injury", "citrate_reaction", "other"]
    assert c.reaction_kind("Vasovagal").code == "vasovagal"
    with pytest.raises(InvalidInput, match="Unknown reaction 'hiccups'"):
        c.reaction_kind("hiccups")


def test_severity_is_mild_moderate_or_severe():
    assert c.severity(" Severe") == "severe"
    with pytest.raises(InvalidInput, match="Unknown severity 'fatal'"):
        c.severity("fatal")


def test_an_adverse_reaction_needs_an_outcome():
    with pytest.raises(InvalidInput, match="Describe the outcome"):
        c.outcome("  ")
