"""The donor card: credit-card size (ISO/IEC 7810 ID-1), number in large type and as a barcode.

The number is what staff scan or type at every visit, so it dominates the
card; the name is there to hand the card to the right person. The blood group
is printed only when it is known and not in dispute: a card is carried for
years and must never show a group the lab has questioned.
"""

from __future__ import annotations

from io import BytesIO
from typing import Protocol

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.code128 import Code128
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from bloodbank.adapters.labels.lettering import ENGLISH, Lettering
from bloodbank.domain.messages import N_

CARD_WIDTH, CARD_HEIGHT = 85.6 * mm, 54 * mm
MARGIN = 4 * mm
LEFT, RIGHT = MARGIN, CARD_WIDTH - MARGIN
# 0.33 mm modules read reliably on hand scanners and leave the quiet zones room on the card.
BAR_WIDTH = 0.33 * mm
BAR_HEIGHT = 11 * mm
NAME_SIZES = (12, 11, 10, 9, 8, 7)
GROUP_ROOM = 20 * mm  # the corner the group is printed in, kept clear of the heading
HEADING, THANKS, GROUP = N_("BLOOD DONOR"), N_("Thank you for giving blood voluntarily."), N_("blood group")


class CardHolder(Protocol):
    donor_number: str
    given_name: str
    family_name: str
    blood_group: str | None


def donor_card_pdf(view: CardHolder, lettering: Lettering = ENGLISH, *, qr: bool = False) -> bytes:
    """The card in `lettering`'s language: the donor's own, so it reads right to left in Arabic; the number,
    the group and the barcode are the same in every language."""
    buffer = BytesIO()
    # Uncompressed and invariant: the number can be found in the bytes, and the same card
    # gives the same file (no timestamp), which makes a reprint easy to compare.
    canvas = Canvas(buffer, pagesize=(CARD_WIDTH, CARD_HEIGHT), pageCompression=0, invariant=1)
    canvas.setTitle(f"Donor card {view.donor_number}")
    _heading(canvas, view, lettering)
    _name(canvas, f"{view.given_name} {view.family_name}", lettering)
    lettering.draw(canvas, view.donor_number, y=22 * mm, left=LEFT, right=RIGHT, size=20, bold=True)
    _barcode(canvas, view.donor_number)
    if qr:
        _qr(canvas, view.donor_number, lettering)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _heading(canvas: Canvas, view: CardHolder, lettering: Lettering) -> None:
    group = view.blood_group if not getattr(view, "group_discrepancy", False) else None
    room = RIGHT - LEFT - (GROUP_ROOM if group else 0)
    top = CARD_HEIGHT - MARGIN
    for text, size, bold, y in ((lettering(HEADING), 8, True, top - 6), (lettering(THANKS), 6, False, top - 13)):
        lettering.draw(canvas, lettering.fit(text, size, room, bold=bold), y=y, left=LEFT, right=RIGHT, size=size,
                       bold=bold)
    if group:
        lettering.draw(canvas, group, y=top - 18, left=LEFT, right=RIGHT, size=22, bold=True, align="end")
        lettering.draw(canvas, lettering.fit(lettering(GROUP), 6, GROUP_ROOM), y=top - 25, left=LEFT, right=RIGHT,
                       size=6, align="end")


def _name(canvas: Canvas, name: str, lettering: Lettering) -> None:
    room = RIGHT - LEFT
    for size in NAME_SIZES:
        if lettering.width(name, size, bold=True) <= room:
            break
    name = lettering.fit(name, size, room, bold=True)
    lettering.draw(canvas, name, y=32 * mm, left=LEFT, right=RIGHT, size=size, bold=True)


def _barcode(canvas: Canvas, number: str) -> None:
    barcode = Code128(number, barWidth=BAR_WIDTH, barHeight=BAR_HEIGHT, humanReadable=False)
    # Centred, with the symbol's own quiet zones on either side.
    barcode.drawOn(canvas, (CARD_WIDTH - barcode.width) / 2, MARGIN)


QR_SIZE = 14 * mm


def _qr(canvas: Canvas, number: str, lettering: Lettering) -> None:
    """The number as a QR code too, for a phone's camera at a desk without a barcode scanner; at the end of
    the line, away from the number."""
    widget = QrCodeWidget(number, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(QR_SIZE, QR_SIZE, transform=[QR_SIZE / (x1 - x0), 0, 0, QR_SIZE / (y1 - y0), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, LEFT if lettering.rtl else RIGHT - QR_SIZE, 18 * mm)
