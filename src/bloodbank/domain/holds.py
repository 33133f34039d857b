"""Holds: a unit kept in quarantine for a decision, not for results.

A quarantined unit waits either for its tests (the release rules see those)
or for someone to judge it: a storage temperature excursion, a box received
with its cold chain broken, a recall investigation. The second kind is a
hold. A unit may have several open at once; each names its kind, its reason,
and who opened it when. While one is open the release rules refuse the unit
(`domain.release`), whatever its results say.

A hold ends only with a review decision, signed by the reviewer: the unit is
released after review (and then still passes every release check) or it is
discarded. Kinds are stored as text: a kind added later needs no change to
the table, and one this code does not know yet still blocks release.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.messages import N_


class HoldKind(StrEnum):
    TEMPERATURE_EXCURSION = "temperature_excursion"
    COLD_CHAIN_BROKEN = "cold_chain_broken"
    RECALL_INVESTIGATION = "recall_investigation"


class HoldDecision(StrEnum):
    RELEASED = "released"  # released after review
    DISCARDED = "discarded"


HOLD_LABELS = {
    HoldKind.TEMPERATURE_EXCURSION: N_("temperature excursion"),
    HoldKind.COLD_CHAIN_BROKEN: N_("cold chain broken in transit"),
    HoldKind.RECALL_INVESTIGATION: N_("recall investigation"),
}
# The discard reason (domain.unit_status.DISCARD_REASONS) a hold's kind leads to when the review discards the unit.
DISCARD_REASON_FOR = {
    HoldKind.TEMPERATURE_EXCURSION: "temperature",
    HoldKind.COLD_CHAIN_BROKEN: "temperature",
    HoldKind.RECALL_INVESTIGATION: "recalled",
}
MAX_REASON = 2000


@dataclass(frozen=True)
class OpenHold:
    """A hold not yet decided: what the release rules see."""

    kind: str
    reason: str
    opened_at: datetime
    opened_by: str


def hold_kind(value: str) -> HoldKind:
    try:
        return HoldKind(value)
    except ValueError:
        known = ", ".join(k.value for k in HoldKind)
        raise InvalidInput(f"Unknown kind of hold {value!r}: use one of {known}.") from None


def hold_label(kind: str) -> str:
    """How a kind reads; a kind this code does not know yet reads as its own name."""
    try:
        return HOLD_LABELS[HoldKind(kind)]
    except ValueError:
        return kind.replace("_", " ")


def discard_reason_for(kinds: list[str] | tuple[str, ...]) -> str:
    """The discard reason for a unit discarded after review of these holds: the first known kind's, else 'other'."""
    for kind in kinds:
        if kind in DISCARD_REASON_FOR:
            return DISCARD_REASON_FOR[HoldKind(kind)]
    return "other"


def check_reason(text: str | None, what: str) -> str:
    """A hold's reason or a review's conclusion: required, and of a readable length."""
    reason = (text or "").strip()
    if not reason:
        raise InvalidInput(f"Give the reason for {what}: it is kept with the unit's record.")
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"The reason is too long ({len(reason)} characters; at most {MAX_REASON}).")
    return reason
