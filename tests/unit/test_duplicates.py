import unicodedata
from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bloodbank.domain.duplicates import (
    CANDIDATE_THRESHOLD, LIKELY_SAME_PERSON, MIN_PHONE_DIGITS, PHONE_KEY_DIGITS, Person, blocking_keys,
    family_name_spellings, find_candidates, name_skeleton, normalise_name, phone_key, score, strip_accents,
    swapped_day_month, without_names,
)
from bloodbank.domain.duplicates import _ARABIC_SOUNDS as ARABIC_SOUNDS

DOB = date(1985, 3, 14)


def person(given="Maria", family="Garcia", dob=DOB, sex="F", phone=None, email=None) -> Person:
    return Person(given, family, dob, sex, phone, email)


def match(new: Person, known: Person):
    found = find_candidates(new, [(7, known)])
    return found[0] if found else None


# (new registration, record on file, a reason the clerk must be shown)
NEAR_DUPLICATES = [
    (person(family="García"), person(family="Garcia"), "same family name"),
    (person(given="Jon", family="Smith", sex="M"), person(given="John", family="Smith", sex="M"),
     "given name differs by one letter"),
    (person(family="Jonson"), person(family="Johnson"), "family name differs by one letter"),
    (person(given="Katherine", family="O'Brien"), person(given="Katherine", family="OBrien"), "same family name"),
    (person(given="Lukasz", family="Kowalski", sex="M"), person(given="Łukasz", family="Kowalski", sex="M"),
     "same given name"),
    (person(dob=date(1990, 4, 7)), person(dob=date(1990, 7, 4)), "date of birth with day and month swapped"),
    (person(dob=date(1985, 3, 12)), person(dob=date(1985, 3, 21)), "two digits swapped"),
    (person(dob=date(1985, 3, 15)), person(dob=DOB), "differs by one digit"),
    (person(given="Nowak", family="Zofia"), person(given="Zofia", family="Nowak"), "given and family names swapped"),
    (person(given="Mary Ann", family="Jensen"), person(given="Mary", family="Jensen"), "one is part of the other"),
    (person(given="Steven", family="Petrov", sex="M"), person(given="Stephen", family="Petrov", sex="M"),
     "similar given name"),
    (person(family="Fischer", phone="+44 7700 900123"), person(family="Weber", phone="07700 900123"),
     "same phone number"),
    (person(given="JOHN", family="SMITH", sex="M", dob=date(1970, 1, 2), phone="07700900123"),
     person(given="John", family="Smith", sex="M", dob=date(1977, 10, 20), phone="+447700900123"),
     "same phone number"),
    (person(sex="M"), person(sex="F"), "recorded sex differs"),
    (person(email="Maria.G@Example.org", dob=date(1985, 9, 30)), person(email="maria.g@example.org"),
     "same email address"),
]

NOT_DUPLICATES = [
    # Thousands of donors share a birthday.
    (person(given="Omar", family="Haddad", sex="M"), person(given="Anna", family="Rossi")),
    # Siblings: same family name and birth year, different given name and birthday.
    (person(given="Anna", family="Rossi", dob=date(1992, 1, 5)), person(given="Hana", family="Rossi", dob=date(1992, 12, 1))),
    # A household sharing a phone.
    (person(given="Omar", family="Haddad", sex="M", dob=date(1960, 2, 2), phone="0161 496 0000"),
     person(given="Layla", family="Haddad", dob=date(1991, 6, 9), phone="+44 161 496 0000")),
    # Same name, born in another year, nothing else shared: not even compared.
    (person(), person(dob=date(1999, 3, 14))),
]


@pytest.mark.parametrize("new, known, reason", NEAR_DUPLICATES)
def test_real_looking_near_duplicates_are_flagged_with_a_reason_the_clerk_can_read(new, known, reason):
    candidate = match(new, known)
    assert candidate is not None
    assert candidate.donor_id == 7
    assert any(reason in r for r in candidate.reasons), candidate.reasons


@pytest.mark.parametrize("new, known", NOT_DUPLICATES)
def test_different_people_who_share_something_are_not_flagged(new, known):
    assert match(new, known) is None


def test_a_typo_in_a_name_with_the_same_date_of_birth_is_likely_the_same_person():
    candidate = match(person(family="Garcai"), person(family="Garcia"))
    assert candidate.likely
    assert candidate.reasons == ("same date of birth", "same given name", "family name differs by one letter (Garcai / Garcia)")


