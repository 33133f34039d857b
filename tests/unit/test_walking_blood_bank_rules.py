"""The walking blood bank's rules: low titre, a member's standing over time, the call list, shelf lives."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bloodbank.domain import walking_blood_bank as wbb
from bloodbank.domain.errors import InvalidInput

NOW = datetime(2026, 12, 6, 3, 0, tzinfo=timezone.utc)
POLICY = wbb.policy()
GROUPS = ("O+", "O-", "A+", "A-", "B+", "B-", "AB+", "AB-")
TITRES = st.sampled_from([0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024])


def good(**changes) -> wbb.MemberFacts:
    facts = wbb.MemberFacts(group="O+", group_confirmations=2, titre=wbb.Titre(64, 32, NOW - timedelta(days=10)),
                            screened_at=NOW - timedelta(days=20), screen_clear=True,
                            last_donation=NOW - timedelta(days=20), deferred=False, available=True)
    return replace(facts, **changes)


days = st.integers(min_value=0, max_value=400)
members = st.builds(
    lambda group, confirmations, a, b, titre_age, screen_age, clear, deferred, available: good(
        group=group, group_confirmations=confirmations,
        titre=None if titre_age is None else wbb.Titre(a, b, NOW - timedelta(days=titre_age)),
        screened_at=None if screen_age is None else NOW - timedelta(days=screen_age), screen_clear=clear,
        deferred=deferred, available=available),
    st.sampled_from(GROUPS), st.integers(0, 3), TITRES, TITRES, st.none() | days, st.none() | days, st.booleans(),
    st.booleans(), st.booleans())


def test_the_rule_data_name_a_source_for_every_figure():
    rules = wbb.rules()
    assert rules.titre_threshold == 256 and rules.titre_validity == timedelta(days=90)
    assert set(rules.stored_days) == {"CPD", "CPDA-1"}
    assert all(source.strip() for source in rules.sources.values())


@pytest.mark.parametrize("value", [3, -1, 100, 32768, True, "64", 1.5])
def test_a_titre_must_be_a_doubling_dilution(value):
    with pytest.raises(InvalidInput, match="doubling dilution"):
        wbb.check_titre(value, "anti-A")


@pytest.mark.parametrize("anti_a, anti_b, low", [(128, 128, True), (256, 16, False), (16, 256, False), (0, 0, True)])
def test_low_titre_needs_both_titres_below_the_threshold(anti_a, anti_b, low):
    assert wbb.is_low_titre("O-", wbb.Titre(anti_a, anti_b, NOW), POLICY, NOW) is low


def test_a_site_may_set_a_stricter_threshold():
    titre = wbb.Titre(128, 128, NOW)
    assert wbb.is_low_titre("O+", titre, wbb.policy(titre_threshold=100), NOW) is False


def test_only_group_o_is_low_titre():
    assert wbb.is_low_titre("A+", wbb.Titre(2, 2, NOW), POLICY, NOW) is False


@given(members, days, days)
def test_eligibility_only_lapses_as_time_goes_on(facts, earlier, later):
    """Whatever the member, if they may be called at a later moment they could be called at any earlier moment
    since their screen and titre; and low titre, once lost to time, never comes back by itself."""
    assume(earlier <= later)
    start = max([t for t in (facts.screened_at, facts.titre and facts.titre.tested_at) if t] or [NOW])
    first, second = start + timedelta(days=earlier), start + timedelta(days=later)
    at_first, at_second = wbb.standing(facts, POLICY, first), wbb.standing(facts, POLICY, second)
    if at_second.callable:
        assert at_first.callable
    if at_second.low_titre:
        assert at_first.low_titre
    assert set(at_first.retest) <= set(at_second.retest)


@given(members, st.integers(min_value=-5, max_value=400))
def test_a_member_is_callable_exactly_while_their_screen_is_current_and_clear(facts, age):
    now = NOW + timedelta(days=age)
    state = wbb.standing(facts, POLICY, now)
    screen_ok = (facts.screened_at is not None and facts.screen_clear
                 and facts.screened_at <= now < facts.screened_at + POLICY.screen_validity)
    rest_ok = facts.group_confirmations >= 2 and not facts.deferred and facts.available
    assert state.callable == (screen_ok and rest_ok)
    if state.low_titre:
        assert facts.group.startswith("O") and facts.titre.anti_a < 256 and facts.titre.anti_b < 256
        assert facts.titre.tested_at <= now < facts.titre.tested_at + POLICY.titre_validity


def test_the_screen_lapses_on_the_day_the_window_ends_and_asks_for_a_retest():
    facts = good()
    lapse = facts.screened_at + POLICY.screen_validity
    assert wbb.standing(facts, POLICY, lapse - timedelta(seconds=1)).callable
    state = wbb.standing(facts, POLICY, lapse)
    assert not state.callable and "screen" in state.retest and "lapsed" in state.reasons[0]


def test_a_lapsed_titre_makes_an_o_member_group_specific_not_uncallable():
    facts = good(titre=wbb.Titre(64, 32, NOW - timedelta(days=91)))
    state = wbb.standing(facts, POLICY, NOW)
    assert state.callable and not state.low_titre and state.retest == ("titre",)


@given(st.lists(members, max_size=8), st.lists(st.sampled_from((None,) + GROUPS), min_size=1, max_size=3),
       st.sets(st.integers(0, 7)))
def test_the_call_list_proposes_only_callable_members_not_skipped_low_titre_o_first(facts, groups, skip):
    candidates = [wbb.Candidate(n, f) for n, f in enumerate(facts)]
    entries = wbb.call_list(candidates, [wbb.Waiting(g) for g in groups], POLICY, NOW, skip=skip)
    assert len({e.member_id for e in entries}) == len(entries)
    for entry in entries:
        assert entry.member_id not in skip
        assert wbb.standing(facts[entry.member_id], POLICY, NOW).callable
    tiers = [0 if "unknown group" in e.why else 1 for e in entries]
    assert tiers == sorted(tiers)
    assert all(e.low_titre for e in entries if "unknown group" in e.why)
    if None not in groups:
        assert all("unknown group" not in e.why for e in entries)


def test_within_a_tier_the_freshest_screen_comes_first_then_the_longest_since_donating():
    fresh = good(screened_at=NOW - timedelta(days=5), last_donation=NOW - timedelta(days=5))
    older = good(screened_at=NOW - timedelta(days=50), last_donation=NOW - timedelta(days=50))
    same_a = good(screened_at=NOW - timedelta(days=50), last_donation=NOW - timedelta(days=200))
    entries = wbb.call_list([wbb.Candidate(1, older), wbb.Candidate(2, fresh), wbb.Candidate(3, same_a)],
                            [wbb.Waiting(None)], POLICY, NOW)
    assert [e.member_id for e in entries] == [2, 3, 1]


def test_nobody_is_proposed_without_a_patient_waiting():
    with pytest.raises(InvalidInput, match="waiting"):
        wbb.call_list([wbb.Candidate(1, good())], [], POLICY, NOW)


def test_every_question_and_the_special_testing_text_of_the_rule_data_is_marked_for_the_catalogues():
    read = [q.text for q in wbb.rules().questions] + [wbb.rules().special_testing_text]
    assert sorted(read) == sorted(wbb.RULE_TEXTS)


def test_a_reason_not_to_call_is_kept_as_a_template_with_its_figures_for_the_page_to_translate():
    facts = wbb.MemberFacts(group=None, group_confirmations=1, titre=None, screened_at=None, screen_clear=False,
                            last_donation=None, deferred=False, available=False)
    state = wbb.standing(facts, wbb.policy(), datetime(2026, 1, 1, tzinfo=timezone.utc))
    assert state.reasons[0].template == "Blood group not confirmed by %(needed)s typings (%(found)s on record)."
    assert state.reasons[0].params == {"needed": 2, "found": 1}
    assert state.reasons[0] == "Blood group not confirmed by 2 typings (1 on record)."
