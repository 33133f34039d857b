from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bloodbank.domain.eligibility import (
    DEFERRAL_VOCABULARY,
    RULE_SETS,
    DeferralRecord,
    DonationKind,
    DonorFacts,
    PastDonation,
    check_collection_volume,
    deferral_codes,
    evaluate,
    facts_from_mapping,
    load_rule_set,
    max_collection_volume_ml,
    next_eligible_date,
)
from bloodbank.domain.eligibility.dates import add_months, age_in_years, birthday
from bloodbank.domain.errors import InvalidInput, VolumeTooHigh

ON = date(2024, 6, 3)
WB, DRC, PLASMA, PLATELETS = (DonationKind.WHOLE_BLOOD, DonationKind.DOUBLE_RED_CELLS,
                              DonationKind.PLASMA, DonationKind.PLATELETS)


def donor(**changes) -> DonorFacts:
    """A healthy 34-year-old repeat donor whom every regime accepts for whole blood."""
    base = DonorFacts(
        on=ON, date_of_birth=date(1990, 5, 15), sex="F", weight_kg=72.0, hemoglobin_g_dl=14.0,
        systolic=120.0, diastolic=80.0, pulse=70.0, temperature_c=36.6, first_time=False, kind=WB,
    )
    return replace(base, **changes)


def aged(years: int, **changes) -> DonorFacts:
    return donor(date_of_birth=date(ON.year - years, 1, 1), **changes)


def gave(*entries: tuple[int, DonationKind]) -> tuple[PastDonation, ...]:
    return tuple(PastDonation(ON - timedelta(days=days_ago), kind) for days_ago, kind in entries)


def deferred(code: str, since: date, until: date | None = None) -> tuple[DeferralRecord, ...]:
    return (DeferralRecord(code, since, until),)


def rules_failed(facts: DonorFacts, name: str) -> list[str]:
    return [f.rule for f in evaluate(facts, load_rule_set(name)).failed]


# -- a healthy donor ------------------------------------------------------------

@pytest.mark.parametrize("name", RULE_SETS)
def test_a_healthy_repeat_donor_is_eligible_for_whole_blood_under_every_regime(name):
    decision = evaluate(donor(), load_rule_set(name))
    assert decision.eligible
    assert decision.reasons == () and decision.failed == ()
    assert decision.next_eligible_date is None and not decision.permanent


@pytest.mark.parametrize(("name", "kind"), [
    ("eu", PLASMA), ("eu", PLATELETS), ("us-fda", DRC), ("us-fda", PLASMA), ("us-fda", PLATELETS),
    ("uk", DRC), ("uk", PLASMA), ("uk", PLATELETS),
])
def test_a_healthy_heavy_man_is_eligible_for_each_apheresis_kind_the_regime_covers(name, kind):
    assert evaluate(donor(sex="M", weight_kg=80.0, hemoglobin_g_dl=15.0, kind=kind), load_rule_set(name)).eligible


# -- each hard rule failing on its own ------------------------------------------

HARD_FAILURES = [
    ("who", {"weight_kg": 44.0}, "weight.minimum"),
    ("eu", {"weight_kg": 49.5}, "weight.minimum"),
    ("uk", {"kind": DRC, "sex": "M", "weight_kg": 65.0, "hemoglobin_g_dl": 15.0}, "weight.minimum"),
    ("us-fda", {"kind": DRC, "weight_kg": 65.0}, "weight.minimum"),
    ("who", {"hemoglobin_g_dl": 11.9}, "haemoglobin.minimum"),
    ("us-fda", {"sex": "M", "hemoglobin_g_dl": 12.9}, "haemoglobin.minimum"),
    ("uk", {"kind": DRC, "sex": "M", "weight_kg": 80.0, "hemoglobin_g_dl": 13.9}, "haemoglobin.minimum"),
    ("uk", {"hemoglobin_g_dl": 16.6}, "haemoglobin.maximum"),
    ("who", {"systolic": 181.0}, "blood_pressure.systolic.high"),
    ("us-fda", {"systolic": 89.0}, "blood_pressure.systolic.low"),
    ("eu", {"diastolic": 101.0}, "blood_pressure.diastolic.high"),
    ("us-fda", {"diastolic": 49.0}, "blood_pressure.diastolic.low"),
    ("who", {"pulse": 101.0}, "pulse.high"),
    ("who", {"pulse": 49.0}, "pulse.low"),
    ("us-fda", {"temperature_c": 37.6}, "temperature.high"),
    ("who", {"kind": PLASMA}, "kind.unsupported"),
    ("eu", {"kind": DRC}, "kind.unsupported"),
    ("uk", {"first_time": True, "date_of_birth": date(1958, 1, 1)}, "age.first_time_maximum"),
    ("eu", {"deferrals": deferred("hiv", date(2020, 1, 1))}, "deferral.hiv"),
    ("us-fda", {"deferrals": deferred("tattoo", ON - timedelta(days=10))}, "deferral.tattoo"),
    ("uk", {"donations": gave((30, WB))}, "interval.whole_blood"),
]


