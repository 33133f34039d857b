"""The trade-off between outdating and shortage as each policy's one setting is swept.

The baseline's setting is its fixed level (days of mean demand), ours is the
chance that a weekday's level covers the day. Every point runs on the same
seed, so the points differ only by the setting.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bloodbank.simulation import engine, metrics, policies
from bloodbank.simulation.scenario import Scenario

RUNS = 19  # len(BASELINE_COVERS) + len(OURS_LEVELS)
BASELINE_COVERS = (1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 3.0, 4.0)
OURS_LEVELS = (0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999)


@dataclass(frozen=True)
class Point:
    policy: str
    setting: float
    outdating: float
    shortage: float


def sweep(scenario: Scenario, *, seed: int, days: int, covers: Sequence[float] = BASELINE_COVERS,
          levels: Sequence[float] = OURS_LEVELS, progress: Callable[[int], None] | None = None) -> list[Point]:
    runs = [policies.baseline(scenario, c) for c in covers] + [policies.ours(scenario, s) for s in levels]
    settings = list(covers) + list(levels)
    points = []
    for setting, policy in zip(settings, runs):
        s = metrics.summary(engine.run(scenario, policy, seed=seed, days=days, progress=progress))
        points.append(Point(policy.name, setting, s["outdating"] or 0.0, s["shortage"] or 0.0))
    return points


def outdating_at(points: Sequence[Point], policy: str, shortage: float) -> float | None:
    """The policy's outdating at a given shortage, read off its frontier by linear interpolation."""
    line = sorted((p.shortage, p.outdating) for p in points if p.policy == policy)
    for (s0, o0), (s1, o1) in zip(line, line[1:]):
        if s0 <= shortage <= s1:
            return o0 if s1 == s0 else o0 + (o1 - o0) * (shortage - s0) / (s1 - s0)
    return None
