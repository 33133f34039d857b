"""Is this donor deferred today? The one query every step before a needle relies on.

It fails closed: if the lookup itself fails (database error, timeout), the
answer is "deferred", because letting an unknown donor through is the hazard.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Deferral, Donor
from bloodbank.domain.errors import DonorDeferred

CANNOT_CONFIRM = (
    "Could not confirm that this donor has no deferral (the records could not be read). "
    "Do not proceed; try again or call the supervisor."
)


def survivor(session: Session, donor: Donor | None) -> Donor | None:
    """The record that holds the person now: merges are followed to the end (a cycle, a data fault, stops
    the walk rather than looping). The one walk every area uses."""
    seen: set[int] = set()
    while donor is not None and donor.merged_into_id is not None and donor.id not in seen:
        seen.add(donor.id)
        donor = session.get(Donor, donor.merged_into_id)
    return donor


def survivors(session: Session, donor_ids: list[int]) -> dict[int, int]:
    """The surviving record of each donor record: `survivor`'s walk for many records at once, one query per
    step of the longest chain."""
    merged_into: dict[int, int | None] = {}

    def load(ids) -> None:
        wanted = sorted(set(ids) - set(merged_into))
        if wanted:
            merged_into.update(session.execute(
                select(Donor.id, Donor.merged_into_id).where(Donor.id.in_(wanted))).all())

    load(donor_ids)
    walks = {start: (start, set()) for start in donor_ids}  # start -> (record reached, records passed)
    found: dict[int, int] = {}
    while walks:
        for start, (at, passed) in list(walks.items()):
            if merged_into.get(at) is None or at in passed:  # the end, or a cycle (a data fault)
                found[start] = at
                del walks[start]
            else:
                walks[start] = (merged_into[at], passed | {at})
        load(at for at, _ in walks.values())
    return found


def people_of_survivors(session: Session, survivor_ids: list[int]) -> dict[int, list[int]]:
    """Each surviving record with every record merged into it, at any depth."""
    owner = {i: i for i in survivor_ids}
    frontier = list(survivor_ids)
    while frontier:
        merged = session.execute(select(Donor.id, Donor.merged_into_id)
                                 .where(Donor.merged_into_id.in_(frontier))).all()
        frontier = []
        for child, parent in merged:
            if child not in owner:
                owner[child] = owner[parent]
                frontier.append(child)
    people: dict[int, list[int]] = {i: [] for i in survivor_ids}
    for record, head in owner.items():
        people[head].append(record)
    return {head: sorted(records) for head, records in people.items()}


def donor_ids_of_person(session: Session, donor_id: int) -> list[int]:
    """The record and every record merged into it: a deferral on any of them counts."""
    ids, frontier = {donor_id}, [donor_id]
    while frontier:
        merged = session.execute(select(Donor.id).where(Donor.merged_into_id.in_(frontier))).scalars().all()
        frontier = [i for i in merged if i not in ids]
        ids.update(frontier)
    return sorted(ids)


def active_deferrals(session: Session, donor_id: int, on: date) -> list[Deferral]:
    ids = donor_ids_of_person(session, donor_id)
    return list(session.execute(
        select(Deferral).where(
            Deferral.donor_id.in_(ids),
            Deferral.lifted_at.is_(None),
            Deferral.starts_on <= on,
            or_(Deferral.kind == "permanent", Deferral.ends_on > on),
        ).order_by(Deferral.starts_on)
    ).scalars())


def ensure_not_deferred(session: Session, donor_id: int, on: date) -> None:
    try:
        deferrals = active_deferrals(session, donor_id, on)
    except SQLAlchemyError as error:
        raise DonorDeferred(CANNOT_CONFIRM) from error
    if not deferrals:
        return
    # The clerk learns that and until when, not why: reasons are a sensitive read of their own.
    permanent = any(d.kind == "permanent" for d in deferrals)
    if permanent:
        raise DonorDeferred("This donor is permanently deferred and cannot donate.")
    until = max(d.ends_on for d in deferrals)
    raise DonorDeferred(f"This donor is deferred until {until.isoformat()} and cannot donate before then.")
