from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from bloodbank.domain.patient_profile import Grouping, PatientProfile
from bloodbank.domain.patients import grouping_status
from bloodbank.domain.requirements import UnitFacts, compatible_with_patient, group_status, incompatibility

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=timezone.utc)


def profile(*groupings: Grouping) -> PatientProfile:
    return PatientProfile(patient_id=1, sex="M", date_of_birth=date(1960, 5, 17), identifiers=(), groupings=groupings)


def grouping(group: str, sample: int | None, *, in_error: bool = False, historical: bool = False) -> Grouping:
    return Grouping(blood_group=group, sample_id=sample, tested_at=NOW - timedelta(hours=sample or 0),
                    historical=historical, in_error=in_error)


def unit(group: str) -> UnitFacts:
    return UnitFacts(id=1, din="G123426000001", kind="red_cells", blood_group=group, expires_at=NOW + timedelta(days=5),
                     product_code="E0001")


def test_a_grouping_in_error_no_longer_makes_the_patient_discrepant():
    a1, a2, b3 = grouping("A+", 1), grouping("A+", 2), grouping("B+", 3)
    assert grouping_status((a1, a2, b3)) == "discrepant"
    assert grouping_status((a1, a2, grouping("B+", 3, in_error=True))) == "confirmed"
    assert grouping_status((a1, grouping("B+", 3, in_error=True))) == "single"
    assert grouping_status((grouping("B+", 3, in_error=True),)) == "none"
    assert group_status(profile(a1, a2, grouping("B+", 3, in_error=True))).confirmed


def test_a_unit_of_another_group_is_incompatible_while_the_groupings_disagree_and_the_reason_names_both():
    discrepant = profile(grouping("A+", 1), grouping("A+", 2), grouping("B+", 3))
    assert not compatible_with_patient(unit("A+"), discrepant, now=NOW)
    reason = incompatibility(unit("A+"), discrepant, now=NOW)
    assert "is A+" in reason and "disagree (A+, B+)" in reason
    assert incompatibility(unit("O+"), discrepant, now=NOW) is None
    confirmed = profile(grouping("A+", 1), grouping("A+", 2), grouping("B+", 3, in_error=True))
    assert incompatibility(unit("A+"), confirmed, now=NOW) is None
    assert "NOT compatible with the patient's group A+" in incompatibility(unit("B+"), confirmed, now=NOW)
