"""The donor card: the donor number in print and as a barcode, credit-card size, as a PDF."""

from __future__ import annotations

from dataclasses import dataclass

from bloodbank.adapters.labels.donor_card import donor_card_pdf
from bloodbank.adapters.labels.lettering import Catalogue, lettering_in
from bloodbank.domain.errors import Conflict
from bloodbank.service_layer.donors.registry import DonorView, get_donor
from bloodbank.service_layer.donors.search import find_donor_by_number
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class DonorCard:
    donor_number: str
    pdf: bytes
    language: str = "en"


def donor_card(uow: UnitOfWork, donor_id: int, *, language: str | None = None, catalogue: Catalogue | None = None,
               qr: bool = False) -> DonorCard:
    """The card of the record that holds the donor now (a merged record gives its survivor's), in the donor's
    recorded language, else in `language` (the reader's); `catalogue` gives a language's words. `qr`: the
    number as a QR code too, for the donor's own copy shown on a phone."""
    return _card(get_donor(uow, donor_id), language, catalogue, qr)


def donor_card_by_number(uow: UnitOfWork, number: str, *, language: str | None = None,
                         catalogue: Catalogue | None = None) -> DonorCard:
    return _card(find_donor_by_number(uow, number), language, catalogue, False)


def _card(view: DonorView, language: str | None, catalogue: Catalogue | None, qr: bool) -> DonorCard:
    if view.erased:
        raise Conflict(f"Record {view.donor_number} was erased at the donor's request: no card is printed for it.")
    # The card is the donor's: it speaks their language wherever it is printed, the desk's printer included.
    lettering = lettering_in(view.language or language, catalogue)
    return DonorCard(view.donor_number, donor_card_pdf(view, lettering, qr=qr), lettering.language)
