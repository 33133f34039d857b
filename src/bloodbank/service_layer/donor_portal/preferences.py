"""A donor's contact preferences from their page: the appeal preferences the desk sets, "your blood was used",
and "I can come now"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bloodbank.adapters.db.models import Donor, DonorPortalChoice
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import donor_portal as portal
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.messages import N_
from bloodbank.service_layer.donor_portal.my_record import own_donor
from bloodbank.service_layer.donors.appeal_preferences import AppealPreferences, set_appeal_preferences
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class MyPreferences:
    appeals: AppealPreferences
    blood_used_opt_in: bool
    # "I can come now" holds until this instant; None: off.
    available_until: datetime | None


def my_preferences(uow: UnitOfWork, *, donor_id: int) -> MyPreferences:
    with uow:
        donor = own_donor(uow.session, donor_id)
        choice = uow.session.get(DonorPortalChoice, donor.id)
        appeals = AppealPreferences(donor.id, donor.appeals_opt_in, donor.appeal_contact_from_hour,
                                    donor.appeal_contact_until_hour, donor.appeal_monthly_limit,
                                    tuple(donor.appeal_channels.split(",")) if donor.appeal_channels else ())
        until = choice.available_until if choice and choice.available_until and choice.available_until > utcnow() \
            else None
        return MyPreferences(appeals, bool(choice and choice.blood_used_opt_in), until)


def set_my_preferences(uow: UnitOfWork, *, donor_id: int, appeals_opt_in: bool, contact_from_hour: int | None,
                       contact_until_hour: int | None, monthly_limit: int | None, channels: list[str] | None,
                       blood_used_opt_in: bool, available_now: bool) -> MyPreferences:
    if not isinstance(blood_used_opt_in, bool) or not isinstance(available_now, bool):
        raise InvalidInput(N_("Say yes or no."))
    with uow.again() as check:
        own_donor(check.session, donor_id)
    set_appeal_preferences(uow.again(), donor_id, appeals_opt_in=appeals_opt_in, contact_from_hour=contact_from_hour,
                           contact_until_hour=contact_until_hour, monthly_limit=monthly_limit, channels=channels)
    now = utcnow()
    with uow:
        choice = uow.session.get(DonorPortalChoice, donor_id)
        if choice is None:
            choice = DonorPortalChoice(donor_id=donor_id, blood_used_opt_in=False, available_until=None)
            uow.session.add(choice)
        old = {"blood_used_opt_in": choice.blood_used_opt_in, "available": choice.available_until is not None
               and choice.available_until > now}
        choice.blood_used_opt_in = blood_used_opt_in
        if available_now != old["available"]:
            choice.available_until = now + portal.AVAILABLE_FOR if available_now else None
        new = {"blood_used_opt_in": blood_used_opt_in, "available": available_now}
        if old != new:
            uow.audit("portal_choices", "donor", donor_id, old=old, new=new, reason="the donor's own choice")
        uow.commit()
    return my_preferences(uow.again(), donor_id=donor_id)


@dataclass(frozen=True)
class AvailableDonor:
    donor_id: int
    donor_number: str
    blood_group: str | None  # once confirmed
    available_until: datetime


def available_now(uow: UnitOfWork) -> list[AvailableDonor]:
    """Donors who said "I can come now" and whose word still holds, soonest to lapse first: for an emergency's
    call list. An erased record is never listed."""
    now = utcnow()
    with uow:
        rows = uow.session.execute(
            select(DonorPortalChoice, Donor).join(Donor, Donor.id == DonorPortalChoice.donor_id)
            .where(DonorPortalChoice.available_until > now, Donor.merged_into_id.is_(None))
            .order_by(DonorPortalChoice.available_until, Donor.id)).all()
        return [AvailableDonor(donor.id, donor.donor_number, donor.blood_group if donor.blood_group_confirmed else None,
                               choice.available_until) for choice, donor in rows if donor.erasure is None]
