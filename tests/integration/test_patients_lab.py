from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bloodbank.adapters.db.models import (
    AuditEntry, PatientAntibody, PatientGrouping, PatientSample, SpecialRequirement,
)
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.service_layer.hospital.patient_lab import (
    add_requirement, end_requirement, get_patient_record, give_grouping_second_entry, record_antibody,
    record_antibody_screen, record_grouping, record_sample,
)
from bloodbank.service_layer.hospital.patient_profile import load_profile
from tests.integration.patient_fixtures import (
    audit_count, clerk, count_rows, make_patient, make_sample,
)


def test_a_sample_is_recorded_at_server_time_and_its_number_used_once(database):
    patient = make_patient(database, ("mrn", "RXH:1"))
    before_call = utcnow()
    sample = record_sample(clerk(database), patient_id=patient, sample_number=" s-001 ", taken_by="nurse.kim")
    assert sample.sample_number == "S-001"
    assert before_call <= sample.taken_at <= utcnow()
    before = audit_count(database)
    with pytest.raises(Conflict, match="S-001 is already on file"):
        record_sample(clerk(database), patient_id=patient, sample_number="S-001", taken_by="nurse.kim")
    assert count_rows(database, PatientSample) == 1
    assert audit_count(database) == before


def test_a_sample_needs_who_took_it(database):
    patient = make_patient(database, ("mrn", "RXH:1"))
    with pytest.raises(InvalidInput, match="who took the sample"):
        record_sample(clerk(database), patient_id=patient, sample_number="S-1", taken_by=" ")
    assert count_rows(database, PatientSample) == 0


def test_groupings_on_two_samples_confirm_the_group(database):
    patient = make_patient(database, ("mrn", "RXH:1"))
    first = record_grouping(clerk(database), patient_id=patient, sample_id=make_sample(database, patient),
                            blood_group="A pos")
    second = record_grouping(clerk(database), patient_id=patient, sample_id=make_sample(database, patient),
                             blood_group="A+", manually_edited=True)
    assert (first.blood_group, first.status) == ("A+", "single")
    # Typed by hand: it confirms the group once its second entry agrees.
    assert (second.status, second.manually_edited, second.check) == ("single", True, "awaiting_second_entry")
    verified = give_grouping_second_entry(clerk(database), grouping_id=second.id, blood_group="A pos")
    assert (verified.status, verified.check) == ("confirmed", "verified")


def test_a_grouping_that_disagrees_is_stored_and_flags_the_patient_discrepant(database):
    patient = make_patient(database, ("mrn", "RXH:1"))
    record_grouping(clerk(database), patient_id=patient, sample_id=make_sample(database, patient), blood_group="A+")
    result = record_grouping(clerk(database), patient_id=patient, sample_id=make_sample(database, patient),
                             blood_group="O+")
    assert result.status == "discrepant"
    assert count_rows(database, PatientGrouping) == 2
    with database.sessions() as session:
        last = session.execute(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).scalar_one()
    assert "DISCREPANT" in last.reason
    assert get_patient_record(clerk(database), patient).grouping_status == "discrepant"


def test_a_result_on_another_patients_sample_is_refused(database):
    patient = make_patient(database, ("mrn", "RXH:1"))
    other = make_patient(database, ("mrn", "RXH:2"))
    sample = make_sample(database, other, number="S-OTHER")
    before = audit_count(database)
    with pytest.raises(InvalidInput, match="S-OTHER was taken from another patient"):
        record_grouping(clerk(database), patient_id=patient, sample_id=sample, blood_group="A+")
    with pytest.raises(InvalidInput, match="another patient"):
        record_antibody_screen(clerk(database), patient_id=patient, sample_id=sample, positive=False)
    with pytest.raises(NotFound, match="no sample 999"):
        record_grouping(clerk(database), patient_id=patient, sample_id=999, blood_group="A+")
    assert count_rows(database, PatientGrouping) == 0
    assert audit_count(database) == before


def test_a_bad_group_is_refused_with_nothing_written(database):
    patient = make_patient(database, ("mrn", "RXH:1"))
    sample = make_sample(database, patient)
    with pytest.raises(InvalidInput, match="no RhD"):
        record_grouping(clerk(database), patient_id=patient, sample_id=sample, blood_group="AB")
    assert count_rows(database, PatientGrouping) == 0


