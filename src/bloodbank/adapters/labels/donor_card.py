"""The donor card: credit-card size (ISO/IEC 7810 ID-1), number in large type and as a barcode.

The number is what staff scan or type at every visit, so it dominates the
card; the name is there to hand the card to the right person. The blood group
is printed only when it is known and not in dispute: a card is carried for
years and must never show a group the lab has questioned.
"""

from __future__ import annotations

from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Protocol

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.code128 import Code128
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import registerFont, stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from bloodbank.domain.duplicates import strip_accents

CARD_WIDTH, CARD_HEIGHT = 85.6 * mm, 54 * mm
MARGIN = 4 * mm
# 0.33 mm modules read reliably on hand scanners and leave the quiet zones room on the card.
BAR_WIDTH = 0.33 * mm
BAR_HEIGHT = 11 * mm
FONT, BOLD = "Helvetica", "Helvetica-Bold"
NAME_SIZES = (12, 11, 10, 9, 8, 7)
# The PDF base fonts cannot show Ł, ő, ć or Cyrillic; DejaVu, where the system has it, can.
UNICODE_FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",  # Debian, Ubuntu
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans-Bold.ttf",  # Fedora
    "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",  # Arch
)


class CardHolder(Protocol):
    donor_number: str
    given_name: str
    family_name: str
    blood_group: str | None


# The card's own words, in English; a donor's page passes them in the donor's language.
WORDS = {"heading": "BLOOD DONOR", "thanks": "Thank you for giving blood voluntarily.", "group": "blood group"}


def donor_card_pdf(view: CardHolder, words: dict[str, str] | None = None, *, qr: bool = False) -> bytes:
    words = {**WORDS, **(words or {})}
    buffer = BytesIO()
    # Uncompressed and invariant: the number can be found in the bytes, and the same card
    # gives the same file (no timestamp), which makes a reprint easy to compare.
    canvas = Canvas(buffer, pagesize=(CARD_WIDTH, CARD_HEIGHT), pageCompression=0, invariant=1)
    canvas.setTitle(f"Donor card {view.donor_number}")
    _heading(canvas, view, words)
    _name(canvas, f"{view.given_name} {view.family_name}")
    canvas.setFont(BOLD, 20)
    canvas.drawString(MARGIN, 22 * mm, view.donor_number)
    _barcode(canvas, view.donor_number)
    if qr:
        _qr(canvas, view.donor_number)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _heading(canvas: Canvas, view: CardHolder, words: dict[str, str]) -> None:
    canvas.setFont(BOLD, 8)
    canvas.drawString(MARGIN, CARD_HEIGHT - MARGIN - 6, _printable(words["heading"], None))
    canvas.setFont(FONT, 6)
    canvas.drawString(MARGIN, CARD_HEIGHT - MARGIN - 13, _printable(words["thanks"], None))
    group = view.blood_group if not getattr(view, "group_discrepancy", False) else None
    if group:
        canvas.setFont(BOLD, 22)
        canvas.drawRightString(CARD_WIDTH - MARGIN, CARD_HEIGHT - MARGIN - 18, group)
        canvas.setFont(FONT, 6)
        canvas.drawRightString(CARD_WIDTH - MARGIN, CARD_HEIGHT - MARGIN - 25, _printable(words["group"], None))


@cache
def _name_font() -> tuple[str, frozenset[int] | None]:
    """The font for names and the characters it can show (None: the Windows-1252 set)."""
    for path in UNICODE_FONT_FILES:
        if Path(path).is_file():
            font = TTFont("CardName", path)
            registerFont(font)
            return "CardName", frozenset(font.face.charToGlyph)
    return BOLD, None


def _printable(name: str, covered: frozenset[int] | None) -> str:
    def shows(char: str) -> bool:
        if covered is not None:
            return ord(char) in covered
        try:
            char.encode("cp1252")
            return True
        except UnicodeEncodeError:
            return False

    printed = []
    for char in name:
        # A letter the font lacks is printed without its accent (Ł as L) rather than as a black box.
        plain = char if shows(char) else strip_accents(char)
        printed.append(plain if plain and all(map(shows, plain)) else "?")
    return "".join(printed)


def _name(canvas: Canvas, name: str) -> None:
    font, covered = _name_font()
    name = _printable(name, covered)
    room = CARD_WIDTH - 2 * MARGIN
    for size in NAME_SIZES:
        if stringWidth(name, font, size) <= room:
            break
    else:
        while name and stringWidth(name + "…", font, size) > room:
            name = name[:-1]
        name = name.rstrip() + "…"
    canvas.setFont(font, size)
    canvas.drawString(MARGIN, 32 * mm, name)


def _barcode(canvas: Canvas, number: str) -> None:
    barcode = Code128(number, barWidth=BAR_WIDTH, barHeight=BAR_HEIGHT, humanReadable=False)
    # Centred, with the symbol's own quiet zones on either side.
    barcode.drawOn(canvas, (CARD_WIDTH - barcode.width) / 2, MARGIN)


QR_SIZE = 14 * mm


def _qr(canvas: Canvas, number: str) -> None:
    """The number as a QR code too, for a phone's camera at a desk without a barcode scanner."""
    widget = QrCodeWidget(number, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(QR_SIZE, QR_SIZE, transform=[QR_SIZE / (x1 - x0), 0, 0, QR_SIZE / (y1 - y0), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, CARD_WIDTH - MARGIN - QR_SIZE, 18 * mm)
