"""Staff accounts: created, changed and disabled by an administrator, each change audited.

A hospital staff account belongs to the hospitals the administrator names (`memberships`), and sees only
their patients, orders and transfusions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from bloodbank.adapters.db.models import HospitalMembership, User, UserSession
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.adapters.passwords import hash_password, verify_password
from bloodbank.domain import access, messages, text
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.domain.hospital_scope import HOSPITAL_ROLES
from bloodbank.service_layer.shared.sites import check_site
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.staff import memberships

USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,59}$")


@dataclass(frozen=True)
class UserView:
    id: int
    username: str
    full_name: str
    role: str
    role_label: str
    active: bool
    site_id: int | None
    must_change_password: bool = False
    service_account: bool = False
    demo: bool = False
    language: str | None = None
    # Hospital staff only: the hospitals whose records the account sees (codes, and the same by id).
    hospitals: tuple[str, ...] = ()
    hospital_ids: tuple[int, ...] = ()


def user_view(row: User, session: Session | None = None) -> UserView:
    return _views([row], session or object_session(row))[0]


def _views(rows: list[User], session: Session) -> list[UserView]:
    ids = [r.id for r in rows]
    codes = memberships.hospital_codes(session, ids)
    hospital_ids: dict[int, list[int]] = {}
    if ids:
        for user_id, hospital_id in session.execute(
                select(HospitalMembership.user_id, HospitalMembership.hospital_id)
                .where(HospitalMembership.user_id.in_(ids)).order_by(HospitalMembership.hospital_id)).all():
            hospital_ids.setdefault(user_id, []).append(hospital_id)
    return [UserView(id=row.id, username=row.username, full_name=row.full_name, role=row.role,
                     role_label=access.ROLE_LABELS[access.Role(row.role)], active=row.active, site_id=row.site_id,
                     must_change_password=row.must_change_password, service_account=row.service_account,
                     demo=row.demo, language=row.language, hospitals=codes.get(row.id, ()),
                     hospital_ids=tuple(hospital_ids.get(row.id, ()))) for row in rows]


def _username(value: str) -> str:
    name = (value or "").strip().lower()
    if not USERNAME.match(name):
        raise InvalidInput("A user name is 2-60 characters: lower-case letters, digits, '.', '_' or '-', "
                           "starting with a letter.")
    return name


def create_user(uow: UnitOfWork, *, username: str, full_name: str, role: str, password: str,
                site_id: int | None = None, service_account: bool = False, demo: bool = False,
                hospitals: list[int | str] | tuple[int | str, ...] = ()) -> UserView:
    """A new account; `hospitals` (ids or codes) for a hospital staff account, which sees only theirs."""
    name = _username(username)
    full = " ".join(text.clean_text(full_name, "full name", 200).split())
    if not full:
        raise InvalidInput("Give the person's full name: it is shown on every signature.")
    granted = access.role(role)
    access.check_new_password(password, name)
    with uow:
        if uow.session.execute(select(User.id).where(User.username == name)).first():
            raise Conflict(f"There is already a user named {name}.")
        check_site(uow.session, site_id)
        wanted = memberships.resolve_hospitals(uow.session, hospitals)
        row = User(username=name, full_name=full, role=granted.value, password_hash=hash_password(password),
                   service_account=bool(service_account), demo=bool(demo),
                   site_id=site_id)
        uow.session.add(row)
        uow.session.flush()
        _, codes = memberships.replace_hospitals(uow.session, row, wanted, by=uow.actor)
        uow.audit("create", "user", row.id, new={"username": name, "full_name": full, "role": granted.value,
                                                  **({"hospitals": list(codes)} if codes else {})})
        view = user_view(row)
        uow.commit()
        return view


def _load(uow: UnitOfWork, user_id: int) -> User:
    row = uow.session.get(User, user_id)
    if row is None:
        raise NotFound(f"There is no user {user_id}.")
    return row


def set_role(uow: UnitOfWork, *, user_id: int, role: str) -> UserView:
    """A role of the blood service works for every hospital: an account leaving hospital staff leaves its hospitals."""
    granted = access.role(role)
    with uow:
        row = _load(uow, user_id)
        old, row.role = row.role, granted.value
        before, after = memberships.replace_hospitals(
            uow.session, row, memberships.hospitals_of(uow.session, row.id) if granted in HOSPITAL_ROLES
            else frozenset(), by=uow.actor)
        left = {"hospitals": list(before)} if before != after else {}
        uow.audit("update", "user", row.id, old={"role": old, **left},
                  new={"role": granted.value, **({"hospitals": list(after)} if left else {})})
        view = user_view(row)
        uow.commit()
        return view


def set_hospitals(uow: UnitOfWork, *, user_id: int, hospitals: list[int | str] | tuple[int | str, ...],
                  reason: str = "") -> UserView:
    """The hospitals a hospital staff account belongs to, exactly these (none: it sees nothing hospital-side)."""
    with uow:
        row = _load(uow, user_id)
        wanted = memberships.resolve_hospitals(uow.session, hospitals)
        before, after = memberships.replace_hospitals(uow.session, row, wanted, by=uow.actor)
        if before != after:
            uow.audit("update", "user", row.id, old={"hospitals": list(before)}, new={"hospitals": list(after)},
                      reason=(reason or "").strip() or None)
        view = user_view(row)
        uow.commit()
        return view


def set_active(uow: UnitOfWork, *, user_id: int, active: bool, reason: str) -> UserView:
    """Accounts are disabled, never deleted: every signature and audit entry keeps naming its person."""
    why = (reason or "").strip()
    if not why:
        raise InvalidInput("Give the reason for enabling or disabling the account.")
    with uow:
        row = _load(uow, user_id)
        old, row.active = row.active, bool(active)
        uow.audit("update", "user", row.id, old={"active": old}, new={"active": row.active}, reason=why)
        uow.commit()
        return user_view(row)


def change_own_password(uow: UnitOfWork, *, user_id: int, current: str, new: str) -> UserView:
    """A person replaces their password, proving the current one; a reset's mark is cleared."""
    with uow:
        row = _load(uow, user_id)
        if not verify_password(row.password_hash, current or ""):
            uow.audit("password_change_refused", "user", row.id)
            uow.commit()
            raise InvalidInput("Your current password is not right: nothing was changed.")
        if current == new:
            raise InvalidInput("Choose a password different from the current one.")
        access.check_new_password(new, row.username)
        row.password_hash, row.must_change_password = hash_password(new), False
        uow.audit("change_password", "user", row.id)  # that it changed, never what to
        uow.commit()
        return user_view(row)


