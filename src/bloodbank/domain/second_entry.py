"""A result typed by hand counts only once a second entry of it agrees.

EU GMP Annex 11 §6 asks for a second check of critical data entered by hand,
and WHO's Blood Safety Information System re-enters test outcomes for the
same reason: one slip of a finger turns A- into A+, or reactive into negative.
A result read from an analyser's export file (the batch and CSV uploads) is
the instrument's own record and needs no second entry.

Critical are the results that let blood go out: the ABO/RhD group and every
infection marker, donors' and patients' groupings alike. A CMV negative is a
claim some patients depend on: typed by hand, the units are marked CMV-negative
only once its second entry agrees, though the unit's release does not wait. A final one typed by
hand is *awaiting* until a second entry of the same test is made, then:

* the same value: *verified*;
* another value: *disputed*. Both entries are kept, the disagreement names
  the field, and the result blocks until it is corrected (a new result, which
  itself needs a second entry if typed) or re-tested.

Who gives the second entry: anyone allowed to record the result, whoever
typed the first included. It is always blind: the list of results awaiting
one and the form that takes it never show the first value, so the second is
a fresh reading of the card or the printout, not a glance at the first; made
by a second person it is a second-person check as well. Each is recorded with
who and when, so a review can tell the two apart.

Only what counts *for* the blood waits. A reactive marker typed by hand takes
the blood out of use at once, and a typing that disagrees with the donor's
history blocks at once: a result that stops a unit never waits.

A preliminary result counts for nothing until a final one replaces it, so only
final results ask for a second entry. A marker's optional reading is not
compared: the outcome is what release reads.

Results recorded before their source was kept are `UNRECORDED`: they were
released under the rule of their day and count as they did.
"""

from __future__ import annotations

from dataclasses import dataclass

from bloodbank.domain.errors import Conflict
from bloodbank.domain.messages import N_, Text
from bloodbank.domain.lab_tests import GROUPING, MARKERS, name_of

ANALYSER, MANUAL, UNRECORDED = "analyser", "manual", "unrecorded"
SOURCES = (ANALYSER, MANUAL, UNRECORDED)

CRITICAL_TESTS = frozenset({GROUPING, *MARKERS})
# Results that grant a unit a property some patients depend on (CMV-negative for a transplant or a neonate):
# typed by hand, the property waits for the second entry; the unit's release does not.
CLAIM_TESTS = frozenset({"cmv"})
SECOND_ENTRY_TESTS = CRITICAL_TESTS | CLAIM_TESTS

NOT_NEEDED, AWAITING, VERIFIED, DISPUTED = "not_needed", "awaiting_second_entry", "verified", "disputed"


@dataclass(frozen=True)
class Entry:
    """One entry of a result as stored: the outcome, and for a grouping the group in `value`."""

    outcome: str
    value: str | None = None


@dataclass(frozen=True)
class Disagreement:
    test: str
    field: str  # "group" or "outcome"
    first: str
    second: str

    @property
    def what(self) -> str:
        return "the ABO/RhD group" if self.field == "group" else f"the {name_of(self.test)} outcome"

    @property
    def message(self) -> str:
        return (f"Second entry disagrees on {self.what}: first {self.first}, second {self.second}; "
                "the result is blocked until it is re-tested or corrected.")


@dataclass(frozen=True)
class Check:
    state: str
    disagreement: Disagreement | None = None

    @property
    def counts(self) -> bool:
        """True when the result may count for release or issue; an awaiting or disputed one never does."""
        return self.state in (NOT_NEEDED, VERIFIED)


def needs_second_entry(test: str, source: str, final: bool = True) -> bool:
    # A source this code does not know is taken as typed by hand: fail closed, never open.
    typed = source not in (ANALYSER, UNRECORDED)
    return typed and test in SECOND_ENTRY_TESTS and bool(final)


def disagreement(test: str, first: Entry, second: Entry) -> Disagreement | None:
    """The field on which two entries of one result differ, or None when they agree."""
    if test == GROUPING:
        if first.value != second.value:
            return Disagreement(test, "group", first.value or "no group", second.value or "no group")
        return None
    if first.outcome != second.outcome:
        return Disagreement(test, "outcome", first.outcome, second.outcome)
    return None


def check(test: str, source: str, final: bool, first: Entry, second: Entry | None) -> Check:
    """Whether a result counts: not needing a second entry, awaiting one, verified or disputed."""
    if not needs_second_entry(test, source, final):
        return Check(NOT_NEEDED)
    if second is None:
        return Check(AWAITING)
    differs = disagreement(test, first, second)
    return Check(DISPUTED, differs) if differs else Check(VERIFIED)


def awaiting_message(test: str, din: str) -> Text:
    """What a release check says of a donation's result still waiting for its second entry."""
    if test == GROUPING:
        return Text(N_("ABO/RhD typed by hand, awaiting a second entry (donation %(din)s)."), din=din)
    return Text(N_("%(test)s result typed by hand, awaiting a second entry (donation %(din)s)."),
                test=Text(name_of(test)), din=din)


class SecondEntryDisagrees(Conflict):
    """The second entry was stored and disagrees with the first: the result is blocked, the field named."""

    code = "second_entry_disagrees"

    def __init__(self, differs: Disagreement, subject: str):
        super().__init__(f"{subject}: {differs.message} Both entries are kept.")
        self.field = differs.field
