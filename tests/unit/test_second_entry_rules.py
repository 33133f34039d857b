from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bloodbank.domain.lab_tests import DEFAULT_PANEL, MARKERS, TESTS, is_unsafe
from bloodbank.domain.patient_profile import Grouping, PatientProfile
from bloodbank.domain.patients import grouping_status
from bloodbank.domain.release import ReleaseFacts, ResultFact, SourceFacts, may_release, release_blockers
from bloodbank.domain.requirements import UNVERIFIED, UnitFacts, compatible_with_patient, group_status
from bloodbank.domain.second_entry import (
    ANALYSER, AWAITING, CRITICAL_TESTS, DISPUTED, MANUAL, NOT_NEEDED, SOURCES, UNRECORDED, VERIFIED, Entry, check,
    disagreement, needs_second_entry,
)

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
DIN = "G123426000001"
GROUPS = ["O-", "O+", "A-", "A+", "B-", "B+", "AB-", "AB+"]


def clean_results(group="A+", source=ANALYSER, second=False) -> dict[str, ResultFact]:
    def fact(outcome, value=None):
        return ResultFact(outcome, True, value, source, Entry(outcome, value) if second else None)
    return {"abo_rh": fact("typed", group), **{m: fact("negative") for m in DEFAULT_PANEL}}


def facts(results: dict[str, ResultFact], group="A+") -> ReleaseFacts:
    source = SourceFacts(din=DIN, results=results, historical_groups=frozenset({group}), consent_given=True)
    return ReleaseFacts(status="quarantined", kind="red_cells", expires_at=NOW + timedelta(days=30), now=NOW,
                        panel=DEFAULT_PANEL, sources=(source,), unit_group=group, label_verified=True)


def codes(release_facts) -> list[str]:
    return [b.code for b in release_blockers(release_facts)]


# ---------------------------------------------------------------- the rule


def test_only_final_groupings_markers_and_cmv_typed_by_hand_need_a_second_entry():
    assert CRITICAL_TESTS == {"abo_rh", *MARKERS}
    assert needs_second_entry("abo_rh", MANUAL) and needs_second_entry("hiv", MANUAL)
    assert not needs_second_entry("hiv", MANUAL, final=False)
    assert not needs_second_entry("hiv", ANALYSER) and not needs_second_entry("abo_rh", UNRECORDED)
    # CMV-negative is promised to patients who depend on it: typed by hand, the claim waits too.
    assert needs_second_entry("cmv", MANUAL) and not needs_second_entry("antibody_screen", MANUAL)


def test_a_source_nobody_knows_is_taken_as_typed_by_hand():
    assert needs_second_entry("hiv", "keyboard")


def test_a_result_typed_by_hand_awaits_then_is_verified_or_disputed():
    first = Entry("typed", "A+")
    assert check("abo_rh", MANUAL, True, first, None).state == AWAITING
    assert check("abo_rh", MANUAL, True, first, Entry("typed", "A+")).state == VERIFIED
    disputed = check("abo_rh", MANUAL, True, first, Entry("typed", "A-"))
    assert disputed.state == DISPUTED and not disputed.counts
    assert check("abo_rh", ANALYSER, True, first, None).state == NOT_NEEDED


def test_a_disagreement_names_the_group_with_both_entries():
    differs = disagreement("abo_rh", Entry("typed", "A+"), Entry("typed", "A-"))
    assert differs.field == "group"
    assert differs.message == ("Second entry disagrees on the ABO/RhD group: first A+, second A-; the result is "
                               "blocked until it is re-tested or corrected.")


def test_a_disagreement_on_a_marker_names_its_outcome():
    differs = disagreement("hcv", Entry("negative"), Entry("reactive"))
    assert (differs.field, differs.first, differs.second) == ("outcome", "negative", "reactive")
    assert differs.message.startswith("Second entry disagrees on the HCV outcome: first negative, second reactive")


def test_a_marker_reading_is_not_compared():
    assert disagreement("hiv", Entry("negative", "0.12"), Entry("negative", "0.21")) is None


# ---------------------------------------------------------------- release


