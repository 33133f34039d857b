"""Booking and check-in refuse what the record already rules out (intervals, yearly limits, kind, age)."""

from datetime import date, timedelta

import pytest
import time_machine

from bloodbank.adapters.db.models import Appointment, Visit
from bloodbank.domain.errors import DonorIneligible
from bloodbank.service_layer.donors import appointments
from bloodbank.service_layer.donors.visits import check_in
from tests.integration import appointment_fixtures as booking
from tests.integration.appointment_fixtures import MONDAY, NOW, at
from tests.integration.visit_fixtures import clerk, make_donation, make_donor, make_site


def rows(database, model) -> int:
    with database.sessions() as s:
        return s.query(model).count()


def test_booking_whole_blood_too_soon_after_the_last_donation_is_refused_with_the_first_possible_date(database):
    site, donor = booking.make_site(database, rule_set="uk"), booking.make_donor(database, sex="M")
    make_donation(database, donor_id=donor, site_id=site, on=MONDAY - timedelta(days=14))
    with time_machine.travel(NOW, tick=False), pytest.raises(DonorIneligible) as refused:
        appointments.book(clerk(database), donor_id=donor, site_id=site, starts_at=at(10, 15))
    first = MONDAY - timedelta(days=14) + timedelta(days=84)
    assert f"Not eligible for a whole blood donation on {MONDAY}" in refused.value.message
    assert f"possible from {first.isoformat()}" in refused.value.message
    assert rows(database, Appointment) == 0


def test_booking_after_the_interval_is_accepted(database):
    site, donor = booking.make_site(database, rule_set="uk"), booking.make_donor(database, sex="M")
    make_donation(database, donor_id=donor, site_id=site, on=MONDAY - timedelta(days=90))
    with time_machine.travel(NOW, tick=False):
        booked = appointments.book(clerk(database), donor_id=donor, site_id=site, starts_at=at(10, 15))
    assert booked.status == "booked"


def test_booking_a_kind_the_sites_regime_does_not_cover_is_refused(database):
    site, donor = booking.make_site(database, rule_set="who"), booking.make_donor(database)
    with time_machine.travel(NOW, tick=False), pytest.raises(DonorIneligible, match="gives no criteria for a plasma"):
        appointments.book(clerk(database), donor_id=donor, site_id=site, starts_at=at(10, 15), kind="plasma")


def test_check_in_the_week_after_a_donation_is_refused_before_any_visit_is_written(database):
    site, donor = make_site(database, rule_set="eu"), make_donor(database)
    make_donation(database, donor_id=donor, site_id=site, on=date.today() - timedelta(days=7))
    with pytest.raises(DonorIneligible, match="The next whole blood donation is possible from"):
        check_in(clerk(database), donor_id=donor, site_id=site)
    assert rows(database, Visit) == 1  # the past donation's own visit only


def test_a_donor_past_the_yearly_limit_is_refused_at_check_in(database):
    site, donor = make_site(database, rule_set="uk"), make_donor(database, sex="F")
    for days_ago in (100, 200, 300):
        make_donation(database, donor_id=donor, site_id=site, on=date.today() - timedelta(days=days_ago))
    with pytest.raises(DonorIneligible) as refused:
        check_in(clerk(database), donor_id=donor, site_id=site)
    assert "3" in refused.value.message and "12 months" in refused.value.message
