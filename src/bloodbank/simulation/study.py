"""One scenario run under one policy or both side by side, with the figures and, if asked, the frontier.

Both policies run on the same seed: the same requests on the same days and the
same remaining lives on arrival (see `streams`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bloodbank.simulation import appeal, engine, frontier, incident, metrics, policies, region
from bloodbank.simulation.scenario import Scenario, ScenarioError

DEFAULT_DAYS = 364  # 52 whole weeks, so every weekday counts the same


@dataclass
class Study:
    scenario: Scenario
    seed: int
    days: int
    runs: list[engine.Run]
    summaries: list[dict]
    points: list[frontier.Point] = field(default_factory=list)
    places: list[dict] = field(default_factory=list)  # a region's centre and hospitals, each policy
    incident: dict = field(default_factory=dict)  # a mass-casualty week: the figures above are that week's

    def as_json(self) -> dict:
        s = self.scenario
        return {
            "scenario": {"name": s.name, "title": s.title, "hospital": s.hospital, "component": s.order_kind,
                         "sources": s.sources},
            "seed": self.seed, "days": self.days, "targets": s.targets,
            "results": [dict(summary, meets_targets=metrics.meets(summary, s.targets)) for summary in self.summaries],
            "stock_by_day": {run.policy.name: run.stock_by_day for run in self.runs},
            "frontier": [{"policy": p.policy, "setting": p.setting, "outdating": p.outdating,
                          "shortage": p.shortage} for p in self.points],
            "frontier_outdating_at_target_shortage": self.frontier_at_target(),
            "places": self.places,
            "incident": self.incident,
        }

    def frontier_at_target(self) -> dict[str, float | None]:
        if not self.points or "shortage_max" not in self.scenario.targets:
            return {}
        shortage = self.scenario.targets["shortage_max"]
        return {name: frontier.outdating_at(self.points, name, shortage)
                for name in (policies.BASELINE, policies.OURS)}


def study(scenario: Scenario, *, seed: int, days: int = DEFAULT_DAYS, compare: bool = False,
          policy: str = policies.OURS, sweep: bool = False, appeal_variant: str = appeal.NONE,
          progress: Callable[[int], None] | None = None) -> Study:
    if scenario.region is not None:
        return _region_study(scenario, seed=seed, days=days, compare=compare, policy=policy, progress=progress,
                             appeal_variant=appeal_variant)
    if compare:
        chosen = [policies.baseline(scenario), policies.ours(scenario)]
    elif policy == policies.BASELINE:
        chosen = [policies.baseline(scenario)]
    else:
        chosen = [policies.ours(scenario)]
    runs = [engine.run(scenario, p, seed=seed, days=days, progress=progress) for p in chosen]
    result = Study(scenario, seed, days, runs, [metrics.summary(r) for r in runs])
    if sweep:
        result.points = frontier.sweep(scenario, seed=seed, days=days, progress=progress)
    return result


def runs_of(scenario: Scenario, compare: bool, policy: str, appeal_variant: str) -> list[tuple[str, str]]:
    """(policy, appeal) of each run: with --compare, an incident's region runs ours under each appeal."""
    if not compare:
        return [(policy, appeal_variant)]
    if scenario.incident is None:
        return [(policies.BASELINE, appeal.NONE), (policies.OURS, appeal.NONE)]
    return [(policies.BASELINE, appeal.NONE), *((policies.OURS, v) for v in appeal.VARIANTS)]


