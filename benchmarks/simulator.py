"""How long a simulated year (364 days) takes for each shipped scenario and policy.

    .venv/bin/python benchmarks/simulator.py            # every shipped scenario, both policies
    .venv/bin/python benchmarks/simulator.py --unfiltered university-red-cells

Prints a Markdown table for docs/benchmarks.md. `--unfiltered` also times our
policy handing the whole stock to `choose_units` on every request (no
pre-filter by `possible_groups`), to show what the pre-filter saves.
"""

from __future__ import annotations

import argparse
import time

from bloodbank.simulation import engine, policies, region, scenario
from bloodbank.simulation.engine import ISSUED, REQUESTED

DAYS = 364


class WholeStock(policies.Ours):
    """Ours, but every request looks at every unit in stock."""

    def candidates(self, stock, scenario_, profile, quantity, now):
        return [u for units in stock.by_group.values() for u in units]


def _best(work, repeat: int):
    """The best wall-clock and processor times of `repeat` runs: on a shared machine the two differ widely."""
    wall = cpu = float("inf")
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = work()
        wall, cpu = min(wall, time.perf_counter() - started), min(cpu, time.process_time() - started_cpu)
    return wall, cpu, result


def _time(s, policy, repeat: int) -> tuple[float, float, int, int]:
    wall, cpu, run = _best(lambda: engine.run(s, policy, seed=1, days=DAYS), repeat)
    requests = sum(1 for e in run.events if e.what == REQUESTED)
    issued = sum(1 for e in run.events if e.what == ISSUED)
    return wall, cpu, requests, issued


def _time_region(s, policy_name: str, repeat: int) -> tuple[float, float, int, int]:
    wall, cpu, run = _best(lambda: region.run(s, policy_name, seed=1, days=DAYS), repeat)
    return wall, cpu, run.total.requests, sum(1 for e in run.total.events if e.what == ISSUED)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="scenarios (default: every shipped one)")
    parser.add_argument("--unfiltered", action="store_true", help="also time ours without the pre-filter")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("| scenario | policy | one simulated year, wall | processor time | requests | units issued | "
          "processor time per request |")
    print("|---|---|---|---|---|---|---|")
    for name in args.names or scenario.shipped():
        s = scenario.load(name)
        if s.region is not None:
            for policy_name in (policies.BASELINE, policies.OURS):
                wall, cpu, requests, issued = _time_region(s, policy_name, args.repeat)
                print(f"| {name} (centre and {len(s.region.hospital_scales)} hospitals) | {policy_name} | "
                      f"{wall:.2f} s | {cpu:.2f} s | {requests:,} | {issued:,} | "
                      f"{1e6 * cpu / max(requests, 1):.0f} µs |", flush=True)
            continue
        chosen = [policies.baseline(s), policies.ours(s)]
        if args.unfiltered:
            ours = policies.ours(s)
            chosen.append(WholeStock("ours, whole stock per request", ours.description, ours.levels))
        for policy in chosen:
            wall, cpu, requests, issued = _time(s, policy, args.repeat)
            print(f"| {name} | {policy.name} | {wall:.2f} s | {cpu:.2f} s | {requests:,} | {issued:,} | "
                  f"{1e6 * cpu / max(requests, 1):.0f} µs |", flush=True)


if __name__ == "__main__":
    main()
