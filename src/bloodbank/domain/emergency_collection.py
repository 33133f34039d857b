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
from bloodbank.domain.messages import N_, Text
from bloodbank.domain.walking_blood_bank import rules


def questionnaire_refusals(answers: Mapping[str, object]) -> list[Text]:
    """Every abbreviated question answered yes or no, each with its safe answer; what stops the collection."""
    refusals = []
    for question in rules().questions:
        answer = answers.get(question.code)
        if not isinstance(answer, bool):
            refusals.append(Text(N_("Not answered: %(question)s"), question=Text(question.text)))
        elif answer is not question.safe:
            refusals.append(Text(N_("%(question)s (%(answer)s): do not collect."),
                                 question=Text(question.text), answer=Text(N_("yes") if answer else N_("no"))))
    unknown = sorted(set(answers) - {q.code for q in rules().questions})
    if unknown:
        refusals.append(Text(N_("Unknown questions: %(codes)s."), codes=", ".join(unknown)))
    return refusals


RAPID_RESULTS = ("negative", "reactive", "invalid")


@dataclass(frozen=True)
class RapidTest:
    marker: str
    result: str
    kit: str
    lot: str


def rapid_test_refusals(tests: Iterable[RapidTest]) -> list[Text]:
    """Each marker tested once at the bedside, negative, with its kit and lot; anything else stops the collection."""
    tests = list(tests)
    refusals = []
    seen = [t.marker for t in tests]
    for marker in rules().rapid_markers:
        if seen.count(marker) != 1:
            refusals.append(Text(N_("Give exactly one bedside %(marker)s test (%(count)s given)."),
                                 marker=marker.upper(), count=seen.count(marker)))
    for test in tests:
        if test.marker not in rules().rapid_markers:
            refusals.append(Text(N_("'%(marker)s' is not a bedside test: use %(markers)s."),
                                 marker=test.marker[:20], markers=", ".join(rules().rapid_markers)))
        elif test.result not in RAPID_RESULTS:
            refusals.append(Text(N_("The %(marker)s result must be one of %(results)s."),
                                 marker=test.marker.upper(), results=", ".join(RAPID_RESULTS)))
        elif test.result != "negative":
            refusals.append(Text(N_("The bedside %(marker)s test is %(result)s: do not collect."),
                                 marker=test.marker.upper(), result=Text(test.result)))
        if not test.kit.strip() or not test.lot.strip():
            refusals.append(Text(N_("Record the kit and the lot of the %(marker)s test."), marker=test.marker.upper()))
    return refusals


def group_check_refusal(on_record: str | None, bedside: str) -> Text | None:
    """The bedside ABO/RhD must agree with the group the panel holds; a disagreement stops the collection."""
    try:
        typed = parse_group(bedside)
    except ValueError as error:
        return Text(N_("The bedside ABO/RhD could not be read: %(error)s"), error=str(error))
    if on_record is None:
        return Text(N_("The member's group is not confirmed on record: they cannot give in an emergency."))
    if parse_group(on_record) != typed:
        return Text(N_("The bedside group %(bedside)s disagrees with the group on record %(on_record)s: do not "
                       "collect."), bedside=str(typed), on_record=str(parse_group(on_record)))
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
