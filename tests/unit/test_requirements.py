from datetime import date, datetime, timedelta, timezone

import pytest

from bloodbank.domain.patient_profile import Grouping, PatientProfile
from bloodbank.domain.requirements import (
    CONFIRMED, DISCREPANT, SINGLE, UNKNOWN, UnitFacts, compatible_with_patient, group_status, manual_checks,
    unmet_requirements,
)

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)


def grouping(group, sample_id, *, historical=False, edited=False):
    return Grouping(blood_group=group, sample_id=sample_id, tested_at=NOW - timedelta(days=1),
                    historical=historical, manually_edited=edited)


def profile(*groupings, sex="M", born=date(1960, 1, 1), requirements=()):
    return PatientProfile(patient_id=1, sex=sex, date_of_birth=born, identifiers=(("mrn", "RXH:1"),),
                          groupings=tuple(groupings), requirements=frozenset(requirements))


def unit(group="A+", kind="red_cells", **kw):
    fields = dict(id=1, din="G123426000001", kind=kind, blood_group=group, expires_at=NOW + timedelta(days=10),
                  product_code="E0791")
    fields.update(kw)
    return UnitFacts(**fields)


def test_two_concordant_groupings_on_separate_samples_confirm_the_group():
    status = group_status(profile(grouping("A+", 1), grouping("A pos", 2)))
    assert status.state == CONFIRMED and str(status.group) == "A+"


def test_a_historical_grouping_counts_as_the_second_sample():
    status = group_status(profile(grouping("B-", 1), grouping("B-", None, historical=True)))
    assert status.confirmed and str(status.group) == "B-"


def test_two_groupings_of_one_sample_do_not_confirm_the_group():
    status = group_status(profile(grouping("A+", 7), grouping("A+", 7)))
    assert status.state == SINGLE and status.group is None
    assert "one sample only" in status.message


def test_a_grouping_typed_in_without_a_sample_confirms_nothing():
    assert group_status(profile(grouping("A+", None), grouping("A+", None))).state == SINGLE
    assert group_status(profile(grouping("A+", 4), grouping("A+", None))).state == SINGLE
    assert group_status(profile(grouping("A+", None, historical=True), grouping("A+", None, historical=True))).confirmed


def test_a_grouping_typed_in_without_a_sample_can_still_disagree():
    assert group_status(profile(grouping("A+", 1), grouping("A+", 2), grouping("B+", None))).state == DISCREPANT


def test_groupings_that_disagree_leave_the_group_unconfirmed():
    status = group_status(profile(grouping("A+", 1), grouping("A+", 2), grouping("O+", 3)))
    assert status.state == DISCREPANT and "A+, O+" in status.message


def test_an_unreadable_recorded_group_counts_as_a_discrepancy():
    assert group_status(profile(grouping("A+", 1), grouping("banana", 2))).state == DISCREPANT


def test_no_groupings_or_no_profile_means_unknown():
    assert group_status(profile()).state == UNKNOWN
    assert group_status(None).state == UNKNOWN


@pytest.mark.parametrize("requirement, unit_fields, expected", [
    ("irradiated", {"irradiated": False}, "needs irradiated components; unit G123426000001 E0791 is not irradiated"),
    ("cmv_negative", {"cmv_negative": False}, "needs CMV-negative components"),
    ("rhd_negative_only", {"blood_group": "O+"}, "RhD-negative components only; unit G123426000001 E0791 is O+"),
    ("gamma_rays_twice", {}, "special requirement 'gamma_rays_twice' that cannot be checked"),
])
def test_an_unmet_special_requirement_is_named_in_words_a_clerk_understands(requirement, unit_fields, expected):
    messages = unmet_requirements(unit(**unit_fields), profile(requirements=[requirement]))
    assert len(messages) == 1 and expected in messages[0]


def test_requirements_no_unit_record_can_show_are_for_checking_by_hand_not_silently_passed():
    needs = profile(requirements=["washed", "hla_matched", "irradiated"])
    assert unmet_requirements(unit(irradiated=True), needs) == ()
    tail = ", which this system cannot tell from the unit's record."
    assert manual_checks(needs) == (
        "Check by hand: the patient needs HLA-matched components" + tail,
        "Check by hand: the patient needs washed components" + tail,
    )
    assert manual_checks(None) == ()


def test_a_unit_meeting_every_requirement_has_nothing_unmet():
    needs = ["irradiated", "cmv_negative", "rhd_negative_only"]
    assert unmet_requirements(unit("O-", irradiated=True, cmv_negative=True), profile(requirements=needs)) == ()


def test_irradiation_and_cmv_status_do_not_apply_to_plasma_or_cryo():
    needs = ["irradiated", "cmv_negative", "rhd_negative_only"]
    for kind in ("plasma", "cryo"):
        assert unmet_requirements(unit("AB+", kind=kind), profile(requirements=needs)) == ()
    assert len(unmet_requirements(unit("A+", kind="platelets_apheresis"), profile(requirements=needs))) == 3


def test_a_confirmed_patient_is_matched_on_the_confirmed_group():
    a_pos = profile(grouping("A+", 1), grouping("A+", 2))
    assert compatible_with_patient(unit("O+"), a_pos, now=NOW)
    assert not compatible_with_patient(unit("B+"), a_pos, now=NOW)
    assert compatible_with_patient(unit("AB-", kind="plasma"), a_pos, now=NOW)
    assert not compatible_with_patient(unit("O+", kind="plasma"), a_pos, now=NOW)


def test_an_unconfirmed_patient_gets_group_o_red_cells_and_ab_plasma_only():
    single = profile(grouping("A+", 1), sex="F", born=date(1995, 1, 1))
    red = {g for g in ("O-", "O+", "A-", "A+") if compatible_with_patient(unit(g), single, now=NOW)}
    assert red == {"O-"}  # a woman under 50: RhD-negative
    plasma = {g for g in ("O+", "A+", "B+", "AB+") if compatible_with_patient(unit(g, kind="plasma"), single, now=NOW)}
    assert plasma == {"AB+"}


def test_an_unconfirmed_man_may_have_o_positive_red_cells():
    single = profile(grouping("A+", 1), sex="M")
    assert compatible_with_patient(unit("O+"), single, now=NOW)
    assert not compatible_with_patient(unit("A+"), single, now=NOW)


def test_a_unit_of_unknown_group_or_kind_is_never_compatible():
    confirmed = profile(grouping("AB+", 1), grouping("AB+", 2))
    assert not compatible_with_patient(unit(None), confirmed, now=NOW)
    assert not compatible_with_patient(unit("AB+", kind="granulocytes"), confirmed, now=NOW)


def test_low_titer_group_o_whole_blood_suits_a_patient_of_unknown_group():
    man = profile(sex="M")
    assert compatible_with_patient(unit("O+", kind="ltowb", low_titer=True), man, now=NOW)
    assert not compatible_with_patient(unit("O+", kind="whole_blood", low_titer=False), man, now=NOW)