@pytest.mark.parametrize(("name", "changes", "rule"), HARD_FAILURES)
def test_each_hard_rule_failing_alone_makes_the_donor_ineligible_with_that_one_reason(name, changes, rule):
    decision = evaluate(donor(**changes), load_rule_set(name))
    assert not decision.eligible
    assert [f.rule for f in decision.failed] == [rule]
    assert decision.failed[0].hard
    assert decision.reasons == (decision.failed[0].message,)


def test_a_low_haemoglobin_is_reported_with_the_value_the_limit_and_the_source():
    decision = evaluate(donor(hemoglobin_g_dl=11.8), load_rule_set("eu"))
    assert decision.reasons == (
        "Haemoglobin 11.8 g/dL is below the minimum of 12.5 g/dL for women (EU 2004/33/EC Annex III 1.2).",
    )


def test_a_haemoglobin_just_under_the_limit_is_not_shown_rounded_up_to_it():
    decision = evaluate(donor(hemoglobin_g_dl=12.49), load_rule_set("uk"))
    assert decision.reasons[0].startswith("Haemoglobin 12.49 g/dL is below the minimum of 12.5 g/dL for women")


def test_a_low_haemoglobin_is_a_same_day_measurement_and_promises_no_date():
    decision = evaluate(donor(hemoglobin_g_dl=11.8), load_rule_set("eu"))
    assert decision.failed[0].clears_on is None
    assert decision.next_eligible_date is None
    assert not decision.permanent


def test_a_slow_pulse_under_us_rules_is_left_to_the_physician_for_a_healthy_athlete():
    failed = evaluate(donor(pulse=46.0), load_rule_set("us-fda")).failed
    assert [(f.rule, f.hard) for f in failed] == [("pulse.low", False)]
    assert "healthy athlete" in failed[0].message


def test_the_uk_rule_set_does_not_ask_for_blood_pressure_pulse_or_temperature():
    facts = donor(systolic=None, diastolic=None, pulse=None, temperature_c=None)
    assert evaluate(facts, load_rule_set("uk")).eligible


# -- several failures at once ---------------------------------------------------

def test_every_failing_rule_is_reported_not_only_the_first():
    facts = donor(
        weight_kg=48.0, hemoglobin_g_dl=11.0, temperature_c=38.2,
        donations=gave((20, WB)), deferrals=deferred("tattoo", ON - timedelta(days=5)),
    )
    decision = evaluate(facts, load_rule_set("who"))
    assert [f.rule for f in decision.failed] == [
        "weight.minimum", "haemoglobin.minimum", "temperature.high", "interval.whole_blood", "deferral.tattoo",
    ]
    assert len(decision.reasons) == 5
    assert decision.next_eligible_date is None  # weight, Hb and temperature carry no date


def test_when_every_failure_is_time_limited_the_next_date_is_the_latest_of_them():
    facts = donor(donations=gave((30, WB)), deferrals=deferred("tattoo", date(2024, 5, 1)))
    decision = evaluate(facts, load_rule_set("us-fda"))
    clears = {f.rule: f.clears_on for f in decision.failed}
    assert clears == {"interval.whole_blood": ON - timedelta(days=30) + timedelta(days=56),
                      "deferral.tattoo": date(2024, 8, 1)}
    assert decision.next_eligible_date == date(2024, 8, 1)


# -- missing facts --------------------------------------------------------------

def test_missing_measurements_are_reasons_not_crashes():
    facts = donor(weight_kg=None, hemoglobin_g_dl=None, systolic=None, diastolic=None, pulse=None,
                  temperature_c=None)
    decision = evaluate(facts, load_rule_set("who"))
    assert [f.rule for f in decision.failed] == [
        "weight.missing", "haemoglobin.missing", "blood_pressure.missing", "pulse.missing", "temperature.missing",
    ]
    assert "Weight not recorded." in decision.reasons
    assert "Blood pressure not recorded (systolic and diastolic)." in decision.reasons
    assert decision.next_eligible_date is None


def test_a_missing_date_of_birth_is_a_reason():
    decision = evaluate(donor(date_of_birth=None), load_rule_set("eu"))
    assert decision.reasons == ("Date of birth not recorded: age cannot be checked.",)


def test_without_a_recorded_sex_the_stricter_limit_applies_and_the_gap_is_a_reason():
    decision = evaluate(donor(sex=None, hemoglobin_g_dl=13.2), load_rule_set("eu"))
    assert [f.rule for f in decision.failed] == ["sex.missing", "haemoglobin.minimum"]
    assert "13.5 g/dL (the stricter figure: sex not recorded)" in decision.reasons[1]


