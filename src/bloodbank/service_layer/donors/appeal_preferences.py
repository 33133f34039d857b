"""The donor's own terms for appeals: whether at all, when they may be contacted, how often, and how.

Unset hours, limit or channels mean the rule data's defaults (`rules/appeals.toml`)
and whichever contact is on file; an appeal respects them all (`crisis.appeal_selection`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bloodbank.domain.errors import InvalidInput
from bloodbank.service_layer.donors.deferrals import current_donor
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

CHANNELS = ("sms", "email")


@dataclass(frozen=True)
class AppealPreferences:
    donor_id: int
    appeals_opt_in: bool
    contact_from_hour: int | None
    contact_until_hour: int | None
    monthly_limit: int | None
    channels: tuple[str, ...]  # in order of preference; empty: whichever contact is on file


def _hours(start: int | None, end: int | None) -> tuple[int | None, int | None]:
    if (start is None) != (end is None):
        raise InvalidInput("Give both contact hours (from and until), or neither.")
    if start is None:
        return None, None
    if isinstance(start, bool) or isinstance(end, bool) or not 0 <= start <= 23 or not 1 <= end <= 24 \
            or start == end:
        raise InvalidInput("Contact hours run from an hour 0-23 until an hour 1-24, and are not the same hour.")
    return start, end


def _channels(channels: list[str] | tuple[str, ...] | None) -> str | None:
    if not channels:
        return None
    wanted = [str(c).strip().lower() for c in channels]
    if any(c not in CHANNELS for c in wanted) or len(set(wanted)) != len(wanted):
        raise InvalidInput("Channels are 'sms' and 'email', each at most once, in the donor's order.")
    return ",".join(wanted)


def set_appeal_preferences(uow: UnitOfWork, donor_id: int, *, appeals_opt_in: bool,
                           contact_from_hour: int | None = None, contact_until_hour: int | None = None,
                           monthly_limit: int | None = None,
                           channels: list[str] | tuple[str, ...] | None = None) -> AppealPreferences:
    if not isinstance(appeals_opt_in, bool):
        raise InvalidInput("Say yes or no to appeals.")
    start, end = _hours(contact_from_hour, contact_until_hour)
    if monthly_limit is not None and (isinstance(monthly_limit, bool) or not 1 <= monthly_limit <= 31):
        raise InvalidInput("The monthly limit of appeals is from 1 to 31.")
    listed = _channels(channels)
    with uow:
        donor = current_donor(uow.session, donor_id)
        if donor.erasure is not None:
            raise InvalidInput("This record was erased at the donor's request: it takes no change.")
        fields = ("appeals_opt_in", "appeal_contact_from_hour", "appeal_contact_until_hour", "appeal_monthly_limit",
                  "appeal_channels")
        old = {f: getattr(donor, f) for f in fields}
        new = dict(zip(fields, (appeals_opt_in, start, end, monthly_limit, listed)))
        if old != new:
            for field, value in new.items():
                setattr(donor, field, value)
            uow.audit("appeal_preferences", "donor", donor.id, old=old, new=new, reason="the donor's own choice")
        view = AppealPreferences(donor.id, appeals_opt_in, start, end, monthly_limit,
                                 tuple(listed.split(",")) if listed else ())
        uow.commit()
        return view
