from collections import Counter

import pytest

from bloodbank.simulation import engine, metrics, policies, scenario
from bloodbank.simulation.supply import Deliveries
from tests.unit.simulation_helpers import build

DAYS = 21
HOSPITALS = [n for n in scenario.shipped() if scenario.load(n).region is None]


def _run(s, policy, seed=7, days=DAYS):
    return engine.run(s, policy, seed=seed, days=days)


@pytest.mark.parametrize("name", HOSPITALS)
def test_the_same_seed_gives_the_same_result(name):
    s = scenario.load(name)
    first, second = _run(s, policies.ours(s)), _run(s, policies.ours(s))
    assert first.events == second.events
    assert metrics.summary(first) == metrics.summary(second)


def test_another_seed_gives_other_demand():
    s = build()
    assert _run(s, policies.ours(s), seed=1).events != _run(s, policies.ours(s), seed=2).events


@pytest.mark.parametrize("name", HOSPITALS)
def test_both_policies_face_the_same_requests(name):
    s = scenario.load(name)
    asked = []
    for policy in (policies.baseline(s), policies.ours(s)):
        run = _run(s, policy)
        asked.append([(e.day, e.patient_group, e.units) for e in run.events if e.what == engine.REQUESTED])
    assert asked[0] == asked[1]
    assert asked[0]


def test_the_nth_unit_of_a_day_arrives_with_the_same_life_whatever_is_ordered():
    s = scenario.load("hamilton-platelets")
    small = Deliveries(s, 3).deliver(5, engine.START, {"AB-": 4})
    large = Deliveries(s, 3).deliver(5, engine.START, {"AB-": 12})
    assert [u.expires_at for u in small] == [u.expires_at for u in large[:4]]


@pytest.mark.parametrize("name", HOSPITALS)
@pytest.mark.parametrize("which", [policies.baseline, policies.ours])
def test_every_unit_received_is_issued_outdated_or_still_in_stock(name, which):
    s = scenario.load(name)
    run = _run(s, which(s))
    counts = Counter(e.what for e in run.events)
    assert counts[engine.RECEIVED] == counts[engine.ISSUED] + counts[engine.OUTDATED] + run.end_stock
    ids = Counter(e.unit_id for e in run.events if e.what in (engine.ISSUED, engine.OUTDATED))
    assert all(n == 1 for n in ids.values())


def test_our_policy_keeps_o_negative_for_o_negative_patients_and_the_baseline_does_not():
    s = build(demand__weekday_means=[40.0] * 7)
    base = metrics.summary(_run(s, policies.baseline(s), days=28))
    ours = metrics.summary(_run(s, policies.ours(s), days=28))
    assert ours["o_negative_to_others"] < base["o_negative_to_others"]
    assert ours["abo_non_identical"] <= base["abo_non_identical"]


def test_a_summary_counts_requested_units_as_issued_plus_short():
    s = build()
    summary = metrics.summary(_run(s, policies.baseline(s, 0.3)))
    assert summary["units_short"] > 0
    assert summary["units_requested"] == summary["units_issued"] + summary["units_short"]
    assert summary["fill_rate"] == pytest.approx(1 - summary["shortage"])
