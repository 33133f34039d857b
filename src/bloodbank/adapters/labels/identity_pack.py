"""A pack of emergency identities for a trauma bay: for each number a wristband and sample-tube labels.

The number is printed large (read across a resuscitation room) and as a Code 128 barcode holding the number as
typed (EM-2026-0042), so a scan is the same identifier the patient record holds.
"""

from __future__ import annotations

from datetime import datetime
from io import BytesIO

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

BAND_WIDTH, BAND_HEIGHT = 250 * mm, 28 * mm
TUBE_WIDTH, TUBE_HEIGHT = 50 * mm, 25 * mm
TUBES_PER_ROW = 5


def _barcode(canvas: Canvas, number: str, x: float, y: float, width: float, height: float) -> None:
    modules = Code128(number, barWidth=1, humanReadable=False, quiet=0).width
    bar = min(0.33 * mm, width / (modules + 20))
    code = Code128(number, barWidth=bar, barHeight=height, humanReadable=False, lquiet=10 * bar, rquiet=10 * bar)
    code.drawOn(canvas, x, y)


def _wristband(canvas: Canvas, number: str, place: str, top: float) -> None:
    canvas.setLineWidth(0.3)
    canvas.rect(5 * mm, top - BAND_HEIGHT, BAND_WIDTH, BAND_HEIGHT, stroke=1, fill=0)
    canvas.setFont("Helvetica-Bold", 7)
    canvas.drawString(8 * mm, top - 4 * mm, "UNIDENTIFIED PATIENT - EMERGENCY NUMBER")
    canvas.setFont("Helvetica", 6)
    canvas.drawString(8 * mm, top - BAND_HEIGHT + 2.5 * mm, place[:80])
    canvas.setFont("Helvetica-Bold", 30)
    canvas.drawString(8 * mm, top - 17 * mm, number)
    _barcode(canvas, number, 120 * mm, top - 22 * mm, 125 * mm, 16 * mm)


def _tube(canvas: Canvas, number: str, caption: str, left: float, top: float) -> None:
    canvas.setLineWidth(0.3)
    canvas.rect(left, top - TUBE_HEIGHT, TUBE_WIDTH, TUBE_HEIGHT, stroke=1, fill=0)
    canvas.setFont("Helvetica-Bold", 6)
    canvas.drawString(left + 2 * mm, top - 3.5 * mm, caption)
    canvas.setFont("Helvetica-Bold", 14)
    canvas.drawString(left + 2 * mm, top - 9.5 * mm, number)
    _barcode(canvas, number, left + 1 * mm, top - TUBE_HEIGHT + 2 * mm, TUBE_WIDTH - 2 * mm, 10 * mm)


def identity_pack_pdf(numbers: list[str], *, place: str, hospital: str, printed: datetime, tubes: int) -> bytes:
    """One page per number: its wristband, then its tube labels, all with the same number and barcode."""
    rows = -(-tubes // TUBES_PER_ROW)
    height = BAND_HEIGHT + rows * TUBE_HEIGHT + 20 * mm
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=(BAND_WIDTH + 10 * mm, height), pageCompression=0, invariant=1)
    canvas.setTitle(f"Emergency identities {numbers[0]} to {numbers[-1]}" if numbers else "Emergency identities")
    for number in numbers:
        canvas.setFont("Helvetica", 6)
        canvas.drawString(5 * mm, height - 5 * mm, f"{hospital[:60]} - {place[:60]} - printed {printed:%Y-%m-%d}")
        top = height - 8 * mm
        _wristband(canvas, number, f"{hospital} - {place}", top)
        top -= BAND_HEIGHT + 4 * mm
        for index in range(tubes):
            left = 5 * mm + (index % TUBES_PER_ROW) * TUBE_WIDTH
            _tube(canvas, number, f"SAMPLE TUBE {index + 1}", left, top - (index // TUBES_PER_ROW) * TUBE_HEIGHT)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