def test_twins_are_candidates_but_less_likely_than_any_typo():
    twin = match(person(given="Anna", family="Jensen"), person(given="Maria", family="Jensen"))
    typo = match(person(given="Mraia", family="Jensen"), person(given="Maria", family="Jensen"))
    assert twin is not None and not twin.likely
    assert "different given name" in twin.reasons
    assert twin.score < typo.score


def test_twins_sharing_the_family_phone_are_still_not_called_likely():
    twin = match(person(given="Anna", family="Jensen", phone="0161 496 0000"),
                 person(given="Maria", family="Jensen", phone="0161 496 0000"))
    assert twin is not None and not twin.likely


def test_candidates_come_most_likely_first():
    on_file = [
        (1, person(given="Maria", family="Jensen")),  # twin of the new registration's... or a sister
        (2, person(given="Anna", family="Jensen")),  # the same person
        (3, person(given="Omar", family="Haddad", sex="M")),  # shares only the birthday
    ]
    found = find_candidates(person(given="Anna", family="Jensen"), on_file)
    assert [c.donor_id for c in found] == [2, 1]
    assert found[0].score == 1.0


def test_records_outside_every_block_are_not_scored_even_if_names_match():
    far = person(dob=date(1950, 1, 1))
    assert score(person(), far)[0] >= CANDIDATE_THRESHOLD  # same full name…
    assert find_candidates(person(), [(1, far)]) == []  # …but nothing to look them up by


def test_names_are_compared_without_case_accents_spaces_or_punctuation():
    assert normalise_name("  O'Brien-Núñez ") == "obriennunez"
    assert normalise_name("Søren Łukasz") == "sorenlukasz"
    assert normalise_name("Straße") == normalise_name("STRASSE")


def test_phone_numbers_compare_on_their_last_nine_digits():
    assert phone_key("+44 (0)7700-900123") == phone_key("07700 900123") == "700900123"
    assert phone_key("12 34") is None


def test_the_day_and_month_can_be_swapped_only_when_that_makes_another_real_date():
    assert swapped_day_month(date(1990, 4, 7)) == date(1990, 7, 4)
    assert swapped_day_month(date(1990, 4, 13)) is None
    assert swapped_day_month(date(1990, 5, 5)) is None


def test_blocking_keys_cover_the_swapped_date_and_the_normalised_family_name():
    keys = blocking_keys(person(family="García", dob=date(1990, 4, 7), phone="07700 900123"))
    assert keys.dates_of_birth == (date(1990, 4, 7), date(1990, 7, 4))
    assert keys.family_name == "garcia" and keys.birth_year == 1990
    assert keys.phone_key == "700900123"


def test_family_name_spellings_include_the_common_stored_forms():
    spellings = family_name_spellings(" garcía  lopez")
    assert {"García Lopez", "GARCIA LOPEZ", "garcia lopez", "Garcia Lopez"} <= set(spellings)


# ---------------------------------------------------------------- properties

LETTERS = "abcdefghijklmnopqrstuvwxyzäéñøłABCDEFGHIJKLMNOPQRSTUVWXYZ"
names = st.text(alphabet=LETTERS, min_size=2, max_size=15)
dates = st.dates(min_value=date(1920, 1, 1), max_value=date(2010, 12, 31))


@st.composite
def one_typo(draw, name: str) -> str:
    position = draw(st.integers(min_value=0, max_value=len(name) - 1))
    letter = draw(st.sampled_from(LETTERS))
    kind = draw(st.sampled_from(["substitute", "insert", "delete"]))
    if kind == "substitute":
        return name[:position] + letter + name[position + 1:]
    if kind == "insert":
        return name[:position] + letter + name[position:]
    return name[:position] + name[position + 1:]


@given(names, names, dates, st.sampled_from(["given", "family"]), st.data())
def test_a_single_character_typo_in_a_name_with_the_same_date_of_birth_is_always_flagged(given_name, family, dob, part, data):
    known = Person(given_name, family, dob, "F")
    if part == "given":
        new = Person(data.draw(one_typo(given_name)), family, dob, "F")
    else:
        new = Person(given_name, data.draw(one_typo(family)), dob, "F")
    candidate = match(new, known)
    assert candidate is not None
    assert candidate.likely


