"""Log in and out. A session cookie the page's scripts cannot read, sent only to this site."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from bloodbank.domain.access import Role
from bloodbank.domain.errors import DomainError
from bloodbank.entrypoints.web.security import SESSION_COOKIE, Caller, database_of, logged_in, principal_of
from bloodbank.entrypoints.web.templating import render
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.staff import authentication

router = APIRouter()
LOGIN_COOKIE = "bloodbank_login"

ROLE_HOME = {
    Role.CLERK: "/desk",
    Role.PHLEBOTOMIST: "/collection",
    Role.LAB_TECHNICIAN: "/lab",
    Role.INVENTORY_MANAGER: "/inventory",
    Role.HOSPITAL_STAFF: "/hospital",
    Role.MEDICAL_DIRECTOR: "/",
    Role.ADMINISTRATOR: "/admin",
}


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: a login link must not send the person elsewhere afterwards.

    The bare address (`/`, what people type or print) asks for no page in particular: the person lands on
    their role's own home, not on the overview.
    """
    if not target or target in ("/", "/?"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _login_form(request: Request, *, status_code: int = 200, **context):
    """The form with a fresh token, also set as a cookie: a login posted from another site carries neither
    (login CSRF would sign a person into an attacker's account, whose screens they would then fill in)."""
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", status_code=status_code, login_token=token, **context)
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", path="/login",
                        secure=request.url.scheme == "https")
    return response


@router.get("/login")
def login_page(request: Request, next: str | None = None):
    principal = principal_of(request)
    if principal is not None:
        return RedirectResponse(_safe_next(next) or ROLE_HOME[Role(principal.role)], status_code=303)
    return _login_form(request, next=_safe_next(next) or "")


@router.post("/login")
def login(request: Request, username: str = Form(""), password: str = Form(""), next: str = Form(""),
          login_token: str = Form("")):
    client = request.client.host if request.client else ""
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not secrets.compare_digest(expected.encode(), login_token.encode()):
        return _login_form(request, status_code=403, username=username, next=_safe_next(next) or "",
                           error="This login form has expired or did not come from this site: log in again.")
    try:
        ticket = authentication.login(UnitOfWork(database_of(request), actor="web"), username=username,
                                      password=password, client=client)
    except DomainError as error:
        return _login_form(request, status_code=401 if error.code == "login_refused" else 429,
                           error=error, username=username, next=_safe_next(next) or "")
    target = _safe_next(next) or ROLE_HOME[Role(ticket.principal.role)]
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, ticket.token, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, _caller: Caller = Depends(logged_in)):
    authentication.logout(UnitOfWork(database_of(request), actor="web"), request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
