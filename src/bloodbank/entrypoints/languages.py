"""The languages the system speaks, and which one a reader gets.

The catalogues themselves are read by `adapters.catalogues`, which messages written for a donor (in the
donor's own language, whoever's action wrote them) read too.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from babel.core import negotiate_locale

from bloodbank.adapters.catalogues import DEFAULT, translations
from bloodbank.domain import messages
from bloodbank.domain.errors import DomainError
from bloodbank.domain.messages import N_

# In the order the switcher shows them, each named in its own language so a reader finds theirs.
NAMES = {"en": "English", "fr": "Français", "ar": "العربية"}
LANGUAGES = {code: NAMES[code] for code in messages.LANGUAGES}
RIGHT_TO_LEFT = messages.RIGHT_TO_LEFT

_current: ContextVar[str] = ContextVar("language", default=DEFAULT)


def supported(language: str | None) -> str | None:
    """`language` if the system speaks it (case and region ignored: "fr-CA" is French), else None."""
    if not language:
        return None
    primary = language.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else None


def from_accept_language(header: str | None) -> str | None:
    """The best of our languages for a browser's Accept-Language, by its q-values; None if none fits."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, position, tag.strip()))
    preferred: list[str] = []
    for _, _, tag in sorted(ranked):
        preferred += [tag.lower(), tag.split("-")[0].lower()]
    return negotiate_locale(preferred, list(LANGUAGES), sep="-")


def choose(*candidates: str | None, accept_language: str | None = None) -> str:
    """The first candidate we speak (an account's or donor's choice, a cookie), else the browser's, else English."""
    for candidate in candidates:
        if found := supported(candidate):
            return found
    return from_accept_language(accept_language) or DEFAULT


def catalogue(language: str) -> Callable[[str], str]:
    """A language's gettext, for what is printed in a language other than the page's (a donor's card)."""
    return translations(supported(language) or DEFAULT).gettext


def current() -> str:
    return _current.get()


def use(language: str) -> None:
    """Sets the language of what this request or command writes from here on."""
    _current.set(supported(language) or DEFAULT)


def gettext(message: str) -> str:
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current()).ngettext(singular, plural, n)



def is_rtl(language: str | None = None) -> bool:
    return (language or current()) in RIGHT_TO_LEFT


# One sentence per stable code, in case the precise message has no translation yet: the reader gets the gist
# in their language and the precise English message beside it, never a message half in one language.
GIST_BY_CODE = {
    "domain_error": N_("This was refused."),
    "invalid_input": N_("Something typed cannot be read: correct it and try again."),
    "not_found": N_("Not found."),
    "donor_ineligible": N_("The donor may not give today."),
    "donor_deferred": N_("The donor is deferred."),
    "consent_missing": N_("The donor's consent is missing."),
    "consent_withdrawn": N_("The donor has withdrawn consent."),
    "possible_duplicate": N_("This donor may already be on file."),
    "capacity_full": N_("There is no free place at that time."),
    "volume_too_high": N_("The volume is too high for this donor."),
    "invalid_transition": N_("A unit cannot move to that state from where it is."),
    "conflict": N_("This clashes with what is already recorded."),
    "issue_refused": N_("The unit may not be issued."),
    "visit_closed": N_("This visit is closed: start a new one."),
    "out_of_hours": N_("The site is closed at that time."),
    "login_refused": N_("The user name or password is not right."),
    "login_throttled": N_("Too many failed attempts: wait a few minutes before trying again."),
    "signature_refused": N_("The password given to sign is not right: nothing was signed."),
    "data_key_unavailable": N_("The key that seals donors' confidences is not available."),
    "invalid_din": N_("This is not a valid DIN: scan or type it again."),
    "irradiation_too_late": N_("It is too late to irradiate this unit."),
    "second_entry_disagrees": N_("The second entry differs from the first: both are kept."),
    "second_check_refused": N_("The second checker's name or password is not right: nothing was done."),
    "appeal_refused": N_("The appeal cannot do that now."),
    "link_invalid": N_("This link is no longer valid."),
    "messaging_not_configured": N_("Messages cannot be sent: email and SMS are not set up."),
}


def _gist(error: DomainError) -> str:
    for cls in type(error).__mro__:
        if getattr(cls, "code", None) in GIST_BY_CODE:
            return GIST_BY_CODE[cls.code]
    return GIST_BY_CODE["domain_error"]


TRANSLATED_PARAMS = frozenset({"label", "what"})


def text(value):
    """What the domain wrote, in the current language: a `messages.Text` by its template with its values (those
    that are `Text` translated too), any other string looked up whole; anything else (a number, None) as is."""
    if isinstance(value, messages.Text):
        template = gettext(value.template)
        if not value.params:
            return template
        return template % {k: text(v) if isinstance(v, messages.Text) else v for k, v in value.params.items()}
    return gettext(value) if isinstance(value, str) and value else value


def error_message(error: DomainError) -> str:
    """A domain error's message in the current language; the code it carries never changes."""
    if current() == DEFAULT:
        return error.message
    catalogue = translations(current())
    translated = catalogue.gettext(error.template)
    if translated != error.template or not error.template:
        if not error.params:
            return translated
        # A field's label is ours and has its translation; what the person typed is shown as typed.
        params = {k: text(v) if isinstance(v, messages.Text) or k in TRANSLATED_PARAMS and isinstance(v, str)
                  else v for k, v in error.params.items()}
        return translated % params
    return f"{catalogue.gettext(_gist(error))} ({error.message})"
