import tomllib
from importlib import resources

import pytest

from bloodbank.simulation import scenario
from tests.unit.simulation_helpers import data


@pytest.mark.parametrize("name", scenario.shipped())
def test_every_parameter_of_a_shipped_scenario_carries_a_source(name):
    text = (resources.files("bloodbank.simulation") / "scenarios" / f"{name}.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    for section, fields in raw.items():
        if isinstance(fields, dict):
            for field, entry in fields.items():
                assert isinstance(entry, dict) and entry.get("source", "").strip(), f"{section}.{field}"
    loaded = scenario.load(name)
    assert all(source.strip() for source in loaded.sources.values())


def test_the_shipped_scenarios_include_hamilton_uclh_and_both_red_cell_hospitals():
    assert {"hamilton-platelets", "uclh-platelets", "regional-red-cells", "university-red-cells"} <= set(
        scenario.shipped())


def test_hamilton_carries_the_published_weekday_figures():
    s = scenario.load("hamilton-platelets")
    assert s.weekday_means == (5.7, 6.9, 6.5, 6.2, 5.8, 3.3, 3.4)
    assert s.weekday_sizes == (3.5, 11.0, 7.2, 11.1, 5.9, 5.5, 2.2)
    assert s.remaining_days == (1, 2, 3)


def _refused(raw) -> str:
    with pytest.raises(scenario.ScenarioError) as refused:
        scenario.build(raw)
    return str(refused.value)


def test_a_parameter_without_a_source_is_refused_naming_it():
    raw = data()
    del raw["demand"]["weekday_means"]["source"]
    assert "demand.weekday_means" in _refused(raw)


def test_a_missing_parameter_is_refused_naming_it():
    raw = data()
    del raw["supply"]["supply_groups"]
    assert "supply.supply_groups" in _refused(raw)


@pytest.mark.parametrize(("change", "field"), [
    ({"demand__weekday_means": [1, 2, 3]}, "demand.weekday_means"),
    ({"demand__weekday_means": [1, 2, 3, 4, 5, 6, "x"]}, "demand.weekday_means[Sun]"),
    ({"demand__patient_groups": {"Q+": 1.0}}, "demand.patient_groups"),
    ({"demand__patient_groups": {"O+": 0.5}}, "demand.patient_groups"),
    ({"demand__request_sizes": {"0": 1.0}}, "demand.request_sizes"),
    ({"demand__model": "uniform"}, "demand.model"),
    ({"component__regime": "mars"}, "component.regime"),
    ({"component__stock_kind": "blood pudding"}, "component.stock_kind"),
    ({"ours__service_level": 1.5}, "ours.service_level"),
    ({"supply__remaining_days": [0, 2]}, "supply.remaining_days"),
])
def test_a_malformed_field_is_refused_naming_it(change, field):
    assert f"'{field}'" in _refused(data(**change))


def test_a_file_that_is_not_toml_is_refused():
    with pytest.raises(scenario.ScenarioError, match="not valid TOML"):
        scenario.parse("name = ", where="broken.toml")


def test_an_unknown_scenario_name_lists_the_shipped_ones():
    with pytest.raises(scenario.ScenarioError, match="hamilton-platelets"):
        scenario.load("nowhere")


def shipped_data(name: str) -> dict:
    return tomllib.loads((resources.files("bloodbank.simulation") / "scenarios" / f"{name}.toml").read_text("utf-8"))


def test_delivery_days_for_a_hospital_size_the_region_lacks_are_refused():
    raw = shipped_data("region-red-cells")
    raw["region"]["delivery_weekdays"]["value"] = {"0.7": [0, 2, 4]}
    assert "region.delivery_weekdays.0.7" in _refused(raw)


def test_a_weekday_out_of_range_is_refused_naming_the_field():
    raw = shipped_data("region-red-cells")
    raw["region"]["collection_weekdays"]["value"] = [0, 7]
    assert "region.collection_weekdays" in _refused(raw)


def test_an_incident_without_its_open_appeal_size_is_refused():
    raw = shipped_data("region-mass-casualty")
    del raw["incident"]["open_appeal_donations"]
    assert "incident.open_appeal_donations" in _refused(raw)
