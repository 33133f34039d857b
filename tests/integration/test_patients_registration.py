from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from bloodbank.adapters.db.models import Hospital, Patient, PatientIdentifier
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound, PossibleDuplicate
from bloodbank.service_layer.hospital.hospitals import create_hospital, get_hospital, list_hospitals
from bloodbank.service_layer.hospital.patients import (
    add_identifier, find_patients, get_patient, register_emergency_patient, register_patient,
)
from tests.integration.patient_fixtures import (
    audit_count, clerk, count_rows, make_hospital, make_patient, make_site,
)


def register(database, hospital_id, *identifiers, **fields):
    return register_patient(clerk(database), hospital_id=hospital_id, identifiers=list(identifiers), **fields)


# ---------------------------------------------------------------- hospitals


def test_a_hospital_is_created_served_by_a_site_and_audited(database):
    site = make_site(database)
    before = audit_count(database)
    hospital = create_hospital(clerk(database), code=" rxh ", name="Royal Example Hospital", site_id=site)
    assert (hospital.code, hospital.site_id) == ("RXH", site)
    assert get_hospital(clerk(database), "rxh") == hospital
    assert [h.code for h in list_hospitals(clerk(database), site_id=site)] == ["RXH"]
    assert audit_count(database) == before + 1


def test_a_hospital_code_is_unique(database):
    site = make_site(database)
    create_hospital(clerk(database), code="RXH", name="Royal", site_id=site)
    before = audit_count(database)
    with pytest.raises(Conflict, match="code RXH already exists"):
        create_hospital(clerk(database), code="rxh", name="Another", site_id=site)
    assert count_rows(database, Hospital) == 1
    assert audit_count(database) == before


@pytest.mark.parametrize(("fields", "message"), [
    ({"code": "R:X"}, "hospital code"), ({"name": " "}, "name"), ({"site_id": 999}, "No site with id 999"),
    ({"latitude": 91.0, "longitude": 0.0}, "latitude"),
])
def test_a_hospital_with_bad_details_is_refused(database, fields, message):
    site = make_site(database)
    with pytest.raises((InvalidInput, NotFound), match=message):
        create_hospital(clerk(database), **{"code": "RXH", "name": "Royal", "site_id": site, **fields})
    assert count_rows(database, Hospital) == 0


# ---------------------------------------------------------------- registration


def test_a_patient_is_registered_with_identifiers_and_audited(database):
    hospital = make_hospital(database, code="RXH")
    before = audit_count(database)
    patient = register(database, hospital, ("mrn", "rxh:123456"), ("nhs", "943 476 5919"),
                       given_name=" Mary ", family_name="Example", date_of_birth=date(1980, 5, 17), sex="f")
    assert patient.identifiers == (("mrn", "RXH:123456"), ("nhs", "9434765919"))
    assert (patient.display_name, patient.sex, patient.date_of_birth_estimated) == ("Mary Example", "F", False)
    assert get_patient(clerk(database), patient.id) == patient
    assert audit_count(database) == before + 1


def test_a_patient_needs_at_least_one_identifier(database):
    hospital = make_hospital(database)
    with pytest.raises(InvalidInput, match="at least one identifier"):
        register(database, hospital)
    assert count_rows(database, Patient) == 0


def test_an_identifier_already_on_file_names_the_existing_patient_and_saves_nothing(database):
    hospital = make_hospital(database, code="RXH")
    first = register(database, hospital, ("mrn", "RXH:1"), given_name="Mary", family_name="Example")
    before = audit_count(database), count_rows(database, Patient), count_rows(database, PatientIdentifier)
    with pytest.raises(PossibleDuplicate, match=f"already belongs to patient {first.id} \\(Mary Example\\)") as err:
        register(database, hospital, ("nhs", "9434765919"), ("mrn", "rxh:1"))
    assert [c.id for c in err.value.candidates] == [first.id]
    assert (audit_count(database), count_rows(database, Patient),
            count_rows(database, PatientIdentifier)) == before


def test_a_hospital_number_must_name_a_hospital_on_file(database):
    hospital = make_hospital(database, code="RXH")
    with pytest.raises(InvalidInput, match="names hospital RXJ, which is not on file"):
        register(database, hospital, ("mrn", "RXJ:1"))
    assert count_rows(database, Patient) == 0


@pytest.mark.parametrize(("fields", "message"), [
    ({"sex": "X"}, "F, M"), ({"date_of_birth": date(2999, 1, 1)}, "not possible"),
    ({"given_name": "x" * 101}, "at most 100"), ({"hospital_id": 999}, "no hospital 999"),
])
def test_a_patient_with_bad_details_is_refused(database, fields, message):
    hospital = make_hospital(database, code="RXH")
    with pytest.raises((InvalidInput, NotFound), match=message):
        register_patient(clerk(database), **{"hospital_id": hospital, "identifiers": [("mrn", "RXH:1")], **fields})
    assert count_rows(database, Patient) == 0


