"""The character every field refuses is found however the text is made: the quick path never hides one."""

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from bloodbank.domain.text import BIDI_CONTROLS, KEPT_FORMAT, LINE_BREAKS, refused_character


def first_refused_one_by_one(text: str, multiline: bool) -> str | None:
    for char in text:
        if multiline and char in LINE_BREAKS:
            continue
        category = unicodedata.category(char)
        if char in BIDI_CONTROLS or (category.startswith("C") and not (category == "Cf" and char in KEPT_FORMAT)):
            return char
    return None


AWKWARD = st.sampled_from(sorted(BIDI_CONTROLS | KEPT_FORMAT | LINE_BREAKS | set("\x00\x7f\u00a0\u2028\ue000 é٣")))


@given(st.lists(st.one_of(st.characters(), AWKWARD)).map("".join), st.booleans())
def test_the_first_refused_character_is_the_one_a_character_by_character_reading_finds(text, multiline):
    assert refused_character(text, multiline=multiline) == first_refused_one_by_one(text, multiline)


def test_printable_names_and_arabic_joiners_pass_and_a_direction_override_does_not():
    assert refused_character("Zoë O'Brien-Łukasz") is None
    assert refused_character("فاطمة\u200cالزهراء") is None
    assert refused_character("A\u202e+") == "\u202e"