def test_a_negative_hiv_typed_by_hand_blocks_release_until_a_second_entry_agrees():
    results = clean_results()
    results["hiv"] = ResultFact("negative", True, None, MANUAL)
    [blocker] = release_blockers(facts(results))
    assert blocker.code == "awaiting_second_entry" and not blocker.sensitive
    assert blocker.message == f"HIV result typed by hand, awaiting a second entry (donation {DIN})."
    results["hiv"] = replace(results["hiv"], second_entry=Entry("negative"))
    assert may_release(facts(results))


def test_a_grouping_typed_by_hand_says_it_awaits_a_second_entry():
    results = {**clean_results(), "abo_rh": ResultFact("typed", True, "A+", MANUAL)}
    assert [b.message for b in release_blockers(facts(results))] == [
        f"ABO/RhD typed by hand, awaiting a second entry (donation {DIN})."]


def test_two_entries_of_a_group_that_disagree_block_and_name_both_groups():
    results = {**clean_results(), "abo_rh": ResultFact("typed", True, "A+", MANUAL, Entry("typed", "A-"))}
    [blocker] = release_blockers(facts(results))
    assert blocker.code == "entries_disagree"
    assert "first A+, second A-" in blocker.message and DIN in blocker.message


def test_two_entries_of_a_marker_that_disagree_block_without_saying_which_marker():
    results = {**clean_results(), "hbv": ResultFact("negative", True, None, MANUAL, Entry("reactive"))}
    [blocker] = release_blockers(facts(results))
    assert blocker.code == "marker_entries_disagree" and blocker.sensitive
    assert "HBV" not in blocker.message and "reactive" not in blocker.message and "outcome" in blocker.message


def test_a_reactive_marker_typed_by_hand_blocks_at_once_without_naming_the_marker():
    results = {**clean_results(), "hiv": ResultFact("reactive", True, None, MANUAL)}
    blockers = release_blockers(facts(results))
    assert [b.code for b in blockers] == ["reactive_marker"]
    assert all("HIV" not in b.message for b in blockers)


def test_results_from_an_analyser_or_recorded_before_sources_were_kept_need_no_second_entry():
    assert may_release(facts(clean_results(source=ANALYSER)))
    assert may_release(facts(clean_results(source=UNRECORDED)))
    assert not may_release(facts(clean_results(source=MANUAL)))
    assert may_release(facts(clean_results(source=MANUAL, second=True)))


entries = st.one_of(st.none(), st.sampled_from(["negative", "reactive", "indeterminate", "positive"]))
group_entries = st.one_of(st.none(), st.sampled_from(GROUPS))


@st.composite
def typed_results(draw):
    """Every required test with a random outcome, source, stage and (maybe) second entry."""
    results = {}
    group = draw(st.sampled_from(GROUPS))
    second_group = draw(group_entries)
    results["abo_rh"] = ResultFact("typed", draw(st.booleans()), group, draw(st.sampled_from(SOURCES)),
                                   Entry("typed", second_group) if second_group else None)
    for marker in DEFAULT_PANEL:
        outcome = draw(st.sampled_from(["negative", "negative", "negative", "reactive"]))
        second = draw(entries)
        results[marker] = ResultFact(outcome, draw(st.booleans()), None, draw(st.sampled_from(SOURCES)),
                                     Entry(second) if second else None)
    return group, results


def _agrees(code: str, result: ResultFact) -> bool:
    second = result.second_entry
    if second is None:
        return False
    return second.value == result.value if code == "abo_rh" else second.outcome == result.outcome


@given(typed_results())
def test_no_result_typed_by_hand_counts_for_release_until_a_matching_second_entry_exists(drawn):
    group, results = drawn
    if may_release(facts(results, group)):
        for code, result in results.items():
            if result.source == MANUAL and code in CRITICAL_TESTS:
                assert result.final and _agrees(code, result)


