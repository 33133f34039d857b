"""Donor numbers: `D`, seven digits, one check character, e.g. `D00004213`.

The check character is ISO 7064 MOD 11-2 (the scheme ORCID and ISNI use):
0-9 or `X`. Its modulus 11 is prime and the digit weights are successive
powers of 2, so every single mistyped digit and every swap of two adjacent
characters (check character included) gives a number that fails validation
instead of silently naming another donor. MOD 37-2, as in the DIN, would do
the same but can produce `*`, which a shell expands and a clerk misreads.
"""

from __future__ import annotations

import re

from bloodbank.domain.errors import InvalidInput

PREFIX = "D"
DIGITS = 7
MAX_SEQUENCE = 10**DIGITS - 1
EXAMPLE = "D00004213"

# Spaces and dashes are what people add when they copy a number by hand.
_SEPARATORS = re.compile(r"[\s\-]+")
_SHAPE = re.compile(rf"^{PREFIX}(\d{{{DIGITS}}})([0-9X])$")


def check_character(digits: str) -> str:
    """ISO 7064 MOD 11-2 over a string of decimal digits."""
    total = 0
    for char in digits:
        total = ((total + int(char)) * 2) % 11
    value = (12 - total) % 11
    return "X" if value == 10 else str(value)


def new_donor_number(sequence: int) -> str:
    if isinstance(sequence, bool) or not isinstance(sequence, int) or not 1 <= sequence <= MAX_SEQUENCE:
        raise InvalidInput(f"A donor number is made from a sequence between 1 and {MAX_SEQUENCE:,}, not {sequence!r}.")
    digits = f"{sequence:0{DIGITS}d}"
    return f"{PREFIX}{digits}{check_character(digits)}"


def validate_donor_number(text: object) -> str:
    """The number in its printed form, or InvalidInput saying what is wrong with it."""
    if not isinstance(text, str):
        raise InvalidInput(f"A donor number must be text such as {EXAMPLE}.")
    compact = _SEPARATORS.sub("", text).upper()
    if not compact:
        raise InvalidInput(f"No donor number was given: it looks like {EXAMPLE}.")
    match = _SHAPE.match(compact)
    if not match:
        raise InvalidInput(
            f"'{text.strip()}' is not a donor number: it is the letter {PREFIX}, {DIGITS} digits "
            f"and a check character (0-9 or X), e.g. {EXAMPLE}."
        )
    digits, check = match.groups()
    if check_character(digits) != check:
        raise InvalidInput(
            f"'{compact}' is not a valid donor number: its check character does not match, so a "
            "character was probably mistyped. Read it again from the donor card."
        )
    return compact
