"""`bloodbank simulate SCENARIO`: the supply-chain simulator on the live allocation rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bloodbank.entrypoints.cli.context import console
from bloodbank.simulation import appeal, report, scenario
from bloodbank.simulation.frontier import RUNS
from bloodbank.simulation.metrics import TARGET_OF, meets
from bloodbank.simulation.policies import BASELINE, OURS
from bloodbank.simulation.study import DEFAULT_DAYS, Study, runs_of, study

PERCENT = ("outdating", "shortage", "fill_rate", "requests_filled_in_full", "o_negative_to_others",
           "abo_non_identical", "hospital_outdating", "centre_outdating", "appeal_unused")
COUNTS = ("appeal_donors", "appeal_units", "appeal_units_outdated", "appeal_extra_units_outdated", "casualty_units",
          "casualty_units_late", "casualty_hours_waited", "casualty_longest_wait_hours")
SHOWN = (("outdating", "outdating"), ("shortage", "shortage"), ("fill_rate", "fill rate"),
         ("mean_age_at_transfusion_days", "mean age at transfusion (days)"),
         ("o_negative_to_others", "O-neg red cells to others"), ("abo_non_identical", "ABO-non-identical"),
         ("mean_stock", "mean stock (units)"), ("hospital_outdating", "outdating at the hospitals"),
         ("centre_outdating", "outdating at the blood centre"),
         ("appeal_donors", "appeal: donors bled"), ("appeal_units", "appeal: usable units"),
         ("appeal_unused", "appeal: units never used"), ("appeal_units_outdated", "appeal: units outdated"),
         ("appeal_extra_units_outdated", "appeal: more units outdated than without it"),
         ("casualty_units", "casualties' units asked"), ("casualty_units_late", "casualties' units given late"),
         ("casualty_hours_waited", "casualties' unit-hours waited"),
         ("casualty_longest_wait_hours", "longest wait (hours)"))


def _value(key: str, value) -> str:
    if value is None:
        return "–"
    if key in COUNTS:
        return f"{value:,}"
    return f"{100 * value:.2f} %" if key in PERCENT else f"{value:.1f}"


def _table(result: Study) -> Table:
    targets = result.scenario.targets
    table = Table(title=escape(f"{result.scenario.title}: {result.days} days, seed {result.seed}"))
    table.add_column("figure")
    for s in result.summaries:
        table.add_column(s["policy"], justify="right")
    table.add_column("target", justify="right")
    for key, label in SHOWN:
        if all(s.get(key) is None for s in result.summaries):
            continue
        cells = []
        for s in result.summaries:
            verdict = meets(s, targets).get(key)
            mark = "" if verdict is None else (" [green]✓[/green]" if verdict else " [red]✗[/red]")
            cells.append(_value(key, s.get(key)) + mark)
        target = ""
        if key in TARGET_OF and TARGET_OF[key][0] in targets:
            name, sign = TARGET_OF[key]
            target = f"{sign} {targets[name]:g} h" if key in COUNTS else f"{sign} {100 * targets[name]:.2f} %"
        table.add_row(label, *cells, target)
    return table


def simulate(
    name: str = typer.Argument(..., help=f"A shipped scenario ({', '.join(scenario.shipped())}) or a TOML file."),
    seed: int = typer.Option(1, "--seed", help="The same seed gives the same result."),
    days: int = typer.Option(DEFAULT_DAYS, "--days", min=1, help="Simulated days (day 0 is a Monday)."),
    compare: bool = typer.Option(False, "--compare", help="Run the baseline and ours side by side on the same "
                                                           "random demand and supply."),
    policy: str = typer.Option(OURS, "--policy", help=f"Without --compare, the policy to run: {OURS} or "
                                                      f"{BASELINE}."),
    sweep: bool = typer.Option(False, "--frontier", help="Also sweep each policy's level: outdating against "
                                                         "shortage."),
    appeal_variant: str = typer.Option(appeal.NONE, "--appeal", help=f"Without --compare, an incident's appeal: "
                                       f"{', '.join(appeal.VARIANTS)}."),
    json_path: Optional[Path] = typer.Option(None, "--json", help="Write the figures to this JSON file."),
    report_path: Optional[Path] = typer.Option(None, "--report", help="Write an HTML report with charts here."),
) -> None:
    """Simulate a hospital's stock on the live allocation and expiry rules; compare policies side by side."""
    if appeal_variant not in appeal.VARIANTS:
        console.print(f"[red]--appeal must be one of {', '.join(appeal.VARIANTS)}; got {escape(appeal_variant)}.[/red]")
        raise typer.Exit(2)
    if policy not in (OURS, BASELINE):
        console.print(f"[red]--policy must be {OURS} or {BASELINE}; got {escape(policy)}.[/red]")
        raise typer.Exit(2)
    try:
        chosen = scenario.load(name)
    except scenario.ScenarioError as error:
        console.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(2) from None
    if sweep and chosen.region is not None:
        console.print("[red]--frontier sweeps one hospital's levels; a region has one level per hospital.[/red]")
        raise typer.Exit(2)
    runs = len(runs_of(chosen, compare, policy, appeal_variant)) + (RUNS if sweep else 0)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as progress:
        task = progress.add_task(escape(f"Simulating {chosen.title}"), total=runs * days)
        try:
            result = study(chosen, seed=seed, days=days, compare=compare, policy=policy, sweep=sweep,
                           appeal_variant=appeal_variant,
                           progress=lambda _day: progress.advance(task))
        except scenario.ScenarioError as error:
            console.print(f"[red]{escape(str(error))}[/red]")
            raise typer.Exit(2) from None
    if result.incident:
        first, last = result.incident["week"]
        console.print(f"The figures are the incident's week: days {first}-{last} "
                      f"(units the casualties need by day: {result.incident['units_needed_by_day']}); "
                      "the appeal's and the "
                      "casualties' figures are the whole run's.")
    console.print(_table(result))
    for name_, outdating in result.frontier_at_target().items():
        shown = "not reached in the sweep" if outdating is None else f"{100 * outdating:.2f} % outdating"
        console.print(f"Frontier, {name_}: {shown} at {100 * chosen.targets['shortage_max']:.2f} % shortage.")
    if json_path is not None:
        json_path.write_text(json.dumps(result.as_json(), indent=2, default=str), encoding="utf-8")
        console.print(f"Figures written to {escape(str(json_path))}.")
    if report_path is not None:
        report_path.write_text(report.render(result), encoding="utf-8")
        console.print(f"Report written to {escape(str(report_path))}.")
