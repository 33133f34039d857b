"""The donations a unit's blood came from: one for most units, several for a pool.

Release needs every source donation's tests negative; trace needs every donor.
A unit with a donation is its own source (aliquots and cryo keep theirs); a
pool has none and is followed up its links to the units of its donations.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Unit, UnitParent
from bloodbank.domain.errors import NotFound


def source_donation_ids(session: Session, unit_id: int) -> list[int]:
    """Every donation whose blood is in the unit, sorted; never empty for a unit made by processing."""
    if session.get(Unit, unit_id) is None:
        raise NotFound(f"No unit with id {unit_id}.")
    return sources_of_units(session, [unit_id])[unit_id]


def sources_of_units(session: Session, unit_ids: list[int]) -> dict[int, list[int]]:
    """The source donations of each unit, sorted: two queries per level of pooling, whatever the number of
    units, so a page of a hundred units costs what one does."""
    found: dict[int, set[int]] = {uid: set() for uid in unit_ids}
    seen: dict[int, set[int]] = {uid: {uid} for uid in unit_ids}
    frontier: dict[int, set[int]] = {uid: {uid} for uid in unit_ids}  # origin -> units still to look at
    while frontier:
        wanted = sorted({u for units in frontier.values() for u in units})
        donation_of = dict(session.execute(select(Unit.id, Unit.donation_id).where(Unit.id.in_(wanted))).all())
        pending = {origin: {u for u in units if donation_of.get(u, 0) is None}
                   for origin, units in frontier.items()}
        for origin, units in frontier.items():
            found[origin].update(donation_of[u] for u in units if donation_of.get(u) is not None)
        pending = {origin: units for origin, units in pending.items() if units}
        if not pending:
            break
        children = sorted({u for units in pending.values() for u in units})
        parents_of: dict[int, set[int]] = {}
        for child, parent in session.execute(
                select(UnitParent.child_id, UnitParent.parent_id).where(UnitParent.child_id.in_(children))):
            parents_of.setdefault(child, set()).add(parent)
        frontier = {}
        for origin, units in pending.items():
            following = {p for u in units for p in parents_of.get(u, ())} - seen[origin]
            seen[origin] |= following
            if following:
                frontier[origin] = following
    return {uid: sorted(donations) for uid, donations in found.items()}
