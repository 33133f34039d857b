"""A QR code as SVG text: small, sharp at any size, shown on a phone for the desk to scan."""

from __future__ import annotations

from reportlab.graphics import renderSVG
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing

SIZE = 220  # points: a phone held up to a desk scanner


def qr_svg(text: str) -> str:
    widget = QrCodeWidget(text, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(SIZE, SIZE, transform=[SIZE / (x1 - x0), 0, 0, SIZE / (y1 - y0), 0, 0])
    drawing.add(widget)
    return renderSVG.drawToString(drawing)
