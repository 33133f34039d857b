from datetime import date, timedelta

import pytest

from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.donor_numbers import new_donor_number, validate_donor_number
from bloodbank.domain.errors import InvalidInput, NotFound, PossibleDuplicate
from bloodbank.service_layer.donors.merge import merge_donors
from bloodbank.service_layer.donors.registry import register_donor
from tests.integration.donor_fixtures import audit_entries, clerk, counts, donor_row, make_site, person, register


def test_a_registration_stores_the_donor_and_audits_who_registered_them(database):
    site = make_site(database)
    view = register_donor(
        clerk(database), given_name="  Zofia ", family_name="Nowak", date_of_birth=date(1988, 6, 21), sex="f",
        phone="+44 7700 900 123", email="zofia@example.org", address="1 Mill Lane", postcode="DE1 1AA",
        latitude=52.92, longitude=-1.47, blood_group="O neg", preferred_site_id=site, appeals_opt_in=True,
    )
    assert (view.given_name, view.family_name, view.sex, view.blood_group) == ("Zofia", "Nowak", "F", "O-")
    assert view.phone == "+447700900123"
    assert view.preferred_site_id == site and view.appeals_opt_in
    row = donor_row(database, view.id)
    assert row.donor_number == view.donor_number and row.merged_into_id is None
    [entry] = audit_entries(database, view.id)
    assert (entry.actor, entry.action, entry.reason) == ("clerk.ann", "register", "new donor registered")
    assert entry.old is None
    assert entry.new["donor_number"] == view.donor_number and entry.new["blood_group"] == "O-"


def test_the_donor_number_comes_from_the_record_and_carries_a_valid_check_character(database):
    first, second = register(database), register(database)
    assert first.donor_number == new_donor_number(first.id)
    assert validate_donor_number(second.donor_number) == second.donor_number
    assert first.donor_number != second.donor_number


@pytest.mark.parametrize("change, problem", [
    (dict(given_name="  "), "given name is missing"),
    (dict(family_name="Nowak\u0007"), "control character"),
    (dict(sex="X"), "Sex must be F or M"),
    (dict(date_of_birth=utcnow().date() + timedelta(days=1)), "in the future"),
    (dict(date_of_birth=date(1890, 1, 1)), "check the year"),
    (dict(date_of_birth=utcnow().date() - timedelta(days=365 * 10)), "registered from age 16"),
    (dict(date_of_birth="1990-01-01"), "calendar date"),
    (dict(blood_group="C+"), "not a blood group"),
    (dict(blood_group="A"), "no RhD"),
    (dict(phone="call me"), "not a phone number"),
    (dict(email="zofia.example.org"), "not an email address"),
    (dict(latitude=52.9), "both latitude and longitude"),
    (dict(latitude=95.0, longitude=1.0), "latitude must be a number between -90 and 90"),
])
def test_invalid_details_are_refused_and_nothing_is_written(database, change, problem):
    before = counts(database)
    with pytest.raises(InvalidInput, match=problem):
        register_donor(clerk(database), **person(**change))
    assert counts(database) == before


def test_an_unknown_preferred_site_is_refused(database):
    before = counts(database)
    with pytest.raises(NotFound, match="No site with id 999"):
        register_donor(clerk(database), **person(preferred_site_id=999))
    assert counts(database) == before


def test_a_typo_in_the_name_is_a_possible_duplicate_and_nothing_is_written(database):
    first = register(database, given_name="Katarzyna", family_name="Kowalski", date_of_birth=date(1979, 2, 27))
    before = counts(database)
    with pytest.raises(PossibleDuplicate, match="1 existing record looks like them.*merge.*confirm") as refused:
        register_donor(clerk(database), **person(given_name="Katarzyna", family_name="Kowalsky",
                                                 date_of_birth=date(1979, 2, 27)))
    assert counts(database) == before
    [candidate] = refused.value.candidates
    assert candidate.donor.id == first.id and candidate.likely
    assert "family name differs by one letter (Kowalsky / Kowalski)" in candidate.reasons


