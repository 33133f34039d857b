from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bloodbank.domain.lab_tests import DEFAULT_PANEL, MARKERS, required_tests
from bloodbank.domain.release import (
    NOT_SUITABLE, ReleaseFacts, ResultFact, SourceFacts, may_release, release_blockers,
)

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
GROUPS = ["O-", "O+", "A-", "A+", "B-", "B+", "AB-", "AB+"]


def clean_source(din="G123426000001", group="A+", panel=DEFAULT_PANEL) -> SourceFacts:
    results = {"abo_rh": ResultFact("typed", True, group), **{m: ResultFact("negative", True) for m in panel}}
    return SourceFacts(din=din, results=results, historical_groups=frozenset({group}), consent_given=True)


def clean_facts(**changes) -> ReleaseFacts:
    facts = ReleaseFacts(status="quarantined", kind="red_cells", expires_at=NOW + timedelta(days=30), now=NOW,
                         panel=DEFAULT_PANEL, sources=(clean_source(),), unit_group="A+", label_verified=True)
    return replace(facts, **changes)


def with_source(**changes) -> ReleaseFacts:
    return clean_facts(sources=(replace(clean_source(), **changes),))


def codes(facts) -> list[str]:
    return [b.code for b in release_blockers(facts)]


def test_a_unit_with_every_check_passed_may_be_released():
    assert release_blockers(clean_facts()) == ()
    assert may_release(clean_facts())


def test_a_missing_marker_is_named():
    results = dict(clean_source().results)
    del results["hiv"]
    [blocker] = release_blockers(with_source(results=results))
    assert blocker.code == "missing_result"
    assert blocker.message == "HIV test has no final result (donation G123426000001)."


def test_every_reason_is_listed_at_once():
    results = dict(clean_source().results)
    del results["hiv"]
    results["hcv"] = ResultFact("negative", False)
    facts = replace(with_source(results=results, consent_given=False), label_verified=False,
                    expires_at=NOW - timedelta(hours=1), status="available")
    assert set(codes(facts)) == {"missing_result", "preliminary_result", "no_consent", "label_not_verified",
                                 "expired", "not_quarantined"}


def test_a_reactive_marker_blocks_without_naming_the_marker():
    results = {**clean_source().results, "hiv": ResultFact("reactive", True)}
    [blocker] = release_blockers(with_source(results=results))
    assert blocker.code == "reactive_marker" and blocker.sensitive
    assert "HIV" not in blocker.message and "never be released" in blocker.message


def test_a_reactive_marker_outside_the_panel_blocks_too():
    results = {**clean_source().results, "htlv": ResultFact("indeterminate", True)}
    assert codes(with_source(results=results)) == ["reactive_marker"]


def test_a_missing_grouping_blocks():
    results = {k: v for k, v in clean_source().results.items() if k != "abo_rh"}
    assert codes(with_source(results=results)) == ["no_grouping"]


def test_a_typing_that_disagrees_with_history_blocks():
    facts = with_source(historical_groups=frozenset({"A+", "O+"}))
    [blocker] = release_blockers(facts)
    assert blocker.code == "grouping_discrepancy" and "O+" in blocker.message


def test_a_label_group_that_differs_from_the_typing_blocks():
    assert codes(clean_facts(unit_group="B+")) == ["label_group_mismatch"]


def test_self_exclusion_blocks_without_saying_so():
    [blocker] = release_blockers(clean_facts(self_excluded=True))
    assert (blocker.code, blocker.message) == ("not_suitable", NOT_SUITABLE)
    assert "exclu" not in blocker.message.lower()


def test_bacterial_screening_is_required_for_platelets_when_the_panel_has_it():
    panel = (*DEFAULT_PANEL, "bacterial")
    facts = clean_facts(panel=panel, kind="platelets_apheresis")
    assert codes(facts) == ["missing_result"]
    assert codes(replace(facts, kind="red_cells")) == []


def test_a_pool_needs_every_source_to_pass():
    bad = replace(clean_source(din="G123426000002"), consent_withdrawn=True)
    assert codes(clean_facts(sources=(clean_source(), bad))) == ["consent_withdrawn"]


def test_a_unit_with_no_source_donation_is_blocked():
    assert codes(clean_facts(sources=())) == ["no_source"]


def test_an_invalid_site_panel_blocks():
    assert codes(clean_facts(panel=("hiv", "zika"))) == ["invalid_panel", "missing_result"]