def set_own_language(uow: UnitOfWork, *, user_id: int, language: str | None) -> UserView:
    """The language a person reads the pages in, chosen by the person; None follows their browser."""
    code = messages.language_code(language)
    with uow:
        row = _load(uow, user_id)
        if row.language != code:
            row_old, row.language = row.language, code
            uow.audit("set_language", "user", row.id, old={"language": row_old}, new={"language": code})
        uow.commit()
        return user_view(row)


def list_users(uow: UnitOfWork) -> list[UserView]:
    with uow:
        return _views(list(uow.session.execute(select(User).order_by(User.username)).scalars()), uow.session)


def get_user(uow: UnitOfWork, user_id: int) -> UserView:
    with uow:
        return user_view(_load(uow, user_id))


@dataclass(frozen=True)
class AccountKinds:
    demo: int
    real: int


def account_kinds(uow: UnitOfWork, *, active_only: bool = False) -> AccountKinds:
    """How many accounts the demo made and how many it did not: a database never serves both."""
    with uow:
        query = select(User.demo, func.count()).group_by(User.demo)
        if active_only:
            query = query.where(User.active)
        rows = dict(uow.session.execute(query).all())
        return AccountKinds(demo=rows.get(True, 0), real=rows.get(False, 0))


def has_users(uow: UnitOfWork) -> bool:
    with uow:
        return uow.session.execute(select(User.id).limit(1)).first() is not None


def reset_password(uow: UnitOfWork, *, user_id: int, password: str, reason: str = "") -> UserView:
    """An administrator sets a new password for someone who lost theirs.

    Every browser session of that person ends with it: whoever held the old
    password must not stay logged in. API tokens are kept (they are revoked
    one by one, as the machine client each serves is replaced).
    """
    with uow:
        row = _load(uow, user_id)
        access.check_new_password(password, row.username)
        row.password_hash = hash_password(password)
        # The administrator knows this password: until the person chooses their own, it opens only the
        # page to choose it, and it signs nothing.
        row.must_change_password = True
        now = utcnow()
        ended = 0
        for live in uow.session.execute(select(UserSession).where(
                UserSession.user_id == row.id, UserSession.ended_at.is_(None))).scalars():
            live.ended_at = now
            ended += 1
        # That it changed and who did it, never what to.
        uow.audit("reset_password", "user", row.id, new={"sessions_ended": ended},
                  reason=(reason or "").strip() or None)
        uow.commit()
        return user_view(row)


def list_users_page(uow: UnitOfWork, *, role: str | None = None, active: bool | None = None,
                    limit: int = 50, offset: int = 0) -> tuple[list[UserView], int]:
    """Accounts by user name, filtered by role and by whether they are enabled."""
    wanted = access.role(role).value if role else None
    with uow:
        stmt = select(User)
        if wanted:
            stmt = stmt.where(User.role == wanted)
        if active is not None:
            stmt = stmt.where(User.active.is_(bool(active)))
        total = uow.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
        rows = list(uow.session.execute(stmt.order_by(User.username).limit(limit).offset(offset)).scalars())
        return _views(rows, uow.session), total
