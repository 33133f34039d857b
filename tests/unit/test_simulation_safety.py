"""Every unit the simulator issues is unexpired and compatible, asked of `domain.compatibility` directly."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bloodbank.domain import compatibility
from bloodbank.simulation import engine, policies, scenario
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
