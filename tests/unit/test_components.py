import copy
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bloodbank.domain import components
from bloodbank.domain.components import (
    REGIMES,
    ComponentKind,
    ComponentRulesError,
    IrradiationTooLate,
    build_rules,
    can_derive,
    dose_refusal,
    expiry,
    pool_size_ok,
    read_packaged_data,
    spec,
    split_whole_blood,
    storage_ok,
)
from bloodbank.domain.errors import DomainError, InvalidInput

COLLECTED = datetime(2024, 3, 1, 10, 15)
kinds = st.sampled_from(list(ComponentKind))
regimes = st.sampled_from(REGIMES)
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1))


def test_the_component_kinds_are_exactly_the_eight_stored_values():
    assert {k.value for k in ComponentKind} == {
        "whole_blood", "ltowb", "red_cells", "plasma", "platelets_apheresis", "platelets_pooled",
        "platelet_concentrate", "cryo",
    }


@pytest.mark.parametrize("kind", list(ComponentKind))
@pytest.mark.parametrize("regime", REGIMES)
def test_every_kind_has_a_sourced_specification_in_every_regime(kind, regime):
    s = spec(kind, regime=regime)
    assert s.min_c < s.max_c and s.shelf_life > timedelta(0)
    assert s.display_name and s.source


@pytest.mark.parametrize("kind, regime, days", [
    ("red_cells", "eu", 35), ("red_cells", "uk", 35), ("red_cells", "us", 42), ("red_cells", "who", 35),
    ("plasma", "eu", 1095), ("plasma", "uk", 1095), ("plasma", "us", 365),
    ("cryo", "eu", 1095), ("cryo", "us", 365),
    ("whole_blood", "us", 35), ("ltowb", "eu", 35),
    ("platelets_apheresis", "eu", 5), ("platelets_pooled", "us", 5),
    ("platelet_concentrate", "eu", 5), ("platelet_concentrate", "uk", 5), ("platelet_concentrate", "us", 5),
    ("platelet_concentrate", "who", 5),
])
def test_shelf_lives_differ_by_regime_as_the_regulations_say(kind, regime, days):
    assert spec(kind, regime=regime).shelf_life == timedelta(days=days)


def test_only_platelets_are_agitated():
    agitated = {k for k in ComponentKind if spec(k).agitated}
    assert agitated == {ComponentKind.PLATELETS_APHERESIS, ComponentKind.PLATELETS_POOLED,
                        ComponentKind.PLATELET_CONCENTRATE}


# --- storage -----------------------------------------------------------------

@pytest.mark.parametrize("kind, regime, temperature, ok", [
    ("red_cells", "eu", 4.0, True), ("red_cells", "eu", 1.5, False), ("red_cells", "us", 1.5, True),
    ("red_cells", "eu", 6.0, True), ("red_cells", "eu", 6.1, False),
    ("platelets_pooled", "eu", 22.0, True), ("platelets_pooled", "eu", 4.0, False),
    ("platelet_concentrate", "eu", 22.0, True), ("platelet_concentrate", "us", 4.0, False),
    ("plasma", "eu", -30.0, True), ("plasma", "eu", -20.0, False), ("plasma", "us", -20.0, True),
    ("plasma", "us", -10.0, False), ("cryo", "uk", -80.0, True),
])
def test_storage_temperature_is_checked_against_the_regime_range(kind, regime, temperature, ok):
    assert storage_ok(kind, temperature, regime=regime) is ok


# --- expiry ------------------------------------------------------------------

@pytest.mark.parametrize("kind, regime, expected", [
    ("red_cells", "eu", datetime(2024, 4, 5, 23, 59)),
    ("red_cells", "us", datetime(2024, 4, 12, 23, 59)),
    ("plasma", "uk", datetime(2027, 3, 1, 23, 59)),
    ("plasma", "us", datetime(2025, 3, 1, 23, 59)),
    ("platelets_apheresis", "eu", datetime(2024, 3, 6, 23, 59)),
])
def test_a_unit_expires_at_23_59_on_the_last_day_counting_collection_day_as_day_0(kind, regime, expected):
    assert expiry(kind, COLLECTED, regime=regime) == expected


