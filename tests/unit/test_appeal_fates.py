"""Each unit an appeal brought in has exactly one fate, and the unused share is expired and discarded of all."""

import pytest
from hypothesis import given, strategies as st

from bloodbank.domain.appeal_fates import FATES, fate, unused_share
from bloodbank.domain.unit_status import UnitStatus


@pytest.mark.parametrize(("status", "past", "after", "expected"), [
    ("issued", False, False, "used"),
    ("transfused", True, False, "used"),
    ("available", False, False, "in_stock"),
    ("reserved", False, False, "in_stock"),
    ("in_transit", False, False, "in_stock"),
    ("returned", False, False, "in_stock"),
    ("available", True, False, "expired"),
    ("quarantined", False, False, "in_quarantine"),
    ("collected", False, False, "in_quarantine"),
    ("quarantined", True, False, "expired"),
    ("discarded", True, True, "expired"),
    ("discarded", False, False, "discarded"),
    ("recalled", False, False, "discarded"),
    ("processed", False, False, None),
])
def test_the_fate_of_a_unit_by_its_status_and_expiry(status, past, after, expected):
    assert fate(status, past_expiry=past, discarded_after_expiry=after) == expected


@given(st.sampled_from([s.value for s in UnitStatus]), st.booleans(), st.booleans())
def test_every_status_but_a_split_has_one_known_fate(status, past, after):
    result = fate(status, past_expiry=past, discarded_after_expiry=after)
    assert (result is None) == (status == "processed")
    assert result is None or result in FATES


@given(st.dictionaries(st.sampled_from(FATES), st.integers(min_value=0, max_value=10_000)))
def test_the_unused_share_is_a_share_of_every_unit_counted(counts):
    share = unused_share(counts)
    total = sum(counts.values())
    if total == 0:
        assert share is None
    else:
        assert 0 <= share <= 1
        assert share * total == pytest.approx(counts.get("expired", 0) + counts.get("discarded", 0))


def test_las_vegas_2017_seventeen_per_cent_unused():
    assert round(unused_share({"used": 654, "expired": 137}), 2) == 0.17
