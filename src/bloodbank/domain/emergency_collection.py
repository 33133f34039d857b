"""An emergency collection from a panel member: what stops it, and how long its fresh whole blood keeps.

The abbreviated questionnaire, the bedside tests (each with its kit and lot)
and the bedside ABO/RhD against the panel's record each stop the collection
before the needle; the figures are the walking blood bank's rule data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bloodbank.domain.blood_groups import parse_group
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.walking_blood_bank import rules


def questionnaire_refusals(answers: Mapping[str, object]) -> list[str]:
    """Every abbreviated question answered yes or no, each with its safe answer; what stops the collection."""
    refusals = []
    for question in rules().questions:
        answer = answers.get(question.code)
        if not isinstance(answer, bool):
            refusals.append(f"Not answered: {question.text}")
        elif answer is not question.safe:
            refusals.append(f"{question.text} ({'yes' if answer else 'no'}): do not collect.")
    unknown = sorted(set(answers) - {q.code for q in rules().questions})
    if unknown:
        refusals.append(f"Unknown questions: {', '.join(unknown)}.")
    return refusals


RAPID_RESULTS = ("negative", "reactive", "invalid")


@dataclass(frozen=True)
class RapidTest:
    marker: str
    result: str
    kit: str
    lot: str


def rapid_test_refusals(tests: Iterable[RapidTest]) -> list[str]:
    """Each marker tested once at the bedside, negative, with its kit and lot; anything else stops the collection."""
    tests = list(tests)
    refusals = []
    seen = [t.marker for t in tests]
    for marker in rules().rapid_markers:
        if seen.count(marker) != 1:
            refusals.append(f"Give exactly one bedside {marker.upper()} test ({seen.count(marker)} given).")
    for test in tests:
        if test.marker not in rules().rapid_markers:
            refusals.append(f"{test.marker!r} is not a bedside test: use {', '.join(rules().rapid_markers)}.")
        elif test.result not in RAPID_RESULTS:
            refusals.append(f"The {test.marker.upper()} result must be one of {', '.join(RAPID_RESULTS)}.")
        elif test.result != "negative":
            refusals.append(f"The bedside {test.marker.upper()} test is {test.result}: do not collect.")
        if not test.kit.strip() or not test.lot.strip():
            refusals.append(f"Record the kit and the lot of the {test.marker.upper()} test.")
    return refusals


def group_check_refusal(on_record: str | None, bedside: str) -> str | None:
    """The bedside ABO/RhD must agree with the group the panel holds; a disagreement stops the collection."""
    try:
        typed = parse_group(bedside)
    except ValueError as error:
        return f"The bedside ABO/RhD could not be read: {error}"
    if on_record is None:
        return "The member's group is not confirmed on record: they cannot give in an emergency."
    if parse_group(on_record) != typed:
        return f"The bedside group {typed} disagrees with the group on record {parse_group(on_record)}: do not collect."
    return None


def fresh_expiry(collected_at: datetime) -> datetime:
    """Fresh whole blood kept at room temperature is used within this time."""
    return collected_at + rules().room_temperature


def stored_expiry(collected_at: datetime, refrigerated_at: datetime, anticoagulant: str) -> datetime:
    """Refrigerated in time, fresh whole blood becomes stored whole blood, counted from collection."""
    days = rules().stored_days.get(anticoagulant)
    if days is None:
        raise InvalidInput(f"Unknown anticoagulant {anticoagulant!r}: use one of {', '.join(rules().stored_days)}.")
    if refrigerated_at < collected_at:
        raise InvalidInput("A unit cannot be refrigerated before it was collected.")
    if refrigerated_at - collected_at > rules().refrigerate_within:
        hours = int(rules().refrigerate_within.total_seconds() // 3600)
        raise InvalidInput(f"Refrigerated more than {hours} h after collection: the unit stays fresh whole blood "
                           "and must be used before its room-temperature expiry.")
    return collected_at + timedelta(days=days)
