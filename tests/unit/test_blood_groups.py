import pytest
from hypothesis import given
from hypothesis import strategies as st

from bloodbank.domain.blood_groups import ALL_GROUPS, BloodGroup, parse_group

SPELLINGS = [
    ("O-", "O-"), ("O neg", "O-"), ("O RhD negative", "O-"), ("o rhd neg", "O-"), ("O Rh-", "O-"),
    ("AB+", "AB+"), ("ab pos", "AB+"), ("AB RhD positive", "AB+"), (" A+ ", "A+"), ("B\u2212", "B-"),
    ("A pos", "A+"), ("B negative", "B-"), ("0+", "O+"), ("O POS", "O+"), ("AB Rh positive", "AB+"),
]


@pytest.mark.parametrize("text, expected", SPELLINGS)
def test_the_usual_spellings_are_read(text, expected):
    assert str(parse_group(text)) == expected


@pytest.mark.parametrize("text, problem", [
    ("", "not a blood group"), ("C+", "not a blood group"), ("A", "no RhD"), ("AB", "no RhD"),
    ("A maybe", "RhD part"), ("ABO+", "RhD part"), ("O--", "RhD part"), ("+", "not a blood group"),
])
def test_anything_else_is_refused_with_the_reason(text, problem):
    with pytest.raises(ValueError, match=problem):
        parse_group(text)


def test_a_non_text_value_is_refused():
    with pytest.raises(ValueError, match="must be text"):
        parse_group(7)


def test_there_are_exactly_eight_groups_printed_in_the_compact_form():
    assert sorted(str(g) for g in ALL_GROUPS) == sorted(["O-", "O+", "A-", "A+", "B-", "B+", "AB-", "AB+"])


@given(st.sampled_from(ALL_GROUPS))
def test_every_group_reads_back_from_its_printed_and_long_forms(group):
    assert parse_group(str(group)) == group
    assert parse_group(group.long_name) == group
    assert parse_group(group) is group


def test_antibodies_are_against_the_antigens_a_group_lacks():
    assert parse_group("O+").abo.antibodies == {"A", "B"}
    assert parse_group("AB-").abo.antibodies == frozenset()
    assert parse_group("A+").abo.antibodies == {"B"}
    assert isinstance(parse_group("A+"), BloodGroup)