@given(typed_results())
def test_any_disagreement_between_two_entries_blocks_release(drawn):
    group, results = drawn
    disputed = [code for code, r in results.items() if r.final and r.source == MANUAL and r.second_entry is not None
                and not _agrees(code, r)]
    if disputed:
        blockers = codes(facts(results, group))
        assert not may_release(facts(results, group))
        for code in disputed:
            expected = ("reactive_marker" if is_unsafe(code, results[code].outcome) else
                        "entries_disagree" if code == "abo_rh" else "marker_entries_disagree")
            assert expected in blockers


@given(typed_results())
def test_a_unit_whose_results_all_came_from_an_analyser_is_judged_on_the_results_alone(drawn):
    group, results = drawn
    from_analyser = {code: replace(r, source=ANALYSER, second_entry=None) for code, r in results.items()}
    clean = all(r.final and (code == "abo_rh" or r.outcome == "negative") for code, r in from_analyser.items())
    assert may_release(facts(from_analyser, group)) == clean


# ---------------------------------------------------------------- a patient's groupings


def grouping(group, sample_id, *, source=ANALYSER, second=None, historical=False, edited=None):
    return Grouping(blood_group=group, sample_id=sample_id, tested_at=NOW - timedelta(hours=1), historical=historical,
                    manually_edited=source == MANUAL if edited is None else edited, source=source,
                    second_entry=second)


def profile(*groupings):
    return PatientProfile(patient_id=1, sex="M", date_of_birth=date(1960, 1, 1), identifiers=(("mrn", "RXH:1"),),
                          groupings=tuple(groupings))


def red_cells(group):
    return UnitFacts(id=1, din=DIN, kind="red_cells", blood_group=group, expires_at=NOW + timedelta(days=10),
                     product_code="E0791")


def test_groupings_typed_by_hand_confirm_nothing_until_each_has_a_matching_second_entry():
    unverified = profile(grouping("A+", 1, source=MANUAL), grouping("A+", 2, source=MANUAL))
    assert grouping_status(unverified) == "unverified"
    status = group_status(unverified)
    assert status.state == UNVERIFIED and not status.confirmed and "awaits a second entry" in status.message
    assert not compatible_with_patient(red_cells("A+"), unverified, now=NOW)
    assert compatible_with_patient(red_cells("O-"), unverified, now=NOW)

    verified = profile(grouping("A+", 1, source=MANUAL, second="A+"), grouping("A+", 2, source=MANUAL, second="A+"))
    assert group_status(verified).confirmed
    assert compatible_with_patient(red_cells("A+"), verified, now=NOW)


def test_one_analyser_grouping_and_one_awaiting_its_second_entry_leave_the_group_single():
    status = group_status(profile(grouping("B+", 1), grouping("B+", 2, source=MANUAL)))
    assert status.state == "single" and "awaits its second entry" in status.message


def test_a_grouping_whose_two_entries_disagree_makes_the_patient_discrepant():
    status = group_status(profile(grouping("A+", 1), grouping("A+", 2, source=MANUAL, second="A-")))
    assert status.state == "discrepant" and "A+, A-" in status.message and "two entries" in status.message


def test_an_unverified_grouping_that_disagrees_makes_the_patient_discrepant():
    assert grouping_status(profile(grouping("A+", 1), grouping("A+", 2), grouping("B+", 3, source=MANUAL))) \
        == "discrepant"


patient_groupings = st.lists(st.builds(
    grouping, st.sampled_from(["A+", "O-"]), st.integers(1, 4), source=st.sampled_from(SOURCES),
    second=st.one_of(st.none(), st.sampled_from(["A+", "O-"]))), max_size=5)


@given(patient_groupings)
def test_a_confirmed_patient_group_rests_on_two_samples_whose_groupings_count(groupings):
    status = group_status(profile(*groupings))
    if status.confirmed:
        counting = {g.sample_id for g in groupings
                    if g.source != MANUAL or g.second_entry == g.blood_group}
        assert len(counting) >= 2
        assert all(g.second_entry in (None, g.blood_group) for g in groupings)


@pytest.mark.parametrize("code", sorted(TESTS))
def test_the_critical_tests_are_those_that_decide_release(code):
    assert (code in CRITICAL_TESTS) == (code == "abo_rh" or code in MARKERS)
