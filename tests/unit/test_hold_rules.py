from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.holds import HoldKind, OpenHold, check_reason, discard_reason_for, hold_label
from bloodbank.domain.lab_tests import DEFAULT_PANEL
from bloodbank.domain.release import HELD, ReleaseFacts, ResultFact, SourceFacts, may_release, release_blockers
from bloodbank.domain.unit_status import DISCARD_REASONS

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)


def clean_facts(**changes) -> ReleaseFacts:
    results = {"abo_rh": ResultFact("typed", True, "A+"), **{m: ResultFact("negative", True) for m in DEFAULT_PANEL}}
    source = SourceFacts(din="G123426000001", results=results, historical_groups=frozenset({"A+"}),
                         consent_given=True)
    facts = ReleaseFacts(status="quarantined", kind="red_cells", expires_at=NOW + timedelta(days=30), now=NOW,
                         panel=DEFAULT_PANEL, sources=(source,), unit_group="A+", label_verified=True)
    return replace(facts, **changes)


def hold(kind="temperature_excursion", reason="Fridge 1 reached 11 °C for 40 minutes") -> OpenHold:
    return OpenHold(kind=kind, reason=reason, opened_at=NOW - timedelta(hours=2), opened_by="inv.ian")


def test_an_open_hold_blocks_a_unit_whose_every_test_is_final_and_negative():
    [blocker] = release_blockers(clean_facts(holds=(hold(),)))
    assert blocker.code == HELD and not blocker.sensitive
    assert blocker.message == ("Held for review (temperature excursion): Fridge 1 reached 11 °C for 40 minutes. "
                               "Opened 2026-03-02 08:00 UTC by inv.ian; only a signed review decision releases it.")


def test_each_open_hold_is_its_own_blocker_with_its_reason():
    holds = (hold(), hold("cold_chain_broken", "Box from DERBY arrived at 14 °C."))
    blockers = release_blockers(clean_facts(holds=holds))
    assert [b.code for b in blockers] == [HELD, HELD]
    assert "cold chain broken in transit" in blockers[1].message and "arrived at 14 °C." in blockers[1].message


def test_a_kind_added_later_still_blocks_and_reads_as_its_name():
    [blocker] = release_blockers(clean_facts(holds=(hold("bag_inspection", "Seal looks damaged"),)))
    assert blocker.code == HELD and "(bag inspection)" in blocker.message


@given(st.lists(st.builds(hold, st.sampled_from([k.value for k in HoldKind]),
                          st.text(min_size=1, max_size=40)), min_size=1, max_size=4))
def test_no_set_of_open_holds_ever_lets_a_unit_out(holds):
    facts = clean_facts(holds=tuple(holds))
    assert not may_release(facts)
    assert sum(b.code == HELD for b in release_blockers(facts)) == len(holds)


def test_a_reviewed_discard_gets_a_discard_reason_the_table_knows():
    for kind in HoldKind:
        assert discard_reason_for([kind.value]) in DISCARD_REASONS
        assert hold_label(kind.value)
    assert discard_reason_for(["something_new"]) == "other"


def test_a_review_needs_a_reason():
    assert check_reason("  probe fault, product within range  ", "the review") == \
        "probe fault, product within range"
    with pytest.raises(InvalidInput, match="Give the reason for the review"):
        check_reason("  ", "the review")
    with pytest.raises(InvalidInput, match="too long"):
        check_reason("x" * 2001, "the review")
