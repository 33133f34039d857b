"""The walking blood bank: who on the panel may be called now, in what order, and what an emergency unit keeps.

A panel member is callable only with their group confirmed by two typings,
an infection screen younger than the site's window and clear, no deferral,
and their own consent to be called still standing (the service layer leaves
out those who withdrew). A group O member is low-titre only while their
titre is below the site's threshold and younger than its validity: titres
change, so a lapsed titre makes an O member a group-specific donor again
until re-titred. Everything here is a function of the facts and `now`: the
same member lapses at the same moment on every screen.

The figures are data (`rules/walking_blood_bank.toml`, each with its source,
read here for `emergency_collection` too); a site may set its own threshold and
windows (`Policy`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from types import MappingProxyType

from bloodbank.domain import compatibility
from bloodbank.domain.blood_groups import ABO, parse_group
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.messages import N_, Text

GROUP_CONFIRMATIONS = 2  # two concordant typings from separate samples, as for a patient
NOT_AVAILABLE = N_("Not available now.")  # the one reason that no longer stops a member at the chair
# The rule data's words a person reads (the questions, the special testing text), marked here so the
# catalogues hold them; a unit test keeps this list in step with the data.
RULE_TEXTS = (
    N_("Do you feel well today?"),
    N_("Have you had a fever, diarrhoea or an infection in the last 2 weeks?"),
    N_("Since your last screen, any new sexual partner, injection, tattoo, piercing or travel to a malaria area?"),
    N_("Are you taking any medicine other than those already on your panel record?"),
    N_("Are you pregnant, or have you been in the last 6 months?"),
    N_("EMERGENCY USE ONLY - NOT FULLY TESTED FOR INFECTION"),
)


class WalkingBloodBankRulesError(ValueError):
    """The walking blood bank data are malformed: refuse to start."""


@dataclass(frozen=True)
class Question:
    code: str
    text: str
    safe: bool  # the answer that lets the collection go on


@dataclass(frozen=True)
class PanelRules:
    titre_threshold: int
    titre_validity: timedelta
    screen_validity: timedelta
    screen_markers: tuple[str, ...]
    room_temperature: timedelta
    refrigerate_within: timedelta
    stored_days: Mapping[str, int]  # anticoagulant -> days from collection
    rapid_markers: tuple[str, ...]
    special_testing_code: str
    special_testing_text: str
    questions: tuple[Question, ...]
    sources: Mapping[str, str]


def _need(data: Mapping, key: str, kind: type, where: str):
    value = data.get(key)
    if isinstance(value, bool) is not (kind is bool) or not isinstance(value, kind):
        raise WalkingBloodBankRulesError(f"walking_blood_bank.toml: {where}.{key} is missing or not a {kind.__name__}.")
    if kind is int and value <= 0:
        raise WalkingBloodBankRulesError(f"walking_blood_bank.toml: {where}.{key} must be positive.")
    return value


def rules_from_toml(text: str) -> PanelRules:
    data = tomllib.loads(text)
    titre, screen = data.get("titre", {}), data.get("screen", {})
    fresh, stored = data.get("fresh_whole_blood", {}), data.get("stored_whole_blood", {})
    rapid, special = data.get("rapid_tests", {}), data.get("special_testing", {})
    days = {k: v for k, v in stored.items() if k != "source"}
    if not days or any(isinstance(v, bool) or not isinstance(v, int) or v <= 0 for v in days.values()):
        raise WalkingBloodBankRulesError("walking_blood_bank.toml: stored_whole_blood needs days per anticoagulant.")
    code = _need(special, "code", str, "special_testing")
    if len(code) != 5 or not code.isalnum():
        raise WalkingBloodBankRulesError("walking_blood_bank.toml: special_testing.code must be 5 letters or digits.")
    questions = tuple(Question(_need(q, "code", str, "questions"), _need(q, "text", str, "questions"),
                               _need(q, "safe", bool, "questions")) for q in data.get("questions", ()))
    if not questions:
        raise WalkingBloodBankRulesError("walking_blood_bank.toml: the abbreviated questionnaire has no question.")
    sources = {
        "titre_threshold": _need(titre, "threshold_source", str, "titre"),
        "titre_validity": _need(titre, "validity_source", str, "titre"),
        "screen": _need(screen, "source", str, "screen"),
        "fresh_whole_blood": _need(fresh, "source", str, "fresh_whole_blood"),
        "stored_whole_blood": _need(stored, "source", str, "stored_whole_blood"),
        "rapid_tests": _need(rapid, "source", str, "rapid_tests"),
        "special_testing": _need(special, "source", str, "special_testing"),
        "questions": _need(data.get("questions_source", {}), "source", str, "questions_source"),
    }
    return PanelRules(
        titre_threshold=_need(titre, "threshold", int, "titre"),
        titre_validity=timedelta(days=_need(titre, "validity_days", int, "titre")),
        screen_validity=timedelta(days=_need(screen, "validity_days", int, "screen")),
        screen_markers=tuple(_need(screen, "markers", list, "screen")),
        room_temperature=timedelta(hours=_need(fresh, "room_temperature_hours", int, "fresh_whole_blood")),
        refrigerate_within=timedelta(hours=_need(fresh, "refrigerate_within_hours", int, "fresh_whole_blood")),
        stored_days=MappingProxyType(days), rapid_markers=tuple(_need(rapid, "markers", list, "rapid_tests")),
        special_testing_code=code, special_testing_text=_need(special, "text", str, "special_testing"),
        questions=questions, sources=MappingProxyType(sources),
    )


@cache
def rules() -> PanelRules:
    text = resources.files("bloodbank.domain").joinpath("rules/walking_blood_bank.toml").read_text("utf-8")
    return rules_from_toml(text)


# ---------------------------------------------------------------- the site's policy and titres

@dataclass(frozen=True)
class Policy:
    titre_threshold: int
    titre_validity: timedelta
    screen_validity: timedelta


def policy(*, titre_threshold: int | None = None, titre_validity_days: int | None = None,
           screen_validity_days: int | None = None) -> Policy:
    """The site's own figures where it set them, the rule data's otherwise."""
    base = rules()
    for name, value in (("titre threshold", titre_threshold), ("titre validity", titre_validity_days),
                        ("screen validity", screen_validity_days)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 100000):
            raise InvalidInput(f"The {name} must be a whole number above 0.")
    return Policy(
        titre_threshold=titre_threshold or base.titre_threshold,
        titre_validity=timedelta(days=titre_validity_days) if titre_validity_days else base.titre_validity,
        screen_validity=timedelta(days=screen_validity_days) if screen_validity_days else base.screen_validity,
    )


@dataclass(frozen=True)
class Titre:
    anti_a: int  # reciprocal of the last dilution that agglutinates: 128 means 1:128
    anti_b: int
    tested_at: datetime


def check_titre(value: object, antibody: str) -> int:
    """A titre is the reciprocal of a doubling dilution: 1, 2, 4 … 16384 (0 when even neat plasma does not react)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 16384 or (
            value and value & (value - 1)):
        raise InvalidInput(N_("The %(antibody)s titre must be the reciprocal of a doubling dilution "
                              "(0, 1, 2, 4 … 16384, e.g. 128 for 1:128); got %(value)s."),
                           params={"antibody": antibody, "value": repr(value)[:20]})
    return value


