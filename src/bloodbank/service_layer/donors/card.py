"""The donor card: the donor number in print and as a barcode, credit-card size, as a PDF."""

from __future__ import annotations

from dataclasses import dataclass

from bloodbank.adapters.labels.donor_card import donor_card_pdf
from bloodbank.domain.errors import Conflict
from bloodbank.service_layer.donors.registry import DonorView, get_donor
from bloodbank.service_layer.donors.search import find_donor_by_number
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class DonorCard:
    donor_number: str
    pdf: bytes


def donor_card(uow: UnitOfWork, donor_id: int, words: dict[str, str] | None = None) -> DonorCard:
    """The card of the record that holds the donor now (a merged record gives its survivor's); `words`: the
    card's words in the reader's language, for the donor's own copy."""
    return _card(get_donor(uow, donor_id), words)


def donor_card_by_number(uow: UnitOfWork, number: str) -> DonorCard:
    return _card(find_donor_by_number(uow, number))


def _card(view: DonorView, words: dict[str, str] | None = None) -> DonorCard:
    if view.erased:
        raise Conflict(f"Record {view.donor_number} was erased at the donor's request: no card is printed for it.")
    return DonorCard(view.donor_number, donor_card_pdf(view, words, qr=words is not None))
