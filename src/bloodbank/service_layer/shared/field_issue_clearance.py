"""The proof that `domain.field_issue` lets one unit not fully tested go from quarantine to a patient.

`unit_moves.move` refuses quarantined → issued unless it is handed a
`FieldIssueClearance` for that very unit, and a clearance is made only from
an empty list of refusals (an emergency in force, a physician's checked
signature, a reason). Only `service_layer.field.issue` makes one: a contract
in pyproject.toml forbids every other module to import this one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bloodbank.domain.errors import InvalidTransition


@dataclass(frozen=True)
class FieldIssueClearance:
    unit_id: int


def clearance_for(unit_id: int, refusals: Sequence[object]) -> FieldIssueClearance:
    if refusals:
        raise InvalidTransition(f"Unit {unit_id} has {len(refusals)} reason(s) not to be issued: it stays in "
                                "quarantine.")
    return FieldIssueClearance(unit_id)
