"""The DIN label sheet printed when the needle goes in: one DIN on the bag, each sample tube and the donor record."""

from __future__ import annotations

from bloodbank.adapters.db.models import Donation, Site
from bloodbank.adapters.labels.din_labels import din_label_sheet
from bloodbank.domain.errors import (
    InvalidInput, NotFound,
)
from bloodbank.service_layer.donors.collection import donation_din
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


SAMPLE_TUBES = 4


def din_labels_pdf(uow: UnitOfWork, *, donation_id: int, tubes: int = SAMPLE_TUBES) -> bytes:
    """The sheet printed when the needle goes in: the bag, each sample tube and the donor record carry one DIN.

    Reading it changes nothing: the unit label that release checks is printed later, in processing.
    """
    if isinstance(tubes, bool) or not isinstance(tubes, int) or not 1 <= tubes <= 6:
        raise InvalidInput("Print 1 to 6 sample tube labels.")
    with uow:
        s = uow.session
        row = s.get(Donation, donation_id)
        if row is None:
            raise NotFound(f"No donation with id {donation_id}.")
        site = s.get(Site, row.site_id)
        din = donation_din(row)
        captions = ["BAG", *[f"SAMPLE TUBE {n}" for n in range(1, tubes + 1)], "DONOR RECORD"]
        return din_label_sheet(din, captions, site=site.name if site else "", collected=row.started_at)