def titre_below(titre: Titre, threshold: int) -> bool:
    return titre.anti_a < threshold and titre.anti_b < threshold


def titre_current(titre: Titre | None, policy: Policy, now: datetime) -> bool:
    return titre is not None and titre.tested_at <= now < titre.tested_at + policy.titre_validity


def is_low_titre(group: str | None, titre: Titre | None, policy: Policy, now: datetime) -> bool:
    """Group O, both titres below the site's threshold, and titred within its validity."""
    if not group or parse_group(group).abo is not ABO.O:
        return False
    return titre_current(titre, policy, now) and titre_below(titre, policy.titre_threshold)


# ---------------------------------------------------------------- a member's standing

@dataclass(frozen=True)
class MemberFacts:
    group: str | None  # the donor's group on record, None while unknown or disputed
    group_confirmations: int  # concordant typings of that group
    titre: Titre | None  # the latest
    screened_at: datetime | None  # the latest full infection screen with every marker final
    screen_clear: bool  # and every marker of it negative
    last_donation: datetime | None
    deferred: bool
    available: bool


# What must be tested again, as the panel board names it.
RETEST_WORDS = {"group": N_("group"), "screen": N_("screen"), "titre": N_("titre")}


@dataclass(frozen=True)
class Standing:
    callable: bool
    low_titre: bool
    reasons: tuple[Text, ...]  # why the member may not be called now
    retest: tuple[str, ...]  # what must be tested again ("screen", "titre", "group")

    @property
    def flagged(self) -> bool:
        return bool(self.retest)


