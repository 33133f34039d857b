from __future__ import annotations

from datetime import timedelta

import pytest

from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.errors import InvalidInput, NotFound
from bloodbank.service_layer.hospital.patient_profile import load_profile
from bloodbank.service_layer.hospital.patients import current_patient, find_patient_by_identifier
from tests.integration.patient_fixtures import (
    make_antibody, make_grouping, make_patient, make_requirement, make_screen,
)


def test_a_patient_is_found_by_system_and_value(database):
    patient_id = make_patient(database, ("mrn", "RXH:123456"), ("nhs", "9434765919"))
    with database.sessions() as session:
        assert find_patient_by_identifier(session, "mrn:RXH:123456").id == patient_id
        assert find_patient_by_identifier(session, "NHS:943 476 5919").id == patient_id


def test_a_bare_value_finds_the_patient_when_it_is_unique_across_systems(database):
    patient_id = make_patient(database, ("mrn", "RXH:123456"), ("emergency", "EM-2026-0007"))
    with database.sessions() as session:
        assert find_patient_by_identifier(session, "RXH:123456").id == patient_id
        assert find_patient_by_identifier(session, " em-2026-0007 ").id == patient_id


def test_an_unknown_identifier_finds_nobody(database):
    make_patient(database, ("mrn", "RXH:123456"))
    with database.sessions() as session:
        assert find_patient_by_identifier(session, "RXH:999999") is None
        assert find_patient_by_identifier(session, "mrn:RXH:999999") is None


def test_a_bare_value_held_by_two_patients_in_different_systems_is_refused(database):
    make_patient(database, ("mrn", "GBR:123456789"))
    make_patient(database, ("passport", "GBR:123456789"))
    with database.sessions() as session:
        with pytest.raises(InvalidInput, match="more than one patient"):
            find_patient_by_identifier(session, "GBR:123456789")
        assert find_patient_by_identifier(session, "passport:GBR:123456789") is not None


def test_an_empty_identifier_is_refused(database):
    with database.sessions() as session, pytest.raises(InvalidInput, match="Type or scan"):
        find_patient_by_identifier(session, "  ")


def test_an_identifier_of_a_merged_record_leads_to_the_survivor(database):
    survivor = make_patient(database, ("mrn", "RXH:1"))
    middle = make_patient(database, ("mrn", "RXH:2"), merged_into_id=survivor)
    oldest = make_patient(database, ("emergency", "EM-2026-0001"), merged_into_id=middle)
    with database.sessions() as session:
        assert current_patient(session, oldest).id == survivor
        assert current_patient(session, survivor).id == survivor
        assert find_patient_by_identifier(session, "EM-2026-0001").id == survivor


def test_current_patient_of_an_unknown_id_is_not_found(database):
    with database.sessions() as session, pytest.raises(NotFound, match="no patient record 999"):
        current_patient(session, 999)


def test_the_profile_gathers_every_record_merged_into_the_survivor(database):
    survivor = make_patient(database, ("mrn", "RXH:1"))
    middle = make_patient(database, ("nhs", "9434765919"), merged_into_id=survivor)
    oldest = make_patient(database, ("emergency", "EM-2026-0001"), merged_into_id=middle)
    make_grouping(database, survivor, "A+")
    make_grouping(database, oldest, "A+")
    make_screen(database, middle, positive=True)
    make_antibody(database, oldest, "anti-K")
    make_antibody(database, middle, "anti-Lea", significant=False)
    make_requirement(database, middle, "cmv_negative")
    with database.sessions() as session:
        for any_id in (survivor, middle, oldest):
            profile = load_profile(session, any_id)
            assert profile.patient_id == survivor
            assert set(profile.identifiers) == {("mrn", "RXH:1"), ("nhs", "9434765919"),
                                                ("emergency", "EM-2026-0001")}
            assert [g.blood_group for g in profile.groupings] == ["A+", "A+"]
            assert [s.positive for s in profile.antibody_screens] == [True]
            assert profile.antibodies == ("anti-K",)
            assert profile.requirements == frozenset({"cmv_negative"})


def test_only_requirements_active_today_are_in_the_profile(database):
    patient = make_patient(database, ("mrn", "RXH:1"))
    today = utcnow().date()
    make_requirement(database, patient, "irradiated", until=today)
    make_requirement(database, patient, "cmv_negative", until=today - timedelta(days=1))
    make_requirement(database, patient, "rhd_negative_only", since=today + timedelta(days=1))
    with database.sessions() as session:
        assert load_profile(session, patient).requirements == frozenset({"irradiated"})


def test_the_profile_carries_sex_and_date_of_birth(database):
    patient = make_patient(database, ("mrn", "RXH:1"), sex="M")
    with database.sessions() as session:
        profile = load_profile(session, patient)
    assert profile.sex == "M"
    assert profile.age_on(profile.date_of_birth.replace(year=profile.date_of_birth.year + 40)) == 40
