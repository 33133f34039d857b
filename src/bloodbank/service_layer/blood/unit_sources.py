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
    start = session.get(Unit, unit_id)
    if start is None:
        raise NotFound(f"No unit with id {unit_id}.")
    found: set[int] = set()
    seen: set[int] = set()
    frontier = [start.id]
    while frontier:
        seen.update(frontier)
        rows = session.execute(select(Unit.id, Unit.donation_id).where(Unit.id.in_(frontier))).all()
        pending = [uid for uid, donation_id in rows if donation_id is None]
        found.update(donation_id for _, donation_id in rows if donation_id is not None)
        if not pending:
            break
        parents = session.execute(
            select(UnitParent.parent_id).where(UnitParent.child_id.in_(pending))
        ).scalars().all()
        frontier = [p for p in set(parents) if p not in seen]
    return sorted(found)
