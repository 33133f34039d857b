"""ABO × RhD blood groups.

A group is a value: two fields, hashable, ordered, printed in the compact form
that labels and screens use (`O-`, `AB+`). Parsing accepts what clerks and
other systems actually write, and refuses everything else loudly, because a
mis-parsed group is a compatibility error waiting to happen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache


class ABO(str, Enum):
    O = "O"
    A = "A"
    B = "B"
    AB = "AB"

    @property
    def antigens(self) -> frozenset[str]:
        """Red-cell antigens of this group: O carries neither A nor B."""
        return frozenset(self.value) - {"O"}

    @property
    def antibodies(self) -> frozenset[str]:
        """Naturally occurring plasma antibodies: against whatever antigen is absent."""
        return frozenset({"A", "B"}) - self.antigens


@dataclass(frozen=True, order=True)
class BloodGroup:
    abo: ABO
    rhd_positive: bool

    def __str__(self) -> str:
        return f"{self.abo.value}{'+' if self.rhd_positive else '-'}"

    @property
    def long_name(self) -> str:
        return f"{self.abo.value} RhD {'positive' if self.rhd_positive else 'negative'}"


ALL_GROUPS: tuple[BloodGroup, ...] = tuple(
    BloodGroup(abo, rh) for abo in ABO for rh in (False, True)
)

_POSITIVE = {"+", "POS", "POSITIVE", "RHD+", "RH+", "RHDPOS", "RHPOS", "RHDPOSITIVE", "RHPOSITIVE", "D+"}
_NEGATIVE = {"-", "NEG", "NEGATIVE", "RHD-", "RH-", "RHDNEG", "RHNEG", "RHDNEGATIVE", "RHNEGATIVE", "D-"}
# The unicode minus and en dash turn up in text pasted from documents.
_DASHES = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-"})
_SHAPE = re.compile(r"^(AB|A|B|O|0)(.*)$")


def parse_group(text: str | BloodGroup) -> BloodGroup:
    """Read a group written as "O-", "O neg", "O RhD negative", "AB+", "ab pos"…

    Raises ValueError naming what was wrong: a clerk must never get a guess.
    """
    if isinstance(text, BloodGroup):
        return text
    if not isinstance(text, str):
        raise ValueError(f"A blood group must be text such as 'O-' or 'AB pos', not {type(text).__name__}.")
    return _parse_text(text)


# Allocation reads the group of every unit on the shelf: a handful of spellings, read thousands of times.
@lru_cache(maxsize=512)
def _parse_text(text: str) -> BloodGroup:
    raw = text.strip()
    compact = re.sub(r"[\s_.]+", "", raw.translate(_DASHES)).upper()
    match = _SHAPE.match(compact)
    if not raw or not match:
        raise ValueError(
            f"'{text}' is not a blood group: expected ABO (O, A, B or AB) followed by RhD (+/-, pos/neg), e.g. 'O-' or 'AB pos'."
        )
    abo_text, rh_text = match.groups()
    abo = ABO("O" if abo_text == "0" else abo_text)
    if rh_text in _POSITIVE:
        return BloodGroup(abo, True)
    if rh_text in _NEGATIVE:
        return BloodGroup(abo, False)
    if not rh_text:
        raise ValueError(f"'{text}' gives ABO group {abo.value} but no RhD: add '+' or '-' (pos/neg).")
    raise ValueError(f"'{text}': could not read the RhD part '{rh_text}'; write '+'/'-' or 'pos'/'neg'.")
