from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from bloodbank.adapters.db.models import (
    AntibodyScreen, AuditEntry, Crossmatch, Issue, Order, Patient, PatientAntibody, PatientGrouping,
    PatientIdentifier, PatientSample, SpecialRequirement, Transfusion,
)
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.domain.patients import grouping_status
from bloodbank.service_layer.hospital.patient_merge import merge_patients
from bloodbank.service_layer.hospital.patient_profile import load_profile
from bloodbank.service_layer.hospital.patients import find_patient_by_identifier, register_emergency_patient
from bloodbank.service_layer.shared.record_links import links_to
from tests.integration.patient_fixtures import (
    audit_count, clerk, make_antibody, make_grouping, make_hospital, make_issue_and_transfusion, make_order,
    make_patient, make_requirement, make_sample, make_screen, make_unit,
)

HISTORY = (PatientIdentifier, PatientSample, PatientGrouping, AntibodyScreen, PatientAntibody, SpecialRequirement,
           Order, Crossmatch, Issue, Transfusion)


def merge(database, survivor, duplicate, reason="same wristband photo and date of birth"):
    return merge_patients(clerk(database), survivor_id=survivor, duplicate_id=duplicate, reason=reason)


def rows_of(database, patient_id: int) -> dict[str, int]:
    with database.sessions() as session:
        return {model.__name__: session.scalar(select(func.count()).select_from(model)
                                               .where(model.patient_id == patient_id)) for model in HISTORY}


def full_history(database, patient_id: int, hospital_id: int) -> None:
    sample = make_sample(database, patient_id)
    make_grouping(database, patient_id, "A+", sample_id=sample)
    make_screen(database, patient_id, positive=True, sample_id=sample)
    make_antibody(database, patient_id, "anti-E")
    make_requirement(database, patient_id, "irradiated")
    order = make_order(database, hospital_id, patient_id)
    make_issue_and_transfusion(database, patient_id, make_unit(database, status="transfused"), order_id=order)


def test_every_table_pointing_at_a_patient_is_found_from_the_schema():
    tables = {column.table.name for column in links_to(Patient.__table__.c.id)}
    assert {"patient_identifier", "patient_sample", "patient_grouping", "antibody_screen", "patient_antibody",
            "special_requirement", "blood_order", "crossmatch", "issue", "transfusion", "patient"} <= tables


def test_a_merge_moves_every_row_to_the_survivor_and_loses_none(database):
    hospital = make_hospital(database, code="RXH")
    survivor = make_patient(database, ("mrn", "RXH:1"), hospital_id=hospital)
    duplicate = make_patient(database, ("nhs", "9434765919"), hospital_id=hospital)
    full_history(database, survivor, hospital)
    full_history(database, duplicate, hospital)
    before = {name: rows_of(database, survivor)[name] + rows_of(database, duplicate)[name]
              for name in rows_of(database, survivor)}
    merged = merge(database, survivor, duplicate)
    assert rows_of(database, survivor) == before
    assert set(rows_of(database, duplicate).values()) == {0}
    assert set(merged.identifiers) == {("mrn", "RXH:1"), ("nhs", "9434765919")}
    with database.sessions() as session:
        kept = session.get(Patient, duplicate)
        assert kept.merged_into_id == survivor
        profile = load_profile(session, duplicate)
    assert len(profile.groupings) == 2 and profile.antibodies == ("anti-E",)
    assert profile.requirements == frozenset({"irradiated"})


def test_a_merge_is_audited_on_both_records(database):
    survivor = make_patient(database, ("mrn", "RXH:1"))
    duplicate = make_patient(database, ("mrn", "RXH:2"))
    make_antibody(database, duplicate, "anti-K")
    before = audit_count(database)
    merge(database, survivor, duplicate, reason="same person, two registrations")
    with database.sessions() as session:
        entries = session.execute(select(AuditEntry).where(AuditEntry.id > before).order_by(AuditEntry.id)
                                  ).scalars().all()
    assert [(e.action, e.entity_id) for e in entries] == [("merge", str(survivor)), ("merged_into", str(duplicate))]
    assert entries[0].new["moved"] == {"patient_identifier": 1, "patient_antibody": 1}
    assert entries[0].reason == "same person, two registrations"
    assert entries[1].new == {"merged_into_id": survivor}


