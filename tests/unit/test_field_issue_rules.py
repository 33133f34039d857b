"""Blood not fully tested: issued only under a physician's signature during an emergency, never ordinary stock."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from bloodbank.domain.field_issue import FieldIssueFacts, field_issue_refusals, may_issue
from bloodbank.domain.lab_tests import DEFAULT_PANEL
from bloodbank.domain.release import ReleaseFacts, release_blockers
from tests.unit.test_release_rules import clean_facts

facts = st.builds(FieldIssueFacts, not_fully_tested=st.booleans(), emergency_active=st.booleans(),
                  signer_is_physician=st.booleans(), signed=st.booleans(),
                  reason=st.sampled_from(["", "   ", "no tested blood for 48 h"]))


@given(facts)
def test_no_unit_not_fully_tested_is_issued_without_the_signature_or_outside_an_emergency(case):
    if may_issue(case):
        assert case.signed and case.signer_is_physician and case.emergency_active and case.reason.strip()
    if not case.signed or not case.emergency_active:
        assert not may_issue(case)
        assert any(r.hard_stop for r in field_issue_refusals(case))


def test_a_signed_issue_in_an_emergency_with_a_reason_is_allowed():
    assert may_issue(FieldIssueFacts(True, True, True, True, "patient bleeding, road cut"))


@given(st.booleans(), st.booleans(), st.integers(min_value=1, max_value=60))
def test_no_unit_not_fully_tested_can_be_released_to_ordinary_stock(verified, self_excluded, days):
    """Whatever else is true of it, even every result final and negative, it carries a blocker no result lifts."""
    base = clean_facts(label_verified=verified, self_excluded=self_excluded)
    base = replace(base, expires_at=base.now + timedelta(days=days))
    assert not release_blockers(base) or not verified or self_excluded
    assert "emergency_use_only" in {b.code for b in release_blockers(replace(base, emergency_use=True))}


@given(st.booleans())
def test_blood_not_fully_tested_never_enters_stock_by_any_route(emergency_use):
    from bloodbank.domain.field_issue import may_enter_stock, shelf_after_return
    assert may_enter_stock(emergency_use) is (not emergency_use)
    assert (shelf_after_return(emergency_use) == "available") is (not emergency_use)
