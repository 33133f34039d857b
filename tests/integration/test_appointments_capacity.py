import threading
from datetime import timedelta

import pytest
import time_machine

from bloodbank.adapters.db.models import Appointment
from bloodbank.domain.errors import CapacityFull
from bloodbank.service_layer.donors import appointments, sites
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from tests.integration.appointment_fixtures import (
    MONDAY, NOW, at, booked_in_slot, clerk, counts, make_donor, make_donors, make_site,
)


@pytest.fixture(autouse=True)
def monday_morning():
    with time_machine.travel(NOW, tick=False):
        yield


def book(database, donor_id, site_id, when):
    return appointments.book(clerk(database), donor_id=donor_id, site_id=site_id, starts_at=when)


def fill(database, site_id, when, chairs):
    return [book(database, donor, site_id, when) for donor in make_donors(database, chairs)]


def test_a_full_slot_refuses_one_more_and_names_the_next_free_slot(database):
    site = make_site(database, chairs=4)
    fill(database, site, at(10, 15), 4)
    late = make_donor(database)
    before = counts(database)
    with pytest.raises(CapacityFull, match="All 4 chairs are booked at 10:15; next free slot: 10:30"):
        book(database, late, site, at(10, 15))
    assert counts(database) == before
    assert booked_in_slot(database, site, at(10, 15)) == 4


def test_the_next_free_slot_may_be_on_a_later_day(database):
    site = make_site(database, chairs=1, opening_hours={"mon": ["15:30", "16:00"], "wed": ["09:00", "10:00"]})
    fill(database, site, at(15, 30), 1)
    fill(database, site, at(15, 45), 1)
    with pytest.raises(CapacityFull, match="next free slot: Wed 2026-03-04 09:00"):
        book(database, make_donor(database), site, at(15, 30))


def test_a_site_with_no_free_slot_for_two_weeks_says_so(database):
    site = make_site(database, chairs=1, opening_hours={"mon": ["15:45", "16:00"]})
    fill(database, site, at(15, 45), 1)
    for week in (1, 2):
        fill(database, site, at(15, 45, MONDAY + timedelta(days=7 * week)), 1)
    with pytest.raises(CapacityFull, match="next free slot: none in the next 14 days"):
        book(database, make_donor(database), site, at(15, 45))


def test_a_full_slot_shows_no_free_chairs(database):
    site = make_site(database, chairs=2)
    fill(database, site, at(9, 0), 2)
    free = {s.starts_at: s.free for s in appointments.available_slots(clerk(database), site_id=site, on=MONDAY)}
    assert free[at(9, 0)] == 0 and free[at(9, 15)] == 2


def test_a_cancellation_frees_the_chair(database):
    site = make_site(database, chairs=2)
    first, _ = fill(database, site, at(9, 0), 2)
    appointments.cancel(clerk(database), appointment_id=first.id, reason="donor is travelling")
    assert booked_in_slot(database, site, at(9, 0)) == 1
    assert book(database, make_donor(database), site, at(9, 0)).status == "booked"
    assert booked_in_slot(database, site, at(9, 0)) == 2


def test_fewer_chairs_than_bookings_keeps_the_bookings_and_shows_no_negative_room(database):
    site = make_site(database, chairs=3)
    held = fill(database, site, at(9, 0), 3)
    sites.update_site(clerk(database), site, reason="one chair broken", chairs=2)
    free = {s.starts_at: s.free for s in appointments.available_slots(clerk(database), site_id=site, on=MONDAY)}
    assert free[at(9, 0)] == 0
    assert [a.status for a in appointments.list_for_site_day(clerk(database), site_id=site, on=MONDAY)] == [
        "booked"] * 3
    with pytest.raises(CapacityFull, match="All 2 chairs are booked at 09:00"):
        book(database, make_donor(database), site, at(9, 0))
    appointments.cancel(clerk(database), appointment_id=held[0].id)
    # Still two held for two chairs: the slot stays full until another leaves.
    with pytest.raises(CapacityFull):
        book(database, make_donor(database), site, at(9, 0))


@pytest.mark.parametrize("clerks, chairs", [(8, 3)])
def test_clerks_booking_the_same_slot_at_once_never_overbook_it(database, clerks, chairs):
    site = make_site(database, chairs=chairs)
    donors = make_donors(database, clerks)
    barrier = threading.Barrier(clerks)
    outcomes: list[object] = [None] * clerks

    def desk(i: int) -> None:
        uow = UnitOfWork(database, actor=f"clerk.{i}")
        barrier.wait()
        try:
            outcomes[i] = appointments.book(uow, donor_id=donors[i], site_id=site, starts_at=at(10, 15))
        except Exception as error:  # an unexpected error is shown by the asserts below
            outcomes[i] = error

    threads = [threading.Thread(target=desk, args=(i,)) for i in range(clerks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    booked = [o for o in outcomes if isinstance(o, appointments.AppointmentView)]
    refused = [o for o in outcomes if isinstance(o, CapacityFull)]
    assert len(booked) == chairs, outcomes
    assert len(refused) == clerks - chairs, outcomes
    assert booked_in_slot(database, site, at(10, 15)) == chairs
    assert counts(database)["appointment"] == chairs
    with database.sessions() as session:
        assert session.query(Appointment).filter_by(status="booked").count() == chairs
