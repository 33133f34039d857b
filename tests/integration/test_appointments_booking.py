from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import time_machine

from bloodbank.adapters.db.models import Appointment, Deferral
from bloodbank.domain.errors import Conflict, DonorDeferred, InvalidInput, NotFound, OutOfHours
from bloodbank.service_layer.donors import appointments
from tests.integration.appointment_fixtures import (
    MONDAY, NOW, at, audit_entries, booked_in_slot, clerk, counts, get, make_donor, make_site,
)


@pytest.fixture(autouse=True)
def monday_morning():
    with time_machine.travel(NOW, tick=False):
        yield


def book(database, donor_id, site_id, when, **kw):
    return appointments.book(clerk(database), donor_id=donor_id, site_id=site_id, starts_at=when, **kw)


def test_the_slots_of_a_day_come_from_the_opening_hours_with_free_chairs(database):
    site = make_site(database, opening_hours={"mon": [["08:00", "09:00"], ["13:00", "13:30"]]}, chairs=2)
    result = appointments.available_slots(clerk(database), site_id=site, on=MONDAY)
    assert [(s.starts_at.time(), s.free) for s in result] == [
        (time(8, 0), 2), (time(8, 15), 2), (time(8, 30), 2), (time(8, 45), 2), (time(13, 0), 2), (time(13, 15), 2),
    ]
    assert all(s.starts_at.tzinfo is not None for s in result)


def test_a_closed_day_has_no_slots(database):
    site = make_site(database)
    assert appointments.available_slots(clerk(database), site_id=site, on=MONDAY + timedelta(days=6)) == []


def test_slots_already_started_are_not_offered(database):
    site = make_site(database)
    with time_machine.travel(at(15, 20), tick=False):
        result = appointments.available_slots(clerk(database), site_id=site, on=MONDAY)
    assert [s.starts_at.time() for s in result] == [time(15, 30), time(15, 45)]


def test_a_booking_takes_a_chair_and_is_audited(database):
    site, donor = make_site(database, rule_set="eu"), make_donor(database)
    appointment = book(database, donor, site, at(10, 15), kind="plasma")
    assert (appointment.status, appointment.kind, appointment.booked_by) == ("booked", "plasma", "clerk.ann")
    assert appointment.starts_at == at(10, 15)
    stored = get(database, Appointment, appointment.id)
    assert stored.starts_at == at(10, 15) and stored.starts_at.tzinfo is not None
    assert booked_in_slot(database, site, at(10, 15)) == 1
    free = {s.starts_at: s.free for s in appointments.available_slots(clerk(database), site_id=site, on=MONDAY)}
    assert free[at(10, 15)] == 3 and free[at(10, 30)] == 4
    [entry] = audit_entries(database, entity="appointment")
    assert (entry.action, entry.actor, entry.entity_id) == ("create", "clerk.ann", str(appointment.id))
    assert entry.new["status"] == "booked" and entry.new["donor_id"] == donor


def test_a_naive_time_is_read_on_the_sites_clock(database):
    site, donor = make_site(database, time_zone="Europe/Amsterdam"), make_donor(database)
    amsterdam = ZoneInfo("Europe/Amsterdam")
    appointment = book(database, donor, site, datetime(2026, 3, 2, 10, 15))
    assert appointment.starts_at == datetime(2026, 3, 2, 9, 15, tzinfo=timezone.utc)
    assert appointment.starts_at.tzinfo == amsterdam
    assert get(database, Appointment, appointment.id).starts_at == datetime(2026, 3, 2, 9, 15, tzinfo=timezone.utc)


def test_an_aware_time_is_converted_to_the_sites_clock_before_checking_the_hours(database):
    site, donor = make_site(database, time_zone="Europe/Amsterdam"), make_donor(database)
    # 07:30 UTC is 08:30 in Amsterdam: inside the hours there, before opening in UTC.
    assert book(database, donor, site, at(7, 30)).starts_at == at(7, 30)


@pytest.mark.parametrize("when, message", [
    (at(10, 7), r"10:07 on Mon 2026-03-02 is not a slot at S\d+: slots start every 15 minutes .*Mon 08:00-16:00"),
    (at(16, 0), "16:00 on Mon 2026-03-02 is not a slot"),
    (at(15, 50), "15:50 on Mon 2026-03-02 is not a slot"),
    (at(10, 0, MONDAY + timedelta(days=5)), r"closed on Saturday 2026-03-07\. Opening hours: Mon 08:00-16:00"),
    (at(10, 15).replace(second=30), "10:15 on Mon 2026-03-02 is not a slot"),
])
def test_a_time_out_of_hours_or_off_the_slot_grid_is_refused(database, when, message):
    site, donor = make_site(database), make_donor(database)
    before = counts(database)
    with pytest.raises(OutOfHours, match=message):
        book(database, donor, site, when)
    assert counts(database) == before


