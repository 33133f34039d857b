"""The person behind a donor record: found by id or donor number, a merged record leading to its survivor."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Donor
from bloodbank.domain.errors import NotFound
from bloodbank.service_layer.donors.deferral_lookup import survivor


def find_person(session: Session, donor_ref: str | int) -> Donor:
    """By id or donor number; a merged record leads to the record it was merged into."""
    if isinstance(donor_ref, int) and not isinstance(donor_ref, bool):
        donor = session.get(Donor, donor_ref)
    else:
        number = re.sub(r"[\s\-]+", "", str(donor_ref or "")).upper()
        donor = session.execute(select(Donor).where(Donor.donor_number == number)).scalar_one_or_none()
    if donor is None:
        raise NotFound(f"No donor {donor_ref}.")
    return survivor(session, donor)
