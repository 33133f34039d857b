"""Logging in and staying logged in: passwords, throttling, browser sessions, API tokens.

Every refusal is written to the audit log, so an administrator can see who
tried what and when; the password itself never is.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import ApiToken, LoginAttempt, Site, User, UserSession
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.adapters.passwords import new_token, token_digest, verify_password
from bloodbank.domain import access
from bloodbank.domain.hospital_scope import HospitalScope, scope_of
from bloodbank.domain.errors import (
    Conflict, InvalidInput, LoginRefused, LoginThrottled, NotFound, SecondCheckRefused,
)
from bloodbank.domain.messages import N_
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.staff.memberships import hospitals_of


# Every request reads its session or token; writing "last seen" on every one would make each page view a
# write that serialises on SQLite. A minute's precision is plenty for a 30-minute idle limit.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Principal:
    """The person behind a request, and how they proved it."""

    user_id: int
    username: str
    full_name: str
    role: str
    via: str  # "session" or "token"
    # Whose patients, orders and transfusions they see: their hospitals for hospital staff, all for the blood service.
    hospital_scope: HospitalScope
    csrf_token: str | None = None
    # The clock the person reads times on: their site's IANA zone; a user of no site reads UTC.
    time_zone: str = "UTC"
    # Reset by an administrator: nothing but choosing their own password until they do.
    must_change_password: bool = False
    # The language the person chose for the pages; None follows their browser.
    language: str | None = None

    def may(self, permission: access.Permission | str) -> bool:
        return access.may(self.role, permission)

    def unit_of_work(self, database, *, read_only: bool = False) -> UnitOfWork:
        """A unit of work run as this person: recorded under their name, seeing only their hospitals' records."""
        return UnitOfWork(database, actor=self.username, scope=self.hospital_scope, read_only=read_only)

    @property
    def role_label(self) -> str:
        return access.ROLE_LABELS[access.Role(self.role)]


@dataclass(frozen=True)
class SessionTicket:
    token: str  # for the cookie; only its digest is stored
    principal: Principal


def _principal(uow: UnitOfWork, user: User, via: str, csrf: str | None = None) -> Principal:
    site = uow.session.get(Site, user.site_id) if user.site_id is not None else None
    return Principal(user_id=user.id, username=user.username, full_name=user.full_name, role=user.role,
                     via=via, hospital_scope=scope_of(user.role, hospitals_of(uow.session, user.id)),
                     csrf_token=csrf, time_zone=site.time_zone if site is not None else "UTC",
                     must_change_password=user.must_change_password, language=user.language)


def _failures_since_success(uow: UnitOfWork, username: str) -> list[datetime]:
    rows = uow.session.execute(
        select(LoginAttempt.at, LoginAttempt.succeeded).where(LoginAttempt.username == username)
        .order_by(LoginAttempt.at.desc()).limit(access.LOGIN_FAILURE_LIMIT * 4)
    ).all()
    failures = []
    for at, succeeded in rows:
        if succeeded:
            break
        failures.append(at)
    return failures


