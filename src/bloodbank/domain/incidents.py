"""Mass-casualty incidents: their kinds, the triage severities casualties are counted by, and their states.

Casualties are counted, never named: a hospital adds how many arrived of each
severity. A count only grows by increments; a correction may lower it and must
say why; no total ever goes below zero. An incident is declared, then closed
(signed), and nothing is counted against a closed one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from bloodbank.domain.errors import Conflict, InvalidInput
from bloodbank.domain.messages import N_


class IncidentKind(StrEnum):
    EXPLOSION = "explosion"
    AIR_STRIKE = "air_strike"
    SHOOTING = "shooting"
    BUILDING_COLLAPSE = "building_collapse"
    TRANSPORT = "transport"
    FIRE = "fire"
    OTHER = "other"


KIND_LABELS = {
    IncidentKind.EXPLOSION: N_("Explosion or bombing"),
    IncidentKind.AIR_STRIKE: N_("Air strike or shelling"),
    IncidentKind.SHOOTING: N_("Shooting"),
    IncidentKind.BUILDING_COLLAPSE: N_("Building collapse"),
    IncidentKind.TRANSPORT: N_("Road, rail or air crash"),
    IncidentKind.FIRE: N_("Fire"),
    IncidentKind.OTHER: N_("Other"),
}


# Severities, bases and statuses as pages name them, written out so the catalogues hold them.
STATE_WORDS = (N_("severe"), N_("moderate"), N_("minor"), N_("expected"), N_("admitted"), N_("declared"),
               N_("closed"))


class Severity(StrEnum):
    """Triage categories: severe (immediate, T1), moderate (urgent, T2), minor (walking wounded, T3)."""

    SEVERE = "severe"
    MODERATE = "moderate"
    MINOR = "minor"


class Basis(StrEnum):
    EXPECTED = "expected"  # what the declarer was told is coming
    ADMITTED = "admitted"  # what a hospital has received


class Status(StrEnum):
    DECLARED = "declared"
    CLOSED = "closed"


MAX_COUNT_STEP = 10_000  # a single entry of more casualties than this is a typing error
MAX_PLACE = 200
MAX_REASON = 500


def incident_kind(value: object) -> IncidentKind:
    try:
        return IncidentKind(str(value))
    except ValueError:
        raise InvalidInput(f"'{value}' is not an incident kind: use one of "
                           f"{', '.join(k.value for k in IncidentKind)}.") from None


def severity(value: object) -> Severity:
    try:
        return Severity(str(value))
    except ValueError:
        raise InvalidInput(f"'{value}' is not a severity: use one of "
                           f"{', '.join(s.value for s in Severity)}.") from None


def basis(value: object) -> Basis:
    try:
        return Basis(str(value))
    except ValueError:
        raise InvalidInput(f"'{value}' is not a count basis: use 'expected' or 'admitted'.") from None


def ensure_open(status: str, incident_id: int) -> None:
    if status != Status.DECLARED:
        raise Conflict(f"Incident {incident_id} is closed: nothing more is counted or tagged against it.")


@dataclass(frozen=True)
class CountEntry:
    basis: Basis
    severity: Severity
    change: int


def count_change(change: object, *, correction: bool, reason: str) -> int:
    """The change one entry makes: an increment adds casualties; a correction may remove them, with a reason."""
    if isinstance(change, bool) or not isinstance(change, int):
        raise InvalidInput("A casualty count is a whole number.")
    if abs(change) > MAX_COUNT_STEP:
        raise InvalidInput(f"At most {MAX_COUNT_STEP} casualties in one entry: check the number.")
    if correction:
        if not reason:
            raise InvalidInput("Say why the count is corrected.")
        if change == 0:
            raise InvalidInput("A correction changes the count: give how many to add (or, negative, to remove).")
    elif change <= 0:
        raise InvalidInput("Casualties arriving add to the count: give how many (1 or more). "
                           "To lower a count, enter a correction with its reason.")
    return change


def totals(entries: Iterable[CountEntry]) -> dict[tuple[Basis, Severity], int]:
    out = {(b, s): 0 for b in Basis for s in Severity}
    for entry in entries:
        out[(entry.basis, entry.severity)] += entry.change
    return out


def check_totals(entries: Iterable[CountEntry]) -> dict[tuple[Basis, Severity], int]:
    """The totals after these entries, refused if any would fall below zero."""
    result = totals(entries)
    for (b, s), number in result.items():
        if number < 0:
            raise InvalidInput(f"That correction would leave {number} {s.value} casualties {b.value}: "
                               "a count cannot fall below zero.")
    return result


def casualties_for_forecast(totals_: Mapping[tuple[Basis, Severity], int]) -> dict[Severity, int]:
    """An expectation stands until the admissions pass it: per severity, the larger of the two."""
    return {s: max(totals_.get((Basis.EXPECTED, s), 0), totals_.get((Basis.ADMITTED, s), 0), 0) for s in Severity}
