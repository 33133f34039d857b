"""A donor from registration to a bag with a valid DIN, through the use cases only."""

from datetime import date, datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import func, select

from bloodbank.adapters.db.models import AuditEntry, Donation
from bloodbank.config import get_settings
from bloodbank.domain.errors import ConsentMissing, ConsentWithdrawn, DonorDeferred, VisitClosed
from bloodbank.domain.isbt128 import parse_din
from bloodbank.service_layer.donors import (
    appointments, collection, consent, deferrals, registry as donors, screening, sites, visits,
)
from bloodbank.service_layer.shared.audit import verify_chain
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

MONDAY_7AM = datetime(2026, 3, 2, 7, 0, tzinfo=timezone.utc)
NO_TO_ALL = "no"
HEALTHY = dict(weight_kg=72, hemoglobin_g_dl=14.1, systolic=128, diastolic=82, pulse=68, temperature_c=36.6)


def as_(database, actor):
    return UnitOfWork(database, actor=actor)


def all_no(database):
    from bloodbank.domain.questionnaire import questions
    # The answer that defers nobody: "no" to every risk, "yes" to "are you well today?".
    return {q.id: (not q.defers_on) if q.since is None else NO_TO_ALL for q in questions()}


def open_site(database, rule_set="eu"):
    return sites.create_site(
        as_(database, "admin.ola"), code="CITY", name="City Donor Centre", kind="fixed",
        facility_code="G1234", rule_set=rule_set, chairs=2, slot_minutes=15, time_zone="UTC",
        opening_hours={d: ["08:00", "16:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
    )


def register(database):
    return donors.register_donor(
        as_(database, "clerk.ann"), given_name="Grace", family_name="Okafor", date_of_birth=date(1988, 4, 9),
        sex="F", phone="+44 7700 900123", email="grace@example.org", address="1 Mill Lane", postcode="DE1 1AA",
    )


def donor_arrives(database, site, donor):
    appointment = appointments.book(as_(database, "clerk.ann"), donor_id=donor.id, site_id=site.id,
                                    starts_at=datetime(2026, 3, 2, 9, 0))
    visit = visits.check_in(as_(database, "clerk.ann"), donor_id=donor.id, site_id=site.id,
                            appointment_id=appointment.id)
    return appointment, visit


def audit_count(database):
    with database.sessions() as s:
        return s.execute(select(func.count()).select_from(AuditEntry)).scalar_one()


def donation_count(database):
    with database.sessions() as s:
        return s.execute(select(func.count()).select_from(Donation)).scalar_one()


@time_machine.travel(MONDAY_7AM, tick=False)
def test_a_donor_goes_from_registration_to_a_labelled_bag(database):
    site = open_site(database)
    donor = register(database)
    appointment, visit = donor_arrives(database, site, donor)
    assert visit.status == "checked_in"
    day = appointments.list_for_site_day(as_(database, "clerk.ann"), site_id=site.id, on=date(2026, 3, 2))
    assert [(a.id, a.status) for a in day] == [(appointment.id, "checked_in")]

    decision = screening.record_screening(as_(database, "nurse.bo"), visit_id=visit.id,
                                          answers=all_no(database), **HEALTHY)
    assert decision.eligible, decision.reasons
    consent.give_consent(as_(database, "nurse.bo"), visit_id=visit.id,
                         text_version=get_settings().consent_text_version, confirmed_by_donor=True)

    bag = collection.start_collection(as_(database, "phleb.cy"), visit_id=visit.id,
                                      bag_type="quadruple", bag_lot="LOT-2026-11")
    done = collection.finish_collection(as_(database, "phleb.cy"), donation_id=bag.donation_id, volume_ml=455)

    din = parse_din(bag.din_eye_readable)
    assert str(din) == bag.din and din.facility == "G1234" and din.year == "26"
    assert done.status == "complete" and done.volume_flag is None
    assert visits.get_visit(as_(database, "clerk.ann"), visit.id).status == "collected"
    report = verify_chain(UnitOfWork(database))
    assert report.ok and report.entries >= 7  # site, donor, booking, check-in, screening, consent, collection…


@time_machine.travel(MONDAY_7AM, tick=False)
def test_a_deferred_donor_is_refused_at_check_in_and_collection(database):
    site = open_site(database)
    donor = register(database)
    _, visit = donor_arrives(database, site, donor)
    screening.record_screening(as_(database, "nurse.bo"), visit_id=visit.id, answers=all_no(database), **HEALTHY)
    consent.give_consent(as_(database, "nurse.bo"), visit_id=visit.id,
                         text_version=get_settings().consent_text_version, confirmed_by_donor=True)
    # A deferral recorded after screening (e.g. a lab result came back) must still stop the needle.
    deferrals.add_deferral(as_(database, "doctor.dee"), donor_id=donor.id, code="hiv", kind="permanent",
                           reason="confirmed positive")
    before = (donation_count(database), audit_count(database))
    with pytest.raises(DonorDeferred, match="permanently deferred"):
        collection.start_collection(as_(database, "phleb.cy"), visit_id=visit.id,
                                    bag_type="quadruple", bag_lot="LOT-1")
    assert (donation_count(database), audit_count(database)) == before
    with pytest.raises(DonorDeferred):
        visits.check_in(as_(database, "clerk.ann"), donor_id=donor.id, site_id=site.id)


@time_machine.travel(MONDAY_7AM, tick=False)
def test_an_unconsented_donor_is_refused_at_collection(database):
    site = open_site(database)
    donor = register(database)
    _, visit = donor_arrives(database, site, donor)
    screening.record_screening(as_(database, "nurse.bo"), visit_id=visit.id, answers=all_no(database), **HEALTHY)
    before = (donation_count(database), audit_count(database))
    with pytest.raises(ConsentMissing):
        collection.start_collection(as_(database, "phleb.cy"), visit_id=visit.id,
                                    bag_type="quadruple", bag_lot="LOT-1")
    assert (donation_count(database), audit_count(database)) == before


@time_machine.travel(MONDAY_7AM, tick=False)
def test_a_donor_who_withdraws_after_consent_is_not_collected(database):
    site = open_site(database)
    donor = register(database)
    _, visit = donor_arrives(database, site, donor)
    screening.record_screening(as_(database, "nurse.bo"), visit_id=visit.id, answers=all_no(database), **HEALTHY)
    consent.give_consent(as_(database, "nurse.bo"), visit_id=visit.id,
                         text_version=get_settings().consent_text_version, confirmed_by_donor=True)
    consent.withdraw(as_(database, "nurse.bo"), visit_id=visit.id, step="consent")
    with pytest.raises((ConsentWithdrawn, VisitClosed)):
        collection.start_collection(as_(database, "phleb.cy"), visit_id=visit.id,
                                    bag_type="quadruple", bag_lot="LOT-1")
    assert donation_count(database) == 0


@time_machine.travel(MONDAY_7AM, tick=False)
def test_a_donor_who_withdraws_with_the_needle_in_cannot_have_the_bag_finished(database):
    site = open_site(database)
    donor = register(database)
    _, visit = donor_arrives(database, site, donor)
    screening.record_screening(as_(database, "nurse.bo"), visit_id=visit.id, answers=all_no(database), **HEALTHY)
    consent.give_consent(as_(database, "nurse.bo"), visit_id=visit.id,
                         text_version=get_settings().consent_text_version, confirmed_by_donor=True)
    bag = collection.start_collection(as_(database, "phleb.cy"), visit_id=visit.id,
                                      bag_type="quadruple", bag_lot="LOT-1")
    consent.withdraw(as_(database, "phleb.cy"), visit_id=visit.id, step="collection")
    with pytest.raises(ConsentWithdrawn, match="abort"):
        collection.finish_collection(as_(database, "phleb.cy"), donation_id=bag.donation_id, volume_ml=450)
    stopped = collection.abort_collection(as_(database, "phleb.cy"), donation_id=bag.donation_id,
                                          reason="donor withdrew", volume_ml=120)
    assert stopped.status == "aborted"
