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

The words are in the language of whoever prints it (Arabic right to left within each column); the DIN, the
group, the product and the barcodes are the same in every language, the DIN always left to right.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from bloodbank.adapters.labels.lettering import ENGLISH, Lettering
from bloodbank.adapters.labels.unit_label import BOLD, FONT, MAX_BAR, QUIET_MODULES, printed_date
from bloodbank.domain.isbt128 import Din
from bloodbank.domain.messages import N_

WIDTH, HEIGHT = 100 * mm, 75 * mm
PAD = 3 * mm
BAR_HEIGHT = 9 * mm
# Each section's name in a narrow column on the left, its text in the column beside it.
CAPTION_RIGHT = PAD + 11 * mm
TEXT_LEFT = PAD + 12 * mm
BESIDE_DIN = WIDTH - PAD - 38 * mm - TEXT_LEFT - 1 * mm


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


def compatibility_tag_pdf(tag: CompatibilityTag, lettering: Lettering = ENGLISH) -> bytes:
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=(WIDTH, HEIGHT), pageCompression=0, invariant=1)
    canvas.setTitle(f"Compatibility tag, issue {tag.issue_id}, unit {tag.din} {tag.product_code}")
    y = HEIGHT - PAD - 9
    lettering.draw(canvas, lettering(N_("COMPATIBILITY TAG")), y=y, left=PAD, right=WIDTH - PAD, size=11,
                   bold=True)
    issue = lettering(N_("issue %(issue)s · %(hospital)s")) % {
        "issue": lettering.isolate(str(tag.issue_id)), "hospital": lettering.isolate(tag.hospital)}
    lettering.draw(canvas, lettering.fit(issue, 8, 45 * mm), y=y, left=PAD, right=WIDTH - PAD, size=8, align="end")
    y -= 4
    canvas.line(PAD, y, WIDTH - PAD, y)

    y = _patient(canvas, tag, lettering, y - 10)
    y = _unit(canvas, tag, lettering, y - 4)
    _basis(canvas, tag, lettering, y - 4)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _caption(canvas: Canvas, lettering: Lettering, text: str, y: float) -> None:
    lettering.draw(canvas, lettering.fit(lettering(text), 6, CAPTION_RIGHT - PAD, bold=True), y=y, left=PAD,
                   right=CAPTION_RIGHT, size=6, bold=True)


def _line(canvas: Canvas, lettering: Lettering, text: str, y: float, size: float, room: float, *,
          bold: bool = False) -> None:
    lettering.draw(canvas, lettering.fit(text, size, room, bold=bold), y=y, left=TEXT_LEFT, right=TEXT_LEFT + room,
                   size=size, bold=bold)


def _patient(canvas: Canvas, tag: CompatibilityTag, lettering: Lettering, y: float) -> float:
    _caption(canvas, lettering, N_("PATIENT"), y + 1)
    _line(canvas, lettering, tag.patient_name.upper(), y, 11, 50 * mm, bold=True)
    if tag.date_of_birth:
        born = printed_date(datetime.combine(tag.date_of_birth, datetime.min.time()))
        born_line = lettering(N_("Born %(date)s")) % {"date": lettering.isolate(born)}
    else:
        born_line = lettering(N_("Date of birth unknown"))
    if tag.sex:
        born_line += f" · {lettering.isolate(tag.sex)}"
    _line(canvas, lettering, born_line, y - 10, 8, 50 * mm)
    listed = ", ".join(lettering.isolate(f"{system.upper()} {value}") for system, value in tag.identifiers[:3])
    _line(canvas, lettering, listed or lettering(N_("no identifier")), y - 19, 8, 50 * mm)
    if tag.band_code:
        _barcode(canvas, tag.band_code, WIDTH - PAD - 32 * mm, y + 6, 32 * mm, "BAND")
    return y - 26


def _unit(canvas: Canvas, tag: CompatibilityTag, lettering: Lettering, y: float) -> float:
    canvas.line(PAD, y + 4, WIDTH - PAD, y + 4)
    _caption(canvas, lettering, N_("UNIT"), y - 6)
    # The DIN as the bag label prints it, left to right in every language, its check character boxed.
    din = tag.din_value
    text = f"{din.facility} {din.year} {din.serial}"
    canvas.setFont(BOLD, 11)
    canvas.drawString(TEXT_LEFT, y - 7, text)
    box = TEXT_LEFT + stringWidth(text, BOLD, 11) + 3
    canvas.drawString(box + 2, y - 7, din.check)
    canvas.rect(box, y - 10, stringWidth(din.check, BOLD, 11) + 4, 13, stroke=1, fill=0)
    group = tag.blood_group or lettering(N_("NOT GROUPED"))
    lettering.draw(canvas, group, y=y - 9, left=PAD, right=WIDTH - PAD, size=16, bold=True, align="right")
    # Clear of the DIN's barcode beside them, so nothing printed crosses its bars.
    canvas.setFont(FONT, 7.5)
    canvas.drawString(TEXT_LEFT, y - 17, _fit(f"{tag.product_code} {tag.product_name}", FONT, 7.5, BESIDE_DIN))
    expires = lettering(N_("Expires %(date)s %(time)s")) % {
        "date": lettering.isolate(printed_date(tag.expires_at)), "time": lettering.isolate(f"{tag.expires_at:%H:%M}")}
    _line(canvas, lettering, expires, y - 26, 7.5, BESIDE_DIN)
    _barcode(canvas, tag.din_barcode, WIDTH - PAD - 38 * mm, y - 14, 38 * mm, "DIN")
    return y - 40


def _basis(canvas: Canvas, tag: CompatibilityTag, lettering: Lettering, y: float) -> None:
    canvas.line(PAD, y + 4, WIDTH - PAD, y + 4)
    _caption(canvas, lettering, N_("BASIS"), y - 6)
    bold = tag.emergency
    for line in lettering.wrap(lettering(tag.basis), 7.5, 52 * mm, bold=bold)[:3]:
        _line(canvas, lettering, line, y - 6, 7.5, 52 * mm, bold=bold)
        y -= 8.5
    y += 8.5
    issued = lettering(N_("Issued %(date)s %(time)s by %(user)s")) % {
        "date": lettering.isolate(printed_date(tag.issued_at)), "time": lettering.isolate(f"{tag.issued_at:%H:%M}"),
        "user": lettering.isolate(tag.issued_by)}
    # A manual check is written whole by the rules that raise it ("Check by hand: …").
    lines = [issued, *tag.manual_checks[:2],
             lettering(N_("At the bedside scan this tag, the bag and the band: all three must match."))]
    # Each on as many lines as it needs: an instruction cut short is not followed.
    lines = [part for line in lines for part in lettering.wrap(line, 6.5, 52 * mm)]
    for n, line in enumerate(lines):
        _line(canvas, lettering, line, y - 15 - 7.5 * n, 6.5, 52 * mm)
    _barcode(canvas, tag.tag_code, WIDTH - PAD - 30 * mm, y - 2, 30 * mm, "TAG")


def _barcode(canvas: Canvas, data: str, left: float, top: float, width: float, caption: str) -> None:
    # The caption names the barcode as messages about scanning name it (BAND, DIN, TAG), in every language.
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
