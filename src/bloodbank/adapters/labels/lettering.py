"""Text on a printed page in the reader's language: Arabic joined and right to left, every letter in a font that has it.

A PDF shows glyphs where it is told to, left to right; it neither joins Arabic letters nor orders a line that
mixes scripts. So each line is prepared before it is drawn: Arabic letters take their joined forms
(arabic-reshaper), the line is put in visual order by the Unicode bidirectional algorithm (python-bidi), which
keeps a donor number, a DIN or a date left to right inside an Arabic sentence, and the result is cut into runs,
each drawn in a font that has its letters: Noto Sans Arabic (shipped in fonts/, OFL) for Arabic script, the
PDF base fonts for Latin, DejaVu where the system has it for the letters those lack (Ł, ő, Cyrillic).
Vowel marks (harakat) are left out, as in everyday print: drawn without the font's positioning tables they
would not sit on their letters.

The ISBT 128 unit label does not use this: its layout and wording are the standard's, in Latin letters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import escape

from arabic_reshaper import reshape
from bidi import get_display
from reportlab.pdfbase.pdfmetrics import registerFont, stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from bloodbank.domain.duplicates import strip_accents
from bloodbank.domain.messages import RIGHT_TO_LEFT

FONTS = Path(__file__).resolve().parent / "fonts"
ARABIC_FONT_FILES = {False: FONTS / "NotoSansArabic-Regular.ttf", True: FONTS / "NotoSansArabic-Bold.ttf"}
LATIN = {False: "Helvetica", True: "Helvetica-Bold"}
# The PDF base fonts cannot show Ł, ő, ć or Cyrillic; DejaVu, where the system has it, can.
WIDE_FONT_FILES = {
    False: ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
            "/usr/share/fonts/TTF/DejaVuSans.ttf"),
    True: ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
           "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans-Bold.ttf", "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf"),
}
# Arabic, its supplements and extended blocks, and the presentation forms the joined letters are drawn with.
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u0870-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")

# The marks that steer the bidirectional algorithm; they have done their work once the line is ordered.
_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
LEFT_TO_RIGHT_ISOLATE, FIRST_STRONG_ISOLATE, POP_ISOLATE = "\u2066", "\u2068", "\u2069"

Align = Literal["start", "end", "left", "right", "centre"]


@cache
def _arabic_font(bold: bool) -> tuple[str, frozenset[int]]:
    name = "BloodbankArabic-Bold" if bold else "BloodbankArabic"
    font = TTFont(name, str(ARABIC_FONT_FILES[bold]))
    registerFont(font)
    return name, frozenset(font.face.charToGlyph)


@cache
def _wide_font(bold: bool) -> tuple[str, frozenset[int]] | None:
    for path in WIDE_FONT_FILES[bold]:
        if Path(path).is_file():
            name = "BloodbankWide-Bold" if bold else "BloodbankWide"
            font = TTFont(name, path)
            registerFont(font)
            return name, frozenset(font.face.charToGlyph)
    return None


# What the PDF base fonts show: the Windows-1252 set.
_BASE = frozenset(bytes(range(256)).decode("cp1252", errors="ignore"))


def _in_base_font(char: str) -> bool:
    return char in _BASE


def visual(text: str, *, rtl: bool) -> str:
    """`text` as it is drawn left to right: Arabic joined, each run of either direction in its place.

    A line without Arabic letters is left as it is, even on a right-to-left page: a group, a number or a date
    alone never has its characters moved ("O-" must not become "-O"). Inside an Arabic sentence such a value
    is kept whole by wrapping it in `Lettering.isolate`.
    """
    if not _ARABIC.search(text):
        return _CONTROLS.sub("", text)
    return _CONTROLS.sub("", get_display(reshape(text), base_dir="R" if rtl else "L"))


def _latin_font(text: str, bold: bool) -> tuple[str, frozenset[int] | None]:
    """One font for all the line's other letters, so a name is not printed in two designs: the base font when
    it has them all, else DejaVu where the system has it (None: the Windows-1252 set of the base font)."""
    if not _BASE.issuperset(_CONTROLS.sub("", _ARABIC.sub("", text))):
        wide = _wide_font(bold)
        if wide is not None:
            return wide
    return LATIN[bold], None


def _font_for(char: str, bold: bool, latin: tuple[str, frozenset[int] | None]) -> tuple[str, str]:
    """The font that draws `char`, and the character drawn (a letter no font has loses its accent, or is '?')."""
    if _ARABIC.match(char):
        name, covered = _arabic_font(bold)
        if ord(char) in covered:
            return name, char
    name, covered = latin
    if ord(char) in covered if covered is not None else _in_base_font(char):
        return name, char
    if _in_base_font(char):
        return LATIN[bold], char
    # Ł printed as L rather than as a black box.
    plain = strip_accents(char)
    return LATIN[bold], plain if plain and all(map(_in_base_font, plain)) else "?"


def runs(text: str, *, rtl: bool, bold: bool = False) -> list[tuple[str, str]]:
    """The line in visual order as (font, text) runs; a space stays in the run it falls in."""
    if not _ARABIC.search(text):
        plain = _CONTROLS.sub("", text)
        if _BASE.issuperset(plain):  # most lines: one run, nothing to reorder
            return [(LATIN[bold], plain)] if plain else []
    latin = _latin_font(text, bold)
    found: list[tuple[str, str]] = []
    for char in visual(text, rtl=rtl):
        if char == " " and found:
            font, shown = found[-1][0], char
        else:
            font, shown = _font_for(char, bold, latin)
        if found and found[-1][0] == font:
            found[-1] = (font, found[-1][1] + shown)
        else:
            found.append((font, shown))
    return found


def _identity(message: str) -> str:
    return message


@dataclass(frozen=True)
class Lettering:
    """How one document writes: its language (which sets the direction) and that language's catalogue."""

    language: str = "en"
    gettext: Callable[[str], str] = field(default=_identity, compare=False)

    @property
    def rtl(self) -> bool:
        return self.language in RIGHT_TO_LEFT

    def __call__(self, message: str) -> str:
        return self.gettext(message)

    @staticmethod
    def isolate(value: str) -> str:
        """A number, a code, a date or a name set inside a sentence: kept whole whatever surrounds it, and read
        left to right unless it is written in Arabic (a hospital's or a person's name may be)."""
        opening = FIRST_STRONG_ISOLATE if _ARABIC.search(value) else LEFT_TO_RIGHT_ISOLATE
        return f"{opening}{value}{POP_ISOLATE}"

    def width(self, text: str, size: float, *, bold: bool = False) -> float:
        return sum(stringWidth(part, font, size) for font, part in runs(text, rtl=self.rtl, bold=bold))

    def fit(self, text: str, size: float, room: float, *, bold: bool = False) -> str:
        """`text` cut at its end (in reading order) with an ellipsis so that it fits `room`."""
        if self.width(text, size, bold=bold) <= room:
            return text
        while text and self.width(text + "…", size, bold=bold) > room:
            text = text[:-1]
        return text.rstrip() + "…"

    def wrap(self, text: str, size: float, room: float, *, bold: bool = False) -> list[str]:
        """`text` cut into lines that fit `room`, between words in reading order; each line is then ordered
        for drawing on its own, as the bidirectional algorithm orders a paragraph line by line."""
        if self.width(text, size, bold=bold) <= room:
            return [" ".join(text.split())] if text.strip() else []
        # Measured word by word: letters join only within a word, and reordering moves words without changing
        # their widths; a space is counted at the widest of the fonts it may be drawn in.
        space = max(stringWidth(" ", LATIN[bold], size), stringWidth(" ", _arabic_font(bold)[0], size))
        lines: list[str] = []
        current, used = "", 0.0
        for word in text.split():
            width = self.width(word, size, bold=bold)
            if not current or used + space + width <= room:
                current, used = (f"{current} {word}", used + space + width) if current else (word, width)
            else:
                lines.append(current)
                current, used = word, width
        return [*lines, current] if current else lines

    def markup(self, text: str, size: float, room: float, *, bold: bool = False) -> str:
        """`text` as a platypus Paragraph's markup: cut into lines that fit `room` here (a Paragraph would
        wrap a right-to-left line from the wrong end), each line in visual order, each run in its font."""
        return "<br/>".join(
            "".join(f'<font name="{font}">{escape(part)}</font>' for font, part in runs(line, rtl=self.rtl, bold=bold))
            for line in self.wrap(text, size, room, bold=bold))

    def side(self, align: Align) -> Literal["left", "right", "centre"]:
        """Where `start` and `end` fall: the left and right of a left-to-right page, mirrored for right to left."""
        if align == "start":
            return "right" if self.rtl else "left"
        if align == "end":
            return "left" if self.rtl else "right"
        return align

    def draw(self, canvas: Canvas, text: str, *, y: float, left: float, right: float, size: float,
             bold: bool = False, align: Align = "start") -> None:
        """Draws one line between `left` and `right`, placed at the side `align` names."""
        parts = runs(text, rtl=self.rtl, bold=bold)
        width = sum(stringWidth(part, font, size) for font, part in parts)
        side = self.side(align)
        x = left if side == "left" else right - width if side == "right" else (left + right - width) / 2
        for font, part in parts:
            canvas.setFont(font, size)
            canvas.drawString(x, y, part)
            x += stringWidth(part, font, size)


ENGLISH = Lettering()

# A language's catalogue lookup (its gettext), given by the entry point that knows the catalogues.
Catalogue = Callable[[str], Callable[[str], str]]


def lettering_in(language: str | None, catalogue: Catalogue | None) -> Lettering:
    """The lettering of a document printed in `language`; English without a language or a catalogue."""
    if not language or catalogue is None:
        return ENGLISH
    return Lettering(language, catalogue(language))
