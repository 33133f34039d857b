"""Search keys: a prefix range holds exactly the strings that start with the prefix; names are found by any word."""

from hypothesis import given, strategies as st

from bloodbank.domain.duplicates import phone_key
from bloodbank.domain.search_keys import donor_name_tokens, prefix_bounds

texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)


@given(texts.filter(bool), texts)
def test_a_string_is_inside_the_prefix_range_exactly_when_it_starts_with_the_prefix(prefix, other):
    low, high = prefix_bounds(prefix)
    for candidate in (other, prefix + other, other + prefix):
        assert (low <= candidate < high) == candidate.startswith(prefix)


def test_a_prefix_ending_before_the_surrogates_skips_them():
    low, high = prefix_bounds("a\ud7ff")
    assert high == "a\ue000"
    assert low <= "a\ud7ff\u0041" < high


def test_every_word_of_a_name_and_the_whole_name_are_tokens_without_case_accents_or_punctuation():
    tokens = donor_name_tokens("Jean-Luc", "O'Brien-Núñez")
    assert {"jean", "luc", "jeanluc", "obrien", "nunez", "obriennunez"} <= tokens
    assert all(token == token.casefold() and token.isalnum() for token in tokens)


def test_an_arabic_name_is_found_with_or_without_its_hamza():
    stored = donor_name_tokens("محمد", "الأحمد")
    assert "محمد" in stored
    assert donor_name_tokens("الأحمد") <= stored and donor_name_tokens("الاحمد") <= stored


def test_a_phone_typed_in_arabic_indic_or_persian_digits_has_the_same_key_as_in_latin_digits():
    assert phone_key("+963 ٩٤٤ ١٢٣ ٤٥٦") == phone_key("+963 944 123 456") == phone_key("۰۹۴۴۱۲۳۴۵۶")
