"""The donor's copy of their data as a document: A4, one table per kind of record, every value as held.

Headings and sentences are in the donor's language (Arabic right to left); the fields keep the names the data
has in the machine-readable copy, and every value is printed as it is held.
"""

from __future__ import annotations

from datetime import datetime
from io import BytesIO
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from bloodbank.adapters.labels.lettering import ENGLISH, Lettering
from bloodbank.domain.messages import N_

TITLES = {
    "donor_page": N_("Your donor page"),
    "records": N_("Your donor record"), "appointments": N_("Appointments"), "visits": N_("Visits"),
    "consents": N_("Consents and your private answer"), "deferrals": N_("Deferrals"), "donations": N_("Donations"),
    "test_results": N_("Test results of your donations"), "reactions": N_("Reactions at a donation"),
    "changes": N_("When your record was changed, and why"),
}
PAGE_ROOM = A4[0] - 30 * mm - 12 - 1  # the frame pads 6 points a side; a point spare
KEY_WIDTH, VALUE_WIDTH = 45 * mm, 130 * mm
CELL_PADDING = 12  # a table cell's padding, left and right together


def _text(value: Any, lettering: Lettering) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(v, lettering)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_text(v, lettering) for v in value)
    if isinstance(value, bool):
        return lettering(N_("yes")) if value else lettering(N_("no"))
    return str(value)


def data_copy_pdf(donor_number: str, made_at: datetime, sections: dict[str, list[dict[str, Any]]],
                  lettering: Lettering = ENGLISH) -> bytes:
    buffer = BytesIO()
    styles = getSampleStyleSheet()
    align = TA_RIGHT if lettering.rtl else TA_LEFT
    title, heading = styles["Title"].clone("title", alignment=align), styles["Heading2"].clone("h2", alignment=align)
    body = styles["BodyText"].clone("body", alignment=align)
    cell = styles["BodyText"].clone("cell", fontSize=7.5, leading=9, alignment=align)

    def paragraph(text: str, style, room: float = PAGE_ROOM, bold: bool = False) -> Paragraph:
        return Paragraph(lettering.markup(text, style.fontSize, room, bold=bold), style)

    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                                 bottomMargin=15 * mm, title=f"Data held about donor {donor_number}",
                                 invariant=1)
    number = lettering.isolate(donor_number)
    made = lettering.isolate(f"{made_at:%Y-%m-%d %H:%M}")
    story = [paragraph(lettering(N_("Data held about donor %(number)s")) % {"number": number}, title, bold=True),
             paragraph(lettering(N_("Made %(when)s UTC. Everything held about you, as it is held. Nothing about any "
                                    "patient who received your blood is kept with it.")) % {"when": made}, body),
             Spacer(1, 4 * mm)]
    # The key column stands first in reading order: on the right of a right-to-left page.
    widths = (VALUE_WIDTH, KEY_WIDTH) if lettering.rtl else (KEY_WIDTH, VALUE_WIDTH)
    for name, rows in sections.items():
        story.append(paragraph(lettering(TITLES[name]) if name in TITLES else name, heading, bold=True))
        if not rows:
            story.append(paragraph(lettering(N_("Nothing held.")), body))
            continue
        for row in rows:
            cells = [[paragraph(key.replace("_", " "), cell, KEY_WIDTH - CELL_PADDING),
                      paragraph(_text(value, lettering), cell, VALUE_WIDTH - CELL_PADDING)]
                     for key, value in row.items()]
            table = Table([list(reversed(pair)) if lettering.rtl else pair for pair in cells], colWidths=widths)
            table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                                       ("VALIGN", (0, 0), (-1, -1), "TOP")]))
            story += [table, Spacer(1, 2 * mm)]
    document.build(story)
    return buffer.getvalue()
