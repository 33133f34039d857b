"""The unit label: 100 x 100 mm, the four ISBT 128 quadrants.

    +-------------------+-------------------+
    | DIN               | ABO/RhD group     |
    | =G12342612345600  | =%5100            |
    +-------------------+-------------------+
    | product code      | expiry            |
    | =<X0003V00        | &>0260732359      |
    +-------------------+-------------------+

Each barcode is Code 128 of the data structure with its data identifiers, as
a scanner returns it, so a scan-back compares exactly what is printed. The
DIN's eye-readable form carries the keyboard check character in a box; it is
not in the barcode. A unit not yet grouped carries the quarantine message
`=%Mq00` in the group quadrant, never a guessed group.

A unit collected in an emergency and not fully tested carries a band below
the quadrants: the special-testing barcode (data structure 010, `&(` + 5
characters) and the same words in large capitals, so nobody mistakes it for
tested blood whether they read it or scan it. Its group code says "emergency
use only" and its product code collection type `G`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from bloodbank.domain.blood_groups import parse_group
from bloodbank.domain.isbt128 import Din, IntendedUse, encode_blood_group, encode_expiry, encode_product_code

SIZE = 100 * mm
HALF = SIZE / 2
PAD = 3 * mm
# ISBT 128 labels use a narrow bar of about 0.25 mm; a long code is narrowed to fit its quadrant.
MAX_BAR = 0.25 * mm
QUIET_MODULES = 10  # quiet zone each side, in narrow bars
BAR_HEIGHT = 12 * mm
FONT, BOLD = "Helvetica", "Helvetica-Bold"
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
UNGROUPED = "=%Mq00"  # ISBT 128 group message "quarantine": not to be issued until released
BAND = 30 * mm  # the special-testing band of a unit not fully tested


@dataclass(frozen=True)
class UnitLabel:
    din: str  # the 13 characters
    product_code: str  # 5-character product description code
    division: str
    product_name: str
    blood_group: str | None  # "O-"...; None until the laboratory has grouped the donation
    expires_at: datetime  # naive, on the site's wall clock, as printed
    collection_type: str = "V"  # volunteer allogeneic
    facility: str = ""
    volume_ml: int | None = None
    attributes: tuple[str, ...] = ()  # "IRRADIATED", "LEUCOCYTE-REDUCED"...
    # Special testing (ISBT 128 data structure 010): the 5-character code and its words; None for tested blood.
    special_testing: str | None = None
    special_text: str = ""

    @property
    def din_value(self) -> Din:
        return Din(self.din[:5], self.din[5:7], self.din[7:])

    @property
    def din_barcode(self) -> str:
        return f"={self.din}00"

    @property
    def group_barcode(self) -> str:
        if self.blood_group is None:
            return UNGROUPED
        use = IntendedUse.EMERGENCY_ONLY if self.special_testing else IntendedUse.GENERAL
        return encode_blood_group(self.blood_group, use)

    @property
    def special_testing_barcode(self) -> str | None:
        return f"&({self.special_testing}" if self.special_testing else None

    @property
    def product_barcode(self) -> str:
        return encode_product_code(self.product_code, self.collection_type, self.division)

    @property
    def expiry_barcode(self) -> str:
        return encode_expiry(self.expires_at)


def unit_label_pdf(label: UnitLabel) -> bytes:
    barcodes = (label.din_barcode, label.group_barcode, label.product_barcode, label.expiry_barcode)
    buffer = BytesIO()
    band = BAND if label.special_testing else 0
    # Uncompressed and invariant: the DIN can be found in the bytes and a reprint is byte-identical.
    canvas = Canvas(buffer, pagesize=(SIZE, SIZE + band), pageCompression=0, invariant=1)
    canvas.setTitle(f"Unit {label.din} {label.product_code} {label.division}")
    if band:
        _special_testing_band(canvas, label)
        canvas.translate(0, band)
    _grid(canvas)
    _din_quadrant(canvas, label, barcodes[0])
    _group_quadrant(canvas, label, barcodes[1])
    _product_quadrant(canvas, label, barcodes[2])
    _expiry_quadrant(canvas, label, barcodes[3])
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _special_testing_band(canvas: Canvas, label: UnitLabel) -> None:
    canvas.setLineWidth(1.5)
    canvas.rect(1, 1, SIZE - 2, BAND - 2, stroke=1, fill=0)
    data = label.special_testing_barcode
    modules = Code128(data, barWidth=1, humanReadable=False, quiet=0).width
    bar = min(MAX_BAR, (HALF - 2 * PAD) / (modules + 2 * QUIET_MODULES))
    barcode = Code128(data, barWidth=bar, barHeight=BAR_HEIGHT, humanReadable=False,
                      lquiet=QUIET_MODULES * bar, rquiet=QUIET_MODULES * bar)
    barcode.drawOn(canvas, PAD, BAND - PAD - BAR_HEIGHT)
    canvas.setFont(FONT, 6)
    canvas.drawString(PAD + QUIET_MODULES * bar, BAND - PAD - BAR_HEIGHT - 7, data)
    canvas.setFont(BOLD, 9)
    y = BAND - PAD - 10
    for line in _wrap(label.special_text, BOLD, 9, HALF - 2 * PAD)[:4]:
        canvas.drawString(HALF, y, line)
        y -= 11


def _grid(canvas: Canvas) -> None:
    canvas.setLineWidth(0.5)
    canvas.line(HALF, 0, HALF, SIZE)
    canvas.line(0, HALF, SIZE, HALF)


def _barcode(canvas: Canvas, data: str, left: float, top: float) -> float:
    """Draw `data` as Code 128 under `top` in the quadrant starting at `left`; return its bottom."""
    modules = Code128(data, barWidth=1, humanReadable=False, quiet=0).width
    bar = min(MAX_BAR, (HALF - 2 * PAD) / (modules + 2 * QUIET_MODULES))
    barcode = Code128(data, barWidth=bar, barHeight=BAR_HEIGHT, humanReadable=False,
                      lquiet=QUIET_MODULES * bar, rquiet=QUIET_MODULES * bar)
    bottom = top - BAR_HEIGHT
    barcode.drawOn(canvas, left + (HALF - barcode.width) / 2, bottom)
    canvas.setFont(FONT, 6)
    canvas.drawCentredString(left + HALF / 2, bottom - 7, data)
    return bottom - 7


def _caption(canvas: Canvas, text: str, left: float, top: float) -> float:
    canvas.setFont(BOLD, 6)
    canvas.drawString(left + PAD, top - PAD - 5, text)
    return top - PAD - 8


def _din_quadrant(canvas: Canvas, label: UnitLabel, data: str) -> None:
    top = _caption(canvas, "DONATION IDENTIFICATION NUMBER", 0, SIZE)
    y = _barcode(canvas, data, 0, top) - 16
    din = label.din_value
    text = f"{din.facility} {din.year} {din.serial}"
    canvas.setFont(BOLD, 13)
    canvas.drawString(PAD, y, text)
    # The check character, boxed: typed after the DIN to catch keying errors, never scanned.
    x = PAD + stringWidth(text, BOLD, 13) + 4
    canvas.drawString(x + 2, y, din.check)
    canvas.rect(x, y - 3, stringWidth(din.check, BOLD, 13) + 4, 15, stroke=1, fill=0)
    if label.facility:
        canvas.setFont(FONT, 7)
        canvas.drawString(PAD, y - 14, _fit(label.facility, FONT, 7, HALF - 2 * PAD))


def _group_quadrant(canvas: Canvas, label: UnitLabel, data: str) -> None:
    top = _caption(canvas, "ABO / RhD", HALF, SIZE)
    y = _barcode(canvas, data, HALF, top) - 30
    centre = HALF + HALF / 2
    if label.blood_group is None:
        canvas.setFont(BOLD, 14)
        canvas.drawCentredString(centre, y + 10, "NOT GROUPED")
        canvas.setFont(FONT, 8)
        canvas.drawCentredString(centre, y - 4, "Quarantine: do not issue")
        return
    group = parse_group(label.blood_group)
    canvas.setFont(BOLD, 36)
    canvas.drawCentredString(centre, y, group.abo.value)
    canvas.setFont(BOLD, 11)
    canvas.drawCentredString(centre, y - 14, f"RhD {'POSITIVE' if group.rhd_positive else 'NEGATIVE'}")


def _product_quadrant(canvas: Canvas, label: UnitLabel, data: str) -> None:
    top = _caption(canvas, "PRODUCT", 0, HALF)
    y = _barcode(canvas, data, 0, top) - 10
    canvas.setFont(BOLD, 7)
    for line in _wrap(label.product_name, BOLD, 7, HALF - 2 * PAD)[:3]:
        canvas.drawString(PAD, y, line)
        y -= 8
    canvas.setFont(FONT, 6.5)
    extras = list(label.attributes) + ([f"{label.volume_ml} mL"] if label.volume_ml else [])
    for line in _wrap(", ".join(extras), FONT, 6.5, HALF - 2 * PAD)[:2]:
        canvas.drawString(PAD, y, line)
        y -= 7.5


def _expiry_quadrant(canvas: Canvas, label: UnitLabel, data: str) -> None:
    top = _caption(canvas, "EXPIRES", HALF, HALF)
    y = _barcode(canvas, data, HALF, top) - 22
    centre = HALF + HALF / 2
    canvas.setFont(BOLD, 16)
    canvas.drawCentredString(centre, y, printed_date(label.expires_at))
    canvas.setFont(BOLD, 12)
    canvas.drawCentredString(centre, y - 15, f"{label.expires_at:%H:%M}")


def printed_date(when: datetime) -> str:
    """A date as the label prints it, `05 MAR 2026`: month by name, never by the machine's locale,
    because 03/04 is read both ways round."""
    return f"{when.day:02d} {MONTHS[when.month - 1]} {when.year}"


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if stringWidth(candidate, font, size) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return [_fit(line, font, size, width) for line in lines]


def _fit(text: str, font: str, size: float, width: float) -> str:
    while text and stringWidth(text, font, size) > width:
        text = text[:-2] + "…"
    return text