def test_the_shot_case_the_emergency_record_meets_the_hospital_records_flags(database):
    hospital = make_hospital(database, code="RXH")
    known = make_patient(database, ("mrn", "RXH:123456"), hospital_id=hospital, sex="F",
                         date_of_birth=date(1975, 2, 14))
    make_antibody(database, known, "anti-K")
    make_requirement(database, known, "cmv_negative")
    emergency = register_emergency_patient(clerk(database), hospital_id=hospital, sex="F", approximate_age=50)
    unit = make_unit(database, status="transfused")
    make_issue_and_transfusion(database, emergency.id, unit)
    with database.sessions() as session:
        assert load_profile(session, emergency.id).antibodies == ()  # the danger: flags on the other record

    merge(database, emergency.id, known, reason="identified by family")

    with database.sessions() as session:
        for either in (emergency.id, known):
            profile = load_profile(session, either)
            assert profile.antibodies == ("anti-K",)
            assert profile.requirements == frozenset({"cmv_negative"})
            assert profile.date_of_birth == date(1975, 2, 14)  # the real one beats the estimate
        assert find_patient_by_identifier(session, "mrn:RXH:123456").id == emergency.id
        assert session.scalar(select(func.count()).select_from(Transfusion)
                              .where(Transfusion.patient_id == emergency.id)) == 1


def test_the_shot_case_either_way_round(database):
    hospital = make_hospital(database, code="RXH")
    known = make_patient(database, ("mrn", "RXH:123456"), hospital_id=hospital)
    make_antibody(database, known, "anti-K")
    make_requirement(database, known, "cmv_negative")
    emergency = register_emergency_patient(clerk(database), hospital_id=hospital)
    make_issue_and_transfusion(database, emergency.id, make_unit(database, status="transfused"))
    merge(database, known, emergency.id)
    with database.sessions() as session:
        for either in (emergency.id, known):
            profile = load_profile(session, either)
            assert (profile.antibodies, profile.requirements) == (("anti-K",), frozenset({"cmv_negative"}))
            assert len(profile.identifiers) == 2


def test_conflicting_groups_are_merged_and_the_profile_shows_discrepant(database):
    survivor = make_patient(database, ("mrn", "RXH:1"))
    duplicate = make_patient(database, ("mrn", "RXH:2"))
    make_grouping(database, survivor, "A+")
    make_grouping(database, survivor, "A+")
    make_grouping(database, duplicate, "O-")
    merge(database, survivor, duplicate)
    with database.sessions() as session:
        assert grouping_status(load_profile(session, duplicate)) == "discrepant"


def test_records_merged_into_the_duplicate_earlier_follow_it(database):
    survivor = make_patient(database, ("mrn", "RXH:1"))
    duplicate = make_patient(database, ("mrn", "RXH:2"))
    older = make_patient(database, ("emergency", "EM-2026-0001"), merged_into_id=duplicate)
    make_requirement(database, older, "irradiated")
    merge(database, survivor, duplicate)
    with database.sessions() as session:
        assert session.get(Patient, older).merged_into_id == survivor
        assert load_profile(session, older).requirements == frozenset({"irradiated"})


def test_empty_details_of_the_survivor_are_filled_but_never_overwritten(database):
    survivor = make_patient(database, ("emergency", "EM-2026-0001"), sex=None, date_of_birth=None)
    duplicate = make_patient(database, ("mrn", "RXH:2"), sex="M", date_of_birth=date(1960, 1, 2))
    merged = merge(database, survivor, duplicate)
    assert (merged.sex, merged.date_of_birth, merged.given_name) == ("M", date(1960, 1, 2), "Mary")


@pytest.mark.parametrize(("case", "error", "message"), [
    ("self", InvalidInput, "into itself"), ("no_reason", InvalidInput, "needs a reason"),
    ("missing", NotFound, "no patient record 999"), ("merged_duplicate", Conflict, "already merged"),
    ("merged_survivor", Conflict, "merge into that record instead"),
])
def test_an_impossible_merge_is_refused_with_nothing_changed(database, case, error, message):
    first = make_patient(database, ("mrn", "RXH:1"))
    second = make_patient(database, ("mrn", "RXH:2"))
    third = make_patient(database, ("mrn", "RXH:3"), merged_into_id=first)
    pairs = {"self": (first, first, "r"), "no_reason": (first, second, " "), "missing": (first, 999, "r"),
             "merged_duplicate": (second, third, "r"), "merged_survivor": (third, second, "r")}
    survivor, duplicate, reason = pairs[case]
    before = audit_count(database)
    with pytest.raises(error, match=message):
        merge(database, survivor, duplicate, reason=reason)
    assert audit_count(database) == before
    with database.sessions() as session:
        assert session.get(Patient, second).merged_into_id is None
        assert session.get(Patient, third).merged_into_id == first
