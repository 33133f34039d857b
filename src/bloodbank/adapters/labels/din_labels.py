"""The DIN label sheet printed when the needle goes in: bag, sample tubes and donor record share one DIN."""

from __future__ import annotations

from datetime import datetime
from io import BytesIO

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from bloodbank.domain.isbt128 import Din


def din_label_sheet(din: Din, captions: list[str], *, site: str, collected: datetime) -> bytes:
    width, height, columns = 50 * mm, 30 * mm, 2
    rows = -(-len(captions) // columns)
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=(columns * width, rows * height), pageCompression=0, invariant=1)
    canvas.setTitle(f"DIN labels {din}")
    for index, caption in enumerate(captions):
        left = (index % columns) * width
        top = (rows - index // columns) * height
        canvas.setLineWidth(0.3)
        canvas.rect(left, top - height, width, height, stroke=1, fill=0)
        canvas.setFont("Helvetica-Bold", 6)
        canvas.drawString(left + 2 * mm, top - 3.5 * mm, caption)
        canvas.setFont("Helvetica", 5)
        canvas.drawRightString(left + width - 2 * mm, top - 3.5 * mm, f"{collected:%Y-%m-%d}")
        modules = Code128(din.barcode, barWidth=1, humanReadable=False, quiet=0).width
        bar = min(0.25 * mm, (width - 4 * mm) / (modules + 20))
        code = Code128(din.barcode, barWidth=bar, barHeight=10 * mm, humanReadable=False,
                       lquiet=10 * bar, rquiet=10 * bar)
        code.drawOn(canvas, left + (width - code.width) / 2, top - 15 * mm)
        text = f"{din.facility} {din.year} {din.serial}"
        canvas.setFont("Helvetica-Bold", 10)
        y = top - 21 * mm
        canvas.drawString(left + 3 * mm, y, text)
        # The check character boxed, as on the unit label: typed to catch keying errors, never scanned.
        x = left + 3 * mm + stringWidth(text, "Helvetica-Bold", 10) + 3
        canvas.drawString(x + 1.5, y, din.check)
        canvas.rect(x, y - 2, stringWidth(din.check, "Helvetica-Bold", 10) + 3, 11, stroke=1, fill=0)
        canvas.setFont("Helvetica", 5)
        canvas.drawString(left + 3 * mm, top - 26 * mm, site[:60])
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
