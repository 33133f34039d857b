"""The donor's copy of their data as a document: A4, one table per kind of record, every value as held."""

from __future__ import annotations

from datetime import datetime
from io import BytesIO
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from xml.sax.saxutils import escape

TITLES = {
    "donor_page": "Your donor page",
    "records": "Your donor record", "appointments": "Appointments", "visits": "Visits",
    "consents": "Consents and your private answer", "deferrals": "Deferrals", "donations": "Donations",
    "test_results": "Test results of your donations", "reactions": "Reactions at a donation",
    "changes": "When your record was changed, and why",
}


def _text(value: Any) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def data_copy_pdf(donor_number: str, made_at: datetime, sections: dict[str, list[dict[str, Any]]]) -> bytes:
    buffer = BytesIO()
    styles = getSampleStyleSheet()
    cell = styles["BodyText"].clone("cell", fontSize=7.5, leading=9)
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                                 bottomMargin=15 * mm, title=f"Data held about donor {donor_number}",
                                 invariant=1)
    story = [Paragraph(f"Data held about donor {escape(donor_number)}", styles["Title"]),
             Paragraph(f"Made {made_at:%Y-%m-%d %H:%M} UTC. Everything held about you, as it is held. Nothing "
                       "about any patient who received your blood is kept with it.", styles["BodyText"]),
             Spacer(1, 4 * mm)]
    for name, rows in sections.items():
        story.append(Paragraph(escape(TITLES.get(name, name)), styles["Heading2"]))
        if not rows:
            story.append(Paragraph("Nothing held.", styles["BodyText"]))
            continue
        for row in rows:
            table = Table([[Paragraph(escape(key.replace("_", " ")), cell), Paragraph(escape(_text(value)), cell)]
                           for key, value in row.items()], colWidths=(45 * mm, 130 * mm))
            table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                                       ("VALIGN", (0, 0), (-1, -1), "TOP")]))
            story += [table, Spacer(1, 2 * mm)]
    document.build(story)
    return buffer.getvalue()
