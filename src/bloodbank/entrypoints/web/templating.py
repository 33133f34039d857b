"""Jinja2 pages: every page gets the person, their CSRF token and the navigation their role allows."""

from __future__ import annotations

from contextvars import ContextVar
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates

from bloodbank import __version__
from bloodbank.domain.access import Permission
from bloodbank.entrypoints.web.security import CSRF_FIELD, principal_of

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# The page being rendered's CSRF token, for macros imported without the page's context.
_csrf: ContextVar[str] = ContextVar("csrf", default="")
TEMPLATES.env.globals.update(app_version=__version__, csrf_field=CSRF_FIELD, current_csrf=lambda: _csrf.get())

# (label, path, permission that shows it): a link is shown only to those who may use it.
NAVIGATION = (
    ("Donor desk", "/desk", Permission.DONORS_WRITE),
    ("Collection", "/collection", Permission.COLLECTION),
    ("Processing", "/processing", Permission.PROCESSING),
    ("Lab", "/lab", Permission.RESULTS_WRITE),
    ("Inventory", "/inventory", Permission.UNITS_READ),
    ("Hospital", "/hospital", Permission.ORDERS),
    ("Trace", "/trace", Permission.TRACE),
    ("Admin", "/admin", Permission.USERS),
    ("Audit log", "/admin/audit", Permission.AUDIT_READ),
)


def navigation(principal) -> list[tuple[str, str]]:
    if principal is None:
        return []
    return [(label, path) for label, path, permission in NAVIGATION if principal.may(permission)]


def render(request: Request, template: str, status_code: int = 200, **context):
    principal = principal_of(request)
    token = principal.csrf_token if principal and principal.csrf_token else ""
    _csrf.set(token)
    context.setdefault("error", None)
    context.setdefault("notice", None)
    return TEMPLATES.TemplateResponse(
        request, template,
        {"principal": principal, "csrf_token": token,
         "nav": navigation(principal), **context},
        status_code=status_code,
    )
