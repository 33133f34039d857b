"""Small scenarios for the simulator's tests, built as the TOML files are."""

from __future__ import annotations

import copy

from bloodbank.simulation import scenario

SOURCE = "test figure"


def _p(value):
    return {"value": value, "source": SOURCE}


RED_CELLS = {
    "name": "test-red-cells", "title": "Test red cells", "hospital": "Test hospital",
    "component": {"order_kind": _p("red_cells"), "stock_kind": _p("red_cells"), "regime": _p("eu")},
    "demand": {"model": _p("poisson"), "weekday_means": _p([8.0, 9, 9, 9, 8, 4, 4]),
               "request_sizes": _p({"1": 0.4, "2": 0.5, "3": 0.07, "4": 0.03}),
               "patient_groups": _p({"O+": 0.38, "O-": 0.07, "A+": 0.34, "A-": 0.06, "B+": 0.09, "B-": 0.02,
                                     "AB+": 0.03, "AB-": 0.01})},
    "supply": {"remaining_days": _p([3, 10, 20]), "remaining_log_weights": _p([0.0, 0.0, 0.0]),
               "supply_groups": _p({"O-": 0.155, "O+": 0.373, "A-": 0.07, "A+": 0.307, "B-": 0.016, "B+": 0.06,
                                    "AB-": 0.005, "AB+": 0.014})},
    "baseline": {"order_up_to_days": _p(2.0)},
    "ours": {"service_level": _p(0.95)},
    "targets": {"outdating_max": _p(0.005), "fill_rate_min": _p(0.995), "o_negative_to_others_max": _p(0.25)},
}


def data(**changes) -> dict:
    """The red-cell test scenario's data with `section__field=value` changes."""
    result = copy.deepcopy(RED_CELLS)
    for key, value in changes.items():
        section, field = key.split("__")
        result[section][field] = _p(value)
    return result


def build(**changes) -> scenario.Scenario:
    return scenario.build(data(**changes))
