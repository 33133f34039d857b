"""A pack of emergency identities for a trauma bay: for each number a wristband and sample-tube labels.

The number is printed large (read across a resuscitation room) and as a Code 128 barcode holding the number as
typed (EM-2026-0042), so a scan is the same identifier the patient record holds. The words are in the language
of whoever prints the pack; the number is printed left to right in every language.
"""

from __future__ import annotations

from datetime import datetime
from io import BytesIO

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from bloodbank.adapters.labels.lettering import ENGLISH, Lettering
from bloodbank.domain.messages import N_

BAND_WIDTH, BAND_HEIGHT = 250 * mm, 28 * mm
TUBE_WIDTH, TUBE_HEIGHT = 50 * mm, 25 * mm
TUBES_PER_ROW = 5


def _barcode(canvas: Canvas, number: str, x: float, y: float, width: float, height: float) -> None:
    modules = Code128(number, barWidth=1, humanReadable=False, quiet=0).width
    bar = min(0.33 * mm, width / (modules + 20))
    code = Code128(number, barWidth=bar, barHeight=height, humanReadable=False, lquiet=10 * bar, rquiet=10 * bar)
    code.drawOn(canvas, x, y)


def _wristband(canvas: Canvas, number: str, place: str, top: float, lettering: Lettering) -> None:
    canvas.setLineWidth(0.3)
    canvas.rect(5 * mm, top - BAND_HEIGHT, BAND_WIDTH, BAND_HEIGHT, stroke=1, fill=0)
    # The words and the number in the band's left part, beside the barcode.
    left, right = 8 * mm, 115 * mm
    heading = lettering(N_("UNIDENTIFIED PATIENT - EMERGENCY NUMBER"))
    lettering.draw(canvas, lettering.fit(heading, 7, right - left, bold=True), y=top - 4 * mm, left=left,
                   right=right, size=7, bold=True)
    lettering.draw(canvas, lettering.fit(place, 6, right - left), y=top - BAND_HEIGHT + 2.5 * mm, left=left,
                   right=right, size=6)
    lettering.draw(canvas, number, y=top - 17 * mm, left=left, right=right, size=30, bold=True)
    _barcode(canvas, number, 120 * mm, top - 22 * mm, 125 * mm, 16 * mm)


def _tube(canvas: Canvas, number: str, caption: str, left: float, top: float, lettering: Lettering) -> None:
    canvas.setLineWidth(0.3)
    canvas.rect(left, top - TUBE_HEIGHT, TUBE_WIDTH, TUBE_HEIGHT, stroke=1, fill=0)
    inner_left, inner_right = left + 2 * mm, left + TUBE_WIDTH - 2 * mm
    lettering.draw(canvas, lettering.fit(caption, 6, inner_right - inner_left, bold=True), y=top - 3.5 * mm,
                   left=inner_left, right=inner_right, size=6, bold=True)
    lettering.draw(canvas, number, y=top - 9.5 * mm, left=inner_left, right=inner_right, size=14, bold=True)
    _barcode(canvas, number, left + 1 * mm, top - TUBE_HEIGHT + 2 * mm, TUBE_WIDTH - 2 * mm, 10 * mm)


def identity_pack_pdf(numbers: list[str], *, place: str, hospital: str, printed: datetime, tubes: int,
                      lettering: Lettering = ENGLISH) -> bytes:
    """One page per number: its wristband, then its tube labels, all with the same number and barcode."""
    rows = -(-tubes // TUBES_PER_ROW)
    height = BAND_HEIGHT + rows * TUBE_HEIGHT + 20 * mm
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=(BAND_WIDTH + 10 * mm, height), pageCompression=0, invariant=1)
    canvas.setTitle(f"Emergency identities {numbers[0]} to {numbers[-1]}" if numbers else "Emergency identities")
    header = lettering(N_("%(hospital)s - %(place)s - printed %(date)s")) % {
        "hospital": lettering.isolate(hospital[:60]), "place": lettering.isolate(place[:60]),
        "date": lettering.isolate(f"{printed:%Y-%m-%d}")}
    for number in numbers:
        lettering.draw(canvas, header, y=height - 5 * mm, left=5 * mm, right=5 * mm + BAND_WIDTH, size=6)
        top = height - 8 * mm
        _wristband(canvas, number, f"{hospital} - {place}", top, lettering)
        top -= BAND_HEIGHT + 4 * mm
        for index in range(tubes):
            left = 5 * mm + (index % TUBES_PER_ROW) * TUBE_WIDTH
            caption = lettering(N_("SAMPLE TUBE %(number)s")) % {"number": index + 1}
            _tube(canvas, number, caption, left, top - (index // TUBES_PER_ROW) * TUBE_HEIGHT, lettering)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
