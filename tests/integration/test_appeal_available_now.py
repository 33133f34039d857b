"""An appeal asks first, within the group and day it needs, the donors who said on their page "I can come now":
still only if opted in, in reach, eligible, within their limits and their contact hours (the monthly limit is
the same rule as the cool-down's, and tests/unit/test_appeal_selection.py checks every limit for any answer)."""

from __future__ import annotations

import pytest

from datetime import timedelta

from sqlalchemy import select

from bloodbank.adapters.db.models import AppealInvitation, DonorPortalChoice
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.service_layer.crisis import appeals, incidents
from tests.integration.appeal_fixtures import (
    booked_ten_hours_on,
    appeal_params, link_secret, make_appeal_donor, make_appeal_site, outside_contact_hours_now,
)
from tests.integration.crisis_fixtures import o_negative_only
from tests.integration.inventory_fixtures import clerk

__all__ = ["link_secret", "booked_ten_hours_on"]
# The appeal sized against a known first booking, whatever the hour the suite runs at.
pytestmark = pytest.mark.usefixtures("booked_ten_hours_on")
EXACT = dict(response_rate=1.0, show_up_rate=1.0)


def can_come_now(database, donor_id: int, *, hours: float = 10) -> int:
    with database.sessions() as s, s.begin():
        s.add(DonorPortalChoice(donor_id=donor_id, blood_used_opt_in=False,
                                available_until=utcnow() + timedelta(hours=hours)))
    return donor_id


def start(database) -> list[AppealInvitation]:
    incident = incidents.declare(clerk(database, "inventory"), place="Central station", kind="explosion",
                                 expected={"severe": 10}).id
    appeals.start(clerk(database, "inventory"), incident_id=incident, params=appeal_params(**EXACT),
                  forecast_params=o_negative_only())
    with database.sessions() as s:
        return s.execute(select(AppealInvitation).order_by(AppealInvitation.id)).scalars().all()


def test_a_donor_who_can_come_now_is_invited_before_an_otherwise_equal_one(database, link_secret):
    make_appeal_site(database)
    nearest = [make_appeal_donor(database, km_north=k) for k in (1, 2)]
    # Equal in every way the ranking looks at (group, distance to the km, no donation), the first on file first.
    equal = make_appeal_donor(database, km_north=5)
    ready = can_come_now(database, make_appeal_donor(database, km_north=5))
    lapsed = can_come_now(database, make_appeal_donor(database, km_north=5), hours=-1)

    rows = start(database)

    # Three invitations wanted (as in the plain appeal): the two nearest, then who can come now before the equal.
    invited = [r.donor_id for r in rows]
    assert sorted(invited) == sorted([*nearest, ready])
    assert equal not in invited and lapsed not in invited
    [why] = [r.reason for r in rows if r.donor_id == ready]
    assert "said they can come now" in why


def test_who_can_come_now_further_off_is_found_beyond_the_nearest_and_asked_first(database, link_secret):
    make_appeal_site(database)
    for k in range(1, 9):
        make_appeal_donor(database, km_north=k / 2)
    # Beyond the short list of the nearest, still within the radius.
    far = can_come_now(database, make_appeal_donor(database, km_north=20))
    beyond = can_come_now(database, make_appeal_donor(database, km_north=60))

    invited = [r.donor_id for r in start(database)]

    assert far in invited and beyond not in invited and len(invited) == 3


def test_saying_i_can_come_now_lifts_neither_quiet_hours_nor_the_cool_down_nor_eligibility(database, link_secret):
    make_appeal_site(database)
    near = [make_appeal_donor(database, km_north=k) for k in (1, 2, 3)]
    asleep = can_come_now(database, make_appeal_donor(database, km_north=0.5, contact=outside_contact_hours_now()))
    rested = can_come_now(database, make_appeal_donor(database, km_north=0.5,
                                                      last_appealed_at=utcnow() - timedelta(days=3)))
    too_young = can_come_now(database, make_appeal_donor(
        database, km_north=0.5, born=utcnow().date().replace(year=utcnow().year - 15)))
    stopped = can_come_now(database, make_appeal_donor(database, km_north=0.5, opt_in=False))

    invited = [r.donor_id for r in start(database)]

    assert sorted(invited) == sorted(near)
    assert not {asleep, rested, too_young, stopped} & set(invited)
