import pytest
from hypothesis import given
from hypothesis import strategies as st

from bloodbank.domain.donor_numbers import MAX_SEQUENCE, check_character, new_donor_number, validate_donor_number
from bloodbank.domain.errors import InvalidInput

sequences = st.integers(min_value=1, max_value=MAX_SEQUENCE)


def test_the_check_character_is_iso_7064_mod_11_2():
    # The published ORCID example 0000-0002-1825-0097 carries the same check.
    assert check_character("000000021825009") == "7"


def test_a_number_is_the_letter_d_seven_digits_and_a_check_character():
    assert new_donor_number(1) == "D0000001X"
    assert new_donor_number(4217) == "D00042172"
    assert new_donor_number(MAX_SEQUENCE)[:8] == "D9999999"


@pytest.mark.parametrize("sequence", [0, -1, MAX_SEQUENCE + 1, True, "12", 1.0])
def test_a_sequence_outside_the_range_is_refused(sequence):
    with pytest.raises(InvalidInput, match="sequence between 1 and"):
        new_donor_number(sequence)


@given(sequences)
def test_every_issued_number_validates_to_itself(sequence):
    number = new_donor_number(sequence)
    assert len(number) == 9
    assert validate_donor_number(number) == number


@given(sequences, st.data())
def test_any_single_mistyped_character_is_caught(sequence, data):
    number = new_donor_number(sequence)
    position = data.draw(st.integers(min_value=1, max_value=len(number) - 1))
    replacement = data.draw(st.sampled_from("0123456789X").filter(lambda c: c != number[position]))
    typo = number[:position] + replacement + number[position + 1:]
    with pytest.raises(InvalidInput):
        validate_donor_number(typo)


@given(sequences, st.data())
def test_any_two_neighbouring_characters_swapped_are_caught(sequence, data):
    number = new_donor_number(sequence)
    position = data.draw(st.integers(min_value=1, max_value=len(number) - 2))
    swapped = number[:position] + number[position + 1] + number[position] + number[position + 2:]
    if swapped != number:
        with pytest.raises(InvalidInput):
            validate_donor_number(swapped)


def test_what_people_add_when_copying_a_number_is_forgiven():
    assert validate_donor_number(" d 0000001-x ") == "D0000001X"


def test_a_wrong_check_character_says_a_character_was_mistyped():
    with pytest.raises(InvalidInput, match="check character does not match.*mistyped"):
        validate_donor_number("D00042173")


@pytest.mark.parametrize("text", ["D123", "X00042172", "D000421720", "D0004217*", "00042172"])
def test_a_number_of_the_wrong_shape_is_refused_with_its_shape(text):
    with pytest.raises(InvalidInput, match="letter D, 7 digits and a check character"):
        validate_donor_number(text)


@pytest.mark.parametrize("text", ["", "   ", None, 42172])
def test_nothing_or_a_non_text_is_refused(text):
    with pytest.raises(InvalidInput, match="donor number"):
        validate_donor_number(text)