@given(names, names, dates)
def test_swapping_day_and_month_of_a_date_of_birth_is_always_flagged(given_name, family, dob):
    swapped = swapped_day_month(dob)
    assume(swapped is not None)
    candidate = match(Person(given_name, family, swapped, "M"), Person(given_name, family, dob, "M"))
    assert candidate is not None and candidate.likely
    assert "date of birth with day and month swapped" in candidate.reasons


@given(names, names, dates, names, names, dates, st.sampled_from(["F", "M"]), st.sampled_from(["F", "M"]))
def test_a_score_is_always_between_nought_and_one(g1, f1, d1, g2, f2, d2, s1, s2):
    value, reasons = score(Person(g1, f1, d1, s1, "0161 496 0000"), Person(g2, f2, d2, s2, "0161 496 0000"))
    assert 0.0 <= value <= 1.0
    assert reasons


@given(names, names, dates)
def test_the_same_person_typed_again_scores_one(given_name, family, dob):
    same = Person(given_name, family, dob, "F")
    assert match(same, same).score == 1.0 >= LIKELY_SAME_PERSON


@pytest.mark.parametrize("reason, kept", [
    ("family name differs by one letter (Garcai / Garcia)", "family name differs by one letter"),
    ("similar given name (Stephen / Steven)", "similar given name"),
    ("given name Ann / Ann-Marie: one is part of the other", "one given name is part of the other"),
    ("different given name", "different given name"),
    ("date of birth with day and month swapped", "date of birth with day and month swapped"),
])
def test_a_reason_kept_in_the_audit_log_says_what_agreed_without_the_names(reason, kept):
    assert without_names(reason) == kept


@given(st.text("qxzj", min_size=3, max_size=8), st.text("qxzj", min_size=3, max_size=8),
       st.text("qxzj", min_size=3, max_size=8), st.text("qxzj", min_size=3, max_size=8))
def test_no_name_compared_is_left_in_the_reasons_the_audit_log_keeps(g1, f1, g2, f2):
    _, reasons = score(Person(g1, f1, date(1990, 4, 3)), Person(g2, f2, date(1990, 4, 3)))
    for reason in map(without_names, reasons):
        assert not any(name.casefold() in reason.casefold() for name in (g1, f1, g2, f2)), reason


# The skeleton and the normal form as their comments define them, letter by letter: the module builds them with
# the string methods written in C (translate, a regular expression), which must read every name the same way.
def _skeleton_letter_by_letter(text: str) -> str:
    word = "".join(char for char in strip_accents(text).casefold() if char.isalnum())
    if not word:
        return ""
    if len(word) > 2 and (word[-1] == "ه" or (word[-1] == "h" and word[-2] in "ae")):
        word = word[:-1]
    letters = []
    for n, char in enumerate(word):
        if char in ARABIC_SOUNDS:
            sound = ARABIC_SOUNDS[char]
            vowel = sound in ("", "w", "y")
        else:
            sound, vowel = ("k" if char == "q" else char), char in "aeiouwy"
        if n == 0:
            letters.append(sound if sound and sound not in "aeiou" else "a")
        elif not vowel:
            letters.append(sound)
    skeleton = "".join(letters)
    collapsed = "".join(c for i, c in enumerate(skeleton) if i == 0 or c != skeleton[i - 1])
    return collapsed if len(collapsed) >= 3 else ""


NAME_LETTERS = st.text(alphabet=st.sampled_from(
    list("aeiouwyqbhkmnst AQ-'_.0١۳ñéøłæŒ²ﬁ") + list(ARABIC_SOUNDS) + ["ة", "ى", "ـ", "ٱ"]), max_size=12)


@given(st.one_of(NAME_LETTERS, st.text(max_size=12)))
def test_a_names_skeleton_and_normal_form_read_it_letter_by_letter(name):
    assert normalise_name(name) == "".join(char for char in strip_accents(name).casefold() if char.isalnum())
    assert name_skeleton(name) == _skeleton_letter_by_letter(name)


@given(st.text(alphabet=st.sampled_from(list("0123456789 +-()٠١٢٣٤٥٦٧٨٩۰۱۲۳x")), max_size=16))
def test_a_phone_key_is_the_last_digits_in_any_script(phone):
    digits = "".join(str(unicodedata.decimal(char)) for char in phone if char.isdecimal())
    assert phone_key(phone) == (digits[-PHONE_KEY_DIGITS:] if len(digits) >= MIN_PHONE_DIGITS else None)