# -- intervals ------------------------------------------------------------------

def test_us_whole_blood_may_follow_whole_blood_after_56_days_and_not_before():
    rules = load_rule_set("us-fda")
    early = evaluate(donor(donations=gave((55, WB))), rules)
    assert [f.rule for f in early.failed] == ["interval.whole_blood"]
    assert early.next_eligible_date == ON + timedelta(days=1)
    assert "needs 56 days after it" in early.reasons[0]
    assert evaluate(donor(donations=gave((56, WB))), rules).eligible


@pytest.mark.parametrize(("sex", "eligible"), [("M", True), ("F", False)])
def test_who_spaces_whole_blood_12_weeks_for_men_and_16_for_women(sex, eligible):
    decision = evaluate(donor(sex=sex, hemoglobin_g_dl=14.0, donations=gave((90, WB))), load_rule_set("who"))
    assert decision.eligible is eligible
    if not eligible:
        assert decision.next_eligible_date == ON - timedelta(days=90) + timedelta(days=112)


def test_without_a_recorded_sex_the_longer_interval_applies():
    failed = evaluate(donor(sex=None, donations=gave((90, WB))), load_rule_set("who")).failed
    interval = next(f for f in failed if f.rule == "interval.whole_blood")
    assert interval.clears_on == ON - timedelta(days=90) + timedelta(days=112)


def test_uk_plasma_may_follow_whole_blood_after_four_weeks():
    rules = load_rule_set("uk")
    assert rules_failed(donor(kind=PLASMA, donations=gave((27, WB))), "uk") == ["interval.whole_blood"]
    assert evaluate(donor(kind=PLASMA, donations=gave((28, WB))), rules).eligible


def test_us_whole_blood_after_double_red_cells_waits_16_weeks():
    failed = evaluate(donor(donations=gave((100, DRC))), load_rule_set("us-fda")).failed
    assert [(f.rule, f.clears_on) for f in failed] == [("interval.double_red_cells", ON + timedelta(days=12))]


def test_a_cross_kind_interval_uses_the_source_of_that_pair():
    failed = evaluate(donor(kind=PLASMA, donations=gave((10, WB))), load_rule_set("uk")).failed
    assert "Red Book 3.6.2: 4 weeks after whole blood before plasma or platelets" in failed[0].message


def test_only_the_latest_donation_of_each_kind_sets_its_interval():
    failed = evaluate(donor(kind=PLASMA, donations=gave((200, WB), (20, WB), (5, PLASMA))),
                      load_rule_set("uk")).failed
    assert [(f.rule, f.clears_on) for f in failed] == [
        ("interval.whole_blood", ON + timedelta(days=8)),
        ("interval.plasma", ON + timedelta(days=9)),
    ]


# -- donations per period ---------------------------------------------------------

def test_a_uk_woman_may_give_whole_blood_three_times_in_twelve_months_and_a_man_four():
    history = gave((300, WB), (200, WB), (100, WB))
    woman = evaluate(donor(sex="F", donations=history), load_rule_set("uk"))
    assert [f.rule for f in woman.failed] == ["frequency.whole_blood_yearly"]
    assert woman.next_eligible_date == add_months(ON - timedelta(days=300), 12)
    assert "above the maximum of 3 for women" in woman.reasons[0]
    assert evaluate(donor(sex="M", hemoglobin_g_dl=15.0, donations=history), load_rule_set("uk")).eligible


def test_a_double_red_cell_donation_counts_twice_towards_the_yearly_whole_blood_limit():
    history = gave((300, DRC), (100, WB))
    assert rules_failed(donor(donations=history), "uk") == ["frequency.whole_blood_yearly"]


def test_us_plasma_is_limited_to_two_donations_in_any_seven_days():
    decision = evaluate(donor(kind=PLASMA, donations=gave((4, PLASMA), (2, PLASMA))), load_rule_set("us-fda"))
    assert [f.rule for f in decision.failed] == ["frequency.plasma_weekly"]
    assert decision.next_eligible_date == ON + timedelta(days=3)


def test_us_platelets_are_limited_to_24_in_twelve_months():
    history = gave(*[(7 + 14 * week, PLATELETS) for week in range(24)])
    decision = evaluate(donor(kind=PLATELETS, donations=history), load_rule_set("us-fda"))
    assert [f.rule for f in decision.failed] == ["frequency.platelets_yearly"]
    oldest = ON - timedelta(days=7 + 14 * 23)
    assert decision.next_eligible_date == add_months(oldest, 12)


# -- deferrals --------------------------------------------------------------------

