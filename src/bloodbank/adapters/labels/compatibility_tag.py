"""The compatibility tag: 100 x 75 mm, tied to the bag at issue and checked at the bedside.

    +----------------------------------------------+
    | COMPATIBILITY TAG              issue 1234    |
    | PATIENT  family, given · born · sex          |
    |          identifiers           [band code]   |
    | UNIT     DIN [check]  group  product  expiry |
    |          [DIN code]                          |
    | BASIS    crossmatch / electronic / emergency |
    | issued at … by …               [TAG code]    |
    +----------------------------------------------+

Three Code 128 barcodes, each exactly what the bedside scans: the patient's identifier as their band
carries it, the unit's DIN as the bag label carries it, and the tag's own code naming the issue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from bloodbank.adapters.labels.unit_label import BOLD, FONT, MAX_BAR, QUIET_MODULES, _wrap, printed_date
from bloodbank.domain.isbt128 import Din

WIDTH, HEIGHT = 100 * mm, 75 * mm
PAD = 3 * mm
BAR_HEIGHT = 9 * mm


@dataclass(frozen=True)
class CompatibilityTag:
    issue_id: int
    tag_code: str
    patient_name: str
    date_of_birth: date | None
    sex: str | None
    identifiers: tuple[tuple[str, str], ...]  # (system, value)
    band_code: str | None  # the identifier as the band's barcode carries it ("nhs:…"), when the patient has one
    hospital: str
    din: str
    din_barcode: str
    product_code: str
    product_name: str
    blood_group: str | None
    expires_at: datetime  # on the hospital's wall clock, as printed
    basis: str  # the words: crossmatch, electronic or emergency
    emergency: bool
    issued_at: datetime  # on the hospital's wall clock
    issued_by: str
    manual_checks: tuple[str, ...] = ()

    @property
    def din_value(self) -> Din:
        return Din(self.din[:5], self.din[5:7], self.din[7:])


def compatibility_tag_pdf(tag: CompatibilityTag) -> bytes:
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=(WIDTH, HEIGHT), pageCompression=0, invariant=1)
    canvas.setTitle(f"Compatibility tag, issue {tag.issue_id}, unit {tag.din} {tag.product_code}")
    y = HEIGHT - PAD - 9
    canvas.setFont(BOLD, 11)
    canvas.drawString(PAD, y, "COMPATIBILITY TAG")
    canvas.setFont(FONT, 8)
    canvas.drawRightString(WIDTH - PAD, y, f"issue {tag.issue_id} · {tag.hospital}"[:60])
    y -= 4
    canvas.line(PAD, y, WIDTH - PAD, y)

    y = _patient(canvas, tag, y - 10)
    y = _unit(canvas, tag, y - 4)
    _basis(canvas, tag, y - 4)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _patient(canvas: Canvas, tag: CompatibilityTag, y: float) -> float:
    canvas.setFont(BOLD, 6)
    canvas.drawString(PAD, y + 1, "PATIENT")
    canvas.setFont(BOLD, 11)
    canvas.drawString(PAD + 12 * mm, y, _fit(tag.patient_name.upper(), BOLD, 11, 50 * mm))
    born = printed_date(datetime.combine(tag.date_of_birth, datetime.min.time())) if tag.date_of_birth else "unknown"
    canvas.setFont(FONT, 8)
    canvas.drawString(PAD + 12 * mm, y - 10, f"Born {born}" + (f" · {tag.sex}" if tag.sex else ""))
    listed = ", ".join(f"{system.upper()} {value}" for system, value in tag.identifiers[:3]) or "no identifier"
    canvas.drawString(PAD + 12 * mm, y - 19, _fit(listed, FONT, 8, 50 * mm))
    if tag.band_code:
        _barcode(canvas, tag.band_code, WIDTH - PAD - 32 * mm, y + 6, 32 * mm, "BAND")
    return y - 26


def _unit(canvas: Canvas, tag: CompatibilityTag, y: float) -> float:
    canvas.line(PAD, y + 4, WIDTH - PAD, y + 4)
    canvas.setFont(BOLD, 6)
    canvas.drawString(PAD, y - 6, "UNIT")
    din = tag.din_value
    text = f"{din.facility} {din.year} {din.serial}"
    canvas.setFont(BOLD, 11)
    x = PAD + 12 * mm
    canvas.drawString(x, y - 7, text)
    box = x + stringWidth(text, BOLD, 11) + 3
    canvas.drawString(box + 2, y - 7, din.check)
    canvas.rect(box, y - 10, stringWidth(din.check, BOLD, 11) + 4, 13, stroke=1, fill=0)
    canvas.setFont(BOLD, 16)
    canvas.drawRightString(WIDTH - PAD, y - 9, tag.blood_group or "NOT GROUPED")
    canvas.setFont(FONT, 7.5)
    canvas.drawString(x, y - 17, _fit(f"{tag.product_code} {tag.product_name}", FONT, 7.5, 62 * mm))
    canvas.drawString(x, y - 26, f"Expires {printed_date(tag.expires_at)} {tag.expires_at:%H:%M}")
    _barcode(canvas, tag.din_barcode, WIDTH - PAD - 38 * mm, y - 14, 38 * mm, "DIN")
    return y - 40


def _basis(canvas: Canvas, tag: CompatibilityTag, y: float) -> None:
    canvas.line(PAD, y + 4, WIDTH - PAD, y + 4)
    canvas.setFont(BOLD, 6)
    canvas.drawString(PAD, y - 6, "BASIS")
    font = BOLD if tag.emergency else FONT
    canvas.setFont(font, 7.5)
    for line in _wrap(tag.basis, font, 7.5, 52 * mm)[:2]:
        canvas.drawString(PAD + 12 * mm, y - 6, line)
        y -= 8.5
    y += 8.5
    canvas.setFont(FONT, 6.5)
    lines = [f"Issued {printed_date(tag.issued_at)} {tag.issued_at:%H:%M} by {tag.issued_by}"]
    lines += [f"Check by hand: {check}" for check in tag.manual_checks[:2]]
    lines.append("At the bedside scan this tag, the bag and the band: all three must match.")
    for n, line in enumerate(lines):
        canvas.drawString(PAD + 12 * mm, y - 15 - 7.5 * n, _fit(line, FONT, 6.5, 52 * mm))
    _barcode(canvas, tag.tag_code, WIDTH - PAD - 30 * mm, y - 2, 30 * mm, "TAG")


def _barcode(canvas: Canvas, data: str, left: float, top: float, width: float, caption: str) -> None:
    modules = Code128(data, barWidth=1, humanReadable=False, quiet=0).width
    bar = min(MAX_BAR, width / (modules + 2 * QUIET_MODULES))
    barcode = Code128(data, barWidth=bar, barHeight=BAR_HEIGHT, humanReadable=False,
                      lquiet=QUIET_MODULES * bar, rquiet=QUIET_MODULES * bar)
    bottom = top - BAR_HEIGHT
    barcode.drawOn(canvas, left + (width - barcode.width) / 2, bottom)
    canvas.setFont(FONT, 5.5)
    canvas.drawCentredString(left + width / 2, bottom - 6, f"{caption} {data}")


def _fit(text: str, font: str, size: float, width: float) -> str:
    while text and stringWidth(text, font, size) > width:
        text = text[:-2] + "…"
    return text