def _one_attempt_at_a_time(session: Session, name: str) -> None:
    """Queue concurrent attempts on one name, so each sees the failures before it (PostgreSQL reads
    committed rows; SQLite already takes its write lock at BEGIN): five guesses, not twenty, before the lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": f"login:{name}"})


def _client_failures(uow: UnitOfWork, client: str, now: datetime) -> list[datetime]:
    if not client:
        return []
    return list(uow.session.execute(
        select(LoginAttempt.at).where(LoginAttempt.client == client[:64], LoginAttempt.succeeded.is_(False),
                                      LoginAttempt.at > now - access.LOGIN_WINDOW)
    ).scalars())


def login(uow: UnitOfWork, *, username: str, password: str, client: str = "") -> SessionTicket:
    name = (username or "").strip().lower()
    if not name or not password:
        raise InvalidInput(N_("Enter your user name and password."))
    now = utcnow()
    with uow:
        _one_attempt_at_a_time(uow.session, name)
        until = access.locked_until(_failures_since_success(uow, name), now)
        by_client = access.locked_until(_client_failures(uow, client, now), now, limit=access.CLIENT_FAILURE_LIMIT)
        if until is not None or by_client is not None:
            uow.audit("login_throttled", "user", None, new={"username": name, "client": client})
            uow.commit()
            if until is None:
                raise LoginThrottled(N_("Too many failed attempts from this computer: try again after %(time)s UTC, "
                                        "or ask an administrator."), params={"time": f"{by_client:%H:%M}"})
            raise LoginThrottled(N_("Too many failed attempts for %(name)s: try again after %(time)s UTC, "
                                    "or ask an administrator."), params={"name": name, "time": f"{until:%H:%M}"})
        user = uow.session.execute(select(User).where(User.username == name)).scalar_one_or_none()
        ok = (verify_password(user.password_hash if user else None, password) and user is not None and user.active
              and not user.service_account)
        uow.session.add(LoginAttempt(username=name, at=now, succeeded=ok, client=client[:64]))
        if not ok:
            uow.audit("login_refused", "user", user.id if user else None, new={"username": name, "client": client})
            uow.commit()
            raise LoginRefused(N_("The user name or password is wrong, or the account is disabled."))
        token, csrf = new_token(), secrets.token_urlsafe(24)
        uow.session.add(UserSession(token_hash=token_digest(token), user_id=user.id, csrf_token=csrf,
                                    created_at=now, last_seen_at=now))
        uow.audit("login", "user", user.id, new={"client": client})
        uow.commit()
        return SessionTicket(token=token, principal=_principal(uow, user, "session", csrf))


def confirm_second_person(uow: UnitOfWork, *, username: str | None, password: str | None, act: str,
                          client: str = "") -> str:
    """A second person at the bedside or the bench confirms an act with their own user name and password.

    Their name is a real, active person's account (never a machine's, never the one doing the act), and a
    wrong password counts against that name exactly as a failed login does, so the field cannot be used to
    guess a colleague's password. Returns the account's user name; refusals are audited and name no reason
    that would tell a wrong name from a wrong password.
    """
    name = (username or "").strip().lower()
    if not name:
        raise InvalidInput(f"Name the second person checking the {act} (their user name).")
    if name == (uow.actor or "").strip().lower():
        raise InvalidInput(f"The second check of the {act} must be made by another person than the one doing it.")
    if not password:
        raise InvalidInput(f"The second person checking the {act} confirms with their own password: "
                           "nothing was done.")
    now = utcnow()
    with uow.writer() as writer:
        _one_attempt_at_a_time(writer.session, name)
        until = access.locked_until(_failures_since_success(writer, name), now)
        if until is not None:
            writer.audit("second_check_throttled", "user", None, new={"username": name, "act": act})
            writer.commit()
            raise SecondCheckRefused(f"Too many failed attempts for {name}: the second check can be made again "
                                     f"after {until:%H:%M} UTC, or by someone else. Nothing was done.")
        user = writer.session.execute(select(User).where(User.username == name)).scalar_one_or_none()
        ok = (verify_password(user.password_hash if user else None, password) and user is not None
              and user.active and not user.service_account and not user.must_change_password)
        writer.session.add(LoginAttempt(username=name, at=now, succeeded=ok, client=client[:64]))
        if not ok:
            writer.audit("second_check_refused", "user", user.id if user else None,
                         new={"username": name, "act": act})
            writer.commit()
            raise SecondCheckRefused(f"The second checker's user name or password is wrong, or their account may "
                                     f"not confirm: the {act} was not done.")
        writer.commit()
        return user.username


def resolve_session(uow: UnitOfWork, token: str | None) -> Principal | None:
    """The session's person, or None when it is unknown, ended or idle too long (then it is ended).

    Read first, written only when the session must be ended or its last use moved on (once a minute):
    most requests never ask for the write lock.
    """
    if not token:
        return None
    now = utcnow()
    with uow:
        row = uow.session.execute(
            select(UserSession).where(UserSession.token_hash == token_digest(token))
        ).scalar_one_or_none()
        if row is None or row.ended_at is not None:
            return None
        user = uow.session.get(User, row.user_id)
        expired = not user.active or access.session_expired(row.last_seen_at, now, created=row.created_at)
        touch = now - row.last_seen_at >= TOUCH_EVERY
        principal = None if expired else _principal(uow, user, "session", row.csrf_token)
        session_id, user_id = row.id, user.id
    if expired:
        with uow.writer() as writer:
            writer.session.execute(update(UserSession).where(UserSession.id == session_id).values(ended_at=now))
            writer.audit("session_expired", "user", user_id)
            writer.commit()
    elif touch:
        with uow.writer() as writer:
            writer.session.execute(update(UserSession).where(UserSession.id == session_id)
                                   .values(last_seen_at=now))
            writer.commit()
    return principal


def logout(uow: UnitOfWork, token: str | None) -> None:
    if not token:
        return
    with uow:
        row = uow.session.execute(
            select(UserSession).where(UserSession.token_hash == token_digest(token))
        ).scalar_one_or_none()
        if row is not None and row.ended_at is None:
            row.ended_at = utcnow()
            uow.audit("logout", "user", row.user_id)
            uow.commit()


@dataclass(frozen=True)
class IssuedToken:
    id: int
    name: str
    token: str  # shown once; only its digest is kept


def issue_api_token(uow: UnitOfWork, *, user_id: int, name: str, issuer_id: int,
                    days: int = access.API_TOKEN_DAYS) -> IssuedToken:
    """A token for one's own account, or, by an administrator, for a service account (which never signs).

    Nobody mints a token for another person: it would let them act in that person's name.
    """
    label = (name or "").strip()
    if not label:
        raise InvalidInput("Name the token after the system that will use it.")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 366:
        raise InvalidInput("A token lives from 1 to 366 days.")
    with uow:
        user = uow.session.get(User, user_id)
        if user is None:
            raise NotFound(f"There is no user {user_id}.")
        if user_id != issuer_id and not user.service_account:
            raise Conflict(f"An API token for {user.username} is made by {user.username}: nobody makes one in "
                           "another person's name. Machine clients get a service account of their own.")
        token, now = new_token(), utcnow()
        row = ApiToken(token_hash=token_digest(token), user_id=user_id, name=label, created_at=now,
                       expires_at=now + timedelta(days=days))
        uow.session.add(row)
        uow.session.flush()
        uow.audit("create", "api_token", row.id, new={"user_id": user_id, "name": label})
        uow.commit()
        return IssuedToken(id=row.id, name=label, token=token)


def revoke_api_token(uow: UnitOfWork, *, token_id: int) -> None:
    with uow:
        row = uow.session.get(ApiToken, token_id)
        if row is None:
            raise NotFound(f"There is no API token {token_id}.")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            uow.audit("revoke", "api_token", row.id)
            uow.commit()


def resolve_api_token(uow: UnitOfWork, token: str | None) -> Principal | None:
    if not token:
        return None
    now = utcnow()
    with uow:
        row = uow.session.execute(
            select(ApiToken).where(ApiToken.token_hash == token_digest(token))
        ).scalar_one_or_none()
        if row is None or row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
            return None
        user = uow.session.get(User, row.user_id)
        if not user.active:
            return None
        touch = row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY
        principal = _principal(uow, user, "token")
        token_id = row.id
    if touch:
        with uow.writer() as writer:
            writer.session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
            writer.commit()
    return principal


def account_principal(uow: UnitOfWork, *, username: str, via: str) -> Principal | None:
    """The active account with this user name (a command line acts as it), or None."""
    name = (username or "").strip().lower()
    with uow:
        user = uow.session.execute(select(User).where(User.username == name)).scalar_one_or_none()
        if user is None or not user.active:
            return None
        return _principal(uow, user, via)


def record_denied(uow: UnitOfWork, *, username: str | None, permission: str, where: str) -> None:
    """A refused request, in the audit log: who, what they lacked, and where they tried."""
    with uow:
        uow.audit("access_denied", "permission", permission,
                  new={"username": username or "(not logged in)", "where": where[:200]})
        uow.commit()


@dataclass(frozen=True)
class ApiTokenView:
    """A token as an administrator sees it: its name and use, never the secret (only its digest is kept)."""

    id: int
    user_id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > utcnow())


def list_api_tokens(uow: UnitOfWork, *, user_id: int) -> list[ApiTokenView]:
    """Every token issued to the user, revoked ones included, newest first."""
    with uow:
        if uow.session.get(User, user_id) is None:
            raise NotFound(f"There is no user {user_id}.")
        rows = uow.session.execute(select(ApiToken).where(ApiToken.user_id == user_id)
                                   .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())).scalars()
        return [ApiTokenView(r.id, r.user_id, r.name, r.created_at, r.last_used_at, r.revoked_at, r.expires_at)
                for r in rows]


def api_token_owner(uow: UnitOfWork, *, token_id: int) -> int:
    """The user a token was issued to."""
    with uow:
        row = uow.session.get(ApiToken, token_id)
        if row is None:
            raise NotFound(f"There is no API token {token_id}.")
        return row.user_id
