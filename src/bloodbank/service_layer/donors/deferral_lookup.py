"""Is this donor deferred today? The one query every step before a needle relies on.

It fails closed: if the lookup itself fails (database error, timeout), the
answer is "deferred", because letting an unknown donor through is the hazard.

A person erased at their own request keeps their deferrals on the erased
record, which no one can book or check in again. If they register anew under
a name and date of birth the erased record kept a fingerprint of, the new
record carries the erased record's permanent deferrals (donors.erasure).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Deferral, Donor, DonorErasure, ErasedIdentity
from bloodbank.domain.erasure import fingerprint_matches
from bloodbank.domain.errors import Conflict, DonorDeferred
from bloodbank.domain.messages import N_

CANNOT_CONFIRM = N_(
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
    """The person's deferrals in force on `on`, and the permanent ones of an erased record they match."""
    ids = donor_ids_of_person(session, donor_id)
    own = list(session.execute(_in_force(Deferral.donor_id.in_(ids), on)).scalars())
    erased = erased_records_matching(session, [session.get(Donor, i) for i in ids])
    if not erased:
        return own
    inherited = session.execute(_in_force(Deferral.donor_id.in_(erased), on)
                                .where(Deferral.kind == "permanent")).scalars()
    return sorted(own + list(inherited), key=lambda d: d.starts_on)


def _in_force(which, on: date):
    return select(Deferral).where(
        which,
        Deferral.lifted_at.is_(None),
        Deferral.starts_on <= on,
        or_(Deferral.kind == "permanent", Deferral.ends_on > on),
    ).order_by(Deferral.starts_on)


def erased_records_matching(session: Session, records: list[Donor | None]) -> list[int]:
    """Erased records (and the records merged into them) whose kept fingerprint the name and date of birth of
    any of `records` match: the same person, come back under a new record."""
    named = [r for r in records if r is not None and (r.given_name or r.family_name)]
    if not named:
        return []
    kept = session.execute(select(DonorErasure.donor_id, ErasedIdentity.digest, ErasedIdentity.salt)
                           .join(ErasedIdentity, ErasedIdentity.erasure_id == DonorErasure.id)).all()
    holders = {holder for holder, digest, salt in kept for r in named
               if fingerprint_matches(digest, salt, r.given_name, r.family_name, r.date_of_birth)}
    return sorted({i for holder in holders for i in donor_ids_of_person(session, holder)})


ERASED_RECORD = ("This record was erased at the donor's request: it is kept for traceability only and cannot be "
                 "used to book or give blood. If the person wishes to give again, register them anew.")


def ensure_not_erased(session: Session, donor_id: int) -> None:
    holder = survivor(session, session.get(Donor, donor_id))
    if holder is not None and holder.erasure is not None:
        raise Conflict(ERASED_RECORD)


def ensure_not_deferred(session: Session, donor_id: int, on: date) -> None:
    try:
        ensure_not_erased(session, donor_id)
        deferrals = active_deferrals(session, donor_id, on)
    except SQLAlchemyError as error:
        raise DonorDeferred(CANNOT_CONFIRM) from error
    if not deferrals:
        return
    # The clerk learns that and until when, not why: reasons are a sensitive read of their own.
    permanent = any(d.kind == "permanent" for d in deferrals)
    if permanent:
        raise DonorDeferred(N_("This donor is permanently deferred and cannot donate."))
    until = max(d.ends_on for d in deferrals)
    raise DonorDeferred(N_("This donor is deferred until %(date)s and cannot donate before then."),
                        params={"date": until.isoformat()})
