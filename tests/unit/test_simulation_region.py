from collections import Counter
from dataclasses import replace

import pytest

from bloodbank.simulation import engine, policies, region, scenario

DAYS = 14


@pytest.fixture(scope="module")
def regional():
    return scenario.load("region-platelets")


@pytest.fixture(scope="module")
def runs(regional):
    return {name: region.run(regional, name, seed=5, days=DAYS) for name in (policies.BASELINE, policies.OURS)}


def test_a_region_has_a_centre_and_twenty_hospitals_largest_first(regional):
    hospitals = region.hospital_scenarios(regional)
    assert len(hospitals) == 20
    means = [sum(h.weekday_means) for h in hospitals]
    assert means == sorted(means, reverse=True)


def test_every_hospital_faces_the_same_requests_under_either_policy(runs):
    def asked(run):
        return [[(e.day, e.units) for e in h.events if e.what == engine.REQUESTED] for h in run.hospitals]
    assert asked(runs[policies.BASELINE]) == asked(runs[policies.OURS])
    first, second = asked(runs[policies.OURS])[:2]
    assert first != second  # each hospital draws from its own stream


def test_a_fixed_programme_releases_the_same_units_under_either_policy(regional, runs):
    def released(run):
        return [(e.day, e.expires_at) for e in run.centre.events if e.what == engine.RECEIVED]
    fixed = replace(regional, region=replace(regional.region, planned=None))
    assert released(runs[policies.BASELINE]) == released(region.run(fixed, policies.OURS, seed=5, days=DAYS))


def test_a_planned_centre_outdates_less_than_the_fixed_programme(regional):
    fixed = replace(regional, region=replace(regional.region, planned=None))
    def outdated(s):
        return sum(1 for e in region.run(s, policies.OURS, seed=5, days=70).total.events if e.what == engine.OUTDATED)
    assert outdated(regional) < outdated(fixed)


@pytest.mark.parametrize("name", [policies.BASELINE, policies.OURS])
def test_every_unit_released_is_issued_outdated_or_still_in_the_region(runs, name):
    run = runs[name]
    counts = Counter(e.what for e in run.total.events)
    stock = run.centre.end_stock + sum(h.end_stock for h in run.hospitals)
    assert counts[engine.RECEIVED] == counts[engine.ISSUED] + counts[engine.OUTDATED] + stock
    for place in [run.centre, *run.hospitals]:
        c = Counter(e.what for e in place.events)
        assert c[engine.RECEIVED] == (c[engine.ISSUED] + c[engine.OUTDATED] + c[region.SHIPPED]
                                      + c[region.ROTATED] + place.end_stock)


def test_only_our_policy_rotates_and_only_to_the_largest_hospital(runs):
    assert not any(e.what == region.ROTATED for h in runs[policies.BASELINE].hospitals for e in h.events)
    ours = runs[policies.OURS]
    assert not any(e.what == region.ROTATED for e in ours.hospitals[0].events)
    assert any(e.what == region.ROTATED for h in ours.hospitals[1:] for e in h.events)


def test_no_unit_is_issued_after_its_expiry(runs):
    for run in runs.values():
        assert all(e.expires_at > e.at for e in run.total.events if e.what == engine.ISSUED)


def test_the_same_seed_gives_the_same_region(regional, runs):
    again = region.run(regional, policies.OURS, seed=5, days=DAYS)
    assert again.total.events == runs[policies.OURS].total.events


@pytest.fixture(scope="module")
def red_cells():
    s = scenario.load("region-red-cells")
    return s, {name: region.run(s, name, seed=4, days=28) for name in (policies.BASELINE, policies.OURS)}


def test_small_hospitals_receive_only_on_their_delivery_days(red_cells):
    s, runs = red_cells
    days = dict(zip(range(20), region.delivery_weekdays(s)))
    for index, hospital in enumerate(runs[policies.OURS].hospitals):
        if days[index] is not None:
            assert all(e.day % 7 in days[index] for e in hospital.events if e.what == engine.RECEIVED)


def test_the_planned_centre_releases_nothing_on_the_day_after_a_day_without_collection(red_cells):
    s, runs = red_cells
    closed = set(range(7)) - set(s.region.planned.collection_weekdays)
    lead = s.region.planned.lead_days
    released = {e.day for e in runs[policies.OURS].centre.events if e.what == engine.RECEIVED}
    assert all((d - lead) % 7 not in closed for d in released if d >= lead)


@pytest.mark.parametrize("name", [policies.BASELINE, policies.OURS])
def test_every_red_cell_unit_in_the_region_is_accounted_for_and_suits_its_patient(red_cells, name):
    from bloodbank.domain import compatibility
    run = red_cells[1][name]
    counts = Counter(e.what for e in run.total.events)
    stock = run.centre.end_stock + sum(h.end_stock for h in run.hospitals)
    assert counts[engine.RECEIVED] == counts[engine.ISSUED] + counts[engine.OUTDATED] + stock
    for e in run.total.events:
        if e.what == engine.ISSUED:
            assert e.unit_group in {str(g) for g in compatibility.compatible_donors("red_cells", e.patient_group)}
