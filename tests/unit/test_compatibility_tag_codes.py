import pytest
from hypothesis import given, strategies as st

from bloodbank.domain.compatibility_tag import BASES, basis, read_tag_code, tag_code
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.ids import MAX_ID


@given(st.integers(1, MAX_ID))
def test_a_tag_s_code_reads_back_as_its_issue_and_never_as_another(issue_id):
    code = tag_code(issue_id)
    assert read_tag_code(code) == issue_id and read_tag_code(f"  {code.lower()} ") == issue_id
    assert len(code) == 13 and not code.startswith("=")  # never mistaken for an ISBT 128 data structure


@pytest.mark.parametrize("text", ["", "BBT", "BBT123", "BBT00000000000", "BBT0000000000", "=G1234261234560",
                                  "BBT12345678901", "XBT0000000001", "BBT000000000A"])
def test_what_is_not_a_tag_is_refused_in_words(text):
    with pytest.raises(InvalidInput, match="not a compatibility tag"):
        read_tag_code(text)


@pytest.mark.parametrize("bad", [0, -1, MAX_ID + 1, True, "12"])
def test_no_tag_is_made_for_an_issue_that_cannot_exist(bad):
    with pytest.raises(InvalidInput):
        tag_code(bad)


@given(st.booleans(), st.booleans(), st.booleans())
def test_an_emergency_is_always_printed_as_one_whatever_else_is_true(emergency, electronic, crossmatched):
    chosen = basis(emergency=emergency, electronic=electronic, crossmatched=crossmatched)
    assert chosen in BASES
    assert (chosen == "emergency") == emergency