def test_a_sample_of_a_merged_record_counts_for_the_survivor(database):
    survivor = make_patient(database, ("mrn", "RXH:1"))
    merged = make_patient(database, ("emergency", "EM-2026-0001"), merged_into_id=survivor)
    sample = make_sample(database, merged)
    result = record_grouping(clerk(database), patient_id=merged, sample_id=sample, blood_group="B-")
    assert result.patient_id == survivor


def test_screens_and_antibodies_appear_in_the_profile(database):
    patient = make_patient(database, ("mrn", "RXH:1"))
    screen = record_antibody_screen(clerk(database), patient_id=patient, sample_id=make_sample(database, patient),
                                    positive=True)
    antibody = record_antibody(clerk(database), patient_id=patient, antibody="anti-fya", note="2019, other lab")
    record_antibody(clerk(database), patient_id=patient, antibody="anti-Lea", clinically_significant=False)
    assert screen.positive and antibody.antibody == "anti-Fya"
    with database.sessions() as session:
        profile = load_profile(session, patient)
    assert [s.positive for s in profile.antibody_screens] == [True]
    assert profile.antibodies == ("anti-Fya",)
    assert count_rows(database, PatientAntibody) == 2


def test_an_unlisted_antibody_is_refused_with_nothing_written(database):
    patient = make_patient(database, ("mrn", "RXH:1"))
    before = audit_count(database)
    with pytest.raises(InvalidInput, match="not a listed antibody"):
        record_antibody(clerk(database), patient_id=patient, antibody="anti-Banana")
    assert count_rows(database, PatientAntibody) == 0
    assert audit_count(database) == before


def test_a_requirement_is_active_from_today_until_ended_and_keeps_its_row(database):
    patient = make_patient(database, ("mrn", "RXH:1"))
    requirement = add_requirement(clerk(database), patient_id=patient, requirement="irradiated",
                                  reason="fludarabine")
    assert requirement.since == utcnow().date()
    with database.sessions() as session:
        assert load_profile(session, patient).requirements == frozenset({"irradiated"})
    before = audit_count(database)
    ended = end_requirement(clerk(database), requirement_id=requirement.id, reason="treatment finished 2 years ago")
    assert ended.until == utcnow().date() - timedelta(days=1)
    assert audit_count(database) == before + 1
    assert count_rows(database, SpecialRequirement) == 1
    with database.sessions() as session:
        assert load_profile(session, patient).requirements == frozenset()
    with pytest.raises(Conflict, match="already ended"):
        end_requirement(clerk(database), requirement_id=requirement.id, reason="again")


def test_the_same_requirement_cannot_be_active_twice(database):
    patient = make_patient(database, ("mrn", "RXH:1"))
    add_requirement(clerk(database), patient_id=patient, requirement="cmv negative", reason="pregnant")
    with pytest.raises(Conflict, match="already has an active 'cmv_negative'"):
        add_requirement(clerk(database), patient_id=patient, requirement="cmv_negative", reason="pregnant")
    assert count_rows(database, SpecialRequirement) == 1


@pytest.mark.parametrize(("fields", "message"), [
    ({"requirement": "gold"}, "not a special requirement"), ({"reason": ""}, "Give the reason"),
    ({"until": utcnow().date() - timedelta(days=1)}, "today or later"),
])
def test_a_bad_requirement_is_refused(database, fields, message):
    patient = make_patient(database, ("mrn", "RXH:1"))
    with pytest.raises(InvalidInput, match=message):
        add_requirement(clerk(database), **{"patient_id": patient, "requirement": "irradiated", "reason": "x",
                                            **fields})
    assert count_rows(database, SpecialRequirement) == 0


def test_a_recorded_but_not_enforced_requirement_is_still_shown(database):
    patient = make_patient(database, ("mrn", "RXH:1"))
    add_requirement(clerk(database), patient_id=patient, requirement="washed", reason="anti-IgA")
    record = get_patient_record(clerk(database), patient)
    assert [r.requirement for r in record.requirements] == ["washed"]
    assert record.profile.requirements == frozenset({"washed"})
