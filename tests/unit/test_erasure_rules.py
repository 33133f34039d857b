"""What an erasure erases and keeps, as data with sources; finding the erased data in audit values; the fingerprint."""

from __future__ import annotations

import copy
from datetime import date

import pytest
from hypothesis import given, strategies as st

from bloodbank.domain import erasure, retention
from bloodbank.domain.erasure import Identity, PersonFacts, fingerprint, fingerprint_matches, holds_erased, terms_of

ADA = Identity("Ada", "Lovelace-Byron", date(1985, 12, 10), phone="+44 7700 900123", email="ada@example.org",
               address="12 St James's Square\nLondon", postcode="SW1Y 4JH")
TERMS = terms_of([ADA])


def facts(**changes) -> PersonFacts:
    base = dict(donor_number="D0000012", record_numbers=("D0000012", "D0000029"), appointments=2,
                visits_without_donation=1, visits_with_donation=3, donations=3, last_donation_on=date(2026, 5, 4),
                test_results=12, deferrals=1, permanently_deferred=False, audit_values=17)
    return PersonFacts(**{**base, **changes})


def test_every_category_says_why_and_names_a_source():
    rules = retention.rules()
    assert set(rules.categories) == set(retention.ERASED) | set(retention.KEPT)
    for category in rules.categories.values():
        assert category.why and category.sources
    assert {c.id for c in rules.categories.values() if c.kept} == set(retention.KEPT)


def test_the_traceability_data_is_kept_thirty_years_and_what_selected_a_donation_fifteen():
    rules = retention.rules()
    assert rules.categories["donations"].keep_years == 30
    assert any("2005/61/EC" in s for s in rules.categories["donations"].sources)
    assert rules.categories["visits_with_donation"].keep_years == 15
    assert any("2002/98/EC Art. 13" in s for s in rules.categories["visits_with_donation"].sources)


def test_a_rule_without_a_source_refuses_to_load():
    data = copy.deepcopy(retention.read_packaged_data())
    data["category"][0]["sources"] = []
    with pytest.raises(retention.RetentionRulesInvalid, match="source"):
        retention.build_rules(data)


def test_a_file_that_calls_an_erased_category_kept_refuses_to_load():
    data = copy.deepcopy(retention.read_packaged_data())
    next(c for c in data["category"] if c["id"] == "name")["disposition"] = "kept"
    with pytest.raises(retention.RetentionRulesInvalid, match="erases it"):
        retention.build_rules(data)


def test_the_statement_says_until_when_kept_data_is_kept_counted_from_the_last_donation():
    items = {i.category: i for i in erasure.statement_items(facts())}
    assert items["donations"].kept_until == date(2056, 5, 4) and items["donations"].count == 3
    assert items["visits_with_donation"].kept_until == date(2041, 5, 4)
    assert items["name"].disposition == "erased" and items["name"].kept_until is None
    assert items["date_of_birth"].disposition == "reduced to the year"
    assert items["donor_number"].count == 2 and items["audit_values"].count == 17


def test_a_fingerprint_is_kept_for_a_person_who_donated_or_is_permanently_deferred_and_no_one_else():
    def fingerprint_of(**changes):
        return {i.category: i for i in erasure.statement_items(facts(**changes))}["fingerprint"]

    never = fingerprint_of(donations=0, last_donation_on=None)
    assert never.disposition == "not needed" and "nothing" in never.why
    assert fingerprint_of(donations=0, last_donation_on=None, permanently_deferred=True).disposition == "kept"
    assert fingerprint_of().disposition == "kept"


def test_a_statement_survives_being_stored_as_data():
    items = erasure.statement_items(facts())
    assert erasure.items_from_data(erasure.items_as_data(items)) == items