def test_an_emergency_patient_gets_the_next_emergency_number_of_the_year(database):
    hospital = make_hospital(database)
    year = utcnow().year
    make_patient(database, ("emergency", f"EM-{year}-0041"))
    make_patient(database, ("emergency", f"EM-{year - 1}-0900"))
    first = register_emergency_patient(clerk(database), hospital_id=hospital, sex="M", approximate_age=30)
    second = register_emergency_patient(clerk(database), hospital_id=hospital)
    assert first.identifiers == (("emergency", f"EM-{year}-0042"),)
    assert second.identifiers == (("emergency", f"EM-{year}-0043"),)
    assert (first.display_name, first.sex, first.date_of_birth, first.date_of_birth_estimated) == (
        "Unknown patient", "M", date(year - 30, 1, 1), True)
    assert (second.sex, second.date_of_birth) == (None, None)


def test_an_emergency_number_past_9999_keeps_counting(database):
    hospital = make_hospital(database)
    year = utcnow().year
    make_patient(database, ("emergency", f"EM-{year}-9999"))
    make_patient(database, ("emergency", f"EM-{year}-10000"))
    patient = register_emergency_patient(clerk(database), hospital_id=hospital)
    assert patient.identifiers == (("emergency", f"EM-{year}-10001"),)


def test_an_impossible_approximate_age_is_refused(database):
    hospital = make_hospital(database)
    with pytest.raises(InvalidInput, match="approximate age"):
        register_emergency_patient(clerk(database), hospital_id=hospital, approximate_age=200)
    assert count_rows(database, Patient) == 0


def test_an_identifier_is_added_to_the_surviving_record(database):
    hospital = make_hospital(database, code="RXH")
    survivor = make_patient(database, ("mrn", "RXH:1"))
    merged = make_patient(database, ("emergency", "EM-2026-0001"), merged_into_id=survivor)
    patient = add_identifier(clerk(database), patient_id=merged, system="nhs", value="9434765919",
                             reason="NHS number found in wallet")
    assert patient.id == survivor
    assert ("nhs", "9434765919") in patient.identifiers
    assert hospital


def test_an_identifier_of_another_patient_cannot_be_added(database):
    make_hospital(database, code="RXH")
    first = make_patient(database, ("mrn", "RXH:1"))
    second = make_patient(database, ("mrn", "RXH:2"))
    before = audit_count(database)
    with pytest.raises(PossibleDuplicate, match=f"belongs to patient {first}"):
        add_identifier(clerk(database), patient_id=second, system="mrn", value="RXH:1")
    with pytest.raises(Conflict, match="already has"):
        add_identifier(clerk(database), patient_id=first, system="mrn", value="RXH:1")
    assert count_rows(database, PatientIdentifier) == 2
    assert audit_count(database) == before


# ---------------------------------------------------------------- search


def test_patients_are_found_by_any_identifier_or_by_names(database):
    hospital = make_hospital(database, code="RXH")
    mary = register(database, hospital, ("mrn", "RXH:1"), ("passport", "GBR:123456789"),
                    given_name="Mary", family_name="O'Neill")
    register(database, hospital, ("mrn", "RXH:2"), given_name="John", family_name="Neilson")
    assert [p.id for p in find_patients(clerk(database), "RXH:1")] == [mary.id]
    assert [p.id for p in find_patients(clerk(database), "passport:gbr:123456789")] == [mary.id]
    assert [p.id for p in find_patients(clerk(database), "mary o'n")] == [mary.id]
    assert len(find_patients(clerk(database), "ma")) == 1
    assert find_patients(clerk(database), "100%") == []


def test_a_search_shows_a_merged_record_as_its_survivor_once(database):
    survivor = make_patient(database, ("mrn", "RXH:1"))
    make_patient(database, ("emergency", "EM-2026-0001"), merged_into_id=survivor)
    found = find_patients(clerk(database), "EM-2026-0001")
    assert [p.id for p in found] == [survivor]
    assert set(found[0].identifiers) == {("mrn", "RXH:1"), ("emergency", "EM-2026-0001")}
    with database.sessions() as session:
        assert session.scalar(select(Patient.id).where(Patient.merged_into_id == survivor)) is not None


def test_an_empty_search_is_refused(database):
    with pytest.raises(InvalidInput, match="Type an identifier or a name"):
        find_patients(clerk(database), " ")
