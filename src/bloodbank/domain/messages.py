"""Marking the domain's English messages for the catalogues, without translating them.

The domain knows no language and imports no translation library: it writes English, marked with `N_` so the
message extractor finds it, and entry points look the same English text up in the reader's catalogue.
"""

from __future__ import annotations

from bloodbank.domain.errors import InvalidInput


def N_(message: str) -> str:  # noqa: N802 - the name the message extractor looks for
    return message


# The languages a catalogue exists for, English (the messages themselves) first. A person's or donor's
# recorded language is one of these or none.
LANGUAGES = ("en", "fr", "ar")


def language_code(value: str | None) -> str | None:
    """A recorded language: one of ours, or None for "follow the browser"; anything else is refused."""
    if value is None or value.strip() == "":
        return None
    code = value.strip().lower()
    if code not in LANGUAGES:
        raise InvalidInput(N_("Choose a language from the list: %(languages)s."),
                           params={"languages": ", ".join(LANGUAGES)})
    return code


class Said(str):
    """A sentence for a person, in English, that a page can show in its reader's language.

    The string itself is the English, filled in, so whatever reads it as text (the API, a log, a test) is
    unchanged; `text` is its template, marked with `N_`, and `params` what fills it.
    """

    text: str
    params: dict

    def __new__(cls, text: str, params: dict | None = None):
        params = dict(params or {})
        said = super().__new__(cls, text % params if params else text)
        said.text, said.params = text, params
        return said

    def translated(self, gettext) -> str:
        template = gettext(self.text)
        if not self.params:
            return template
        return template % {k: v.translated(gettext) if isinstance(v, Said) else v for k, v in self.params.items()}


class Sentences(Said):
    """Sentences read one after another (the reasons a collection stops), each translated on its own."""

    parts: tuple[str, ...]

    def __new__(cls, parts):
        parts = tuple(parts)
        said = str.__new__(cls, " ".join(parts))
        said.text, said.params, said.parts = str(said), {}, parts
        return said

    def translated(self, gettext) -> str:
        return " ".join(p.translated(gettext) if isinstance(p, Said) else gettext(p) for p in self.parts)