def screen_current(facts: MemberFacts, policy: Policy, now: datetime) -> bool:
    at = facts.screened_at
    return at is not None and facts.screen_clear and at <= now < at + policy.screen_validity


def standing(facts: MemberFacts, policy: Policy, now: datetime) -> Standing:
    reasons: list[Text] = []
    retest: list[str] = []
    if facts.group is None or facts.group_confirmations < GROUP_CONFIRMATIONS:
        reasons.append(Text(N_("Blood group not confirmed by %(needed)s typings (%(found)s on record)."),
                            needed=GROUP_CONFIRMATIONS, found=facts.group_confirmations))
        retest.append("group")
    if facts.screened_at is None:
        reasons.append(Text(N_("No full infection screen on record.")))
        retest.append("screen")
    elif not facts.screen_clear:
        reasons.append(Text(N_("The last infection screen was not clear: the member may not be called.")))
    elif not screen_current(facts, policy, now):
        lapsed = facts.screened_at + policy.screen_validity
        reasons.append(Text(N_("Infection screen lapsed on %(lapsed)s (screened %(screened)s)."),
                            lapsed=f"{lapsed:%Y-%m-%d}", screened=f"{facts.screened_at:%Y-%m-%d}"))
        retest.append("screen")
    if facts.deferred:
        reasons.append(Text(N_("Deferred.")))
    if not facts.available:
        reasons.append(Text(NOT_AVAILABLE))
    is_o = facts.group is not None and parse_group(facts.group).abo is ABO.O
    if is_o and not titre_current(facts.titre, policy, now):
        retest.append("titre")  # not a bar to calling: a lapsed O member is a group-specific donor meanwhile
    low = not reasons and is_low_titre(facts.group, facts.titre, policy, now)
    return Standing(callable=not reasons, low_titre=low, reasons=tuple(reasons), retest=tuple(retest))


# ---------------------------------------------------------------- the call list

@dataclass(frozen=True)
class Candidate:
    member_id: int
    facts: MemberFacts


@dataclass(frozen=True)
class Waiting:
    """Patients waiting for blood: their group, or None when it is not known yet."""

    group: str | None
    count: int = 1


@dataclass(frozen=True)
class CallEntry:
    member_id: int
    rank: int
    low_titre: bool
    group: str
    why: Text


def call_list(candidates: Iterable[Candidate], waiting: Iterable[Waiting], policy: Policy, now: datetime,
              *, skip: Iterable[int] = ()) -> list[CallEntry]:
    """Whom to phone, in order: low-titre O first when a patient's group is unknown, then group-specific donors
    for the known groups; within each, the freshest screen, then the longest since their last donation.

    Only callable members are proposed ("available now" is a condition, not a tie-break); `skip` holds
    members who already answered this call (a refusal has no other consequence).
    """
    needs = [w for w in waiting if w.count > 0]
    if not needs:
        raise InvalidInput(N_("Say which patients are waiting (their group, or 'unknown'): nobody is proposed "
                              "without a patient to give to."))
    unknown = any(w.group is None for w in needs)
    groups = {str(parse_group(w.group)) for w in needs if w.group is not None}
    skipped = set(skip)
    tiers: list[tuple[int, Candidate, bool, Text]] = []
    for candidate in candidates:
        if candidate.member_id in skipped:
            continue
        state = standing(candidate.facts, policy, now)
        if not state.callable:
            continue
        group = candidate.facts.group
        if unknown and state.low_titre:
            tiers.append((0, candidate, True, Text(N_("low-titre group O whole blood for a patient of unknown group"))))
            continue
        fits = sorted(g for g in groups if compatibility.whole_blood_compatible(
            group, g, low_titer=state.low_titre))
        if fits:
            tiers.append((1, candidate, state.low_titre, Text(N_("whole blood for a patient of group %(groups)s"),
                                                              groups=", ".join(fits))))
    tiers.sort(key=lambda t: (t[0], -_stamp(t[1].facts.screened_at), _stamp(t[1].facts.last_donation),
                              t[1].member_id))
    return [CallEntry(member_id=c.member_id, rank=n, low_titre=low, group=c.facts.group, why=why)
            for n, (_, c, low, why) in enumerate(tiers, start=1)]


def _stamp(when: datetime | None) -> float:
    return when.timestamp() if when is not None else float("-inf")