def test_a_slot_in_the_past_is_refused(database):
    site, donor = make_site(database), make_donor(database)
    before = counts(database)
    with time_machine.travel(at(10, 20), tick=False):
        with pytest.raises(InvalidInput, match="10:15 on Mon 2026-03-02 has already passed"):
            book(database, donor, site, at(10, 15))
        with pytest.raises(InvalidInput, match="already passed"):
            book(database, donor, site, at(9, 0, MONDAY - timedelta(days=7)))
    assert counts(database) == before


def test_a_donor_cannot_hold_two_appointments_on_one_day(database):
    site, other_site, donor = make_site(database), make_site(database, code="OTHER"), make_donor(database)
    first = book(database, donor, site, at(9, 0))
    before = counts(database)
    with pytest.raises(Conflict, match=rf"already has an appointment that day: S\d+ at 09:00 .*appointment {first.id}"):
        book(database, donor, other_site, at(14, 0))
    assert counts(database) == before


def test_overlapping_appointments_at_two_sites_are_refused(database):
    slow, quick = make_site(database, slot_minutes=60), make_site(database)
    donor = make_donor(database)
    book(database, donor, slow, at(9, 0))
    before = counts(database)
    with pytest.raises(Conflict, match="already has an appointment at that time: S\\d+ at 09:00"):
        book(database, donor, quick, at(9, 45))
    assert counts(database) == before


def test_appointments_either_side_of_midnight_are_on_two_days(database):
    late = make_site(database, slot_minutes=60, opening_hours={"mon": ["23:00", "24:00"]})
    early = make_site(database, opening_hours={"tue": ["00:00", "08:00"]})
    donor = make_donor(database)
    book(database, donor, late, at(23, 0))
    assert book(database, donor, early, at(0, 0, MONDAY + timedelta(days=1))).status == "booked"


def test_a_cancelled_appointment_does_not_hold_the_day(database):
    site, donor = make_site(database), make_donor(database)
    first = book(database, donor, site, at(9, 0))
    appointments.cancel(clerk(database), appointment_id=first.id, reason="donor asked")
    assert book(database, donor, site, at(11, 0)).status == "booked"


def test_an_appointment_of_a_merged_record_holds_the_day_for_the_survivor(database):
    site, survivor = make_site(database), make_donor(database)
    merged = make_donor(database, merged_into_id=survivor)
    with pytest.raises(Conflict, match="was merged into donor"):
        book(database, merged, site, at(9, 0))
    book(database, survivor, site, at(9, 0))
    assert [a.donor_id for a in appointments.upcoming_for_donor(clerk(database), survivor)] == [survivor]


def test_an_unknown_donor_or_site_is_refused(database):
    site, donor = make_site(database), make_donor(database)
    with pytest.raises(NotFound, match="No donor with id 9999"):
        book(database, 9999, site, at(9, 0))
    with pytest.raises(NotFound, match="No site with id 9999"):
        book(database, donor, 9999, at(9, 0))
    assert counts(database)["appointment"] == 0


def test_an_inactive_site_takes_no_bookings(database):
    site, donor = make_site(database, active=False), make_donor(database)
    with pytest.raises(Conflict, match="is not active: it takes no bookings"):
        book(database, donor, site, at(9, 0))
    with pytest.raises(Conflict, match="not active"):
        appointments.available_slots(clerk(database), site_id=site, on=MONDAY)
    assert counts(database)["appointment"] == 0


def test_an_unknown_donation_kind_is_refused(database):
    site, donor = make_site(database), make_donor(database)
    with pytest.raises(InvalidInput, match="Unknown donation kind 'bone_marrow'"):
        book(database, donor, site, at(9, 0), kind="bone_marrow")


def test_a_donor_deferred_on_the_day_cannot_be_booked(database):
    site_id = make_site(database)
    donor_id = make_donor(database)
    with database.sessions() as s, s.begin():
        s.add(Deferral(donor_id=donor_id, code="tattoo", kind="temporary", reason="", decided_by="dr.eva",
                       starts_on=MONDAY - timedelta(days=30), ends_on=MONDAY + timedelta(days=90)))
    before = counts(database)
    with pytest.raises(DonorDeferred, match="deferred until"):
        book(database, donor_id, site_id, at(9, day=MONDAY + timedelta(days=1)))
    assert counts(database) == before