@pytest.mark.parametrize(("name", "clears"), [
    ("who", date(2025, 3, 15)), ("eu", date(2024, 9, 15)), ("us-fda", date(2024, 6, 15)), ("uk", date(2024, 7, 15)),
])
def test_a_tattoo_defers_for_the_period_of_each_regime(name, clears):
    decision = evaluate(donor(deferrals=deferred("tattoo", date(2024, 3, 15))), load_rule_set(name))
    assert [(f.rule, f.clears_on, f.permanent) for f in decision.failed] == [("deferral.tattoo", clears, False)]
    assert decision.next_eligible_date == clears
    assert evaluate(donor(on=clears, deferrals=deferred("tattoo", date(2024, 3, 15))), load_rule_set(name)).eligible


@pytest.mark.parametrize(("name", "code", "since", "clears"), [
    ("who", "malaria_area_travel", date(2024, 1, 10), date(2025, 1, 10)),
    ("eu", "malaria_area_travel", date(2024, 1, 10), date(2024, 7, 10)),
    ("us-fda", "malaria_area_travel", date(2024, 4, 10), date(2024, 7, 10)),
    ("who", "pregnancy", date(2024, 1, 10), date(2024, 10, 10)),
    ("us-fda", "pregnancy", date(2024, 5, 1), date(2024, 6, 12)),
    ("uk", "pregnancy", date(2024, 1, 10), date(2024, 7, 10)),
    ("eu", "major_surgery", date(2024, 1, 10), date(2024, 7, 10)),
    ("eu", "acute_infection", date(2024, 5, 30), date(2024, 6, 13)),
    ("us-fda", "new_sexual_partner", date(2024, 4, 1), date(2024, 7, 1)),
])
def test_time_limited_deferrals_clear_on_the_date_the_regime_sets(name, code, since, clears):
    failed = evaluate(donor(deferrals=deferred(code, since)), load_rule_set(name)).failed
    assert [(f.rule, f.clears_on) for f in failed] == [(f"deferral.{code}", clears)]


def test_a_period_ending_on_a_day_the_month_lacks_ends_on_the_first_of_the_next_month():
    failed = evaluate(donor(on=date(2024, 2, 1), deferrals=deferred("pregnancy", date(2023, 8, 31))),
                      load_rule_set("eu")).failed
    assert failed[0].clears_on == date(2024, 3, 1)


def test_a_physicians_later_end_date_extends_a_deferral():
    failed = evaluate(donor(deferrals=deferred("tattoo", date(2024, 3, 15), until=date(2024, 9, 1))),
                      load_rule_set("uk")).failed
    assert failed[0].clears_on == date(2024, 9, 1)


def test_a_permanent_deferral_leaves_no_next_date():
    decision = evaluate(donor(donations=gave((10, WB)), deferrals=deferred("hcv", date(2019, 4, 1))),
                        load_rule_set("who"))
    assert decision.permanent
    assert decision.next_eligible_date is None
    hcv = next(f for f in decision.failed if f.rule == "deferral.hcv")
    assert hcv.permanent and hcv.clears_on is None and "permanent deferral" in hcv.message


def test_a_us_major_surgery_defers_until_the_physician_records_recovery():
    rules = load_rule_set("us-fda")
    open_ended = evaluate(donor(deferrals=deferred("major_surgery", date(2024, 5, 1))), rules)
    assert open_ended.failed[0].clears_on is None and "until recovered" in open_ended.reasons[0]
    cleared_later = evaluate(donor(deferrals=deferred("major_surgery", date(2024, 5, 1), until=date(2024, 7, 1))), rules)
    assert cleared_later.next_eligible_date == date(2024, 7, 1)
    assert evaluate(donor(deferrals=deferred("major_surgery", date(2024, 5, 1), until=ON)), rules).eligible


def test_a_deferral_the_regime_does_not_define_is_never_ignored():
    decision = evaluate(donor(deferrals=deferred("new_sexual_partner", date(2024, 5, 20))), load_rule_set("who"))
    assert not decision.eligible
    assert decision.reasons == (
        "Deferral 'new_sexual_partner' (recorded since 2024-05-20) has no rule in the WHO rule set: "
        "the responsible physician must decide.",
    )


def test_a_uk_transfusion_is_permanent_but_open_to_a_designated_medical_officer():
    failed = evaluate(donor(deferrals=deferred("blood_transfusion_received", date(2001, 1, 1))),
                      load_rule_set("uk")).failed
    assert [(f.permanent, f.hard) for f in failed] == [(True, False)]


def test_deferral_codes_list_each_code_with_its_meaning_and_duration():
    codes = deferral_codes(load_rule_set("uk"))
    assert codes["tattoo"] == "Tattoo or semi-permanent make-up (4 months)"
    assert codes["minor_surgery"] == "Minor surgery (1 week)"
    assert codes["hiv"] == "HIV infection (permanent)"
    assert set(codes) <= set(DEFERRAL_VOCABULARY)


