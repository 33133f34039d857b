"""Erasing a donor's personal data: which fields go, which audit values held them, the fingerprint kept
while a permanent deferral stands, and the statement that says what was erased, what was kept and why.

Which categories are erased and which kept, and why, is data (`rules/retention.toml`, read by
`domain.retention`); this module maps the categories onto the record and builds the statement.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date

from bloodbank.domain import retention
from bloodbank.domain.duplicates import normalise_name, phone_key
from bloodbank.domain.messages import N_

# The donor record's fields each erased category clears.
DONOR_FIELDS = {
    "name": ("given_name", "family_name"),
    "date_of_birth": ("date_of_birth",),
    "contact": ("phone", "email", "address", "postcode", "latitude", "longitude"),
    "preferences": ("preferred_site_id", "appeals_opt_in", "language"),
    "notes": ("notes",),
}
DONOR_KEYS = frozenset(field for fields in DONOR_FIELDS.values() for field in fields)
# What a visit that led to no donation loses; the audit values of its screening name declared answers by code.
VISIT_FIELDS = ("questionnaire", "weight_kg", "hemoglobin_g_dl", "systolic", "diastolic", "pulse", "temperature_c",
                "decision_reasons")
VISIT_KEYS = frozenset(VISIT_FIELDS) | {"declared_deferral_codes"}
REQUEST_CHANNELS = ("in_person", "letter", "email", "phone", "portal")
CHANNEL_LABELS = {"in_person": "in person", "letter": "by letter", "email": "by email", "phone": "by phone",
                  "portal": "through the donor portal"}


def reduced_date_of_birth(born: date) -> date:
    """The year alone, stored as its first day (the column needs a date)."""
    return date(born.year, 1, 1)


# ---------------------------------------------------------------- finding the erased data in audit values


@dataclass(frozen=True)
class Identity:
    """What identifies the person, to be looked for in audit values before it is erased."""

    given_name: str
    family_name: str
    date_of_birth: date | None
    phone: str | None = None
    email: str | None = None
    address: str = ""
    postcode: str = ""


MIN_TERM = 2


def terms_of(people: Iterable[Identity]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(words, digit runs) to look for: names whole and by part, date of birth, email, address lines, postcode;
    phone numbers by their last nine digits, however they were written."""
    words: set[str] = set()
    digits: set[str] = set()
    for person in people:
        for name in (person.given_name, person.family_name):
            words.add(name.strip())
            words.update(re.split(r"[\s\-]+", name))
        if person.date_of_birth is not None:
            words.add(person.date_of_birth.isoformat())
        words.update(filter(None, (person.email, person.postcode)))
        words.add(person.address.strip())
        words.update(line.strip().rstrip(",") for line in person.address.splitlines())
        key = phone_key(person.phone)
        if key:
            digits.add(key)
    return (tuple(sorted(w.casefold() for w in words if len(w.strip()) >= MIN_TERM)),
            tuple(sorted(digits)))


def _word(word: str) -> re.Pattern:
    return re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)


def _phone(digits: str) -> re.Pattern:
    """The digits however they were written: spaces, dashes, brackets and a country prefix between them."""
    return re.compile(r"(?:\+\s?)?(?:[\d(][\d\s().\-/]*?)?" + r"[\s().\-/]*".join(digits))


def _mentions(text: str, words: tuple[str, ...], digits: tuple[str, ...]) -> bool:
    folded = text.casefold()
    for word in words:
        if _word(word).search(folded):
            return True
    only_digits = "".join(c for c in text if c.isdigit())
    return any(d in only_digits for d in digits)


ERASED_MARK = "[erased]"


def redacted(text: str | None, terms: tuple[tuple[str, ...], tuple[str, ...]]) -> str | None:
    """`text` with every mention of the person replaced by [erased]; the longest terms first, so a full name
    goes as one."""
    if not text:
        return text
    words, digits = terms
    for word in sorted(words, key=len, reverse=True):
        text = _word(word).sub(ERASED_MARK, text)
    for run in sorted(digits, key=len, reverse=True):
        text = _phone(run).sub(ERASED_MARK, text)
    return text


