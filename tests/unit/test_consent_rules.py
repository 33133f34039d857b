import pytest
from hypothesis import given
from hypothesis import strategies as st

from bloodbank.domain.consent import (
    OPEN_STATUSES, WITHDRAWAL_STEPS, collection_refusal, consent_allows_collection, consent_refusal,
    withdrawal_refusal,
)
from bloodbank.domain.errors import Conflict, ConsentMissing, ConsentWithdrawn, InvalidInput, InvalidTransition, VisitClosed

STATUSES = ("checked_in", "screened", "deferred", "consented", "collected", "withdrawn")


def test_collection_is_allowed_only_with_consent_not_withdrawn_on_a_consented_visit():
    assert consent_allows_collection(True, False, "consented")


@given(consent=st.booleans(), withdrawn=st.booleans(), status=st.sampled_from(STATUSES))
def test_collection_is_allowed_in_that_one_case_only(consent, withdrawn, status):
    allowed = consent_allows_collection(consent, withdrawn, status)
    assert allowed == (consent and not withdrawn and status == "consented")
    assert (collection_refusal(consent, withdrawn, status) is None) == allowed


def test_no_consent_is_refused_as_consent_missing():
    error = collection_refusal(False, False, "screened")
    assert isinstance(error, ConsentMissing)
    assert "must give consent" in error.message


@given(consent=st.booleans(), status=st.sampled_from(STATUSES))
def test_a_withdrawal_is_always_reported_as_such(consent, status):
    assert isinstance(collection_refusal(consent, True, status), ConsentWithdrawn)


def test_a_withdrawn_visit_is_reported_as_a_withdrawal_even_without_consent():
    assert isinstance(collection_refusal(False, False, "withdrawn"), ConsentWithdrawn)


@pytest.mark.parametrize("status", ["deferred", "collected"])
def test_a_finished_visit_is_closed(status):
    assert isinstance(collection_refusal(True, False, status), VisitClosed)


def test_consent_with_a_visit_not_in_the_consented_state_is_a_closed_visit():
    assert isinstance(collection_refusal(True, False, "screened"), VisitClosed)


def test_consent_may_be_recorded_only_for_an_eligible_screened_visit():
    assert consent_refusal("screened", eligible=True) is None
    assert isinstance(consent_refusal("checked_in", eligible=None), InvalidTransition)
    assert isinstance(consent_refusal("screened", eligible=False), InvalidTransition)
    assert isinstance(consent_refusal("consented", eligible=True), Conflict)
    for status in ("deferred", "withdrawn", "collected"):
        assert isinstance(consent_refusal(status, eligible=True), VisitClosed)


@given(status=st.sampled_from(OPEN_STATUSES), step=st.sampled_from(WITHDRAWAL_STEPS))
def test_a_donor_may_withdraw_at_any_open_step(status, step):
    assert withdrawal_refusal(status, step) is None


def test_a_donor_may_withdraw_with_the_needle_in():
    assert withdrawal_refusal("collected", "collection", collection_in_progress=True) is None


@pytest.mark.parametrize("status", ["deferred", "withdrawn", "collected"])
def test_a_finished_visit_cannot_be_withdrawn_from(status):
    assert isinstance(withdrawal_refusal(status, "consent"), VisitClosed)


def test_an_unknown_step_is_named():
    error = withdrawal_refusal("screened", "lunch")
    assert isinstance(error, InvalidInput) and "'lunch'" in error.message
