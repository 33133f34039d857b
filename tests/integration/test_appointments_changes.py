from datetime import timedelta

import pytest
import time_machine

from bloodbank.adapters.db.models import Appointment
from bloodbank.domain.errors import InvalidTransition, NotFound
from bloodbank.service_layer.donors import appointments
from tests.integration.appointment_fixtures import (
    MONDAY, NOW, at, audit_entries, booked_in_slot, clerk, counts, get, make_donor, make_site,
)


@pytest.fixture(autouse=True)
def monday_morning():
    with time_machine.travel(NOW, tick=False):
        yield


def booked(database, when=None, site=None, donor=None):
    site = site or make_site(database)
    donor = donor or make_donor(database)
    return appointments.book(clerk(database), donor_id=donor, site_id=site, starts_at=when or at(9, 0))


def test_a_cancellation_is_audited_with_its_reason(database):
    appointment = booked(database)
    result = appointments.cancel(clerk(database, "clerk.bob"), appointment_id=appointment.id, reason="donor is ill")
    assert result.status == "cancelled" and result.status_changed_at == NOW
    entry = audit_entries(database, entity="appointment")[-1]
    assert (entry.action, entry.actor, entry.reason) == ("update", "clerk.bob", "donor is ill")
    assert entry.old["status"] == "booked" and entry.new["status"] == "cancelled"


@pytest.mark.parametrize("status", ["cancelled", "checked_in", "no_show"])
def test_only_a_booked_appointment_can_be_cancelled(database, status):
    appointment = booked(database)
    with database.sessions() as session:
        session.get(Appointment, appointment.id).status = status
        session.commit()
    before = counts(database)
    with pytest.raises(InvalidTransition, match=f"is {status.replace('_', ' ')}: only a booked appointment can be cancelled"):
        appointments.cancel(clerk(database), appointment_id=appointment.id)
    assert counts(database) == before


def test_cancelling_twice_does_not_free_a_second_chair(database):
    site = make_site(database)
    first = booked(database, site=site)
    booked(database, site=site)
    appointments.cancel(clerk(database), appointment_id=first.id)
    with pytest.raises(InvalidTransition, match="is cancelled"):
        appointments.cancel(clerk(database), appointment_id=first.id)
    assert booked_in_slot(database, site, at(9, 0)) == 1


def test_an_unknown_appointment_is_not_found(database):
    with pytest.raises(NotFound, match="No appointment with id 42"):
        appointments.cancel(clerk(database), appointment_id=42)
    with pytest.raises(NotFound, match="No appointment with id 42"):
        appointments.mark_no_show(clerk(database), appointment_id=42)


def test_a_no_show_is_recorded_after_the_start_time_and_keeps_the_chair(database):
    site = make_site(database)
    appointment = booked(database, site=site)
    with time_machine.travel(at(9, 1), tick=False):
        result = appointments.mark_no_show(clerk(database), appointment_id=appointment.id)
    assert result.status == "no_show"
    assert get(database, Appointment, appointment.id).status == "no_show"
    assert booked_in_slot(database, site, at(9, 0)) == 1
    entry = audit_entries(database, entity="appointment")[-1]
    assert (entry.old["status"], entry.new["status"]) == ("booked", "no_show")


def test_a_no_show_cannot_be_recorded_before_the_slot_starts(database):
    appointment = booked(database)
    before = counts(database)
    with time_machine.travel(at(9, 0), tick=False):
        with pytest.raises(InvalidTransition, match="starts at 09:00 on Mon 2026-03-02: it cannot be a no-show"):
            appointments.mark_no_show(clerk(database), appointment_id=appointment.id)
    assert counts(database) == before


def test_a_cancelled_appointment_cannot_become_a_no_show(database):
    appointment = booked(database)
    appointments.cancel(clerk(database), appointment_id=appointment.id)
    with time_machine.travel(at(12, 0), tick=False):
        with pytest.raises(InvalidTransition, match="only a booked appointment can be marked as a no-show"):
            appointments.mark_no_show(clerk(database), appointment_id=appointment.id)


def test_the_day_list_of_a_site_shows_every_appointment_in_slot_order(database):
    site, other = make_site(database), make_site(database)
    late, early, cancelled = (booked(database, at(h), site=site) for h in (14, 8, 10))
    booked(database, at(9), site=other)
    booked(database, at(9, 0, MONDAY + timedelta(days=1)), site=site)
    appointments.cancel(clerk(database), appointment_id=cancelled.id)
    result = appointments.list_for_site_day(clerk(database), site_id=site, on=MONDAY)
    assert [(a.id, a.status) for a in result] == [(early.id, "booked"), (cancelled.id, "cancelled"), (late.id, "booked")]
    assert result[0].donor_name.startswith("Ada Donor") and result[0].donor_number.startswith("D")


def test_a_donors_upcoming_appointments_include_todays_earlier_ones_but_not_cancelled_or_past_days(database):
    site, donor = make_site(database), make_donor(database)
    today = booked(database, at(9), site=site, donor=donor)
    cancelled = booked(database, at(9, 0, MONDAY + timedelta(days=1)), site=site, donor=donor)
    appointments.cancel(clerk(database), appointment_id=cancelled.id)
    later = booked(database, at(9, 0, MONDAY + timedelta(days=2)), site=site, donor=donor)
    with time_machine.travel(at(11), tick=False):
        assert [a.id for a in appointments.upcoming_for_donor(clerk(database), donor)] == [today.id, later.id]
    with time_machine.travel(at(8, 0, MONDAY + timedelta(days=1)), tick=False):
        assert [a.id for a in appointments.upcoming_for_donor(clerk(database), donor)] == [later.id]
    with pytest.raises(NotFound, match="No donor with id 999"):
        appointments.upcoming_for_donor(clerk(database), 999)


def test_a_donor_is_found_by_number_or_id(database):
    donor = make_donor(database)
    number = get(database, appointments.Donor, donor).donor_number
    assert appointments.donor_id_for(clerk(database), number.lower()) == donor
    assert appointments.donor_id_for(clerk(database), str(donor)) == donor
    with pytest.raises(NotFound, match="No donor with number or id 'D999'"):
        appointments.donor_id_for(clerk(database), "D999")
