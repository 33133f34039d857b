"""A donor's own data: the copy of everything held about them, and a request to erase it.

The copy is the one staff make on request (`donors.data_copy`). The request is
not the erasure: it is filed, audited, and listed for a medical director, who
erases through the signed erasure use case; the donor is shown first what will
be erased and what traceability keeps, with its reasons.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from bloodbank.adapters.db.models import Donor, DonorErasureRequest
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.service_layer.donor_portal.my_record import own_donor
from bloodbank.adapters.labels.lettering import Catalogue
from bloodbank.service_layer.donors.data_copy import DataCopy, data_copy, data_copy_document
from bloodbank.service_layer.donors.erasure import ErasureStatement, preview_erasure
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


def my_erasure(uow: UnitOfWork, *, donor_id: int) -> MyErasure:
    with uow.again() as check:
        own_donor(check.session, donor_id)
        asked = check.session.execute(select(DonorErasureRequest.requested_at)
                                      .where(DonorErasureRequest.donor_id == donor_id)).scalar()
    return MyErasure(preview_erasure(uow, donor_id), asked)


def request_erasure(uow: UnitOfWork, *, donor_id: int) -> MyErasure:
    """File the request once; asking again changes nothing."""
    with uow:
        own_donor(uow.session, donor_id)
        if uow.session.execute(select(DonorErasureRequest.id)
                               .where(DonorErasureRequest.donor_id == donor_id)).first() is None:
            row = DonorErasureRequest(donor_id=donor_id, requested_at=utcnow())
            uow.session.add(row)
            uow.session.flush()
            uow.audit("request_erasure", "donor", donor_id, new={"channel": "portal"},
                      reason="the donor's own request")
        uow.commit()
    return my_erasure(uow.again(), donor_id=donor_id)


@dataclass(frozen=True)
class ErasureRequestView:
    donor_id: int
    donor_number: str
    requested_on: date
    channel: str


def open_erasure_requests(uow: UnitOfWork) -> list[ErasureRequestView]:
    """Requests not yet acted on (the record not erased), oldest first: for the erasure use case's `requested_on`."""
    with uow:
        rows = uow.session.execute(
            select(DonorErasureRequest, Donor).join(Donor, Donor.id == DonorErasureRequest.donor_id)
            .order_by(DonorErasureRequest.requested_at)).all()
        return [ErasureRequestView(donor.id, donor.donor_number, request.requested_at.date(), "portal")
                for request, donor in rows if donor.erasure is None]


def requested_on(uow: UnitOfWork, *, donor_id: int) -> date | None:
    """The day the donor asked from their page for their data to be erased, if they did."""
    with uow:
        at = uow.session.execute(select(DonorErasureRequest.requested_at)
                                 .where(DonorErasureRequest.donor_id == donor_id)).scalar()
        return at.date() if at else None
