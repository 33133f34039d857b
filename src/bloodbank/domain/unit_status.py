"""The unit life cycle: one transition table, the only place a status may change.

    collected ─► quarantined ─► available ─► reserved ─► issued ─► transfused
                     │              │  ▲          │          └──► returned ─► available
                     │              │  └──────────┘ (reservation released)
                     │              └──► in_transit ─► available (received)
                     ├──► processed (split into children; no longer a unit in stock)
                 ├──► issued (an emergency collection, not fully tested, under a physician's signature)
                     └──► discarded
    available, reserved, returned, in_transit ──► quarantined (held: excursion, cold chain)
    any state except transfused ──► discarded / recalled, with a reason

Every entry point reaches a status change through `transition()`, so a move
that is not in this table is impossible whatever the route (UI, API, CLI,
admin). Release out of quarantine has its own conditions (`release.py`); this
table only says the move exists, and `service_layer.shared.unit_moves.move`
refuses it to any caller but the release check.

A unit taken into a hold goes to quarantine straight from where it is: a
reserved or returned unit never passes through "available" on the way, so
nobody can see or take it as stock in between.
"""

from __future__ import annotations

from enum import Enum

from bloodbank.domain.errors import InvalidTransition
from bloodbank.domain.messages import N_


class UnitStatus(str, Enum):
    COLLECTED = "collected"
    QUARANTINED = "quarantined"
    AVAILABLE = "available"
    RESERVED = "reserved"
    IN_TRANSIT = "in_transit"
    ISSUED = "issued"
    TRANSFUSED = "transfused"
    RETURNED = "returned"
    PROCESSED = "processed"
    DISCARDED = "discarded"
    RECALLED = "recalled"


# The words a page shows for each status (the code with spaces), written out so the catalogues hold them.
STATUS_WORDS = (N_("collected"), N_("quarantined"), N_("available"), N_("reserved"), N_("in transit"), N_("issued"),
                N_("transfused"), N_("returned"), N_("processed"), N_("discarded"), N_("recalled"))

S = UnitStatus
_FORWARD: dict[UnitStatus, frozenset[UnitStatus]] = {
    S.COLLECTED: frozenset({S.QUARANTINED, S.PROCESSED}),
    # Quarantined → issued is only the signed issue of blood not fully tested (`domain.field_issue`).
    S.QUARANTINED: frozenset({S.AVAILABLE, S.PROCESSED, S.ISSUED}),
    S.AVAILABLE: frozenset({S.RESERVED, S.IN_TRANSIT, S.PROCESSED, S.QUARANTINED}),
    S.RESERVED: frozenset({S.AVAILABLE, S.ISSUED, S.QUARANTINED}),
    S.IN_TRANSIT: frozenset({S.AVAILABLE, S.QUARANTINED}),
    S.ISSUED: frozenset({S.TRANSFUSED, S.RETURNED}),
    S.RETURNED: frozenset({S.AVAILABLE, S.QUARANTINED}),
    S.TRANSFUSED: frozenset(),
    S.PROCESSED: frozenset(),
    S.DISCARDED: frozenset(),
    S.RECALLED: frozenset({S.DISCARDED}),
}
# Discard and recall reach every state but the final ones: blood already in a
# patient cannot be discarded, and a processed parent lives on in its children.
_TERMINAL = {S.TRANSFUSED, S.PROCESSED, S.DISCARDED}
TRANSITIONS: dict[UnitStatus, frozenset[UnitStatus]] = {
    state: targets | (frozenset() if state in _TERMINAL else frozenset({S.DISCARDED, S.RECALLED}) - {state})
    for state, targets in _FORWARD.items()
}
# States in which a unit is physically in a site's stock.
IN_STOCK = frozenset({S.QUARANTINED, S.AVAILABLE, S.RESERVED, S.RETURNED, S.RECALLED})

DISCARD_REASONS = {
    "expired": N_("expired"),
    "broken": N_("bag broken or leaking"),
    "reactive": N_("reactive infection marker"),
    "returned_too_warm": N_("returned outside time or temperature limits"),
    "temperature": N_("storage temperature excursion"),
    # A unit found unfit on inspection (lipaemic, haemolysed, clotted) and a unit whose
    # donor confidentially self-excluded read the same, so neither betrays the other.
    "not_suitable": N_("not suitable for transfusion"),
    "self_excluded": N_("not suitable for transfusion"),
    "recalled": N_("recalled"),
    "grouping_discrepancy": N_("blood group discrepancy"),
    "volume": N_("volume outside limits"),
    "other": N_("other (see note)"),
}


def can_transition(current: UnitStatus | str, target: UnitStatus | str) -> bool:
    return UnitStatus(target) in TRANSITIONS[UnitStatus(current)]


def transition(current: UnitStatus | str, target: UnitStatus | str) -> UnitStatus:
    """The new status, or InvalidTransition saying why the move is impossible."""
    current, target = UnitStatus(current), UnitStatus(target)
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(t.value for t in TRANSITIONS[current])) or "nothing (final state)"
        raise InvalidTransition(
            f"A unit that is {current.value.replace('_', ' ')} cannot become {target.value.replace('_', ' ')}; "
            f"from {current.value.replace('_', ' ')} it can only become: {allowed}."
        )
    return target


# Set by the system alone: no person picks it when discarding a unit.
SYSTEM_DISCARD_REASONS = frozenset({"self_excluded"})


def public_discard_code(code: str | None) -> str | None:
    """The code an ordinary screen or report shows: a self-exclusion is never named."""
    return "not_suitable" if code == "self_excluded" else code


def discard_reason(code: str) -> str:
    if code not in DISCARD_REASONS:
        known = ", ".join(sorted(DISCARD_REASONS))
        raise InvalidTransition(f"Unknown discard reason '{code}'; use one of: {known}.")
    return DISCARD_REASONS[code]