def test_the_time_of_day_of_collection_does_not_change_the_expiry():
    early, late = datetime(2024, 3, 1, 0, 1), datetime(2024, 3, 1, 23, 58)
    assert expiry("red_cells", early) == expiry("red_cells", late)


@pytest.mark.parametrize("kind", ["platelets_apheresis", "platelets_pooled", "platelet_concentrate"])
def test_platelets_keep_5_days_or_7_with_bacterial_screening(kind):
    assert expiry(kind, COLLECTED) == datetime(2024, 3, 6, 23, 59)
    assert expiry(kind, COLLECTED, bacterial_screened=True) == datetime(2024, 3, 8, 23, 59)


def test_bacterial_screening_does_not_lengthen_red_cells():
    assert expiry("red_cells", COLLECTED, bacterial_screened=True) == expiry("red_cells", COLLECTED)


def test_an_aware_collection_time_gives_an_expiry_in_the_same_zone():
    tz = timezone(timedelta(hours=1))
    assert expiry("red_cells", COLLECTED.replace(tzinfo=tz)) == datetime(2024, 4, 5, 23, 59, tzinfo=tz)


# --- irradiation -------------------------------------------------------------

@pytest.mark.parametrize("regime", ["uk", "eu"])
@pytest.mark.parametrize("irradiated, expected", [
    (datetime(2024, 3, 2, 9, 0), datetime(2024, 3, 16, 23, 59)),
    (datetime(2024, 3, 11, 9, 0), datetime(2024, 3, 25, 23, 59)),
    (datetime(2024, 3, 15, 16, 0), datetime(2024, 3, 29, 23, 59)),
])
def test_irradiated_red_cells_expire_14_days_after_irradiation_in_the_uk_and_eu(regime, irradiated, expected):
    assert expiry("red_cells", COLLECTED, regime=regime, irradiated_at=irradiated) == expected


@pytest.mark.parametrize("regime", ["uk", "eu"])
def test_red_cells_irradiated_after_day_14_are_refused(regime):
    with pytest.raises(IrradiationTooLate, match="day 15 after collection.*only up to day 14"):
        expiry("red_cells", COLLECTED, regime=regime, irradiated_at=datetime(2024, 3, 16, 8, 0))


def test_us_irradiated_red_cells_expire_28_days_after_irradiation():
    irradiated = datetime(2024, 3, 3, 12, 0)
    assert expiry("red_cells", COLLECTED, regime="us", irradiated_at=irradiated) == datetime(2024, 3, 31, 23, 59)


def test_us_irradiation_never_extends_the_original_expiry():
    irradiated = datetime(2024, 3, 25, 12, 0)
    assert expiry("red_cells", COLLECTED, regime="us", irradiated_at=irradiated) == datetime(2024, 4, 12, 23, 59)


def test_irradiation_also_shortens_whole_blood():
    irradiated = datetime(2024, 3, 5, 12, 0)
    assert expiry("whole_blood", COLLECTED, regime="uk", irradiated_at=irradiated) == datetime(2024, 3, 19, 23, 59)


def test_irradiating_platelets_leaves_their_expiry_unchanged():
    irradiated = datetime(2024, 3, 4, 12, 0)
    assert expiry("platelets_pooled", COLLECTED, irradiated_at=irradiated) == expiry("platelets_pooled", COLLECTED)


def test_an_irradiation_time_before_collection_is_refused():
    with pytest.raises(InvalidInput, match="before the collection time"):
        expiry("red_cells", COLLECTED, regime="us", irradiated_at=datetime(2024, 2, 28, 9, 0))


