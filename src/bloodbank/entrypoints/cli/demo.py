from __future__ import annotations

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bloodbank.entrypoints.cli.context import console, uow
from bloodbank.service_layer import demo_data


def demo(
    donors: int = typer.Option(5000, "--donors", min=1, help="How many synthetic donors to add."),
    seed: int = typer.Option(2026, help="Seed: the same seed on an empty database gives the same region."),
    if_empty: bool = typer.Option(False, "--if-empty", help="Do nothing when the database already has donors."),
) -> None:
    """Load a synthetic demo region: sites, donors with histories, upcoming appointments."""
    if if_empty and demo_data.has_donors(uow()):
        console.print("Demo data already present; nothing added.")
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as bar:
        people = bar.add_task("Donors with histories", total=donors)
        sites = bar.add_task("Appointments by site", total=len(demo_data.DEMO_SITES))
        tasks = {"donors": people, "appointments": sites}
        summary = demo_data.load_demo(
            lambda: uow(demo_data.DEMO_ACTOR), donors=donors, seed=seed,
            progress=lambda step, n: bar.advance(tasks[step], n),
        )
    console.print(
        f"Added {summary.donors} donors, {summary.donations} past donations, {summary.deferrals} deferrals, "
        f"{summary.appointments} upcoming appointments ({summary.sites_created} new sites)."
    )