# One way to break each condition; the property below applies exactly one of them.
BREAKERS = {
    "not_quarantined": lambda f, d: replace(f, status=d.draw(st.sampled_from(
        ["collected", "available", "reserved", "issued", "discarded", "recalled", "processed"]))),
    "expired": lambda f, d: replace(f, expires_at=NOW - timedelta(minutes=d.draw(st.integers(0, 10**6)))),
    "label_not_verified": lambda f, d: replace(f, label_verified=False),
    "not_suitable": lambda f, d: replace(f, self_excluded=True),
    "missing_result": lambda f, d: _edit_results(f, d, drop=True),
    "preliminary_result": lambda f, d: _edit_results(f, d, outcome="negative", final=False),
    "reactive_marker": lambda f, d: _edit_results(
        f, d, outcome=d.draw(st.sampled_from(["reactive", "indeterminate", "positive"])),
        final=d.draw(st.booleans()), marker=d.draw(st.sampled_from(MARKERS))),
    "no_grouping": lambda f, d: _edit_source(f, d, results={
        k: v for k, v in f.sources[0].results.items() if k != "abo_rh"}),
    "grouping_discrepancy": lambda f, d: _edit_source(
        f, d, historical_groups=frozenset({d.draw(st.sampled_from([g for g in GROUPS if g != "A+"]))})),
    "donor_group_discrepancy": lambda f, d: _edit_source(f, d, donor_group_discrepancy=True),
    "no_consent": lambda f, d: _edit_source(f, d, consent_given=False),
    "consent_withdrawn": lambda f, d: _edit_source(f, d, consent_withdrawn=True),
    "volume_flag": lambda f, d: _edit_source(f, d, volume_flag="600 ml drawn, 520 ml allowed"),
    "label_group_mismatch": lambda f, d: replace(f, unit_group=d.draw(st.sampled_from(GROUPS[:3]))),
    "antibody_positive": lambda f, d: _edit_source(f, d, results={
        **f.sources[0].results, "antibody_screen": ResultFact("positive", True)}),
}


def mandatory_markers(facts):
    return [code for code in required_tests(facts.panel, facts.kind) if code != "abo_rh"]


def _edit_source(facts, data, **changes):
    index = data.draw(st.integers(0, len(facts.sources) - 1))
    sources = list(facts.sources)
    sources[index] = replace(sources[index], **changes)
    return replace(facts, sources=tuple(sources))


def _edit_results(facts, data, *, drop=False, outcome=None, final=True, marker=None):
    index = data.draw(st.integers(0, len(facts.sources) - 1))
    marker = marker or data.draw(st.sampled_from(mandatory_markers(facts)))
    results = dict(facts.sources[index].results)
    if drop:
        results.pop(marker, None)
    else:
        results[marker] = ResultFact(outcome, final)
    sources = list(facts.sources)
    sources[index] = replace(sources[index], results=results)
    return replace(facts, sources=tuple(sources))


@st.composite
def clean_releases(draw):
    extra = draw(st.lists(st.sampled_from([m for m in MARKERS if m not in DEFAULT_PANEL]), unique=True))
    panel = (*DEFAULT_PANEL, *extra)
    pool_size = draw(st.integers(1, 4))
    sources = tuple(clean_source(din=f"G12342600000{i}", panel=panel) for i in range(pool_size))
    kind = draw(st.sampled_from(["red_cells", "plasma", "platelets_apheresis", "platelets_pooled", "cryo"]))
    return clean_facts(panel=panel, sources=sources, kind=kind,
                       expires_at=NOW + timedelta(minutes=draw(st.integers(1, 10**6))))


@given(clean_releases())
def test_facts_with_every_condition_met_are_releasable(facts):
    assert release_blockers(facts) == ()


@given(clean_releases(), st.sampled_from(sorted(BREAKERS)), st.data())
def test_any_single_failing_condition_makes_the_unit_unreleasable(facts, condition, data):
    broken = BREAKERS[condition](facts, data)
    assert not may_release(broken)
    assert condition in codes(broken)


@given(clean_releases(), st.data())
def test_a_reactive_or_missing_mandatory_marker_always_blocks_whatever_else_is_true(facts, data):
    marker = data.draw(st.sampled_from(mandatory_markers(facts)))
    index = data.draw(st.integers(0, len(facts.sources) - 1))
    results = dict(facts.sources[index].results)
    if data.draw(st.booleans()):
        del results[marker]
    else:
        results[marker] = ResultFact(data.draw(st.sampled_from(["reactive", "indeterminate", "positive"])),
                                     data.draw(st.booleans()))
    sources = list(facts.sources)
    sources[index] = replace(sources[index], results=results)
    assert release_blockers(replace(facts, sources=tuple(sources)))


def test_there_is_no_parameter_that_could_override_a_blocker():
    fields = set(ReleaseFacts.__dataclass_fields__) | set(SourceFacts.__dataclass_fields__)
    assert not {f for f in fields if "override" in f or "waive" in f or "force" in f}
    with pytest.raises(TypeError):
        release_blockers(clean_facts(), override=True)
