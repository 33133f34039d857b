"""Jinja2 pages: every page gets the person, their CSRF token, their clock, their language and the navigation
their role allows."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import date, datetime, timezone, tzinfo
from pathlib import Path

from babel.dates import format_date, format_datetime, get_day_names
from babel.numbers import format_decimal
from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from bloodbank import __version__
from bloodbank.domain import isbt128, lab_tests, mass_casualty, scheduling
from bloodbank.domain.access import Permission
from bloodbank.domain.components import kind_name
from bloodbank.domain.inventory import days_in_words_template
from bloodbank.entrypoints.web.help_topics import help_topic
from bloodbank.domain.errors import DomainError
from bloodbank.domain.messages import N_
from bloodbank.entrypoints import languages
from bloodbank.entrypoints.web.i18n import language_of
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
    if languages.current() == languages.DEFAULT:
        return f"{at.strftime(fmt)} {at.strftime('%Z')}" if named else at.strftime(fmt)
    # Day and month names in the reader's language, on the same clock; figures stay as the clerk reads them.
    text = format_datetime(at, _cldr_pattern(fmt), locale=languages.current())
    if not named:
        return text
    # Isolated left to right (U+2066…U+2069, text not markup: a time may stand in an <option>), so that
    # right to left "+03" is not drawn "03+".
    zone = f"\u2066{at.strftime('%Z')}\u2069" if languages.is_rtl() else at.strftime('%Z')
    return f"{text} {zone}"


# strftime's directives as CLDR patterns: the templates keep one way of writing a date's shape.
_CLDR = {"%Y": "yyyy", "%m": "MM", "%d": "dd", "%H": "HH", "%M": "mm", "%S": "ss", "%a": "EEE", "%A": "EEEE",
         "%b": "MMM", "%B": "MMMM", "%e": "d", "%-d": "d", "%%": "%"}


def _cldr_pattern(fmt: str) -> str:
    pattern, i = [], 0
    while i < len(fmt):
        directive = fmt[i:i + 3] if fmt[i:i + 3] in _CLDR else fmt[i:i + 2]
        if directive in _CLDR:
            pattern.append(_CLDR[directive])
            i += len(directive)
        else:
            literal = fmt[i]
            pattern.append(f"'{literal}'" if literal.isalpha() or literal == "'" else literal)
            i += 1
    return "".join(pattern)


def day(value: date | None, fmt: str = "%Y-%m-%d") -> str:
    """A calendar day (no clock), with day and month names in the reader's language."""
    if value is None:
        return ""
    if languages.current() == languages.DEFAULT:
        return value.strftime(fmt)
    return format_date(value, _cldr_pattern(fmt), locale=languages.current())


def source(text: str | None) -> Markup:
    """A rule's published source, quoted as written: a reference stays in the language it was published in,
    marked so (a screen reader reads it with English rules, a translator leaves it)."""
    return Markup('<cite lang="en" dir="ltr">{}</cite>').format(text or "")


def window(label: str):
    """A forecast window by its rule-file key ("0-6h"), in the reader's words; anything else as an identifier."""
    if label in mass_casualty.WINDOW_BY_LABEL:
        return translated(mass_casualty.WINDOW_BY_LABEL[label].name)
    if label == mass_casualty.AFTER_HORIZON:
        return translated(mass_casualty.AFTER_HORIZON_NAME)
    return ltr(label)


def opening_hours(hours: dict) -> Markup:
    """A site's week (`scheduling.describe_hours`) with the day names in the reader's language, times left to
    right."""
    parsed = scheduling.parse_opening_hours(hours)
    names = get_day_names("abbreviated", locale=languages.current())
    days = [Markup("{} {}").format(names[scheduling.DAYS.index(day)],
                                   ltr(", ".join(str(interval) for interval in intervals)))
            for day, intervals in parsed.items() if intervals]
    return Markup("; ").join(days) if days else Markup(languages.gettext("closed every day"))


def number(value, digits: int | None = None) -> str:
    """A figure with the reader's decimal and grouping marks (1 234,5 in French)."""
    if value is None or value == "":
        return ""
    fmt = None if digits is None else "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=fmt, locale=languages.current())


def ltr(value) -> Markup:
    """An identifier (DIN, product code, donor number, figure with its unit) kept left to right in any page.

    Inside Arabic text the bidirectional algorithm would otherwise reorder "=A9990 26 123456 N" or "450 mL";
    a DIN read in the wrong order is a different unit.
    """
    if value is None or value == "":
        return Markup("")
    return Markup('<bdi dir="ltr">{}</bdi>').format(escape(value))


def isolated(value) -> Markup:
    """Free text a person typed (an address, a name), set apart so its own direction decides its order: in
    an Arabic page "162 High Street" must not become "High Street 162"."""
    if value is None or value == "":
        return Markup("")
    return Markup("<bdi>{}</bdi>").format(value)


