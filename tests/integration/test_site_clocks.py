"""Each site cuts its days on its own clock: west of UTC, east of UTC, and across a daylight-saving change."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import time_machine

from bloodbank.adapters.db.models import Site
from bloodbank.domain import components
from bloodbank.domain.errors import Conflict
from bloodbank.domain.processing import regime_for_rule_set
from bloodbank.service_layer.blood import processing
from bloodbank.service_layer.donors import appointments, chair, visits
from tests.integration import processing_fixtures as blood
from tests.integration import visit_fixtures as desk

NEW_YORK, DAMASCUS, LONDON = ZoneInfo("America/New_York"), ZoneInfo("Asia/Damascus"), ZoneInfo("Europe/London")
UTC = timezone.utc


def set_site(database, site_id: int, **values) -> None:
    with database.sessions() as session, session.begin():
        row = session.get(Site, site_id)
        for key, value in values.items():
            setattr(row, key, value)


def test_a_unit_collected_in_the_evening_in_new_york_expires_at_the_end_of_its_new_york_day(database):
    site = blood.make_site(database, rule_set="us-fda")
    set_site(database, site, time_zone="America/New_York")
    regime = regime_for_rule_set("us-fda")
    # 20:00 in New York on 4 December is already 01:00 on 5 December in UTC.
    with time_machine.travel(datetime(2026, 12, 5, 2, 0, tzinfo=UTC), tick=False):
        donation = blood.make_donation(database, site_id=site, age=timedelta(hours=1))
        views = processing.process_donation(blood.clerk(database), donation_id=donation, method="prp")
    assert {unit.kind for unit in views} >= {"red_cells", "plasma"}
    for unit in views:
        local = unit.expires_at.astimezone(NEW_YORK)
        expected = components.expiry(unit.kind, datetime(2026, 12, 4, 20, 0, tzinfo=NEW_YORK), regime=regime)
        assert unit.expires_at == expected
        assert local.time() == time(23, 59)
        # Cut in UTC the collection day would be the 5th: the unit would live about 19 hours too long.
        cut_in_utc = components.expiry(unit.kind, datetime(2026, 12, 5, 1, 0, tzinfo=UTC), regime=regime)
        assert cut_in_utc - unit.expires_at > timedelta(hours=18)


@pytest.fixture
def damascus_desk(database):
    site = desk.make_site(database, time_zone="Asia/Damascus")
    return site, desk.make_donor(database)


def test_the_desks_today_in_damascus_starts_at_local_midnight_not_utc_midnight(database, damascus_desk):
    site, donor = damascus_desk
    # 22:30 UTC on 4 December is 01:30 on 5 December in Damascus (UTC+3).
    night = desk.make_visit(database, donor_id=donor, site_id=site, checked_in_at=datetime(2026, 12, 4, 22, 30,
                                                                                          tzinfo=UTC))
    before_midnight = desk.make_visit(database, donor_id=desk.make_donor(database), site_id=site,
                                      checked_in_at=datetime(2026, 12, 4, 20, 30, tzinfo=UTC))
    with time_machine.travel(datetime(2026, 12, 5, 5, 0, tzinfo=UTC), tick=False):
        listed = [v.id for v in visits.list_open_visits(desk.clerk(database), site)]
    assert listed == [night]
    assert before_midnight not in listed


def test_a_second_visit_on_the_same_damascus_day_is_refused_though_utc_has_changed_date(database, damascus_desk):
    site, donor = damascus_desk
    desk.make_visit(database, donor_id=donor, site_id=site, checked_in_at=datetime(2026, 12, 4, 21, 30, tzinfo=UTC))
    # 05:00 UTC on the 5th is 08:00 in Damascus, the same local day as 00:30 that night.
    with time_machine.travel(datetime(2026, 12, 5, 5, 0, tzinfo=UTC), tick=False):
        with pytest.raises(Conflict, match="already has an open visit today"):
            visits.check_in(desk.clerk(database), donor_id=donor, site_id=site)


def test_the_chairs_board_in_damascus_shows_the_collections_of_its_own_day(database, damascus_desk):
    site, _ = damascus_desk
    with time_machine.travel(datetime(2026, 12, 5, 5, 0, tzinfo=UTC), tick=False):
        # 01:30 on the 5th in Damascus, and 23:30 on the 4th.
        after_midnight = blood.make_donation(database, site_id=site, age=timedelta(hours=6, minutes=30))
        blood.make_donation(database, site_id=site, age=timedelta(hours=8, minutes=30))
        board = chair.collection_board(desk.clerk(database), site_id=site)
    assert [line.donation_id for line in board.today] == [after_midnight]


def test_slots_in_london_follow_british_summer_time_after_the_clocks_go_forward(database):
    site = desk.make_site(database, time_zone="Europe/London",
                          opening_hours={"sat": ["08:00", "09:00"], "mon": ["08:00", "09:00"]}, slot_minutes=30)
    with time_machine.travel(datetime(2027, 3, 26, 12, 0, tzinfo=UTC), tick=False):
        winter = appointments.available_slots(desk.clerk(database), site_id=site, on=date(2027, 3, 27))
        summer = appointments.available_slots(desk.clerk(database), site_id=site, on=date(2027, 3, 29))
    assert [s.starts_at.astimezone(UTC).time() for s in winter] == [time(8, 0), time(8, 30)]
    assert [s.starts_at.astimezone(UTC).time() for s in summer] == [time(7, 0), time(7, 30)]
    assert [s.starts_at.astimezone(LONDON).time() for s in summer] == [time(8, 0), time(8, 30)]


def test_a_booking_typed_in_damascus_wall_clock_is_stored_as_the_utc_instant(database, damascus_desk):
    site, donor = damascus_desk
    set_site(database, site, opening_hours={"sat": ["08:00", "12:00"]})
    with time_machine.travel(datetime(2026, 12, 4, 12, 0, tzinfo=UTC), tick=False):
        booked = appointments.book(desk.clerk(database), donor_id=donor, site_id=site,
                                   starts_at=datetime(2026, 12, 5, 9, 0))
    assert booked.starts_at.astimezone(UTC) == datetime(2026, 12, 5, 6, 0, tzinfo=UTC)
    assert booked.starts_at.utcoffset() == timedelta(hours=3)
