from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from importlib import resources

import pytest

from bloodbank.domain.eligibility import (
    DEFERRAL_VOCABULARY,
    RULE_SETS,
    DonationKind,
    RuleSetError,
    load_rule_set,
    rule_set_from_toml,
)
from bloodbank.domain.eligibility.rules import BySex
from bloodbank.domain.errors import InvalidInput


def _get(obj, path: str):
    for part in path.split("."):
        obj = obj[part] if isinstance(obj, Mapping) else getattr(obj, part)
    return obj


def _packaged_text(name: str) -> str:
    return resources.files("bloodbank.domain").joinpath("rules", "eligibility", f"{name}.toml").read_text("utf-8")


# The figures of the reference table (shared/reference/eligibility.md), one per line.
REFERENCE_FIGURES = [
    # WHO 2012
    ("who", "age.minimum", 18),
    ("who", "age.minimum_with_consent", 17),
    ("who", "age.maximum_first_time", 60),
    ("who", "age.maximum_repeat", 65),
    ("who", "weight.minimum_kg.whole_blood", BySex(50, 50)),
    ("who", "weight.reduced_volume.minimum_kg", 45),
    ("who", "haemoglobin.minimum_g_dl", BySex(F=12.0, M=13.0)),
    ("who", "blood_pressure.systolic_max", 180),
    ("who", "blood_pressure.diastolic_max", 100),
    ("who", "pulse.minimum", 50),
    ("who", "pulse.maximum", 100),
    ("who", "temperature.maximum_c", 37.5),
    ("who", "intervals.whole_blood.days.whole_blood", BySex(F=112, M=84)),
    ("who", "volume.max_fraction_of_ebv", 0.13),
    ("who", "deferrals.tattoo.months", 12),
    ("who", "deferrals.malaria_area_travel.months", 12),
    ("who", "deferrals.pregnancy.months", 9),
    # EU 2004/33/EC
    ("eu", "age.minimum", 18),
    ("eu", "age.minimum_with_consent", 17),
    ("eu", "age.maximum_first_time", 60),
    ("eu", "age.maximum_repeat", 65),
    ("eu", "weight.minimum_kg.whole_blood", BySex(50, 50)),
    ("eu", "weight.minimum_kg.plasma", BySex(50, 50)),
    ("eu", "haemoglobin.minimum_g_dl", BySex(F=12.5, M=13.5)),
    ("eu", "intervals.whole_blood.days.whole_blood", BySex(56, 56)),
    ("eu", "intervals.plasma.days.plasma", BySex(2, 2)),
    ("eu", "volume.max_fraction_of_ebv", 0.13),
    ("eu", "deferrals.tattoo.months", 6),
    ("eu", "deferrals.malaria_area_travel.months", 6),
    ("eu", "deferrals.pregnancy.months", 6),
    ("eu", "deferrals.major_surgery.months", 6),
    # US FDA
    ("us-fda", "age.minimum", 17),
    ("us-fda", "age.minimum_with_consent", 16),
    ("us-fda", "age.maximum_first_time", None),
    ("us-fda", "age.maximum_repeat", None),
    ("us-fda", "weight.minimum_kg.whole_blood", BySex(50, 50)),
    ("us-fda", "haemoglobin.minimum_g_dl", BySex(F=12.5, M=13.0)),
    ("us-fda", "blood_pressure.systolic_max", 180),
    ("us-fda", "blood_pressure.systolic_min", 90),
    ("us-fda", "blood_pressure.diastolic_max", 100),
    ("us-fda", "blood_pressure.diastolic_min", 50),
    ("us-fda", "pulse.minimum", 50),
    ("us-fda", "pulse.maximum", 100),
    ("us-fda", "pulse.low_discretion", True),
    ("us-fda", "temperature.maximum_c", 37.5),
    ("us-fda", "intervals.whole_blood.days.whole_blood", BySex(56, 56)),
    ("us-fda", "intervals.double_red_cells.days.double_red_cells", BySex(112, 112)),
    ("us-fda", "intervals.plasma.days.plasma", BySex(2, 2)),
    ("us-fda", "intervals.platelets.days.platelets", BySex(2, 2)),
    ("us-fda", "volume.max_ml_per_kg", 10.5),
    ("us-fda", "deferrals.tattoo.months", 3),
    ("us-fda", "deferrals.malaria_area_travel.months", 3),
    ("us-fda", "deferrals.pregnancy.days", 42),
    ("us-fda", "deferrals.major_surgery.until_recovered", True),
    ("us-fda", "deferrals.injecting_drug_use.permanent", False),
    # UK JPAC
    ("uk", "age.minimum", 17),
    ("uk", "age.maximum_first_time", 65),
    ("uk", "weight.minimum_kg.whole_blood", BySex(50, 50)),
    ("uk", "weight.minimum_kg.double_red_cells", BySex(70, 70)),
    ("uk", "haemoglobin.minimum_g_dl", BySex(F=12.5, M=13.5)),
    ("uk", "haemoglobin.maximum_g_dl", BySex(F=16.5, M=18.0)),
    ("uk", "intervals.whole_blood.days.whole_blood", BySex(84, 84)),
    ("uk", "volume.max_fraction_of_ebv", 0.15),
    ("uk", "deferrals.pregnancy.months", 6),
    ("uk", "deferrals.tattoo.months", 4),
    ("uk", "deferrals.malaria_area_travel.months", 12),
]


