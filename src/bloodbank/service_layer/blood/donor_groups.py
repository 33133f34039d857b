"""The donor's group as labels may use it: known, confirmed and not in dispute."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Donor
from bloodbank.domain.blood_groups import parse_group
from bloodbank.service_layer.donors.deferral_lookup import survivor


def recorded_group(session: Session, donor_id: int) -> str | None:
    """The donor's group as the laboratory confirmed it, or None while unknown, only declared or disputed.

    A group the donor declared at registration is a hint for appeals: a unit labelled with it would be
    refused at release the day the typing disagreed, with nothing left to regroup it.
    """
    donor = _current_donor(session, donor_id)
    if donor is None or donor.group_discrepancy or not donor.blood_group or not donor.blood_group_confirmed:
        return None
    try:
        return str(parse_group(donor.blood_group))
    except ValueError:
        return None


def group_disputed(session: Session, donor_id: int) -> bool:
    donor = _current_donor(session, donor_id)
    return donor is None or donor.group_discrepancy


def _current_donor(session: Session, donor_id: int) -> Donor | None:
    return survivor(session, session.get(Donor, donor_id))
