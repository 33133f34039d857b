"""The keys a donor is found by, each one an exact or prefix match an index can serve.

A name is found by the start of any of its words, whatever the case, accents or
punctuation ("nun" finds "Núñez", "obr" finds "O'Brien-Núñez"); a phone number
by its last digits, however the country prefix was written (the digits are
kept last first, so an ending is a prefix). A search that
needs neither a leading wildcard nor a function on the column costs the same
on ten thousand donors as on a million.
"""

from __future__ import annotations

import unicodedata

from dataclasses import dataclass

from bloodbank.domain.duplicates import name_tokens, normalise_name, phone_key

MAX_TOKEN = 100
MAX_PHONE_DIGITS = 20


def donor_name_tokens(*names: str) -> frozenset[str]:
    """Every word of every name, normalised, and each whole name run together ("obriennunez")."""
    tokens: set[str] = set()
    for name in names:
        tokens |= name_tokens(name or "")
        whole = normalise_name(name or "")
        if whole:
            tokens.add(whole)
    return frozenset(token[:MAX_TOKEN] for token in tokens)


def prefix_bounds(prefix: str) -> tuple[str, str]:
    """[low, high): every string starting with `prefix` and nothing else, in code-point order."""
    if not prefix:
        raise ValueError("an empty prefix matches everything")
    following = ord(prefix[-1]) + 1
    if 0xD800 <= following <= 0xDFFF:  # surrogates are not characters: the next one is U+E000
        following = 0xE000
    if following > 0x10FFFF:
        return prefix, prefix + chr(0x10FFFF)  # alphanumeric tokens never end in the last code point
    return prefix, prefix[:-1] + chr(following)


def phone_digits_last_first(phone: str | None) -> str | None:
    """A phone's digits in any script, last digit first: its last digits are then a prefix an index serves."""
    digits = "".join(str(unicodedata.decimal(char)) for char in phone or "" if char.isdecimal())
    return digits[::-1][:MAX_PHONE_DIGITS] or None


def phone_search_prefix(phone: str | None) -> str | None:
    """What a stored phone must start with (last first) to end in the number asked for, or None when too few
    digits were given to mean one number."""
    key = phone_key(phone)
    return key[::-1] if key is not None else None


@dataclass(frozen=True)
class SearchWord:
    """One word typed in the search box, as each thing it may be: the start of name words, the start of a
    donor number, or the ending of a phone number (digits last first). A donor matches the word if any
    of them fits."""

    name_tokens: tuple[str, ...]
    number_prefix: str
    phone_prefix: str | None

    no_digits: bool = True

    @property
    def is_name(self) -> bool:
        """A word with no digit in it: it can only be a name, so the name index may drive the search."""
        return bool(self.name_tokens) and self.no_digits


def search_word(word: str) -> SearchWord:
    digits = sum(char.isdecimal() for char in word)
    phone = phone_key(word) if digits >= len(word) - 1 else None  # a number, not a name with a digit in it
    return SearchWord(name_tokens=tuple(sorted(name_tokens(word))), number_prefix=word.replace("-", "").upper(),
                      phone_prefix=phone[::-1] if phone else None, no_digits=digits == 0)


def word_fits(word: SearchWord, tokens: frozenset[str] | set[str], donor_number: str,
              phone_last_first: str | None) -> bool:
    """Whether a donor with these name tokens, number and phone key matches the word (as the database's
    ranges and probes decide it for the words it checks itself)."""
    if word.name_tokens and all(any(t.startswith(n) for t in tokens) for n in word.name_tokens):
        return True
    if word.number_prefix and donor_number.startswith(word.number_prefix):
        return True
    return bool(word.phone_prefix and phone_last_first and phone_last_first.startswith(word.phone_prefix))
