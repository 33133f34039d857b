"""Every unit the simulator issues is unexpired and compatible, asked of `domain.compatibility` directly;
in a region with an incident and any appeal, every unit is counted in once and out at most once."""

import tomllib
from collections import Counter
from importlib import resources

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bloodbank.domain import compatibility
from bloodbank.simulation import engine, incident, policies, region, scenario
from tests.unit.simulation_helpers import data

GROUPS = ("O-", "O+", "A-", "A+", "B-", "B+", "AB-", "AB+")


def _mix(draw) -> dict[str, float]:
    chosen = draw(st.lists(st.sampled_from(GROUPS), min_size=1, max_size=8, unique=True))
    weights = [draw(st.integers(1, 10)) for _ in chosen]
    return {g: w / sum(weights) for g, w in zip(chosen, weights)}


@st.composite
def small_scenarios(draw):
    platelets = draw(st.booleans())
    raw = data(demand__patient_groups=_mix(draw), supply__supply_groups=_mix(draw),
               demand__weekday_means=[draw(st.floats(0.5, 12)) for _ in range(7)],
               supply__remaining_days=[1, 2, 3] if platelets else [1, 5, 30],
               supply__remaining_log_weights=[0.0, 1.0, 0.5],
               baseline__order_up_to_days=draw(st.floats(0.2, 4)),
               ours__service_level=draw(st.floats(0.5, 0.99)))
    if platelets:
        raw["component"]["order_kind"]["value"] = "platelets"
        raw["component"]["stock_kind"]["value"] = "platelets_apheresis"
        raw["demand"]["model"]["value"] = "negative_binomial"
        raw["demand"]["weekday_sizes"] = {"value": [draw(st.floats(0.5, 10)) for _ in range(7)], "source": "t"}
    return scenario.build(raw)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=small_scenarios(), seed=st.integers(0, 2**32 - 1), use_ours=st.booleans())
def test_every_issue_is_compatible_and_unexpired(s, seed, use_ours):
    policy = policies.ours(s) if use_ours else policies.baseline(s)
    run = engine.run(s, policy, seed=seed, days=10)
    compatible = (compatibility.red_cells_compatible if s.order_kind == "red_cells"
                  else compatibility.platelets_compatible)
    for event in run.events:
        if event.what == engine.ISSUED:
            assert event.expires_at > event.at
            assert compatible(event.unit_group, event.patient_group), event


@st.composite
def small_incident_regions(draw):
    """The red-cell incident region shrunk to a few small hospitals, with a random incident and appeal sizes."""
    raw = tomllib.loads((resources.files("bloodbank.simulation") / "scenarios"
                         / "region-mass-casualty-red-cells.toml").read_text("utf-8"))
    scales = [draw(st.sampled_from([0.05, 0.1, 0.2])) for _ in range(draw(st.integers(2, 4)))]
    raw["region"]["hospital_scales"]["value"] = scales
    raw["region"]["delivery_weekdays"]["value"] = {str(scales[-1]): [0, 2, 4]}
    raw["region"]["planned_production"]["value"] = draw(st.booleans())
    raw["incident"]["day"]["value"] = draw(st.integers(0, 6))
    for severity in ("severe", "moderate", "minor"):
        raw["incident"][severity]["value"] = draw(st.integers(0, 15))
    raw["incident"]["receiving_hospitals"]["value"] = draw(st.integers(1, 2))
    raw["incident"]["open_appeal_donations"]["value"] = draw(st.integers(0, 300))
    raw["incident"]["chairs_per_day"]["value"] = draw(st.integers(0, 100))
    return scenario.build(raw)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=small_incident_regions(), seed=st.integers(0, 2**32 - 1),
       variant=st.sampled_from(["no appeal", "open appeal", "sized appeal"]))
def test_an_incident_with_any_appeal_issues_compatible_units_each_once(s, seed, variant):
    run = region.run(s, policies.OURS, seed=seed, days=14, appeal_variant=variant)
    events = run.total.events
    received = [e.unit_id for e in events if e.what == engine.RECEIVED]
    gone = [e.unit_id for e in events if e.what in (engine.ISSUED, region.LATE, engine.OUTDATED)]
    assert len(received) == len(set(received))  # every unit enters the region once, appeal units too
    assert len(gone) == len(set(gone)) and set(gone) <= set(received)  # and leaves it at most once
    stock = run.centre.end_stock + sum(h.end_stock for h in run.hospitals)
    assert len(received) == len(gone) + stock
    assert run.appeal_units <= set(received)
    assert len(run.appeal_units) == (run.appeal_plan.units if run.appeal_plan else 0)
    for event in events:
        if event.what in (engine.ISSUED, region.LATE):
            assert event.expires_at > event.at
            assert compatibility.red_cells_compatible(event.unit_group, event.patient_group), event
    asked = Counter(c.group for c in run.casualty_units)
    need = Counter()
    for groups in incident.need_by_day(s).values():
        need.update(groups)
    assert asked == +need  # every casualty's unit is asked for once, at a receiving hospital
