"""Which hospitals a hospital staff account belongs to: set by an administrator, audited, read at every login.

An account's hospitals decide which patients, orders and transfusions it sees
(`domain.hospital_scope`). A hospital staff account that belongs to no
hospital sees nothing hospital-side, never everything.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Hospital, HospitalMembership, User
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.domain.hospital_scope import check_memberships

MAX_HOSPITALS = 50


def hospitals_of(session: Session, user_id: int) -> frozenset[int]:
    return frozenset(session.execute(
        select(HospitalMembership.hospital_id).where(HospitalMembership.user_id == user_id)).scalars())


def hospital_codes(session: Session, user_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    """Each account's hospitals by code, in code order."""
    found: dict[int, list[str]] = {}
    ids = sorted(set(user_ids))
    if ids:
        for user_id, code in session.execute(
                select(HospitalMembership.user_id, Hospital.code)
                .join(Hospital, Hospital.id == HospitalMembership.hospital_id)
                .where(HospitalMembership.user_id.in_(ids)).order_by(Hospital.code)).all():
            found.setdefault(user_id, []).append(code)
    return {user_id: tuple(codes) for user_id, codes in found.items()}


def resolve_hospitals(session: Session, hospitals: Iterable[int | str]) -> frozenset[int]:
    """Hospitals named by id or by code (as the command line gives them); one not on file is refused."""
    wanted = list(dict.fromkeys(hospitals))
    if len(wanted) > MAX_HOSPITALS:
        raise InvalidInput(f"An account belongs to at most {MAX_HOSPITALS} hospitals.")
    ids = set()
    for hospital in wanted:
        if isinstance(hospital, str):
            row = session.execute(select(Hospital.id).where(Hospital.code == hospital.strip().upper())).scalar()
        else:
            row = session.execute(select(Hospital.id).where(Hospital.id == hospital)).scalar()
        if row is None:
            raise NotFound(f"There is no hospital {hospital}.")
        ids.add(row)
    return frozenset(ids)


def replace_hospitals(session: Session, user: User, hospital_ids: frozenset[int],
                      *, by: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Make the account belong to exactly these hospitals; (codes before, codes after) for the audit entry."""
    check_memberships(user.role, hospital_ids)
    before = hospital_codes(session, [user.id]).get(user.id, ())
    current = hospitals_of(session, user.id)
    gone = current - hospital_ids
    if gone:
        session.execute(delete(HospitalMembership).where(HospitalMembership.user_id == user.id,
                                                         HospitalMembership.hospital_id.in_(sorted(gone))))
    now = utcnow()
    for hospital_id in sorted(hospital_ids - current):
        session.add(HospitalMembership(user_id=user.id, hospital_id=hospital_id, added_at=now, added_by=by))
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"{user.username}'s hospitals were changed by someone else a moment ago: reload and try "
                       "again.") from None
    return before, hospital_codes(session, [user.id]).get(user.id, ())
