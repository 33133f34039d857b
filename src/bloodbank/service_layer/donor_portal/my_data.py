"""A donor's own data: the copy of everything held about them, and a request to erase it.

The copy is the one staff make on request (`donors.data_copy`). The request is
not the erasure: it is filed, audited, and listed for a medical director, who
erases through the signed erasure use case (which closes it) or declines it
with a reason the donor reads on their page; the donor is shown first what will
be erased and what traceability keeps, with its reasons.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from bloodbank.adapters.db.models import Donor, DonorErasureRequest
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.domain.messages import N_
from bloodbank.domain.text import clean_text
from bloodbank.service_layer.donor_portal.my_record import own_donor
from bloodbank.adapters.labels.lettering import Catalogue
from bloodbank.service_layer.donors.data_copy import DataCopy, data_copy, data_copy_document
from bloodbank.service_layer.donors.erasure import ErasureStatement, preview_erasure
from bloodbank.service_layer.donors.person import find_person
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


def my_data_copy(uow: UnitOfWork, *, donor_id: int) -> DataCopy:
    return data_copy(uow, donor_id=donor_id)


def my_data_copy_pdf(uow: UnitOfWork, *, donor_id: int, language: str | None = None,
                     catalogue: Catalogue | None = None) -> bytes:
    return data_copy_document(data_copy(uow, donor_id=donor_id), language=language, catalogue=catalogue)


@dataclass(frozen=True)
class MyErasure:
    statement: ErasureStatement
    # When the donor asked; None: not asked yet.
    requested_at: datetime | None
    # When staff declined the request and why, in their words to the donor; None while open or never asked.
    declined_at: datetime | None = None
    decline_reason: str | None = None


def my_erasure(uow: UnitOfWork, *, donor_id: int) -> MyErasure:
    with uow.again() as check:
        own_donor(check.session, donor_id)
        row = _request_of(check.session, donor_id)
        asked = row.requested_at if row else None
        declined = row is not None and row.outcome == "declined"
        declined_at, reason = (row.closed_at, row.decline_reason) if declined else (None, None)
    return MyErasure(preview_erasure(uow, donor_id), asked, declined_at, reason)


def _request_of(session, donor_id: int) -> DonorErasureRequest | None:
    return session.execute(select(DonorErasureRequest)
                            .where(DonorErasureRequest.donor_id == donor_id)).scalar_one_or_none()


def request_erasure(uow: UnitOfWork, *, donor_id: int) -> MyErasure:
    """File the request once; asking again changes nothing, unless staff declined it: then it is open again."""
    with uow:
        own_donor(uow.session, donor_id)
        row = _request_of(uow.session, donor_id)
        if row is None:
            uow.session.add(DonorErasureRequest(donor_id=donor_id, requested_at=utcnow()))
            uow.session.flush()
            uow.audit("request_erasure", "donor", donor_id, new={"channel": "portal"},
                      reason="the donor's own request")
        elif row.outcome == "declined":
            old = {"outcome": row.outcome}
            row.requested_at, row.outcome, row.closed_at, row.closed_by, row.decline_reason = (
                utcnow(), None, None, None, None)
            uow.audit("request_erasure", "donor", donor_id, old=old, new={"channel": "portal", "outcome": None},
                      reason="the donor's own request, asked again after it was declined")
        uow.commit()
    return my_erasure(uow.again(), donor_id=donor_id)


@dataclass(frozen=True)
class ErasureRequestView:
    donor_id: int
    donor_number: str
    requested_on: date
    channel: str


def open_erasure_requests(uow: UnitOfWork) -> list[ErasureRequestView]:
    """Requests neither erased nor declined, oldest first: for the erasure use case's `requested_on`."""
    with uow:
        rows = uow.session.execute(
            select(DonorErasureRequest, Donor).join(Donor, Donor.id == DonorErasureRequest.donor_id)
            .where(DonorErasureRequest.outcome.is_(None))
            .order_by(DonorErasureRequest.requested_at, DonorErasureRequest.id)).all()
        return [ErasureRequestView(donor.id, donor.donor_number, request.requested_at.date(), "portal")
                for request, donor in rows if donor.erasure is None]


def requested_on(uow: UnitOfWork, *, donor_id: int) -> date | None:
    """The day the donor asked from their page for their data to be erased, if the request is open."""
    with uow:
        at = uow.session.execute(select(DonorErasureRequest.requested_at)
                                 .where(DonorErasureRequest.donor_id == donor_id,
                                        DonorErasureRequest.outcome.is_(None))).scalar()
        return at.date() if at else None


DECLINE_REASON_LENGTH = 1000


def decline_erasure_request(uow: UnitOfWork, *, donor_ref: int | str, reason: str) -> ErasureRequestView:
    """Decline a donor's open request, saying why in words the donor reads on their page; audited."""
    text = clean_text(reason, "reason", DECLINE_REASON_LENGTH, multiline=True)
    if not text:
        raise InvalidInput(N_("Say why the request is declined: the donor reads it on their page."))
    with uow:
        donor = find_person(uow.session, donor_ref)
        row = _request_of(uow.session, donor.id)
        if row is None:
            raise NotFound(N_("Donor %(number)s has not asked from their page for their data to be erased."),
                           params={"number": donor.donor_number})
        if row.outcome is not None or donor.erasure is not None:
            raise Conflict(N_("The erasure request of donor %(number)s was already answered."),
                           params={"number": donor.donor_number})
        row.outcome, row.closed_at, row.closed_by, row.decline_reason = "declined", utcnow(), uow.actor, text
        view = ErasureRequestView(donor.id, donor.donor_number, row.requested_at.date(), "portal")
        uow.audit("decline_erasure_request", "donor", donor.id, old={"outcome": None},
                  new={"outcome": "declined"}, reason=text)
        uow.commit()
        return view
