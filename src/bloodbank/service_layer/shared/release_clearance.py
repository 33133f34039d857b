"""The proof that the release rules let one unit out of quarantine.

`unit_moves.move` refuses quarantined → available unless it is handed a
`ReleaseClearance` for that very unit, and a clearance is made only from an
empty list of release blockers. Only `service_layer.blood.release` makes one:
a contract in pyproject.toml (lint-imports) forbids every other module of the
package to import this one, so "only the release path puts a quarantined unit
in stock" is checked, not just written down.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bloodbank.domain.errors import InvalidTransition


@dataclass(frozen=True)
class ReleaseClearance:
    unit_id: int


def clearance_for(unit_id: int, blockers: Sequence[object]) -> ReleaseClearance:
    """The clearance for this unit, only when the release rules found nothing against it."""
    if blockers:
        raise InvalidTransition(f"Unit {unit_id} has {len(blockers)} release blocker(s): it stays in quarantine.")
    return ReleaseClearance(unit_id)
