"""The catalogues of the languages the system speaks, read from disk.

Catalogues are gettext `.po` files under `bloodbank/locale/<language>/LC_MESSAGES/`. The compiled `.mo`
is made from the `.po` on first use when it is missing or older, so a fresh checkout, `make run` and
`make test` need no build step; `make i18n-compile` does the same ahead of time.

Pages read them through `entrypoints.languages` in the reader's language; a message to a donor (the outbox)
reads them here in the donor's own, whoever's action wrote it.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from datetime import date
from functools import lru_cache
from pathlib import Path

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from bloodbank.domain import messages

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"
DEFAULT = "en"


def _compiled(language: str) -> bytes | None:
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if not po.exists():
        return None
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        return mo.read_bytes()
    with po.open("rb") as source:
        catalogue = read_po(source, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalogue)  # fuzzy entries are left out, as msgfmt does
    try:
        # Written aside and renamed: another worker starting at the same moment reads a whole file or none.
        aside = mo.with_name(f"{mo.name}.{os.getpid()}")
        aside.write_bytes(buffer.getvalue())
        os.replace(aside, mo)
    except OSError:
        pass  # an installed, read-only package: the catalogue compiled in memory serves as well
    return buffer.getvalue()


@lru_cache(maxsize=None)
def translations(language: str) -> NullTranslations:
    compiled = _compiled(language) if language != DEFAULT else None
    return Translations(io.BytesIO(compiled), domain=DOMAIN) if compiled else NullTranslations()


def language_of(chosen: str | None) -> str:
    """A stored language, or English when none was chosen (or it is no longer one of ours)."""
    return chosen if chosen in messages.LANGUAGES else DEFAULT


def translator(language: str | None) -> Callable[[str], str]:
    """The catalogue's gettext for a stored language (English when none)."""
    return translations(language_of(language)).gettext


def day_writer(language: str | None) -> Callable[[date], str]:
    """A calendar day written out as the language writes it in a sentence ("6 December 2026", "6 décembre
    2026", "٦ ديسمبر ٢٠٢٦"): month names cannot be misread as a day-month or month-day order can."""
    locale = language_of(language)
    return lambda day: format_date(day, format="long", locale=locale)
