"""Free text as people type it: what any field may hold, and what a name must look like.

Refused everywhere: control characters (a NUL cannot even be stored on
PostgreSQL) and the Unicode controls that reorder text on screen (U+202A–U+202E,
U+2066–U+2069), which can make "A+" read as "+A" or hide a word. Kept: the
joiners and direction marks Arabic and Persian names need (U+200C, U+200D,
U+200E, U+200F, U+061C).
"""

from __future__ import annotations

import unicodedata

from bloodbank.domain.errors import InvalidInput

BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
KEPT_FORMAT = frozenset("\u200c\u200d\u200e\u200f\u061c")
LINE_BREAKS = frozenset("\n\r\t")


def refused_character(text: str, *, multiline: bool = False) -> str | None:
    """The first character no field may hold, if any."""
    if text.isprintable():
        # No character of category C (nor a bidirectional control, which is Cf) is printable:
        # most text is settled here at C speed, which every statement's parameters need.
        return None
    for char in text:
        if multiline and char in LINE_BREAKS:
            continue
        if char in BIDI_CONTROLS:
            return char
        category = unicodedata.category(char)
        if category.startswith("C") and not (category == "Cf" and char in KEPT_FORMAT):
            return char
    return None


def describe(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name.lower()}" if name else "")


def clean_text(value: object, what: str, max_length: int, *, multiline: bool = False) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"The {what} must be text.")
    stripped = value.strip()
    bad = refused_character(stripped, multiline=multiline)
    if bad is not None:
        raise InvalidInput(f"The {what} contains an invisible control character ({describe(bad)}): type it again.")
    if len(stripped) > max_length:
        raise InvalidInput(f"The {what} is {len(stripped)} characters long; at most {max_length} fit.")
    return stripped


def clean_name(value: object, what: str, max_length: int = 100) -> str:
    name = " ".join(clean_text(value, what, max_length).split())
    if not any(c.isalpha() for c in name):
        raise InvalidInput(f"The {what} is missing: it must contain at least one letter.")
    return name