@pytest.mark.parametrize(("name", "path", "expected"), REFERENCE_FIGURES)
def test_each_regime_carries_the_figure_of_the_reference_table(name, path, expected):
    assert _get(load_rule_set(name), path) == expected


@pytest.mark.parametrize(("name", "figures"), [
    ("eu", BySex(F=4, M=6)),
    ("uk", BySex(F=3, M=4)),
])
def test_yearly_whole_blood_limits_differ_for_women_and_men(name, figures):
    rule = next(r for r in load_rule_set(name).frequency if r.id == "whole_blood_yearly")
    assert rule.maximum == figures
    assert rule.window_months == 12
    assert rule.counts == {"whole_blood": 1, "double_red_cells": 2}


def test_us_apheresis_is_limited_to_two_donations_in_seven_days_and_platelets_to_24_a_year():
    limits = {r.id: (r.maximum, r.window_days, r.window_months) for r in load_rule_set("us-fda").frequency}
    assert limits == {
        "plasma_weekly": (BySex(2, 2), 7, None),
        "platelets_weekly": (BySex(2, 2), 7, None),
        "platelets_yearly": (BySex(24, 24), None, 12),
    }


@pytest.mark.parametrize("name", RULE_SETS)
def test_every_regime_estimates_blood_volume_at_70_ml_per_kg_for_men_and_65_for_women(name):
    volume = load_rule_set(name).volume
    assert volume.ebv_ml_per_kg == BySex(F=65, M=70)
    assert (volume.standard_ml, volume.standard_tolerance) == (450, 0.10)


def test_only_the_who_regime_offers_a_350_ml_donation_from_45_kg():
    offers = {name: load_rule_set(name).weight.reduced_volume for name in RULE_SETS}
    assert offers["who"].minimum_kg == 45 and offers["who"].maximum_volume_ml == 385
    assert [name for name, offer in offers.items() if offer is not None] == ["who"]


def test_us_double_red_cells_need_130_lb_for_men_and_150_lb_for_women_and_say_height_is_not_checked():
    weight = load_rule_set("us-fda").weight
    assert weight.minimum_kg["double_red_cells"] == BySex(F=68.1, M=59.0)
    assert "height is not checked" in weight.source_for("double_red_cells")


def test_uk_regular_donors_may_go_on_past_the_returning_donor_age_limit():
    age = load_rule_set("uk").age
    assert (age.maximum_repeat, age.regular_donor_months) == (71, 24)


@pytest.mark.parametrize("name", RULE_SETS)
def test_every_regime_defines_the_core_deferrals(name):
    deferrals = load_rule_set(name).deferrals
    for code in ("tattoo", "malaria_area_travel", "pregnancy", "major_surgery"):
        assert not deferrals[code].permanent, code
    for code in ("hiv", "hbv", "hcv", "htlv", "cjd_risk", "cancer", "serious_cardiovascular_disease"):
        assert deferrals[code].permanent, code


@pytest.mark.parametrize("name", RULE_SETS)
def test_every_deferral_code_of_a_regime_belongs_to_the_shared_vocabulary(name):
    assert set(load_rule_set(name).deferrals) <= set(DEFERRAL_VOCABULARY)


def test_injecting_drug_use_is_permanent_except_under_the_us_individual_risk_assessment():
    permanent = {name: load_rule_set(name).deferrals["injecting_drug_use"].permanent for name in RULE_SETS}
    assert permanent == {"who": True, "eu": True, "us-fda": False, "uk": True}


