from collections import Counter

import pytest

from bloodbank.domain import mass_casualty
from bloodbank.domain.incidents import Severity
from bloodbank.simulation import engine, incident, metrics, policies, region, scenario
from bloodbank.simulation.study import study

DAYS = 14


@pytest.fixture(scope="module")
def week():
    return scenario.load("region-mass-casualty")


@pytest.fixture(scope="module")
def runs(week):
    return {name: region.run(week, name, seed=2, days=DAYS) for name in (policies.BASELINE, policies.OURS)}


def test_the_casualties_need_is_the_domains_forecast(week):
    need = mass_casualty.need({Severity(k): v for k, v in week.incident.casualties.items()},
                              mass_casualty.default_parameters())
    forecast = sum(n for lines in need.values() for (kind, _), n in lines.items() if kind == "platelets")
    doses = incident.platelet_doses(week)
    assert sum(doses.values()) == forecast
    assert min(doses) == week.incident.day


def test_only_the_receiving_hospitals_get_casualties(week):
    day = week.incident.day
    per_hospital = [incident.extra_requests(week, day, h) for h in range(20)]
    assert sum(per_hospital) == incident.platelet_doses(week)[day]
    assert all(n == 0 for n in per_hospital[week.incident.receiving_hospitals:])


def test_both_policies_face_the_same_casualties(runs):
    def asked(run):
        return Counter((e.day, e.units) for e in run.total.events if e.what == engine.REQUESTED)
    assert asked(runs[policies.BASELINE]) == asked(runs[policies.OURS])


@pytest.mark.parametrize("name", [policies.BASELINE, policies.OURS])
def test_every_unit_released_is_issued_outdated_or_still_in_the_region(runs, name):
    run = runs[name]
    counts = Counter(e.what for e in run.total.events)
    stock = run.centre.end_stock + sum(h.end_stock for h in run.hospitals)
    assert counts[engine.RECEIVED] == counts[engine.ISSUED] + counts[engine.OUTDATED] + stock


def test_acting_on_the_forecast_leaves_fewer_casualties_short(week, runs):
    days = range(week.incident.day, DAYS)
    base = metrics.summary(runs[policies.BASELINE].total, days)
    ours = metrics.summary(runs[policies.OURS].total, days)
    assert ours["units_short"] < base["units_short"]


def test_an_incident_needs_a_region():
    raw = {"incident": {}}
    with pytest.raises(scenario.ScenarioError, match="'incident'"):
        scenario._incident(raw, {})


def test_a_run_that_ends_before_the_incident_is_refused(week):
    with pytest.raises(scenario.ScenarioError, match="at least 10 days"):
        study(week, seed=1, days=5)
