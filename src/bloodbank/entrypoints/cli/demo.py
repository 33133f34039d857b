from __future__ import annotations

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bloodbank.entrypoints.cli.context import console, database, err_console
from bloodbank.entrypoints.demo import accounts as demo_users, region as demo_data
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


def demo(
    donors: int = typer.Option(5000, "--donors", min=1, help="How many synthetic donors to add."),
    seed: int = typer.Option(2026, help="Seed: the same seed on an empty database gives the same region."),
    if_empty: bool = typer.Option(False, "--if-empty", help="Do nothing when the database already has donors."),
) -> None:
    """Load a synthetic demo region: sites, donors with histories, appointments, stock, patients and orders.

    Only into a database of its own: one holding accounts or donors it did not create is refused.
    """
    present = demo_data.has_donors(_loader())
    refused = demo_users.refusal(_loader, has_records=present)
    if refused:
        err_console.print(f"[red]{refused}[/red]")
        raise typer.Exit(2)
    # The accounts first: they mark the database as the demo's before any record is written.
    demo_users.ensure_demo_users(_loader)
    if if_empty and present:
        console.print("Demo data already present; nothing added.")
        _print_accounts()
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as bar:
        people = bar.add_task("Donors with histories", total=donors)
        sites = bar.add_task("Appointments by site", total=len(demo_data.DEMO_SITES))
        # The blood side learns its size once it knows which donations it will process.
        blood = bar.add_task("Blood: lab, stock, patients, orders", total=None)
        tasks = {"donors": people, "appointments": sites, "blood": blood}

        def progress(step: str, n: int) -> None:
            if step == "blood_total":
                bar.update(blood, total=n)
            else:
                bar.advance(tasks[step], n)

        # One engine for the whole load: the demo opens thousands of units of work.
        db = database()
        try:
            summary = demo_data.load_demo(lambda: UnitOfWork(db, actor=demo_data.DEMO_ACTOR), donors=donors,
                                          seed=seed, progress=progress)
        finally:
            db.dispose()
    console.print(
        f"Added {summary.donors} donors, {summary.donations} past donations, {summary.deferrals} deferrals, "
        f"{summary.appointments} upcoming appointments ({summary.sites_created} new sites)."
    )
    b = summary.blood
    console.print(
        f"Blood: {b.donations_collected} recent collections, {b.donations_processed} donations processed; "
        f"units {b.available} available, {b.quarantined} in quarantine, {b.reserved} reserved, "
        f"{b.issued} issued, {b.transfused} transfused, {b.discarded} discarded, "
        f"{b.transfers_in_transit} transfer(s) on the road; {b.patients} patients, {b.hospitals} new hospitals; "
        f"orders {b.orders_open} open, {b.orders_allocated} allocated, {b.orders_issued} issued."
    )
    _print_accounts()


def _loader() -> UnitOfWork:
    """The demo writes as its own loader, not as a person: it is seeding, not work done by staff."""
    return UnitOfWork(database(), actor=demo_data.DEMO_ACTOR)


def _print_accounts() -> None:
    accounts = demo_users.ensure_demo_users(_loader)
    console.print(f"Demo accounts (password [bold]{demo_users.DEMO_PASSWORD}[/bold]): "
                  + ", ".join(f"[bold]{name}[/bold] ({label})" for name, label in accounts))
