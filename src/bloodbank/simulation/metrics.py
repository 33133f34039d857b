"""The figures a run is judged by, per hospital and component, from its event log alone.

- outdating: units outdated / units received;
- shortage: units requested but not supplied by the time needed / units requested;
- fill rate: units supplied / units requested (1 - shortage);
- requests filled in full: share of requests given every unit asked for;
- mean age at transfusion: days since collection (collection day = day 0) at issue;
- O-negative to others: share of O-negative red cells issued to patients who are not O-negative;
- ABO-non-identical: share of issued units whose ABO group differs from the patient's.
"""

from __future__ import annotations

from bloodbank.domain.blood_groups import parse_group
from bloodbank.simulation.engine import ISSUED, OUTDATED, RECEIVED, REQUESTED, SHORT, Run


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def summary(run: Run, days: range | None = None) -> dict:
    """The run's figures; over `days` only (e.g. an incident's week) when given."""
    received = issued = outdated = short = requests_short = o_negative = o_negative_others = non_identical = 0
    ages = requests = 0
    for e in run.events:
        if days is not None and e.day not in days:
            continue
        if e.what == REQUESTED:
            requests += 1
        elif e.what == RECEIVED:
            received += 1
        elif e.what == OUTDATED:
            outdated += 1
        elif e.what == SHORT:
            short += e.units
            requests_short += 1
        elif e.what == ISSUED:
            issued += 1
            ages += e.age_days
            unit, patient = parse_group(e.unit_group), parse_group(e.patient_group)
            non_identical += unit.abo is not patient.abo
            if e.unit_group == "O-":
                o_negative += 1
                o_negative_others += e.patient_group != "O-"
    requested = issued + short
    stock = run.stock_by_day if days is None else run.stock_by_day[days.start:days.stop]
    s = run.scenario
    return {
        "scenario": s.name, "hospital": s.hospital, "component": s.order_kind, "policy": run.policy.name,
        "policy_description": run.policy.description, "seed": run.seed,
        "days": run.days if days is None else len(stock), "first_day": 0 if days is None else days.start,
        "units_received": received, "units_issued": issued, "units_outdated": outdated, "units_short": short,
        "units_requested": requested, "units_in_stock_at_end": run.end_stock,
        "outdating": _share(outdated, received),
        "shortage": _share(short, requested),
        "fill_rate": _share(issued, requested),
        "requests_filled_in_full": _share(requests - requests_short, requests),
        "mean_age_at_transfusion_days": _share(ages, issued),
        "o_negative_to_others": _share(o_negative_others, o_negative) if s.order_kind == "red_cells" else None,
        "abo_non_identical": _share(non_identical, issued),
        "mean_stock": _share(sum(stock), len(stock)),
    }


TARGET_OF = {"outdating": ("outdating_max", "≤"), "shortage": ("shortage_max", "≤"),
             "hospital_outdating": ("hospital_outdating_max", "≤"), "centre_outdating": ("centre_outdating_max", "≤"),
             "appeal_unused": ("appeal_unused_max", "≤"), "casualty_hours_waited": ("casualty_hours_waited_max", "≤"),
             "fill_rate": ("fill_rate_min", "≥"), "o_negative_to_others": ("o_negative_to_others_max", "<")}


def meets(summary_: dict, targets: dict[str, float]) -> dict[str, bool]:
    """For each target the scenario sets, whether this run meets it."""
    verdicts = {}
    for metric, (target, sign) in TARGET_OF.items():
        if target not in targets or summary_.get(metric) is None:
            continue
        value, bound = summary_[metric], targets[target]
        verdicts[metric] = value >= bound if sign == "≥" else (value <= bound if sign == "≤" else value < bound)
    return verdicts