# -- age --------------------------------------------------------------------------

def test_age_is_counted_in_completed_years():
    assert age_in_years(date(1990, 6, 4), ON) == 33
    assert age_in_years(date(1990, 6, 3), ON) == 34


def test_someone_born_on_29_february_has_a_birthday_on_1_march_in_a_common_year():
    born = date(2004, 2, 29)
    assert age_in_years(born, date(2022, 2, 28)) == 17
    assert age_in_years(born, date(2022, 3, 1)) == 18
    assert birthday(born, 18) == date(2022, 3, 1)
    assert age_in_years(born, date(2024, 2, 29)) == 20


def test_a_17_year_old_needs_consent_under_eu_rules_until_the_18th_birthday():
    facts = donor(on=date(2022, 2, 28), date_of_birth=date(2004, 2, 29))
    failed = evaluate(facts, load_rule_set("eu")).failed
    assert [(f.rule, f.clears_on, f.hard) for f in failed] == [("age.consent", date(2022, 3, 1), False)]
    assert evaluate(replace(facts, on=date(2022, 3, 1)), load_rule_set("eu")).eligible


def test_a_16_year_old_is_refused_under_eu_rules_until_the_17th_birthday():
    failed = evaluate(donor(date_of_birth=date(2007, 9, 1)), load_rule_set("eu")).failed
    assert [(f.rule, f.clears_on, f.hard) for f in failed] == [("age.minimum", date(2024, 9, 1), True)]


def test_a_17_year_old_may_give_under_uk_rules():
    assert evaluate(aged(17), load_rule_set("uk")).eligible


@pytest.mark.parametrize(("name", "first_time", "age", "rule", "hard"), [
    ("who", True, 61, "age.first_time_maximum", False),
    ("who", False, 66, "age.repeat_maximum", False),
    ("eu", True, 61, "age.first_time_maximum", False),
    ("eu", False, 66, "age.repeat_maximum", False),
    ("uk", True, 66, "age.first_time_maximum", True),
    ("uk", False, 72, "age.repeat_maximum", True),
])
def test_upper_age_limits_differ_for_first_time_and_repeat_donors(name, first_time, age, rule, hard):
    failed = evaluate(aged(age, first_time=first_time), load_rule_set(name)).failed
    assert [(f.rule, f.hard) for f in failed] == [(rule, hard)]


@pytest.mark.parametrize(("name", "age"), [("who", 61), ("eu", 65), ("uk", 70)])
def test_a_repeat_donor_above_the_first_time_limit_may_still_give(name, age):
    assert evaluate(aged(age, first_time=False), load_rule_set(name)).eligible


def test_a_uk_regular_donor_may_go_on_past_72_but_a_returning_donor_may_not():
    regular = aged(75, donations=gave((600, WB)))
    returning = aged(75, donations=gave((800, WB)))
    assert evaluate(regular, load_rule_set("uk")).eligible
    assert rules_failed(returning, "uk") == ["age.repeat_maximum"]


def test_the_us_sets_no_upper_age_limit():
    assert evaluate(aged(80, first_time=True), load_rule_set("us-fda")).eligible


# -- collection volume ---------------------------------------------------------------

@pytest.mark.parametrize(("name", "weight", "sex", "maximum"), [
    ("who", 50, "F", 422),   # 13 % × 65 mL/kg × 50 kg = 422.5
    ("who", 50, "M", 455),
    ("eu", 80, "M", 728),
    ("uk", 60, "F", 585),    # 15 % × 65 × 60
    ("us-fda", 60, "F", 630),  # 10.5 mL/kg
    ("us-fda", 60, None, 630),
    ("who", 50, None, 422),  # without a recorded sex, the smaller blood volume
])
def test_the_maximum_collection_volume_follows_each_regimes_formula(name, weight, sex, maximum):
    assert max_collection_volume_ml(weight, sex, load_rule_set(name)) == maximum


def test_a_planned_volume_above_the_maximum_is_refused_naming_both_figures():
    with pytest.raises(VolumeTooHigh, match=r"Planned volume 450 mL is above this donor's maximum of 422 mL \(13 %"):
        check_collection_volume(450, 50, "F", load_rule_set("who"))
    assert check_collection_volume(420, 50, "F", load_rule_set("who")) == 422


def test_a_collection_volume_check_refuses_a_nonsense_weight():
    with pytest.raises(InvalidInput, match="weight_kg must be a number above 0"):
        max_collection_volume_ml(0, "F", load_rule_set("who"))