def test_a_date_of_birth_with_day_and_month_swapped_is_flagged(database):
    first = register(database, given_name="Omar", family_name="Haddad", date_of_birth=date(1990, 4, 7), sex="M")
    before = counts(database)
    with pytest.raises(PossibleDuplicate) as refused:
        register_donor(clerk(database), **person(given_name="Omar", family_name="Haddad",
                                                 date_of_birth=date(1990, 7, 4), sex="M"))
    assert counts(database) == before
    [candidate] = refused.value.candidates
    assert candidate.donor.id == first.id
    assert "date of birth with day and month swapped" in candidate.reasons


def test_the_same_phone_written_differently_finds_the_record(database):
    first = register(database, given_name="Layla", family_name="Mensah", phone="07700 900456")
    with pytest.raises(PossibleDuplicate) as refused:
        register_donor(clerk(database), **person(given_name="Layla", family_name="Mensah", phone="+44 7700 900456"))
    assert [c.donor.id for c in refused.value.candidates] == [first.id]
    assert "same phone number" in refused.value.candidates[0].reasons


def test_a_confirmed_new_person_gets_a_second_record_and_the_confirmation_is_audited(database):
    twin = register(database, given_name="Anna", family_name="Jensen", date_of_birth=date(1992, 8, 30))
    with pytest.raises(PossibleDuplicate) as refused:
        register_donor(clerk(database), **person(given_name="Maria", family_name="Jensen",
                                                 date_of_birth=date(1992, 8, 30)))
    assert not refused.value.candidates[0].likely  # a twin: flagged, but not called the same person
    second = register_donor(clerk(database), **person(given_name="Maria", family_name="Jensen",
                                                      date_of_birth=date(1992, 8, 30)),
                            confirm_new_person_despite=(twin.id,))
    assert second.id != twin.id and second.donor_number != twin.donor_number
    [entry] = audit_entries(database, second.id)
    assert entry.reason.startswith("confirmed new person despite possible duplicates: " + twin.donor_number)
    assert "different given name" in entry.reason


def test_confirming_one_candidate_does_not_clear_another(database):
    first = register(database, given_name="Grace", family_name="Okafor", date_of_birth=date(1985, 11, 20))
    second = register_donor(clerk(database), **person(given_name="Grace", family_name="Okafor",
                                                      date_of_birth=date(1985, 11, 21)),
                            confirm_new_person_despite=(first.id,))
    before = counts(database)
    with pytest.raises(PossibleDuplicate, match="1 existing record") as refused:
        register_donor(clerk(database), **person(given_name="Grace", family_name="Okafor",
                                                 date_of_birth=date(1985, 11, 20)),
                       confirm_new_person_despite=(second.id,))
    assert counts(database) == before
    assert {c.donor.id for c in refused.value.candidates} == {first.id, second.id}


def test_a_match_on_a_merged_record_is_reported_as_the_record_it_was_merged_into(database):
    survivor = register(database, given_name="Ines", family_name="Popescu", date_of_birth=date(1970, 9, 14))
    old = register(database, given_name="Inez", family_name="Popesku", date_of_birth=date(1970, 9, 30))
    merge_donors(clerk(database), survivor_id=survivor.id, duplicate_id=old.id, reason="same person, typo")
    with pytest.raises(PossibleDuplicate) as refused:
        register_donor(clerk(database), **person(given_name="Inez", family_name="Popesku",
                                                 date_of_birth=date(1970, 9, 30)))
    assert [c.donor.id for c in refused.value.candidates] == [survivor.id]


def test_someone_sharing_only_a_birthday_registers_without_a_question(database):
    register(database, given_name="Wei", family_name="Zhang", date_of_birth=date(1975, 12, 25), sex="M")
    view = register(database, given_name="Rosa", family_name="Quispe", date_of_birth=date(1975, 12, 25))
    assert view.family_name == "Quispe"
