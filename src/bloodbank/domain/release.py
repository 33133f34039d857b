"""When a quarantined unit may be released for transfusion: every reason it may not.

`release_blockers` lists every reason at once, so the lab fixes them in one
pass instead of discovering them one refusal at a time; `may_release` is true
only when the list is empty. There is deliberately no override: a reactive
marker, a missing or preliminary result, a grouping that disagrees with the
donor's history, a missing or withdrawn consent, an unverified label or an
expired unit each keep the unit out of stock, and nothing here can waive them.

A donor's confidential self-exclusion blocks with a message that does not
say so (`not_suitable`): whoever reads the refusal learns only that the unit
is unsuitable.

A result typed by hand counts only once a second entry agrees with it
(`domain.second_entry`): until then it blocks, saying it awaits one, and two
entries that disagree block, saying on which field.

An open hold (`domain.holds`: a temperature excursion, a cold chain broken in
transit, a recall investigation) blocks too, one blocker per hold with its
reason: the unit waits for a signed review decision, not for results, and
final negative tests do not let it out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Mapping

from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.messages import N_, Text
from bloodbank.domain.field_issue import EMERGENCY_USE_BLOCKER
from bloodbank.domain.holds import OpenHold, hold_label
from bloodbank.domain.lab_tests import (
    GROUPING, TESTS, TestKind, is_unsafe, name_of, required_tests, validate_panel,
)
from bloodbank.domain.second_entry import (
    ANALYSER, AWAITING, CRITICAL_TESTS, DISPUTED, Entry, awaiting_message, check,
)

NOT_SUITABLE = Text(N_("This unit is not suitable for transfusion and will be discarded."))
# Codes whose message says something about the donor's health or choices: lists that
# are not the lab's own (the quarantine board) show only that the unit is blocked.
SENSITIVE = frozenset({
    "reactive_marker", "antibody_positive", "grouping_discrepancy", "donor_group_discrepancy",
    "not_suitable", "consent_withdrawn", "no_consent", "volume_flag", "marker_entries_disagree",
})


# The code of an open hold's blocker: a unit held for a decision, which results alone never clear.
HELD = "held_for_review"


@dataclass(frozen=True)
class ResultFact:
    outcome: str
    final: bool
    value: str | None = None
    # Where it came from (`second_entry.SOURCES`), and the second entry of one typed by hand.
    source: str = ANALYSER
    second_entry: Entry | None = None


@dataclass(frozen=True)
class SourceFacts:
    """One source donation of the unit (a pool has several)."""

    din: str
    results: Mapping[str, ResultFact] = field(default_factory=dict)
    # The donor's recorded group and the current typings of their other donations.
    historical_groups: frozenset[str] = frozenset()
    donor_group_discrepancy: bool = False
    consent_given: bool = False
    consent_withdrawn: bool = False
    volume_flag: str | None = None


@dataclass(frozen=True)
class ReleaseFacts:
    status: str
    kind: str
    expires_at: datetime
    now: datetime
    panel: tuple[str, ...]
    sources: tuple[SourceFacts, ...]
    unit_group: str | None = None
    label_verified: bool = False
    self_excluded: bool = False
    # Holds on the unit not yet decided by a review.
    holds: tuple[OpenHold, ...] = ()
    # Collected in an emergency for issue before full testing (`domain.field_issue`): never ordinary stock.
    emergency_use: bool = False


@dataclass(frozen=True)
class Blocker:
    code: str
    message: str

    @property
    def sensitive(self) -> bool:
        return self.code in SENSITIVE


def release_blockers(facts: ReleaseFacts) -> tuple[Blocker, ...]:
    blockers = [*_unit_blockers(facts), *_hold_blockers(facts.holds), *_panel_blockers(facts.panel)]
    if not facts.sources:
        blockers.append(Blocker("no_source", Text(N_("No source donation is recorded for this unit: it cannot be "
                                                     "traced."))))
    for source in facts.sources:
        blockers += _result_blockers(source, required_tests(facts.panel, facts.kind))
        blockers += _grouping_blockers(source, facts.unit_group)
        blockers += _donor_blockers(source)
    if facts.self_excluded:
        blockers.append(Blocker("not_suitable", NOT_SUITABLE))
    if facts.emergency_use:
        code, message = EMERGENCY_USE_BLOCKER
        blockers.append(Blocker(code, Text(message)))
    return tuple(blockers)


def may_release(facts: ReleaseFacts) -> bool:
    return not release_blockers(facts)


def _unit_blockers(facts: ReleaseFacts) -> list[Blocker]:
    found = []
    if facts.status != "quarantined":
        found.append(Blocker("not_quarantined", Text(N_("The unit is %(status)s, not in quarantine: only a "
                                                        "quarantined unit can be released."),
                                                     status=Text(facts.status.replace("_", " ")))))
    if facts.expires_at <= facts.now:
        found.append(Blocker("expired", Text(N_("The unit expired at %(when)s UTC."),
                                             when=f"{facts.expires_at:%Y-%m-%d %H:%M}")))
    if not facts.label_verified:
        found.append(Blocker("label_not_verified", Text(N_("The label has not been verified against the unit."))))
    return found


def _hold_blockers(holds: tuple[OpenHold, ...]) -> list[Blocker]:
    return [Blocker(HELD, Text(N_("Held for review (%(kind)s): %(reason)s. Opened %(when)s UTC by %(who)s; only a "
                                  "signed review decision releases it."),
                               kind=Text(hold_label(h.kind)), reason=h.reason.rstrip("."),
                               when=f"{h.opened_at:%Y-%m-%d %H:%M}", who=h.opened_by))
            for h in holds]


def _panel_blockers(panel: tuple[str, ...]) -> list[Blocker]:
    try:
        validate_panel(panel)
    except InvalidInput as error:
        return [Blocker("invalid_panel", Text(N_("The site's test panel is not valid: %(why)s"), why=error.message))]
    return []


def _result_blockers(source: SourceFacts, required: tuple[str, ...]) -> list[Blocker]:
    found = []
    for code in required:
        if code not in source.results:
            if code == GROUPING:
                found.append(Blocker("no_grouping", Text(N_("No ABO/RhD typing (donation %(din)s)."), din=source.din)))
            else:
                found.append(Blocker("missing_result", Text(N_("%(test)s test has no final result (donation "
                                                               "%(din)s)."), test=Text(name_of(code)),
                                                            din=source.din)))
    reactive = False
    for code, result in source.results.items():
        if not result.final:
            found.append(Blocker("preliminary_result", Text(N_("%(test)s result is only preliminary (donation "
                                                               "%(din)s): a final result is needed."),
                                                            test=Text(name_of(code)), din=source.din)))
        if code not in TESTS:
            found.append(Blocker("unknown_test", Text(N_("A result for an unknown test '%(test)s' is recorded "
                                                         "(donation %(din)s): it must be reviewed."),
                                                      test=code, din=source.din)))
        elif is_unsafe(code, result.outcome):
            reactive = True
        elif TESTS[code].kind is TestKind.ANTIBODY and result.outcome != "negative":
            found.append(Blocker("antibody_positive", Text(N_("Antibody screen is %(outcome)s (donation "
                                                              "%(din)s)."),
                                                           outcome=Text(result.outcome), din=source.din)))
        found += _entry_blockers(code, result, source.din)
    if reactive:
        # Which marker is a sensitive read of its own (the donation's results); this says only that one is.
        found.append(Blocker("reactive_marker", Text(N_("An infection marker is not negative (donation %(din)s): "
                                                        "this unit can never be released."), din=source.din)))
    return found


def _entry_blockers(code: str, result: ResultFact, din: str) -> list[Blocker]:
    if is_unsafe(code, result.outcome):
        return []  # blocks for ever on its own; naming the test here would say which marker it is
    if code not in CRITICAL_TESTS:
        return []  # a claim (CMV-negative) waits for its second entry without holding the unit back
    verdict = check(code, result.source, result.final, Entry(result.outcome, result.value), result.second_entry)
    if verdict.state == AWAITING:
        return [Blocker("awaiting_second_entry", awaiting_message(code, din))]
    if verdict.state != DISPUTED:
        return []
    differs = verdict.disagreement
    if code == GROUPING:
        return [Blocker("entries_disagree", Text(N_("The two entries of the ABO/RhD group disagree (first "
                                                    "%(first)s, second %(second)s; donation %(din)s): blocked "
                                                    "until it is re-tested or corrected."),
                                                 first=differs.first, second=differs.second, din=din))]
    # Which marker, and what each entry said, is a sensitive read of its own (the donation's results).
    return [Blocker("marker_entries_disagree", Text(N_("The two entries of an infection marker disagree on its "
                                                       "outcome (donation %(din)s): blocked until it is re-tested "
                                                       "or corrected."), din=din))]


def _grouping_blockers(source: SourceFacts, unit_group: str | None) -> list[Blocker]:
    typing = source.results.get(GROUPING)
    if typing is None:
        return []
    found = []
    typed = typing.value
    if not typed:
        found.append(Blocker("no_grouping", Text(N_("The ABO/RhD typing of donation %(din)s has no group."),
                                                 din=source.din)))
        return found
    others = sorted(g for g in source.historical_groups if g != typed)
    if others:
        found.append(Blocker("grouping_discrepancy", Text(N_("Typed %(typed)s but the donor's history says "
                                                             "%(history)s (donation %(din)s)."),
                                                          typed=typed, history=", ".join(others), din=source.din)))
    if unit_group is not None and unit_group != typed:
        found.append(Blocker("label_group_mismatch", Text(N_("The unit is labelled %(label)s but donation %(din)s "
                                                             "typed %(typed)s."),
                                                          label=unit_group, din=source.din, typed=typed)))
    return found


def _donor_blockers(source: SourceFacts) -> list[Blocker]:
    found = []
    if source.donor_group_discrepancy:
        found.append(Blocker("donor_group_discrepancy", Text(N_("The donor of donation %(din)s is flagged for a "
                                                                "blood group discrepancy awaiting follow-up."),
                                                             din=source.din)))
    if not source.consent_given:
        found.append(Blocker("no_consent", Text(N_("No consent is recorded for donation %(din)s."), din=source.din)))
    elif source.consent_withdrawn:
        found.append(Blocker("consent_withdrawn", Text(N_("Consent for donation %(din)s was withdrawn."),
                                                       din=source.din)))
    if source.volume_flag:
        found.append(Blocker("volume_flag", Text(N_("The collected volume of donation %(din)s was flagged: "
                                                    "%(flag)s"), din=source.din, flag=source.volume_flag)))
    return found