def holds_erased(values: object, keys: frozenset[str], terms: tuple[tuple[str, ...], tuple[str, ...]]) -> bool:
    """True if `values` (an audit entry's old, new and reason, at any depth) holds a field of `keys` with a
    value, or a text mentioning any of the person's terms."""
    words, digits = terms
    if isinstance(values, dict):
        return any((key in keys and value not in (None, "", [], {})) or holds_erased(value, keys, terms)
                   for key, value in values.items())
    if isinstance(values, (list, tuple)):
        return any(holds_erased(value, keys, terms) for value in values)
    if isinstance(values, str):
        return _mentions(values, words, digits)
    return False


# ---------------------------------------------------------------- the fingerprint kept for a deferral


def _identity_text(given_name: str, family_name: str, born: date) -> str:
    # Order-free names: a given and a family name swapped at the desk is still the same person.
    return json.dumps([sorted([normalise_name(given_name), normalise_name(family_name)]), born.isoformat()])


def fingerprint(given_name: str, family_name: str, born: date, salt: str) -> str:
    return hashlib.sha256((salt + _identity_text(given_name, family_name, born)).encode()).hexdigest()


def fingerprint_matches(stored: str, salt: str, given_name: str, family_name: str, born: date) -> bool:
    return hmac.compare_digest(stored, fingerprint(given_name, family_name, born, salt))


# ---------------------------------------------------------------- the statement


@dataclass(frozen=True)
class PersonFacts:
    """What the erasure finds on file for the person, counted; nothing in it identifies them."""

    donor_number: str
    record_numbers: tuple[str, ...]
    appointments: int
    visits_without_donation: int
    visits_with_donation: int
    donations: int
    last_donation_on: date | None
    test_results: int
    deferrals: int
    permanently_deferred: bool
    audit_values: int
    mentions: int = 0

    @property
    def fingerprinted(self) -> bool:
        """A permanent deferral stands, or may follow from a finding about blood already given."""
        return self.permanently_deferred or self.donations > 0


@dataclass(frozen=True)
class StatementItem:
    category: str
    what: str
    disposition: str
    why: str
    sources: tuple[str, ...]
    count: int | None = None
    kept_until: date | None = None

    @property
    def kept(self) -> bool:
        return self.disposition in ("kept", "not needed")


def _count(facts: PersonFacts, category: str) -> int | None:
    return {"appointments": facts.appointments, "visits_without_donation": facts.visits_without_donation,
            "mentions": facts.mentions,
            "audit_values": facts.audit_values, "donor_number": len(facts.record_numbers),
            "donations": facts.donations, "test_results": facts.test_results,
            "visits_with_donation": facts.visits_with_donation, "deferrals": facts.deferrals}.get(category)


def statement_items(facts: PersonFacts, rules: retention.RetentionRules | None = None) -> tuple[StatementItem, ...]:
    rules = rules or retention.rules()
    items = []
    for category_id in retention.ERASED + retention.KEPT:
        category = rules.categories[category_id]
        until = None
        if category.keep_years and facts.last_donation_on is not None:
            until = retention.years_after(facts.last_donation_on, category.keep_years)
        item = StatementItem(category.id, category.what, category.disposition, category.why, category.sources,
                             _count(facts, category.id), until)
        if category.id == "fingerprint" and not facts.fingerprinted:
            item = StatementItem(category.id, category.what, "not needed",
                                 N_("The person never donated and no permanent deferral stands: nothing of the name "
                                    "or date of birth is kept."), category.sources)
        items.append(item)
    return tuple(items)


def items_as_data(items: Iterable[StatementItem]) -> list[dict]:
    return [{**asdict(item), "sources": list(item.sources),
             "kept_until": item.kept_until.isoformat() if item.kept_until else None} for item in items]


def items_from_data(data: Iterable[dict]) -> tuple[StatementItem, ...]:
    return tuple(StatementItem(**{**item, "sources": tuple(item["sources"]),
                                  "kept_until": date.fromisoformat(item["kept_until"]) if item["kept_until"] else None})
                 for item in data)
