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
# Those written right to left: their pages are mirrored and their printed lines run from the right.
RIGHT_TO_LEFT = frozenset({"ar"})


def language_code(value: str | None) -> str | None:
    """A recorded language: one of ours, or None for "follow the browser"; anything else is refused."""
    if value is None or value.strip() == "":
        return None
    code = value.strip().lower()
    if code not in LANGUAGES:
        raise InvalidInput(N_("Choose a language from the list: %(languages)s."),
                           params={"languages": ", ".join(LANGUAGES)})
    return code


class Text(str):
    """A sentence the domain writes for a person: it is its English wording, so it is stored, compared and shown
    as any string, and it keeps its marked template and values so an entry point can look the template up in
    the reader's catalogue and fill in the same values. A value that is itself a `Text` is translated too;
    any other value (a DIN, a name, a date) is shown as it is."""

    template: str
    params: dict

    def __new__(cls, template: str, **params) -> "Text":
        text = super().__new__(cls, template % params if params else template)
        text.template = template
        text.params = params
        return text

    def __reduce__(self):
        return (_text, (self.template, self.params))


def _text(template: str, params: dict) -> Text:
    return Text(template, **params)


def sentences(parts) -> Text:
    """Sentences read one after another (the reasons a collection stops): the English joined by spaces, each
    translated on its own on a page, none built from fragments."""
    parts = list(parts)
    return Text(" ".join(f"%(s{i})s" for i in range(len(parts))), **{f"s{i}": p for i, p in enumerate(parts)})
