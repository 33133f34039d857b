"""Which units hold blood from which donations: the one walk trace, lookback and recall share.

Split children and aliquots keep their parent's DIN and donation; a pool gets
a DIN of its own and no donation, and reaches its sources only through
unit_parent. So "where did this blood go" walks unit_parent downwards and
"where did it come from" walks it upwards; both stop on a unit already seen,
so a corrupt cycle cannot loop forever.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Unit, UnitParent


def children_of(session: Session, unit_ids: Iterable[int]) -> dict[int, list[int]]:
    ids = set(unit_ids)
    found: dict[int, list[int]] = {i: [] for i in ids}
    if ids:
        for child, parent in session.execute(
            select(UnitParent.child_id, UnitParent.parent_id).where(UnitParent.parent_id.in_(ids))
            .order_by(UnitParent.child_id)
        ):
            found[parent].append(child)
    return found


def parents_of(session: Session, unit_ids: Iterable[int]) -> dict[int, list[int]]:
    ids = set(unit_ids)
    found: dict[int, list[int]] = {i: [] for i in ids}
    if ids:
        for child, parent in session.execute(
            select(UnitParent.child_id, UnitParent.parent_id).where(UnitParent.child_id.in_(ids))
            .order_by(UnitParent.parent_id)
        ):
            found[child].append(parent)
    return found


def _walk(session: Session, start: Iterable[int], step) -> set[int]:
    seen = set(start)
    frontier = set(seen)
    reached: set[int] = set()
    while frontier:
        following = {n for ns in step(session, frontier).values() for n in ns} - seen
        seen |= following
        reached |= following
        frontier = following
    return reached


def descendants(session: Session, unit_ids: Iterable[int]) -> set[int]:
    """Every unit made from these, at any depth (splits, pools, aliquots of pools), not these."""
    return _walk(session, unit_ids, children_of)


def ancestors(session: Session, unit_ids: Iterable[int]) -> set[int]:
    """Every unit these were made from, at any depth, not these."""
    return _walk(session, unit_ids, parents_of)


def units_of_donations(session: Session, donation_ids: Iterable[int]) -> set[int]:
    """Units that carry the donation itself: the primary components and their split children."""
    ids = set(donation_ids)
    if not ids:
        return set()
    return set(session.execute(select(Unit.id).where(Unit.donation_id.in_(ids))).scalars())


def units_containing(session: Session, donation_ids: Iterable[int]) -> set[int]:
    """Every unit holding any blood of these donations, pools included."""
    own = units_of_donations(session, donation_ids)
    return own | descendants(session, own)


def donations_of_units(session: Session, unit_ids: Iterable[int]) -> dict[int, set[int]]:
    """For each unit, the donations whose blood it holds (a pool: its sources')."""
    ids = set(unit_ids)
    lineage = ids | ancestors(session, ids)
    donation_of = dict(session.execute(select(Unit.id, Unit.donation_id).where(Unit.id.in_(lineage))).all()) \
        if lineage else {}
    parents = parents_of(session, lineage)
    memo: dict[int, set[int]] = {}

    def of(unit_id: int, path: frozenset[int]) -> set[int]:
        if unit_id not in memo:
            found = {donation_of[unit_id]} if donation_of.get(unit_id) is not None else set()
            for parent in parents.get(unit_id, []):
                if parent not in path:
                    found |= of(parent, path | {parent})
            memo[unit_id] = found
        return memo[unit_id]

    return {unit_id: of(unit_id, frozenset({unit_id})) for unit_id in ids}


def donations_of_unit(session: Session, unit_id: int) -> set[int]:
    return donations_of_units(session, [unit_id])[unit_id]