@pytest.mark.parametrize("values", [
    {"given_name": "Ada"},
    {"survivor": {"phone": "+447700900123"}},
    [{"x": 1}, {"notes": "asked to be called after six"}],
    "Registered Ada at the desk",
    {"reason": "called 07700 900123 twice"},
    {"to": "ADA@EXAMPLE.ORG"},
    "lives at 12 St James's Square",
    {"born": "1985-12-10"},
    {"who": "Lovelace-Byron"},
])
def test_audit_values_that_hold_the_persons_data_are_found(values):
    assert holds_erased(values, erasure.DONOR_KEYS, TERMS)


@pytest.mark.parametrize("values", [
    {"given_name": None, "phone": ""},
    {"blood_group": "O-", "blood_group_confirmed": True},
    "vasovagal reaction, recovered lying down",
    {"din": "G123426000001", "status": "quarantined"},
    {"view": "trace", "key": "D0000012"},
    None,
])
def test_audit_values_without_the_persons_data_are_left(values):
    assert not holds_erased(values, erasure.DONOR_KEYS, TERMS)


names = st.text(alphabet=st.characters(categories=["L"]), min_size=2, max_size=12)


@given(names, st.text(max_size=20), st.text(max_size=20), st.integers(0, 3))
def test_a_name_is_found_as_a_word_wherever_it_sits_in_the_values(name, before, after, depth):
    terms = terms_of([Identity(name, "Zzyzx", None)])
    text = f"{before} {name.upper()} {after}"
    values: object = text
    for _ in range(depth):
        values = {"k": [values]}
    assert holds_erased(values, frozenset(), terms)


@given(st.dictionaries(st.sampled_from(sorted(erasure.DONOR_KEYS)), st.text(min_size=1, max_size=5), min_size=1),
       st.integers(0, 3))
def test_an_erased_field_with_a_value_is_found_at_any_depth(fields, depth):
    values: object = fields
    for _ in range(depth):
        values = {"nested": values}
    assert holds_erased(values, erasure.DONOR_KEYS, ((), ()))


def test_the_fingerprint_matches_the_same_person_however_the_names_were_typed():
    salt = "0f" * 16
    stored = fingerprint("José", "Núñez", date(1990, 4, 3), salt)
    assert fingerprint_matches(stored, salt, "NUNEZ", "jose", date(1990, 4, 3))
    assert not fingerprint_matches(stored, salt, "José", "Núñez", date(1990, 3, 4))
    assert not fingerprint_matches(stored, salt, "José", "Nunes", date(1990, 4, 3))
    assert fingerprint("José", "Núñez", date(1990, 4, 3), "1a" * 16) != stored


@pytest.mark.parametrize("last, today, due", [
    (date(2023, 5, 1), date(2026, 4, 30), False),
    (date(2023, 5, 1), date(2026, 5, 1), True),
    (date(2024, 2, 29), date(2027, 2, 28), False),
    (date(2024, 2, 29), date(2027, 3, 1), True),
])
def test_a_registration_that_never_led_to_a_donation_is_due_after_its_quiet_years(last, today, due):
    assert retention.never_donated_is_due(donated=False, last_contact=last, today=today, years=3) is due
    assert retention.never_donated_is_due(donated=True, last_contact=last, today=today, years=3) is False


@pytest.mark.parametrize("ended, today, due", [
    (date(2025, 1, 31), date(2026, 1, 30), False),
    (date(2025, 1, 31), date(2026, 1, 31), True),
    (date(2025, 3, 31), date(2025, 5, 1), True),
])
def test_an_appointment_is_past_its_purpose_months_after_it_ended(ended, today, due):
    months = 12 if ended.month == 1 else 1
    assert retention.appointment_is_past_purpose(ended_on=ended, today=today, months=months) is due


def test_answers_of_a_donation_are_past_keeping_fifteen_years_after_it():
    assert not retention.answers_are_past_keeping(donated_on=date(2011, 6, 2), today=date(2026, 6, 1), years=15)
    assert retention.answers_are_past_keeping(donated_on=date(2011, 6, 2), today=date(2026, 6, 2), years=15)
