"""A donor's contact on file is matched whatever its spelling, and nothing else matches it; the answers given at
home come back as the desk's form values; the sign-in messages carry the link or code and nothing more."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, strategies as st

from bloodbank.domain import donor_portal as portal, questionnaire

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@given(st.text(alphabet="0123456789", min_size=9, max_size=12), st.sampled_from(["", "+", "00"]),
       st.sampled_from([" ", "-", ""]))
def test_a_phone_matches_itself_however_it_is_spaced_prefixed_or_written_in_arabic_digits(digits, prefix, gap):
    spaced = prefix + gap.join(digits[i:i + 3] for i in range(0, len(digits), 3))
    assert portal.contact_matches("sms", spaced, digits)
    assert portal.contact_matches("sms", spaced.translate(ARABIC_INDIC), digits)


@given(st.text(alphabet="0123456789", min_size=9, max_size=12))
def test_a_phone_differing_in_its_last_nine_digits_does_not_match(digits):
    changed = digits[:-1] + str((int(digits[-1]) + 1) % 10)
    assert not portal.contact_matches("sms", changed, digits)


@pytest.mark.parametrize("given_, on_file, matches", [
    ("Donor@Example.org ", "donor@example.org", True),
    ("donor@example.org", "other@example.org", False),
    ("", "donor@example.org", False),
    ("donor@example.org", None, False),
])
def test_an_email_matches_whatever_its_case_and_spaces(given_, on_file, matches):
    assert portal.contact_matches("email", given_, on_file) is matches


def test_a_short_number_matches_nothing():
    assert not portal.contact_matches("sms", "12345", "12345")


@given(st.dictionaries(st.sampled_from([q.id for q in questionnaire.questions()]),
                       st.one_of(st.booleans(), st.dates(date(2000, 1, 1), date(2030, 1, 1))), min_size=1))
def test_answers_given_at_home_come_back_as_the_desks_form_values(read):
    values = portal.answers_as_form(questionnaire.stored_answers(read))
    for key, value in read.items():
        if isinstance(value, bool):
            assert values[f"q_{key}"] == ("yes" if value else "no") and f"d_{key}" not in values
        else:
            assert values[f"q_{key}"] == "yes" and values[f"d_{key}"] == value.isoformat()


@pytest.mark.parametrize("scanned, token", [
    ("HQ-abc_123", "abc_123"), (" hq-abc ", "abc"), ("HQ-", None), ("G1234 98 654321", None), ("", None),
    ("HQ-" + "x" * 200, None),
])
def test_only_a_questionnaire_code_yields_a_token(scanned, token):
    assert portal.home_answers_token(scanned) == token


def test_the_messages_hold_the_link_or_code_and_the_used_blood_message_names_no_patient():
    assert "https://b.example/my/link/T" in portal.sign_in_email("https://b.example/my/link/T")
    assert "123456" in portal.sign_in_sms("123456")
    text = portal.blood_used_text(where="City Hospital", on=date(2026, 12, 1), donated_on=date(2026, 11, 20))
    assert "City Hospital" in text and "2026-12-01" in text and "patient" not in text.lower()
    assert portal.blood_used_key(7) == "blood-used:7"


def test_the_used_blood_message_takes_the_donors_words_and_way_of_writing_a_day():
    words = {portal.BLOOD_USED: "Merci : %(donated_on)s, %(where)s, %(on)s.", portal.A_HOSPITAL: "un hôpital"}
    text = portal.blood_used_text(where=None, on=date(2026, 12, 1), donated_on=date(2026, 11, 20),
                                  translate=lambda m: words.get(m, m), day=lambda d: f"{d.day}/{d.month}")
    assert text == "Merci : 20/11, un hôpital, 1/12."
