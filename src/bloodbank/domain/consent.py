"""When consent exists, and when a visit may move on to the needle.

Collection rests on the donor's own informed consent for this very visit. The
donor may withdraw at any step and owes no explanation, so withdrawal carries
no reason field anywhere.
"""

from __future__ import annotations

from bloodbank.domain.errors import (
    Conflict, ConsentMissing, ConsentWithdrawn, DomainError, InvalidInput, InvalidTransition, VisitClosed,
)

# Statuses in which the visit is still going on; the rest are final.
OPEN_STATUSES = ("checked_in", "screened", "consented")
CLOSED_MESSAGES = {
    "deferred": "This visit ended with a deferral: the donor cannot give blood at this visit.",
    "withdrawn": "The donor withdrew from this visit: it is closed. A new visit is needed to continue.",
    "collected": "This visit is complete (the donation was collected): it is closed.",
}
# Where in the visit the donor stopped; "collection" covers a withdrawal with the needle in.
WITHDRAWAL_STEPS = ("check_in", "questionnaire", "screening", "consent", "collection")


def visit_closed(status: str) -> VisitClosed:
    return VisitClosed(CLOSED_MESSAGES.get(status, f"This visit is closed ({status})."))


def consent_refusal(visit_status: str, *, eligible: bool | None) -> DomainError | None:
    """Why consent cannot be recorded now, or None when it can."""
    if visit_status in CLOSED_MESSAGES:
        return visit_closed(visit_status)
    if visit_status == "consented":
        return Conflict("Consent is already recorded for this visit.")
    if visit_status != "screened":
        return InvalidTransition("The donor must be screened (and found eligible) before consent is recorded.")
    if eligible is not True:
        return InvalidTransition("The screening did not find the donor eligible: consent cannot be recorded.")
    return None


def withdrawal_refusal(visit_status: str, step: str, *, collection_in_progress: bool = False) -> DomainError | None:
    """Why a withdrawal cannot be recorded, or None. Only a finished visit refuses one.

    A visit is marked collected when the needle goes in, so "collected" with
    the bag still filling is a withdrawal during collection, which must be possible.
    """
    if step not in WITHDRAWAL_STEPS:
        return InvalidInput(f"Unknown step {step!r}: use one of {', '.join(WITHDRAWAL_STEPS)}.")
    if visit_status in OPEN_STATUSES or (visit_status == "collected" and collection_in_progress):
        return None
    return visit_closed(visit_status)


def collection_refusal(consent_given: bool, withdrawn: bool, visit_status: str) -> DomainError | None:
    """The error that stops a collection, or None when it may go ahead.

    A withdrawal wins over everything: the phlebotomist must hear "the donor
    withdrew", not a generic "visit closed".
    """
    if withdrawn or visit_status == "withdrawn":
        return ConsentWithdrawn("The donor has withdrawn consent: do not collect.")
    if visit_status in ("deferred", "collected"):
        return visit_closed(visit_status)
    if not consent_given:
        return ConsentMissing(
            "No consent is recorded for this visit: the donor must give consent before collection."
        )
    if visit_status != "consented":
        return VisitClosed(f"This visit is not ready for collection (status: {visit_status}).")
    return None


def consent_allows_collection(consent_given: bool, withdrawn: bool, visit_status: str) -> bool:
    return collection_refusal(consent_given, withdrawn, visit_status) is None
