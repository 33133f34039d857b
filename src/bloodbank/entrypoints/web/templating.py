"""Jinja2 pages: every page gets the person, their CSRF token, their clock and the navigation their role allows."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import datetime, timezone, tzinfo
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates

from bloodbank import __version__
from bloodbank.domain import scheduling
from bloodbank.domain.access import Permission
from bloodbank.domain.components import kind_name
from bloodbank.domain.inventory import days_in_words
from bloodbank.entrypoints.web.help_topics import help_topic
from bloodbank.entrypoints.web.security import CSRF_FIELD, principal_of

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# The page being rendered's CSRF token and its reader's clock, for macros imported without the page's context.
_csrf: ContextVar[str] = ContextVar("csrf", default="")
_clock: ContextVar[tzinfo] = ContextVar("clock", default=timezone.utc)

DATE_TIME = "%Y-%m-%d %H:%M"


def zone_name(principal) -> str:
    """The zone a person reads times in: their site's; a page seen by no one logged in is in UTC."""
    return principal.time_zone if principal is not None else scheduling.DEFAULT_TIMEZONE


def clock_of(principal) -> tzinfo:
    return scheduling.zone(zone_name(principal))


def viewer_clock(request: Request) -> tzinfo:
    """For labels a page module writes before the page renders."""
    return clock_of(principal_of(request))


def local(at: datetime | str | None, fmt: str = DATE_TIME, *, clock: tzinfo | None = None,
          own_clock: bool = False, named: bool = True) -> str:
    """A stored instant as the reader's wall clock, with the zone named: "2026-12-04 14:05 +03".

    Stored times are UTC, so a naive one (SQLite keeps no offset) is read as UTC; text is an ISO time as
    kept in a record's JSON. `own_clock` keeps a time already on its site's clock (an appointment) there;
    `named=False` is for a day alone, cut on the same clock.
    """
    if at is None or at == "":
        return ""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    if not own_clock:
        at = at.astimezone(clock or _clock.get())
    return f"{at.strftime(fmt)} {at.strftime('%Z')}" if named else at.strftime(fmt)


TEMPLATES.env.globals.update(app_version=__version__, csrf_field=CSRF_FIELD, current_csrf=lambda: _csrf.get())
TEMPLATES.env.filters["local"] = local
TEMPLATES.env.filters["kind_name"] = kind_name
TEMPLATES.env.filters["days_of_supply"] = days_in_words
TEMPLATES.env.globals["help_topic"] = help_topic

# (label, path, permission that shows it): a link is shown only to those who may use it.
NAVIGATION = (
    ("Donor desk", "/desk", Permission.DONORS_WRITE),
    ("Collection", "/collection", Permission.COLLECTION),
    ("Processing", "/processing", Permission.PROCESSING),
    ("Lab", "/lab", Permission.RESULTS_WRITE),
    ("Inventory", "/inventory", Permission.UNITS_READ),
    ("Hospital", "/hospital", Permission.ORDERS),
    ("Incidents", "/incidents", Permission.CASUALTY_COUNTS),
    ("Walking blood bank", "/field", Permission.PANEL),
    ("Emergency collection", "/field/calls", Permission.EMERGENCY_COLLECTION),
    ("Not fully tested", "/field/issue", Permission.ISSUE_NOT_FULLY_TESTED),
    ("Trace", "/trace", Permission.TRACE),
    ("Reports", "/reports/monthly", Permission.REPORTS),
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
    _clock.set(clock_of(principal))
    context.setdefault("error", None)
    context.setdefault("notice", None)
    return TEMPLATES.TemplateResponse(
        request, template,
        {"principal": principal, "csrf_token": token, "clock_zone": zone_name(principal),
         "nav": navigation(principal), **context},
        status_code=status_code,
    )
