"""One scenario run under one policy or both side by side, with the figures and, if asked, the frontier.

Both policies run on the same seed: the same requests on the same days and the
same remaining lives on arrival (see `streams`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bloodbank.simulation import engine, frontier, incident, metrics, policies, region
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
          policy: str = policies.OURS, sweep: bool = False,
          progress: Callable[[int], None] | None = None) -> Study:
    if scenario.region is not None:
        return _region_study(scenario, seed=seed, days=days, compare=compare, policy=policy, progress=progress)
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


def _region_study(scenario: Scenario, *, seed: int, days: int, compare: bool, policy: str,
                  progress: Callable[[int], None] | None) -> Study:
    """The region as one (released, issued, short and outdated anywhere), with each place's figures beside it."""
    week = None
    if scenario.incident is not None:
        if days <= scenario.incident.day:
            raise ScenarioError(f"The incident is on day {scenario.incident.day}: simulate at least "
                                f"{scenario.incident.day + 1} days (--days).")
        week = range(scenario.incident.day, min(scenario.incident.day + 7, days))
    names = [policies.BASELINE, policies.OURS] if compare else [policy]
    runs = [region.run(scenario, name, seed=seed, days=days, progress=progress) for name in names]
    result = Study(scenario, seed, days, [r.total for r in runs], [metrics.summary(r.total, week) for r in runs])
    if week is not None:
        result.incident = {"day": scenario.incident.day, "week": [week.start, week.stop - 1],
                           "platelet_doses_needed_by_day": incident.platelet_doses(scenario),
                           "whole_run": [metrics.summary(r.total) for r in runs]}
    for name, r in zip(names, runs):
        for place in [r.centre, *r.hospitals]:
            summary = metrics.summary(place, week)
            result.places.append(dict(summary, policy=name, units_shipped=sum(
                1 for e in place.events if e.what == region.SHIPPED and (week is None or e.day in week)),
                units_rotated_out=sum(1 for e in place.events
                                      if e.what == region.ROTATED and (week is None or e.day in week))))
    return result
