"""An emergency collection's stops and its fresh whole blood's shelf life."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bloodbank.domain import emergency_collection as emergency
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.messages import sentences

NOW = datetime(2026, 12, 6, 3, 0, tzinfo=timezone.utc)
SAFE = {"feels_well": True, "fever_or_infection": False, "new_risk": False, "medication": False, "pregnant": False}


@given(st.integers(min_value=0, max_value=8 * 60), st.sampled_from(["CPD", "CPDA-1"]))
def test_refrigerated_within_8_hours_fresh_whole_blood_becomes_stored_whole_blood(minutes, anticoagulant):
    expiry = emergency.stored_expiry(NOW, NOW + timedelta(minutes=minutes), anticoagulant)
    assert expiry == NOW + timedelta(days={"CPD": 21, "CPDA-1": 35}[anticoagulant])
    assert emergency.fresh_expiry(NOW) == NOW + timedelta(hours=24)


def test_refrigerated_too_late_it_stays_fresh_whole_blood():
    with pytest.raises(InvalidInput, match="more than 8 h"):
        emergency.stored_expiry(NOW, NOW + timedelta(hours=8, minutes=1), "CPDA-1")


def test_every_bedside_marker_is_needed_with_its_kit_and_lot():
    tests = [emergency.RapidTest(m, "negative", "Kit", "Lot") for m in ("hiv", "hbv", "hcv")]
    assert any("SYPHILIS" in r for r in emergency.rapid_test_refusals(tests))
    tests.append(emergency.RapidTest("syphilis", "negative", "", "Lot"))
    assert any("kit and the lot" in r for r in emergency.rapid_test_refusals(tests))


def test_the_bedside_group_must_agree_with_the_panel_record():
    assert emergency.group_check_refusal("O+", "O pos") is None
    assert "disagrees" in emergency.group_check_refusal("O+", "O-")


def test_the_abbreviated_questionnaire_needs_every_answer_and_each_safe_one():
    assert emergency.questionnaire_refusals(SAFE) == []
    assert any("do not collect" in r for r in emergency.questionnaire_refusals({**SAFE, "new_risk": True}))
    assert any("Not answered" in r for r in emergency.questionnaire_refusals({"feels_well": True}))
    assert any("Unknown questions" in r for r in emergency.questionnaire_refusals({**SAFE, "x": False}))


def test_a_reactive_bedside_test_stops_the_collection():
    tests = [emergency.RapidTest(m, "negative", "Kit", "Lot") for m in ("hiv", "hbv", "hcv")]
    tests.append(emergency.RapidTest("syphilis", "reactive", "Kit", "Lot"))
    assert any("reactive: do not collect" in r for r in emergency.rapid_test_refusals(tests))


def test_a_refusal_reads_as_english_and_keeps_its_template_and_question_for_a_page_to_translate():
    refusal = emergency.questionnaire_refusals({**SAFE, "new_risk": True})[0]
    assert refusal.startswith("Since your last screen") and refusal.endswith("(yes): do not collect.")
    assert refusal.template == "%(question)s (%(answer)s): do not collect."
    assert refusal.params["question"].template.startswith("Since your last screen")
    assert refusal.params["answer"].template == "yes"
    mismatch = emergency.group_check_refusal("O+", "O-")
    both = sentences([refusal, mismatch])
    assert both == refusal + " " + mismatch
    assert list(both.params.values()) == [refusal, mismatch]
