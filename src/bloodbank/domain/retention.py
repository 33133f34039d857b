"""How long a donor's data is kept, and what is erased, as data with its sources (`rules/retention.toml`).

The file says, for each category of a donor's data, whether an erasure at the
donor's request erases it or keeps it and why; and which records are erased
unasked once their purpose is over. It is read and checked once, on first use:
a category without a reason or a source refuses to load, since a statement
that cannot say why would not be worth giving.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from bloodbank.domain.messages import N_

# How each disposition reads on a page, written out for the catalogues.
DISPOSITION_WORDS = (N_("erased"), N_("reduced to the year"), N_("kept"), N_("not needed"))
# The categories the erasure acts on: each must be in the file, and the file may name no other.
ERASED = ("name", "date_of_birth", "contact", "preferences", "notes", "appointments", "visits_without_donation",
          "mentions", "audit_values")
KEPT = ("donor_number", "sex_and_blood_group", "donations", "test_results", "visits_with_donation", "deferrals",
        "fingerprint")
RETENTION_RULES = ("registered_never_donated", "appointments_past_purpose", "erased_answers_past_record_keeping")


class RetentionRulesInvalid(ValueError):
    pass


@dataclass(frozen=True)
class Category:
    id: str
    what: str
    disposition: str  # "erased", "reduced to the year" or "kept"
    why: str
    sources: tuple[str, ...]
    keep_years: int | None = None

    @property
    def kept(self) -> bool:
        return self.disposition == "kept"


@dataclass(frozen=True)
class RetentionRule:
    id: str
    what: str
    effect: str
    sources: tuple[str, ...]
    years: int | None = None
    months: int | None = None

    def described(self, *, years: int | None = None, months: int | None = None) -> str:
        return self.what.format(years=years or self.years, months=months or self.months)


@dataclass(frozen=True)
class RetentionRules:
    request_basis: str
    answer_within: str
    categories: dict[str, Category]
    retention: dict[str, RetentionRule]


def _text(entry: dict, key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RetentionRulesInvalid(f"{where}: '{key}' is missing")
    return value


def _sources(entry: dict, where: str) -> tuple[str, ...]:
    sources = entry.get("sources")
    if not isinstance(sources, list) or not sources or not all(isinstance(s, str) and s for s in sources):
        raise RetentionRulesInvalid(f"{where}: every rule names at least one source")
    return tuple(sources)


def build_rules(data: dict[str, Any]) -> RetentionRules:
    categories = {}
    for entry in data.get("category", []):
        where = f"category {entry.get('id')!r}"
        category = Category(_text(entry, "id", where), _text(entry, "what", where), _text(entry, "disposition", where),
                            _text(entry, "why", where), _sources(entry, where), entry.get("keep_years"))
        if category.kept != (category.id in KEPT):
            raise RetentionRulesInvalid(f"{where}: the erasure {'keeps' if category.id in KEPT else 'erases'} it; "
                                        f"the file says {category.disposition!r}")
        categories[category.id] = category
    if set(categories) != set(ERASED) | set(KEPT):
        known = set(ERASED) | set(KEPT)
        missing, unknown = known - set(categories), set(categories) - known
        raise RetentionRulesInvalid(f"categories missing: {sorted(missing)}; unknown: {sorted(unknown)}")
    retention = {}
    for entry in data.get("retention", []):
        where = f"retention rule {entry.get('id')!r}"
        rule = RetentionRule(_text(entry, "id", where), _text(entry, "what", where), _text(entry, "effect", where),
                             _sources(entry, where), entry.get("years"), entry.get("months"))
        if (rule.years or rule.months or 0) <= 0:
            raise RetentionRulesInvalid(f"{where}: a period in years or months is needed")
        retention[rule.id] = rule
    if set(retention) != set(RETENTION_RULES):
        raise RetentionRulesInvalid(f"retention rules expected: {', '.join(RETENTION_RULES)}")
    erasure = data.get("erasure", {})
    return RetentionRules(_text(erasure, "request_basis", "erasure"), _text(erasure, "answer_within", "erasure"),
                          categories, retention)


def read_packaged_data() -> dict[str, Any]:
    path = resources.files("bloodbank.domain") / "rules" / "retention.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))


@cache
def rules() -> RetentionRules:
    return build_rules(read_packaged_data())


def years_after(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 1 March in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def months_after(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    try:
        return date(year, month, day.day)
    except ValueError:
        return date(year + (month == 12), month % 12 + 1, 1)


def never_donated_is_due(*, donated: bool, last_contact: date, today: date, years: int) -> bool:
    """A registration that never led to a donation, quiet for `years`: its purpose is over.

    A permanently deferred person is erased the same way; their fingerprint is kept, so they are still stopped.
    """
    return not donated and years_after(last_contact, years) <= today


def appointment_is_past_purpose(*, ended_on: date, today: date, months: int) -> bool:
    return months_after(ended_on, months) <= today


def answers_are_past_keeping(*, donated_on: date, today: date, years: int) -> bool:
    return years_after(donated_on, years) <= today
