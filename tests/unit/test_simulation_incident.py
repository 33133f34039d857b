from collections import Counter

import pytest

from bloodbank.domain import mass_casualty
from bloodbank.domain.incidents import Severity
from bloodbank.simulation import appeal, engine, incident, metrics, policies, region, scenario
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
    doses = incident.units_by_day(week)
    assert sum(doses.values()) == forecast
    assert min(doses) == week.incident.day


def test_only_the_receiving_hospitals_get_casualties(week):
    day = week.incident.day
    per_hospital = [sum(incident.extra_requests(week, day, h).values()) for h in range(20)]
    assert sum(per_hospital) == incident.units_by_day(week)[day]
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
    assert counts[engine.RECEIVED] == counts[engine.ISSUED] + counts[region.LATE] + counts[engine.OUTDATED] + stock


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


# ---- the three appeals, on the red-cell region where an appeal's donations count

APPEAL_DAYS = 63  # the incident on day 9, an appeal's red cells released by day 14, six weeks of their life after


@pytest.fixture(scope="module")
def red_week():
    return scenario.load("region-mass-casualty-red-cells")


@pytest.fixture(scope="module")
def appeals(red_week):
    return {v: region.run(red_week, policies.OURS, seed=3, days=APPEAL_DAYS, appeal_variant=v)
            for v in appeal.VARIANTS}


def test_the_red_cell_need_is_the_domains_forecast_group_by_group(red_week):
    need = mass_casualty.need({Severity(k): v for k, v in red_week.incident.casualties.items()},
                              mass_casualty.default_parameters())
    by_group = Counter()
    for lines in need.values():
        for (kind, group), n in lines.items():
            if kind == "red_cells":
                by_group[group] += n
    asked = Counter()
    for groups in incident.need_by_day(red_week).values():
        asked.update(groups)
    assert asked == +by_group


@pytest.mark.parametrize("variant", appeal.VARIANTS)
def test_every_unit_in_an_appeal_run_is_issued_outdated_or_still_in_the_region(appeals, variant):
    run = appeals[variant]
    counts = Counter(e.what for e in run.total.events)
    stock = run.centre.end_stock + sum(h.end_stock for h in run.hospitals)
    assert counts[engine.RECEIVED] == counts[engine.ISSUED] + counts[region.LATE] + counts[engine.OUTDATED] + stock


@pytest.mark.parametrize("variant", [appeal.OPEN, appeal.SIZED])
def test_each_appeal_donation_enters_the_region_once_after_its_testing_delay(appeals, variant):
    run = appeals[variant]
    received = [e for e in run.centre.events if e.what == engine.RECEIVED and e.unit_id in run.appeal_units]
    assert len(received) == len({e.unit_id for e in received}) == run.appeal_plan.units == len(run.appeal_units)
    delay = mass_casualty.default_parameters().usable_after_hours.value
    for batch in run.appeal_plan.batches:
        assert batch.release_day * 24 + 7 >= batch.given_day * 24 + appeal.DONATED_AT + delay
    given = {e.unit_id for e in run.total.events if e.what in (engine.ISSUED, region.LATE)}
    outdated = {e.unit_id for e in run.total.events if e.what == engine.OUTDATED}
    assert not given & outdated


def test_no_appeal_brings_no_donations_and_the_open_appeal_bleeds_everyone_who_comes(appeals, red_week):
    assert appeals[appeal.NONE].appeal_plan is None and not appeals[appeal.NONE].appeal_units
    assert appeals[appeal.OPEN].appeal_plan.donors == red_week.incident.open_appeal_donations


def test_the_sized_appeal_invites_what_the_live_rule_asks_for(appeals, red_week):
    plan = appeals[appeal.SIZED].appeal_plan
    per_day = red_week.incident.chairs_per_day
    days = {b.given_day for b in plan.batches}
    assert all(sum(b.donors for b in plan.batches if b.given_day == d) <= per_day for d in days)
    assert min(days, default=red_week.incident.day + 1) > red_week.incident.day  # bookings from the next day


def test_every_unit_an_appeal_run_issues_suits_its_patient(appeals):
    from bloodbank.domain import compatibility
    for run in appeals.values():
        for e in run.total.events:
            if e.what in (engine.ISSUED, region.LATE):
                assert e.unit_group in {str(g) for g in compatibility.compatible_donors("red_cells", e.patient_group)}
                assert e.expires_at > e.at


def test_the_same_seed_gives_the_same_appeal(red_week, appeals):
    again = region.run(red_week, policies.OURS, seed=3, days=APPEAL_DAYS, appeal_variant=appeal.SIZED)
    assert again.total.events == appeals[appeal.SIZED].total.events
