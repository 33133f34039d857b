"""The monthly report's charts: what each one shows, drawn as SVG; the words a screen reader says instead."""

from __future__ import annotations

from dataclasses import dataclass

from bloodbank.adapters import plots
from bloodbank.service_layer.reporting.monthly import MonthlyReport


@dataclass(frozen=True)
class Chart:
    svg: str
    description: str  # for those who cannot see it; the report's tables hold every figure


def charts(report: MonthlyReport) -> dict[str, Chart]:
    by_group: dict[str, int] = {}
    for row in report.collections:
        by_group[row.group] = by_group.get(row.group, 0) + row.donations
    by_reason: dict[str, int] = {}
    for row in report.discards:
        by_reason[row.reason_text] = by_reason.get(row.reason_text, 0) + row.units
    days = [d.day for d in report.stock]
    return {
        "collections": Chart(
            plots.bars("Donations by blood group", list(by_group), list(by_group.values()), ylabel="donations"),
            f"Bar chart of {report.donations_total} donations by blood group; the table below gives each figure."),
        "stock": Chart(
            plots.lines("Red cells in stock at the end of each day", days,
                        {"red cells available": [d.red_cells_available for d in report.stock]}, ylabel="units"),
            "Line chart of red cells in stock at the end of each day; the table below gives each day."),
        "supply": Chart(
            plots.lines("Days of supply of red cells", days,
                        {"days of supply": [d.days_of_supply for d in report.stock]}, ylabel="days"),
            "Line chart of red cells' days of supply; the table below gives each day."),
        "discards": Chart(
            plots.bars("Units discarded by reason", list(by_reason), list(by_reason.values()), ylabel="units"),
            f"Bar chart of {report.discards_total} units discarded by reason; the table below gives each figure."),
        "hospitals": Chart(
            plots.bars("Units issued by hospital", [h.hospital_code for h in report.hospitals],
                       [h.issued for h in report.hospitals], ylabel="units"),
            "Bar chart of units issued by hospital; the table below gives each figure."),
    }
