"""`bloodbank reports monthly`: the month's figures on screen, each table as a CSV file, the charts as SVG."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from bloodbank.domain.access import Permission as P
from bloodbank.domain.monthly_report import parse_month
from bloodbank.entrypoints.cli.context import clerk_errors, console, running, uow
from bloodbank.entrypoints.cli.identity import Actor, needs
from bloodbank.service_layer.donors import sites
from bloodbank.service_layer.reporting.monthly import SECTIONS, csv_text, monthly_report
from bloodbank.service_layer.reporting.monthly_charts import charts

app = typer.Typer(help="Reports a blood service prints every month: counts only, no person named.",
                  no_args_is_help=True)


@app.command()
@needs(P.REPORTS)
def monthly(
    month: str = typer.Option(..., "--month", help="The month, as YYYY-MM."),
    site: Optional[str] = typer.Option(None, "--site", help="Only this site (its code) and its hospitals."),
    csv_dir: Optional[Path] = typer.Option(None, "--csv", help="Write each table to this folder as a CSV file."),
    plots_dir: Optional[Path] = typer.Option(None, "--plots", help="Write the charts to this folder as SVG."),
    actor: str = Actor,
) -> None:
    """Collections, deferrals, discards, hospital use, red-cell stock and days of supply, adverse events."""
    with clerk_errors():
        shown = parse_month(month)
        site_id = sites.site_by_code(uow(), site).id if site else None
        principal = running().principal
        report = monthly_report(uow(), shown, site_id=site_id,
                                deferral_reasons=principal is not None and principal.may(P.DEFERRAL_REASONS))
    where = f" at {report.site_code}" if report.site_code else ""
    console.print(f"[bold]{report.month}{escape(where)}[/bold]{'' if report.complete else ' (month still running)'}: "
                  f"{report.donations_total} donation(s), {report.deferrals_total} deferral(s), "
                  f"{report.discards_total} unit(s) discarded, "
                  f"{sum(h.issued for h in report.hospitals)} unit(s) issued.")
    table = Table("hospital", "issued", "emergency", "transfused")
    for h in report.hospitals:
        table.add_row(escape(h.hospital_code), str(h.issued), str(h.emergency_issues), str(h.transfused))
    if report.hospitals:
        console.print(table)
    stem = f"bloodbank-{report.month}" + (f"-{report.site_code}" if report.site_code else "")
    if csv_dir is not None:
        csv_dir.mkdir(parents=True, exist_ok=True)
        for section in SECTIONS:
            (csv_dir / f"{stem}-{section}.csv").write_text(csv_text(report, section), encoding="utf-8")
        console.print(f"CSV files written to {escape(str(csv_dir))}.")
    if plots_dir is not None:
        plots_dir.mkdir(parents=True, exist_ok=True)
        for name, chart in charts(report).items():
            (plots_dir / f"{stem}-{name}.svg").write_text(chart.svg, encoding="utf-8")
        console.print(f"Charts written to {escape(str(plots_dir))}.")