def _sources(value):
    if dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            if field.name in ("source", "maximum_source") and getattr(value, field.name) is not None:
                yield getattr(value, field.name)
            else:
                yield from _sources(getattr(value, field.name))
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _sources(item)
    elif isinstance(value, tuple):
        for item in value:
            yield from _sources(item)


@pytest.mark.parametrize("name", RULE_SETS)
def test_every_rule_names_its_source(name):
    rule_set = load_rule_set(name)
    sources = list(_sources(rule_set))
    assert len(sources) > 20
    assert all(source.strip() for source in sources)
    assert rule_set.sources


@pytest.mark.parametrize(("name", "path"), [
    ("who", "blood_pressure.source"),
    ("who", "pulse.source"),
    ("who", "deferrals.tattoo.source"),
    ("who", "deferrals.pregnancy.source"),
    ("eu", "volume.source"),
    ("eu", "deferrals.major_surgery.source"),
    ("us-fda", "weight.kind_sources.double_red_cells"),
])
def test_figures_not_read_in_the_primary_text_are_marked_to_verify(name, path):
    assert "secondary; to verify" in _get(load_rule_set(name), path)


@pytest.mark.parametrize("name", RULE_SETS)
def test_every_regime_has_an_interval_after_every_kind_before_every_kind_it_covers(name):
    rule_set = load_rule_set(name)
    for previous in DonationKind:
        assert set(rule_set.intervals[previous.value].days) == set(rule_set.kinds)


def test_who_and_eu_leave_double_red_cells_to_national_rules():
    assert "double_red_cells" not in load_rule_set("who").kinds
    assert "double_red_cells" not in load_rule_set("eu").kinds
    assert load_rule_set("who").kinds == ("whole_blood",)


def test_a_rule_set_is_read_once_and_then_served_from_the_cache():
    assert load_rule_set("uk") is load_rule_set(" UK ")


def test_an_unknown_rule_set_is_refused_with_the_known_names():
    with pytest.raises(InvalidInput, match=r"Unknown rule set 'mars'\. Use one of: who, eu, us-fda, uk\."):
        load_rule_set("mars")


def test_a_rule_file_with_an_unknown_key_is_refused_at_load():
    text = _packaged_text("who").replace("[temperature]\n", "[temperature]\nmaximum_f = 99.5\n")
    with pytest.raises(RuleSetError, match=r"temperature: unknown key\(s\) maximum_f"):
        rule_set_from_toml(text)


def test_a_rule_without_a_source_is_refused_at_load():
    text = _packaged_text("who").replace('source = "WHO 2012, 4.5.2 Body temperature"\n', "")
    with pytest.raises(RuleSetError, match="temperature: missing required key 'source'"):
        rule_set_from_toml(text)


def test_an_unknown_table_is_refused_at_load():
    with pytest.raises(RuleSetError, match=r"unknown table\(s\) respiration"):
        rule_set_from_toml(_packaged_text("who") + "\n[respiration]\nmaximum = 20\nsource = \"x\"\n")


def test_an_interval_table_that_misses_a_previous_kind_is_refused_at_load():
    text = _packaged_text("who").replace("[intervals.platelets]\nwhole_blood = 14\n", "[intervals.platelets]\n", 1)
    with pytest.raises(RuleSetError, match="intervals.platelets: no interval before whole_blood"):
        rule_set_from_toml(text)


def test_a_deferral_code_outside_the_vocabulary_is_refused_at_load():
    text = _packaged_text("who") + '\n[deferrals.sunburn]\ndescription = "Sunburn"\ndays = 3\nsource = "x"\n'
    with pytest.raises(RuleSetError, match="'sunburn' is not a known deferral code"):
        rule_set_from_toml(text)


def test_a_deferral_with_two_durations_is_refused_at_load():
    text = _packaged_text("who").replace("[deferrals.tattoo]\n", "[deferrals.tattoo]\ndays = 30\n")
    with pytest.raises(RuleSetError, match="deferrals.tattoo: give exactly one of days, weeks, months"):
        rule_set_from_toml(text)


def test_a_figure_that_is_not_a_positive_number_is_refused_at_load():
    text = _packaged_text("who").replace("maximum_c = 37.5", 'maximum_c = "hot"')
    with pytest.raises(RuleSetError, match="temperature.maximum_c: expected a positive number"):
        rule_set_from_toml(text)


def test_text_that_is_not_toml_is_refused_at_load():
    with pytest.raises(RuleSetError, match="not valid TOML"):
        rule_set_from_toml("[rule_set\nname = ")