def test_the_volume_cap_is_part_of_the_decision_when_a_volume_is_planned():
    rules = load_rule_set("who")
    assert rules_failed(donor(weight_kg=50.0, planned_volume_ml=450.0), "who") == ["volume.maximum"]
    assert evaluate(donor(weight_kg=50.0, planned_volume_ml=420.0), rules).eligible


def test_a_planned_volume_above_a_standard_donation_is_refused():
    assert rules_failed(donor(sex="M", weight_kg=100.0, hemoglobin_g_dl=15.0, planned_volume_ml=520.0),
                        "uk") == ["volume.standard"]


def test_a_who_donor_from_45_kg_may_give_350_ml_but_not_a_standard_donation():
    rules = load_rule_set("who")
    assert evaluate(donor(weight_kg=47.0, planned_volume_ml=350.0), rules).eligible
    standard = evaluate(donor(weight_kg=47.0), rules)
    assert [f.rule for f in standard.failed] == ["weight.minimum"]
    assert "from 45 kg a donation of at most 385 mL may be planned" in standard.reasons[0]


def test_the_eu_offers_no_reduced_donation_below_50_kg():
    assert rules_failed(donor(weight_kg=47.0, planned_volume_ml=350.0), "eu") == ["weight.minimum"]


# -- when may they give next --------------------------------------------------------

@pytest.mark.parametrize(("name", "sex", "days"), [
    ("us-fda", "F", 56), ("eu", "F", 56), ("uk", "F", 84), ("who", "F", 112), ("who", "M", 84),
])
def test_after_a_whole_blood_donation_today_the_next_follows_the_regimes_interval(name, sex, days):
    assert next_eligible_date(donor(sex=sex), load_rule_set(name)) == ON + timedelta(days=days)


def test_the_next_date_respects_the_yearly_limit_as_well_as_the_interval():
    facts = donor(donations=gave((250, WB), (120, WB)))
    # Today's donation is the third in twelve months: the next waits for the oldest to leave the window.
    assert next_eligible_date(facts, load_rule_set("uk")) == add_months(ON - timedelta(days=250), 12)


def test_the_next_date_can_be_asked_for_another_kind():
    assert next_eligible_date(donor(), load_rule_set("uk"), DonationKind.PLASMA) == ON + timedelta(days=28)
    assert next_eligible_date(donor(kind=PLASMA), load_rule_set("us-fda"), "whole_blood") == ON + timedelta(days=2)


def test_the_next_date_waits_for_a_running_deferral():
    facts = donor(deferrals=deferred("malaria_area_travel", date(2024, 5, 1)))
    assert next_eligible_date(facts, load_rule_set("who")) == date(2025, 5, 1)


def test_no_next_date_is_promised_under_a_permanent_deferral_or_for_an_uncovered_kind():
    assert next_eligible_date(donor(deferrals=deferred("hiv", date(2020, 1, 1))), load_rule_set("eu")) is None
    assert next_eligible_date(donor(), load_rule_set("who"), DonationKind.PLATELETS) is None


# -- reading facts --------------------------------------------------------------------

def test_facts_are_read_from_their_json_shape():
    facts = facts_from_mapping({
        "on": "2024-06-03", "date_of_birth": "1990-05-15", "sex": "f", "weight_kg": 72, "hemoglobin_g_dl": 14.0,
        "systolic": 120, "diastolic": 80, "pulse": 70, "temperature_c": 36.6, "first_time": False,
        "kind": "whole_blood", "donations": [{"date": "2024-01-10", "kind": "plasma"}],
        "deferrals": [{"code": "tattoo", "since": "2024-02-01"}], "planned_volume_ml": 450,
    })
    assert facts == donor(
        donations=(PastDonation(date(2024, 1, 10), PLASMA),),
        deferrals=(DeferralRecord("tattoo", date(2024, 2, 1)),), planned_volume_ml=450.0,
    )


def test_facts_without_measurements_are_read_and_left_for_evaluation():
    facts = facts_from_mapping({"on": "2024-06-03", "first_time": True, "kind": "plasma"})
    assert facts.weight_kg is None and facts.sex is None and facts.donations == ()