def _region_study(scenario: Scenario, *, seed: int, days: int, compare: bool, policy: str,
                  progress: Callable[[int], None] | None, appeal_variant: str = appeal.NONE) -> Study:
    """The region as one (released, issued, short and outdated anywhere), with each place's figures beside it."""
    week = None
    if scenario.incident is not None:
        if days <= scenario.incident.day:
            raise ScenarioError(f"The incident is on day {scenario.incident.day}: simulate at least "
                                f"{scenario.incident.day + 1} days (--days).")
        week = range(scenario.incident.day, min(scenario.incident.day + 7, days))
    elif appeal_variant != appeal.NONE:
        raise ScenarioError("An appeal needs a scenario with an [incident].")
    chosen = runs_of(scenario, compare, policy, appeal_variant)
    runs = [region.run(scenario, name, seed=seed, days=days, progress=progress, appeal_variant=variant)
            for name, variant in chosen]
    summaries = [dict(metrics.summary(r.total, week), **_split_figures(r, week)) for r in runs]
    if scenario.incident is not None:
        without = next((r for r, (name, v) in zip(runs, chosen) if name == policies.OURS and v == appeal.NONE), None)
        for summary, r in zip(summaries, runs):
            summary.update(appeal_figures(r, without))
    result = Study(scenario, seed, days, [r.total for r in runs], summaries)
    if week is not None:
        result.incident = {"day": scenario.incident.day, "week": [week.start, week.stop - 1],
                           "units_needed_by_day": incident.units_by_day(scenario),
                           "units_needed_by_day_and_group": incident.need_by_day(scenario),
                           "appeals": {r.total.policy.name: _appeal_json(r) for r in runs if r.appeal_plan},
                           "whole_run": [metrics.summary(r.total) for r in runs]}
    for (name, _variant), r in zip(chosen, runs):
        for place in [r.centre, *r.hospitals]:
            summary = metrics.summary(place, week)
            result.places.append(dict(summary, policy=r.total.policy.name, units_shipped=sum(
                1 for e in place.events if e.what == region.SHIPPED and (week is None or e.day in week)),
                units_rotated_out=sum(1 for e in place.events
                                      if e.what == region.ROTATED and (week is None or e.day in week))))
    return result


def _split_figures(r: region.RegionRun, week: range | None) -> dict:
    """Outdating at the centre (of what it released) and at the hospitals (of what they received)."""
    centre = metrics.summary(r.centre, week)
    received = outdated = 0
    for h in r.hospitals:
        summary = metrics.summary(h, week)
        received += summary["units_received"]
        outdated += summary["units_outdated"]
    return {"centre_outdating": centre["outdating"],
            "hospital_outdating": outdated / received if received else None}


def appeal_figures(r: region.RegionRun, without: region.RegionRun | None) -> dict:
    """The appeal's donations and their fate over the whole run; the casualties' waits."""
    plan, ids = r.appeal_plan, r.appeal_units
    issued = sum(1 for e in r.total.events if e.what in (engine.ISSUED, region.LATE) and e.unit_id in ids)
    outdated = sum(1 for e in r.total.events if e.what == engine.OUTDATED and e.unit_id in ids)
    units = len(ids)
    all_outdated = sum(1 for e in r.total.events if e.what == engine.OUTDATED)
    extra = None
    if plan is not None and without is not None:
        extra = all_outdated - sum(1 for e in without.total.events if e.what == engine.OUTDATED)
    waits = [((c.given if c.given is not None else r.days) - c.asked) * 24 for c in r.casualty_units]
    return {
        "appeal": plan.variant if plan else appeal.NONE,
        "appeal_donors": plan.donors if plan else 0, "appeal_invitations": plan.invitations if plan else 0,
        "appeal_units": units, "appeal_units_issued": issued, "appeal_units_outdated": outdated,
        "appeal_units_in_stock_at_end": units - issued - outdated,
        "appeal_unused": (units - issued) / units if units else None,
        "appeal_extra_units_outdated": extra,
        "casualty_units": len(waits), "casualty_units_late": sum(1 for w in waits if w),
        "casualty_units_never_given": sum(1 for c in r.casualty_units if c.given is None),
        "casualty_hours_waited": sum(waits), "casualty_longest_wait_hours": max(waits, default=0),
    }


def _appeal_json(r: region.RegionRun) -> dict:
    plan = r.appeal_plan
    return {"variant": plan.variant, "donors_needed_by_group": plan.donors_needed, "invitations": plan.invitations,
            "donations": [{"given_day": b.given_day, "release_day": b.release_day, "group": b.group,
                           "donors": b.donors, "units": b.units} for b in plan.batches]}
