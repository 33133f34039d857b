"""Who is asking, and may they: the dependencies every API and UI route declares.

A request proves its person by an API token (`Authorization: Bearer …`, for
machine clients) or a session cookie (browsers). A cookie is sent by the
browser on its own, so every unsafe request made with one must also carry the
session's CSRF token (a form field or the `X-CSRF-Token` header); a bearer
token is never sent on its own, so it needs none.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from fastapi import Request

from bloodbank.adapters.db.database import Database
from bloodbank.domain.access import Permission
from bloodbank.domain.messages import N_
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.staff import authentication
from bloodbank.service_layer.staff.authentication import Principal

SESSION_COOKIE = "bloodbank_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


# What a person whose password was reset may still reach: the page to choose their own, and logging out.
OPEN_TO_A_RESET_PASSWORD = frozenset({"/account/password", "/api/me/password", "/logout", "/api/me"})


class MustChangePassword(Exception):
    """A reset password opens nothing but the page to choose one's own: the UI goes there, the API says so."""


class NotAuthenticated(Exception):
    """No valid session or token: the API answers 401, the UI sends the browser to the login page."""


class Forbidden(Exception):
    """`message` is English; with `params` it is a template, shown in the reader's language where answered."""

    def __init__(self, message: str, params: dict | None = None):
        self.template, self.params = message, dict(params or {})
        self.message = message % self.params if params else message
        super().__init__(self.message)


@dataclass(frozen=True)
class Caller:
    """A request's person and the database: use cases are run as this person."""

    principal: Principal
    database: Database
    # A GET or HEAD changes nothing (an audited read aside), so its use cases take no write lock.
    read_only: bool = False

    def uow(self) -> UnitOfWork:
        return self.principal.unit_of_work(self.database, read_only=self.read_only)

    @property
    def user_id(self) -> int:
        return self.principal.user_id


def database_of(request: Request) -> Database:
    return request.app.state.database


def principal_of(request: Request) -> Principal | None:
    """Resolved once per request and kept on it: a page's layout asks again for the navigation."""
    if "principal" in request.state._state:
        return request.state.principal
    database = database_of(request)
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        found = authentication.resolve_api_token(UnitOfWork(database, actor="api", read_only=True),
                                                 header[7:].strip())
    else:
        found = authentication.resolve_session(UnitOfWork(database, actor="web", read_only=True),
                                               request.cookies.get(SESSION_COOKIE))
    request.state.principal = found
    return found


async def _csrf_ok(request: Request, principal: Principal) -> bool:
    if request.method in SAFE_METHODS or principal.via != "session":
        return True
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        sent = (await request.form()).get(CSRF_FIELD)  # Starlette keeps the parsed form for the route
    return bool(sent) and secrets.compare_digest(str(sent), principal.csrf_token or "")


def require(*permissions: Permission):
    """A dependency that lets the request through only for a person holding every one of `permissions`."""

    async def dependency(request: Request) -> Caller:
        principal = principal_of(request)
        database = database_of(request)
        wanted = ", ".join(p.value for p in permissions) or "login"
        if principal is None:
            raise NotAuthenticated()
        if principal.must_change_password and request.url.path not in OPEN_TO_A_RESET_PASSWORD:
            raise MustChangePassword()
        if not await _csrf_ok(request, principal):
            authentication.record_denied(UnitOfWork(database, actor=principal.username), username=principal.username,
                                         permission="csrf", where=f"{request.method} {request.url.path}")
            raise Forbidden(N_("This form has expired or did not come from bloodbank: reload the page and try again."))
        missing = [p for p in permissions if not principal.may(p)]
        if missing:
            authentication.record_denied(UnitOfWork(database, actor=principal.username), username=principal.username,
                                         permission=wanted, where=f"{request.method} {request.url.path}")
            raise Forbidden(N_("Your role (%(role)s) does not allow this."), {"role": principal.role_label})
        return Caller(principal=principal, database=database, read_only=request.method in ("GET", "HEAD"))

    return dependency


logged_in = require()


def require_any(*permissions: Permission):
    """A dependency that lets the request through for a person holding at least one of `permissions`: a screen two
    roles work from (the call list: who phones, who collects)."""
    signed_in = require()

    async def dependency(request: Request) -> Caller:
        caller = await signed_in(request)
        principal = caller.principal
        if not any(principal.may(p) for p in permissions):
            authentication.record_denied(UnitOfWork(caller.database, actor=principal.username),
                                         username=principal.username,
                                         permission=" or ".join(p.value for p in permissions),
                                         where=f"{request.method} {request.url.path}")
            raise Forbidden(f"Your role ({principal.role_label}) does not allow this.")
        return caller

    return dependency