@pytest.mark.parametrize(("data", "message"), [
    ({"first_time": True, "kind": "plasma"}, "The field 'on' is required"),
    ({"on": "03/06/2024", "first_time": True, "kind": "plasma"}, "on must be a date written YYYY-MM-DD"),
    ({"on": "2024-06-03", "first_time": "yes", "kind": "plasma"}, "first_time must be true or false"),
    ({"on": "2024-06-03", "first_time": True, "kind": "lemonade"}, "kind must be one of whole_blood"),
    ({"on": "2024-06-03", "first_time": True, "kind": "plasma", "weight_kg": "70"}, "weight_kg must be a number"),
    ({"on": "2024-06-03", "first_time": True, "kind": "plasma", "pulse": True}, "pulse must be a number"),
    ({"on": "2024-06-03", "first_time": True, "kind": "plasma", "weight_kg": -3}, "weight_kg must be more than 0"),
    ({"on": "2024-06-03", "first_time": True, "kind": "plasma", "sex": "X"}, "sex must be"),
    ({"on": "2024-06-03", "first_time": True, "kind": "plasma", "hemoglobin": 14}, r"Unknown field\(s\): hemoglobin"),
    ({"on": "2024-06-03", "first_time": False, "kind": "plasma", "donations": [{"date": "2024-13-01", "kind": "plasma"}]},
     r"donations\[0\]\.date must be a date"),
    ({"on": "2024-06-03", "first_time": False, "kind": "plasma", "donations": [{"date": "2024-07-01", "kind": "plasma"}]},
     "is after the visit date"),
    ({"on": "2024-06-03", "first_time": True, "kind": "plasma", "donations": [{"date": "2024-01-01", "kind": "plasma"}]},
     "first_time is true but past donations are listed"),
    ({"on": "2024-06-03", "first_time": True, "kind": "plasma", "deferrals": [{"code": "sunburn", "since": "2024-06-01"}]},
     r"deferrals\[0\]\.code 'sunburn' is not a known deferral code"),
    ({"on": "2024-06-03", "first_time": True, "kind": "plasma", "deferrals": [{"code": "tattoo"}]},
     "The field 'since' is required"),
    ({"on": "2024-06-03", "first_time": True, "kind": "plasma", "deferrals": {"code": "tattoo"}},
     "deferrals must be a list of objects"),
])
def test_facts_that_cannot_be_read_with_certainty_are_refused(data, message):
    with pytest.raises(InvalidInput, match=message):
        facts_from_mapping(data)


# -- properties -------------------------------------------------------------------------

def _break_one_hard_rule(facts: DonorFacts, name: str, choice: int) -> tuple[DonorFacts, str]:
    rules = load_rule_set(name)
    breakers = [
        (lambda f: replace(f, weight_kg=30.0), "weight.minimum"),
        (lambda f: replace(f, hemoglobin_g_dl=9.0), "haemoglobin.minimum"),
        (lambda f: replace(f, weight_kg=None), "weight.missing"),
        (lambda f: replace(f, hemoglobin_g_dl=None), "haemoglobin.missing"),
        (lambda f: replace(f, date_of_birth=None), "age.missing"),
        (lambda f: replace(f, deferrals=(*f.deferrals, DeferralRecord("hiv", f.on))), "deferral.hiv"),
        (lambda f: replace(f, deferrals=(*f.deferrals, DeferralRecord("tattoo", f.on))), "deferral.tattoo"),
        (lambda f: replace(f, donations=(*f.donations, PastDonation(f.on, DonationKind.WHOLE_BLOOD))),
         "interval.whole_blood"),
    ]
    if rules.blood_pressure is not None:
        breakers.append((lambda f: replace(f, systolic=rules.blood_pressure.systolic_max + 1), "blood_pressure.systolic.high"))
    if rules.temperature is not None:
        breakers.append((lambda f: replace(f, temperature_c=rules.temperature.maximum_c + 0.5), "temperature.high"))
    breaker, rule = breakers[choice % len(breakers)]
    return breaker(facts), rule


@given(name=st.sampled_from(RULE_SETS), choice=st.integers(min_value=0, max_value=99),
       on=st.dates(min_value=date(2015, 1, 1), max_value=date(2035, 12, 31)),
       sex=st.sampled_from(["F", "M"]), years=st.integers(min_value=25, max_value=55))
def test_a_donor_who_fails_any_hard_rule_is_never_eligible(name, choice, on, sex, years):
    healthy = donor(on=on, sex=sex, date_of_birth=date(on.year - years, 1, 1), hemoglobin_g_dl=15.0)
    assert evaluate(healthy, load_rule_set(name)).eligible
    broken, rule = _break_one_hard_rule(healthy, name, choice)
    decision = evaluate(broken, load_rule_set(name))
    assert not decision.eligible
    assert rule in [f.rule for f in decision.failed]
    assert all(f.hard for f in decision.failed if f.rule == rule)


_codes = st.sampled_from(sorted(DEFERRAL_VOCABULARY))


