"""Digits in any of the scripts a clerk's keyboard may send.

A DIN, donor number, phone number or date typed on an Arabic keyboard arrives as Arabic-Indic (U+0660–0669)
or Eastern Arabic / Persian (U+06F0–06F9) digits. Blood safety must not depend on the keyboard: every
entry point reads through `ascii_digits` so that "٠١٢" and "012" are the same number, the same DIN.
"""

from __future__ import annotations

ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"
EASTERN_ARABIC = "۰۱۲۳۴۵۶۷۸۹"

_TO_ASCII = str.maketrans(ARABIC_INDIC + EASTERN_ARABIC, "0123456789" * 2)


def ascii_digits(text: str) -> str:
    """`text` with every Arabic-Indic or Eastern Arabic digit as its ASCII digit; nothing else changes."""
    return text.translate(_TO_ASCII)