def test_irradiating_an_expired_unit_is_refused():
    with pytest.raises(InvalidInput, match="expired at 2024-04-12 23:59, before it was irradiated"):
        expiry("red_cells", COLLECTED, regime="us", irradiated_at=datetime(2024, 4, 13, 9, 0))


def test_mixing_zoned_and_unzoned_times_is_refused():
    with pytest.raises(InvalidInput, match="time zone"):
        expiry("red_cells", COLLECTED, irradiated_at=datetime(2024, 3, 2, tzinfo=timezone.utc))


def test_irradiation_too_late_is_a_domain_error_a_clerk_can_act_on():
    assert issubclass(IrradiationTooLate, InvalidInput) and issubclass(IrradiationTooLate, DomainError)
    assert IrradiationTooLate.code == "irradiation_too_late"


@given(kinds, regimes, moments, st.booleans())
def test_a_unit_never_expires_before_the_end_of_its_collection_day(kind, regime, collected, screened):
    assert expiry(kind, collected, regime=regime, bacterial_screened=screened) > collected


@given(regimes, moments, st.integers(min_value=0, max_value=14), st.integers(min_value=0, max_value=1439))
def test_irradiation_never_lengthens_a_red_cell_unit(regime, collected, day, minute):
    irradiated = datetime.combine(collected.date() + timedelta(days=day), datetime.min.time()) + timedelta(minutes=minute)
    if irradiated >= collected:
        shortened = expiry("red_cells", collected, regime=regime, irradiated_at=irradiated)
        assert irradiated < shortened <= expiry("red_cells", collected, regime=regime)


# --- splits and pooling ------------------------------------------------------

def test_the_buffy_coat_method_yields_red_cells_and_plasma_and_leaves_a_buffy_coat():
    assert split_whole_blood("buffy_coat") == (ComponentKind.RED_CELLS, ComponentKind.PLASMA)
    assert components.SPLITS["buffy_coat"].intermediate == "buffy_coat"
    assert components.SPLITS["buffy_coat"].pooled_into is ComponentKind.PLATELETS_POOLED


def test_the_platelet_rich_plasma_method_yields_red_cells_plasma_and_a_platelet_concentrate_not_a_pool():
    assert split_whole_blood("prp") == (ComponentKind.RED_CELLS, ComponentKind.PLASMA,
                                        ComponentKind.PLATELET_CONCENTRATE)
    assert components.SPLITS["prp"].intermediate is None


def test_an_unknown_split_method_is_refused():
    with pytest.raises(InvalidInput, match="'centrifuge' is not a split method"):
        split_whole_blood("centrifuge")


@pytest.mark.parametrize("parent, child, ok", [
    ("whole_blood", "red_cells", True), ("whole_blood", "plasma", True), ("whole_blood", "platelets_pooled", True),
    ("plasma", "cryo", True), ("whole_blood", "cryo", False), ("whole_blood", "platelets_apheresis", False),
    ("red_cells", "plasma", False), ("cryo", "plasma", False), ("ltowb", "red_cells", False),
    ("whole_blood", "platelet_concentrate", True), ("platelet_concentrate", "platelets_pooled", True),
    ("platelet_concentrate", "platelets_apheresis", False), ("platelets_pooled", "platelet_concentrate", False),
])
def test_only_the_listed_derivations_are_possible(parent, child, ok):
    assert can_derive(parent, child) is ok


@pytest.mark.parametrize("n, ok", [(3, False), (4, True), (5, True), (6, True), (7, False), (0, False)])
def test_a_platelet_pool_takes_four_to_six_buffy_coats(n, ok):
    assert pool_size_ok(n) is ok


# --- what is a dose ----------------------------------------------------------

NOT_A_DOSE = ("a single platelet concentrate is a fraction of an adult dose: pool it first "
              "(4 to 6 of one ABO/RhD group make one adult dose)")


