"""The donor card: the donor number in print and as a barcode, credit-card size, as a PDF."""

from __future__ import annotations

from dataclasses import dataclass

from bloodbank.adapters.labels.donor_card import donor_card_pdf
from bloodbank.service_layer.donors.registry import get_donor
from bloodbank.service_layer.donors.search import find_donor_by_number
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class DonorCard:
    donor_number: str
    pdf: bytes


def donor_card(uow: UnitOfWork, donor_id: int) -> DonorCard:
    """The card of the record that holds the donor now (a merged record gives its survivor's)."""
    view = get_donor(uow, donor_id)
    return DonorCard(view.donor_number, donor_card_pdf(view))


def donor_card_by_number(uow: UnitOfWork, number: str) -> DonorCard:
    view = find_donor_by_number(uow, number)
    return DonorCard(view.donor_number, donor_card_pdf(view))