@st.composite
def random_facts(draw) -> DonorFacts:
    on = draw(st.dates(min_value=date(2015, 1, 1), max_value=date(2035, 12, 31)))

    def maybe(strategy):
        return draw(st.one_of(st.none(), strategy))

    donations = draw(st.lists(
        st.tuples(st.integers(min_value=0, max_value=900), st.sampled_from(list(DonationKind))), max_size=8))
    deferrals = draw(st.lists(
        st.tuples(_codes, st.integers(min_value=-60, max_value=1500), st.one_of(st.none(), st.integers(-200, 400))),
        max_size=3))
    first_time = draw(st.booleans()) and not donations
    return DonorFacts(
        on=on,
        date_of_birth=maybe(st.dates(min_value=on - timedelta(days=365 * 90), max_value=on - timedelta(days=365 * 15))),
        sex=maybe(st.sampled_from(["F", "M"])),
        weight_kg=maybe(st.floats(min_value=40, max_value=130)),
        hemoglobin_g_dl=maybe(st.floats(min_value=10, max_value=19)),
        systolic=maybe(st.floats(min_value=80, max_value=200)),
        diastolic=maybe(st.floats(min_value=40, max_value=115)),
        pulse=maybe(st.floats(min_value=40, max_value=120)),
        temperature_c=maybe(st.floats(min_value=35.5, max_value=39)),
        first_time=first_time,
        kind=draw(st.sampled_from(list(DonationKind))),
        donations=tuple(PastDonation(on - timedelta(days=d), k) for d, k in donations),
        deferrals=tuple(
            DeferralRecord(code, on - timedelta(days=ago), None if until is None else on + timedelta(days=until))
            for code, ago, until in deferrals
        ),
        planned_volume_ml=maybe(st.floats(min_value=300, max_value=560)),
    )


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(facts=random_facts(), name=st.sampled_from(RULE_SETS))
def test_a_decision_is_consistent_and_its_next_date_really_clears_its_time_limited_rules(facts, name):
    rules = load_rule_set(name)
    decision = evaluate(facts, rules)
    if decision.eligible:
        assert decision.reasons == () and decision.failed == ()
        assert decision.next_eligible_date is None
        return
    assert decision.reasons == tuple(f.message for f in decision.failed)
    assert decision.permanent == any(f.permanent for f in decision.failed)
    if decision.next_eligible_date is None:
        return
    assert decision.next_eligible_date > facts.on
    assert all(f.clears_on is not None for f in decision.failed)
    later = evaluate(replace(facts, on=decision.next_eligible_date), rules)
    assert not {f.rule for f in decision.failed} & {f.rule for f in later.failed}


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(facts=random_facts(), name=st.sampled_from(RULE_SETS), kind=st.sampled_from(list(DonationKind)))
def test_on_the_promised_next_date_no_time_limited_rule_stands_in_the_way(facts, name, kind):
    rules = load_rule_set(name)
    day = next_eligible_date(facts, rules, kind)
    if day is None:
        return
    assert day > facts.on
    after = replace(facts, on=day, kind=kind, donations=(*facts.donations, PastDonation(facts.on, facts.kind)))
    time_rules = ("interval.", "frequency.", "deferral.", "age.", "kind.")
    assert [f.rule for f in evaluate(after, rules).failed if f.rule.startswith(time_rules)] == []


# -- fever, and figures checked against the regimes ------------------------------

@pytest.mark.parametrize("name", ["eu", "uk"])
def test_a_measured_fever_defers_even_where_the_regime_sets_no_temperature_limit(name):
    failed = evaluate(donor(temperature_c=38.4), load_rule_set(name)).failed
    assert [f.rule for f in failed] == ["fever"]
    assert "38.4 °C is a fever (above 38 °C)" in failed[0].message


@pytest.mark.parametrize("name", ["eu", "uk"])
def test_a_temperature_of_38_is_not_yet_a_fever(name):
    assert evaluate(donor(temperature_c=38.0), load_rule_set(name)).eligible


@pytest.mark.parametrize("name", ["who", "us-fda"])
def test_a_fever_is_refused_once_in_the_temperature_limits_own_words(name):
    assert rules_failed(donor(temperature_c=38.6), name) == ["temperature.high"]


@pytest.mark.parametrize("sex", ["F", "M"])
def test_us_double_red_cells_need_haemoglobin_13_3_whatever_the_sex(sex):
    heavy = donor(kind=DRC, sex=sex, weight_kg=80.0)
    assert rules_failed(replace(heavy, hemoglobin_g_dl=12.6), "us-fda") == ["haemoglobin.minimum"]
    assert rules_failed(replace(heavy, hemoglobin_g_dl=13.2), "us-fda") == ["haemoglobin.minimum"]
    assert evaluate(replace(heavy, hemoglobin_g_dl=13.3), load_rule_set("us-fda")).eligible


def test_us_transfusion_received_defers_three_months():
    since = ON - timedelta(days=80)
    failed = evaluate(donor(deferrals=deferred("blood_transfusion_received", since)), load_rule_set("us-fda")).failed
    assert [(f.rule, f.clears_on) for f in failed] == [("deferral.blood_transfusion_received", add_months(since, 3))]