def din(text: str | None) -> Markup:
    """A DIN as printed under its barcode, so the screen can be compared with the bag, never reordered."""
    try:
        parsed = isbt128.parse_din(text or "")
    except DomainError:
        return Markup('<bdi dir="ltr" class="din">{}</bdi>').format(text or "")
    # The check character boxed, as on the label: typed after the DIN to catch a slip, never scanned.
    body, check = parsed.eye_readable.rsplit(" ", 1)
    return Markup('<bdi dir="ltr" class="din">{} <span class="check">{}</span></bdi>').format(body, check)


def days_of_supply(days: float | None) -> str:
    """Days of supply in the reader's words, with their figure in the reader's digits."""
    template, params = days_in_words_template(days)
    return languages.gettext(template) % {k: number(v) for k, v in params.items()}


def translated(text: str | None) -> str:
    """Text a page module or service wrote in English (a label, a status), in the reader's language if the
    catalogue has it; unlike `_`, it is never used as a format string. A sentence the domain wrote from a
    template (`messages.Text`) is translated by its template and filled with its values."""
    return languages.text(text) if text else ""


TEMPLATES.env.add_extension("jinja2.ext.i18n")
# Bound once to functions that read the request's language: every request renders in its own without
# re-binding a shared environment under another request's feet.
TEMPLATES.env.install_gettext_callables(languages.gettext, languages.ngettext, newstyle=True)
TEMPLATES.env.globals.update(app_version=__version__, csrf_field=CSRF_FIELD, current_csrf=lambda: _csrf.get(),
                             languages=languages.LANGUAGES, din=din, tr=translated)
TEMPLATES.env.filters["local"] = local
TEMPLATES.env.filters["opening_hours"] = opening_hours
TEMPLATES.env.filters["source"] = source
TEMPLATES.env.filters["window"] = window
TEMPLATES.env.filters["test_name"] = lambda code: translated(lab_tests.name_of(code))
TEMPLATES.env.filters["tr"] = translated
TEMPLATES.env.filters["kind_name"] = lambda kind: translated(kind_name(kind))
TEMPLATES.env.filters["days_of_supply"] = days_of_supply
TEMPLATES.env.globals["help_topic"] = help_topic
TEMPLATES.env.filters["number"] = number
TEMPLATES.env.filters["day"] = day
TEMPLATES.env.filters["ltr"] = ltr
TEMPLATES.env.filters["isolated"] = isolated

# (label, path, permission that shows it): a link is shown only to those who may use it.
NAVIGATION = (
    (N_("Donor desk"), "/desk", Permission.DONORS_WRITE),
    (N_("Can come now"), "/desk/available-now", Permission.DONORS_READ),
    (N_("Erasure requests"), "/desk/erasure-requests", Permission.ERASURE),
    (N_("Collection"), "/collection", Permission.COLLECTION),
    (N_("Processing"), "/processing", Permission.PROCESSING),
    (N_("Lab"), "/lab", Permission.RESULTS_WRITE),
    (N_("Inventory"), "/inventory", Permission.UNITS_READ),
    (N_("Hospital"), "/hospital", Permission.ORDERS),
    (N_("Massive transfusion"), "/hospital/mtp", Permission.MASSIVE_TRANSFUSION),
    (N_("Incidents"), "/incidents", Permission.CASUALTY_COUNTS),
    (N_("Walking blood bank"), "/field", Permission.PANEL),
    (N_("Emergency collection"), "/field/calls", Permission.EMERGENCY_COLLECTION),
    (N_("Not fully tested"), "/field/issue", Permission.ISSUE_NOT_FULLY_TESTED),
    (N_("Trace"), "/trace", Permission.TRACE),
    (N_("Reports"), "/reports/monthly", Permission.REPORTS),
    (N_("Admin"), "/admin", Permission.USERS),
    (N_("Audit log"), "/admin/audit", Permission.AUDIT_READ),
)


def navigation(principal) -> list[tuple[str, str]]:
    if principal is None:
        return []
    return [(languages.gettext(label), path) for label, path, permission in NAVIGATION
            if principal.may(permission)]


def _in_language(value):
    """A domain error or a page module's English notice, shown in the reader's language."""
    if isinstance(value, DomainError):
        return languages.error_message(value)
    return languages.text(value)


def render(request: Request, template: str, status_code: int = 200, *, language: str | None = None, **context):
    """`language` is a donor's own, on the pages a donor reads; anyone else reads in the request's language."""
    principal = principal_of(request)
    token = principal.csrf_token if principal and principal.csrf_token else ""
    _csrf.set(token)
    _clock.set(clock_of(principal))
    chosen = language_of(request, chosen=language)
    languages.use(chosen)
    context.setdefault("error", None)
    context.setdefault("notice", None)
    for key in ("error", "notice", "message"):
        if key in context:
            context[key] = _in_language(context[key])
    return TEMPLATES.TemplateResponse(
        request, template,
        {"principal": principal, "csrf_token": token, "clock_zone": zone_name(principal),
         "nav": navigation(principal), "language": chosen, "direction": "rtl" if languages.is_rtl(chosen) else "ltr",
         **context},
        status_code=status_code,
    )
