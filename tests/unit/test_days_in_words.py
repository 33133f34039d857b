import math

import pytest
from hypothesis import given, strategies as st

from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.inventory import days_in_words


@pytest.mark.parametrize("days, words", [
    (None, "no recent use"), (0, "less than a day"), (0.99, "less than a day"), (1, "1 day"), (1.99, "1 day"),
    (2.5, "2 days"), (13.9, "13 days"), (14, "2 weeks"), (55.9, "7 weeks"), (56, "more than 8 weeks"),
    (393.6, "more than 8 weeks"),
])
def test_days_of_supply_read_as_a_person_reads_them(days, words):
    assert days_in_words(days) == words


@given(st.floats(min_value=0, max_value=1e6, allow_nan=False))
def test_the_words_never_promise_more_than_is_on_the_shelf(days):
    words = days_in_words(days)
    number = next((int(w) for w in words.split() if w.isdigit()), None)
    if number is not None and "more than" not in words:
        assert number * (7 if "week" in words else 1) <= days


@pytest.mark.parametrize("bad", [-1, math.nan])
def test_impossible_days_are_refused(bad):
    with pytest.raises(InvalidInput):
        days_in_words(bad)