@pytest.mark.parametrize("kind, refusal", [
    ("platelet_concentrate", NOT_A_DOSE),
    (ComponentKind.PLATELET_CONCENTRATE, NOT_A_DOSE),
    ("platelets_pooled", None), ("platelets_apheresis", None), ("red_cells", None), ("plasma", None),
    ("cryo", None), ("whole_blood", None), ("ltowb", None),
    ("platelets", None),  # an order kind, not a stock kind: filled by doses only
    ("granulocytes", None),  # not a kind at all: refused elsewhere, not called a fraction of a dose
])
def test_only_a_single_platelet_concentrate_is_never_a_dose(kind, refusal):
    assert dose_refusal(kind) == refusal


@given(kinds)
def test_a_kind_that_is_never_a_dose_can_always_be_pooled_into_one(kind):
    if dose_refusal(kind) is None:
        return
    assert "pool it first" in dose_refusal(kind)
    assert any(can_derive(kind, child) and dose_refusal(child) is None for child in ComponentKind)
    assert spec(kind).agitated == spec(ComponentKind.PLATELETS_POOLED).agitated  # kept as platelets are


@given(st.text(max_size=30))
def test_no_text_outside_the_pool_only_kinds_is_called_a_fraction_of_a_dose(text):
    assert (dose_refusal(text) is None) is (text != "platelet_concentrate")


# --- inputs ------------------------------------------------------------------

def test_an_unknown_kind_is_refused_with_the_kinds_it_knows():
    with pytest.raises(InvalidInput, match="'granulocytes' is not a component kind.*red_cells"):
        spec("granulocytes")


def test_an_unknown_regime_is_refused():
    with pytest.raises(InvalidInput, match="'ca' is not a regime"):
        expiry("red_cells", COLLECTED, regime="ca")


# --- the data are checked when loaded ----------------------------------------

@pytest.fixture
def data():
    return copy.deepcopy(read_packaged_data())


def test_the_packaged_data_load(data):
    assert build_rules(data).pool_sizes == range(4, 7)


def test_an_empty_storage_range_refuses_to_load(data):
    data["kinds"]["red_cells"]["eu"]["min_c"] = 8.0
    with pytest.raises(ComponentRulesError, match="kinds.red_cells.eu.*storage range"):
        build_rules(data)


def test_a_missing_regime_refuses_to_load(data):
    del data["kinds"]["plasma"]["who"]
    with pytest.raises(ComponentRulesError, match="kinds.plasma is missing 'who'"):
        build_rules(data)


def test_a_shelf_life_written_as_true_refuses_to_load(data):
    data["kinds"]["cryo"]["us"]["shelf_life_days"] = True
    with pytest.raises(ComponentRulesError, match="shelf_life_days has the wrong type"):
        build_rules(data)


def test_a_screened_shelf_life_shorter_than_the_plain_one_refuses_to_load(data):
    data["kinds"]["platelets_pooled"]["uk"]["screened_shelf_life_days"] = 3
    with pytest.raises(ComponentRulesError, match="screening cannot shorten"):
        build_rules(data)


def test_a_pool_only_kind_made_into_nothing_refuses_to_load(data):
    data["pooling"]["pool_only"].append("cryo")
    with pytest.raises(ComponentRulesError, match="pool_only: cryo is made into nothing"):
        build_rules(data)


def test_pool_only_kinds_without_a_source_refuse_to_load(data):
    del data["pooling"]["pool_only_source"]
    with pytest.raises(ComponentRulesError, match="pooling is missing 'pool_only_source'"):
        build_rules(data)


def test_a_pool_only_kind_that_is_not_a_kind_refuses_to_load(data):
    data["pooling"]["pool_only"].append("buffy")
    with pytest.raises(ComponentRulesError, match="pooling.pool_only: 'buffy' is not a component kind"):
        build_rules(data)


def test_a_split_naming_an_unknown_kind_refuses_to_load(data):
    data["splits"]["prp"]["components"].append("buffy")
    with pytest.raises(ComponentRulesError, match="'buffy' is not a component kind"):
        build_rules(data)
