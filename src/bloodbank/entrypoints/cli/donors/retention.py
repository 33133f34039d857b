"""`bloodbank retention sweep`: records past their purpose, listed, then erased under a signature."""

from __future__ import annotations

from typing import Optional

import typer
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from bloodbank.config import get_settings
from bloodbank.domain.access import Permission as P
from bloodbank.entrypoints.cli.context import clerk_errors, console, err_console, uow
from bloodbank.entrypoints.cli.identity import Actor, needs, signed
from bloodbank.service_layer.donors import retention

app = typer.Typer(help="Retention: erase what the rules say is past its purpose (domain/rules/retention.toml).",
                  no_args_is_help=True)


@app.command()
@needs(P.ERASURE)
def sweep(
    dry_run: bool = typer.Option(False, "--dry-run", help="List what the rules reach today; change nothing."),
    never_donated_years: Optional[int] = typer.Option(
        None, "--never-donated-years", min=1,
        help="Quiet years before a registration that never led to a donation is erased (default: the rules')."),
    appointment_months: Optional[int] = typer.Option(
        None, "--appointment-months", min=1, help="Months after which an ended appointment is deleted."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation (the signature is still asked)."),
    actor: str = Actor,
) -> None:
    """List what the retention rules reach today, then (without --dry-run) erase it under your signature."""
    settings = get_settings()
    with clerk_errors():
        plan = retention.due(uow(), never_donated_years=never_donated_years or settings.retention_never_donated_years,
                             appointment_months=appointment_months or settings.retention_appointment_months)
        _show(plan)
        if dry_run or not plan.due:
            return
        if not yes and not typer.confirm(f"Erase what is listed ({len(plan.due)})? This cannot be undone.",
                                         default=False):
            err_console.print("Nothing was erased.")
            raise typer.Exit(1)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("Erasing", total=len(plan.due))
            report = signed(action="retention",
                            act=lambda: retention.apply(uow(), plan, progress=lambda _: progress.advance(task)),
                            record=lambda done: (done.subject, "retention", plan.today.isoformat()))
    console.print(f"Erased: {len(report.done)}. No longer due: {len(report.skipped)}. Refused: {len(report.refused)}.")
    for item, why in report.refused:
        err_console.print(f"[red]{item.donor_number} ({item.rule}): {escape(why)}[/red]")
    if not report.reclaimed:
        err_console.print("The database's write-ahead log could not be emptied now; it is at the next checkpoint.")
    if report.refused:
        raise typer.Exit(1)


def _show(plan: retention.SweepPlan) -> None:
    for rule, text in plan.periods.described().items():
        console.print(f"[bold]{rule}[/bold]: {escape(text)}")
    if not plan.due:
        console.print(f"Nothing is due on {plan.today.isoformat()}.")
        return
    table = Table("Rule", "Donor number", "What", title=f"Due on {plan.today.isoformat()}: {len(plan.due)}")
    for column in table.columns:
        column.overflow = "fold"
    for item in plan.due:
        table.add_row(item.rule, item.donor_number, escape(item.detail))
    console.print(table)
