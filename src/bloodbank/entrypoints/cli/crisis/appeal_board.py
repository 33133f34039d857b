"""`bloodbank incidents dashboard` and `bloodbank incidents report`: an appeal's figures by window and group
as it runs, and the incident's report afterwards (the fate of every appeal unit, the unused share first)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from bloodbank.domain.access import Permission as P
from bloodbank.domain.appeal_fates import FATES
from bloodbank.domain.ids import MAX_ID
from bloodbank.entrypoints.cli.context import clerk_errors, console, uow
from bloodbank.entrypoints.cli.identity import Actor, needs
from bloodbank.service_layer.crisis import appeal_chart
from bloodbank.service_layer.crisis.appeal_dashboard import dashboard
from bloodbank.service_layer.crisis.incident_report import SECTIONS, csv_text, incident_report

IncidentId = typer.Argument(..., min=1, max=MAX_ID, help="The incident's number.")
STAGES = ("invited", "accepted", "arrived", "collected", "released")


@needs(P.INCIDENTS)
def dashboard_command(incident_id: int = IncidentId,
                      chart: Optional[Path] = typer.Option(None, "--chart", help="Write the chart of need against "
                                                                                  "supply to this SVG file."),
                      actor: str = Actor) -> None:
    """The appeal's dashboard: need, on hand, gap and the appeal's donors by window and group."""
    with clerk_errors():
        board = dashboard(uow(), incident_id=incident_id)
    console.print(f"Appeal of incident {board.incident_id}: [bold]{board.status}[/bold]; "
                  + ("gap closed." if board.closed else f"{board.still_to_collect} donations still to collect."))
    table = Table("Window", "Need", "On hand", "Gap", "Donors to cover", *(s.capitalize() for s in STAGES))
    for w in board.windows:
        note = " (passed)" if w.passed else "" if w.appeal_reaches else " (no appeal reaches it)"
        table.add_row(w.window + note, str(w.need), str(w.on_hand), str(w.gap), str(w.donors_to_cover),
                      *(str(getattr(w, s)) for s in STAGES))
    console.print(table)
    table = Table("Window", "Group", "Need", "On hand", "Gap", "Donors to cover", *(s.capitalize() for s in STAGES))
    for c in board.cells:
        table.add_row(c.window, c.group, str(c.need), str(c.on_hand), str(c.gap), str(c.donors_to_cover),
                      *(str(getattr(c, s)) for s in STAGES))
    console.print(table)
    for s in board.statements:
        console.print(escape(s.message))
    if chart is not None:
        svg, _ = appeal_chart.need_and_supply(board)
        chart.write_text(svg, encoding="utf-8")
        console.print(f"Chart written to {escape(str(chart))}.")


@needs(P.INCIDENTS)
def report_command(incident_id: int = IncidentId,
                   csv_dir: Optional[Path] = typer.Option(None, "--csv", help="Write each table to this folder as "
                                                                               "a CSV file."),
                   actor: str = Actor) -> None:
    """The incident's report: forecast against issued, invitations against donations, each appeal unit's fate."""
    with clerk_errors():
        report = incident_report(uow(), incident_id=incident_id)
    if report.unused_share is None:
        console.print("Unused share: no unit has come from the appeal's donations yet.")
    else:
        console.print(f"[bold]Unused share: {report.unused_share:.0%}[/bold] ({report.unused} of {report.units_total}"
                      f" units expired or discarded; {report.undecided} still in stock or in quarantine).")
    console.print(f"Forecast {report.forecast_total} units over 72 h; {report.issued_total} issued for the "
                  f"incident's patients. {report.invited_total} donors invited, {report.collected_total} donations.")
    table = Table("Component", "Group", "Forecast", "Issued")
    for f in report.forecast:
        table.add_row(f.kind.replace("_", " "), f.group, str(f.forecast), str(f.issued))
    console.print(table)
    table = Table("Component", "Group", *(f.replace("_", " ") for f in FATES), "Total")
    for line in report.fates:
        table.add_row(line.kind.replace("_", " "), line.group, *(str(getattr(line, f)) for f in FATES),
                      str(line.total))
    console.print(table)
    if csv_dir is not None:
        csv_dir.mkdir(parents=True, exist_ok=True)
        for section in SECTIONS:
            (csv_dir / f"bloodbank-incident-{report.incident.id}-{section}.csv").write_text(
                csv_text(report, section), encoding="utf-8")
        console.print(f"CSV files written to {escape(str(csv_dir))}.")
