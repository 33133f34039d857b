"""Digits typed in Arabic-Indic or Eastern Arabic script read as the same ASCII digits, and nothing else changes."""

import pytest
from hypothesis import given, strategies as st

from bloodbank.domain.digits import ARABIC_INDIC, EASTERN_ARABIC, ascii_digits

SCRIPTS = st.sampled_from([ARABIC_INDIC, EASTERN_ARABIC, "0123456789"])


@pytest.mark.parametrize("typed, read", [
    ("٠١٢", "012"),
    ("۰۱۲", "012"),
    ("٢٠٢٦-٠٤-٠٩", "2026-04-09"),
    ("+٤٤ ٧٧٠٠ ٩٠٠١٢٣", "+44 7700 900123"),
    ("=A٩٩٩٠ ٢٦ ١٢٣٤٥٦", "=A9990 26 123456"),
    ("غريس ٣", "غريس 3"),
    ("no digits", "no digits"),
])
def test_digits_of_either_arabic_script_are_read_as_ascii_digits(typed, read):
    assert ascii_digits(typed) == read


@given(st.lists(st.tuples(st.integers(0, 9), SCRIPTS)))
def test_a_number_reads_the_same_whatever_script_each_digit_was_typed_in(digits):
    typed = "".join(script[d] for d, script in digits)
    assert ascii_digits(typed) == "".join(str(d) for d, _ in digits)


@given(st.text())
def test_only_digits_change_and_the_length_is_kept(text):
    read = ascii_digits(text)
    assert len(read) == len(text)
    for before, after in zip(text, read):
        assert after == before or (before in ARABIC_INDIC + EASTERN_ARABIC and after == str(
            (ARABIC_INDIC + EASTERN_ARABIC).index(before) % 10))


@given(st.text())
def test_reading_twice_changes_nothing_more(text):
    assert ascii_digits(ascii_digits(text)) == ascii_digits(text)
