from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy.exc import OperationalError

from bloodbank.adapters.db.models import Appointment, Deferral, Donor, Visit
from bloodbank.domain.errors import Conflict, DonorDeferred, InvalidInput, NotFound
from bloodbank.service_layer.donors import deferral_lookup
from bloodbank.service_layer.donors.visits import check_in, get_visit, list_open_visits
from tests.integration.visit_fixtures import (
    FROZEN_AT, TODAY, audit_entries, clerk, counts, get, make_appointment, make_deferral, make_donor, make_site,
    make_visit,
)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(FROZEN_AT, tick=False):
        yield


@pytest.fixture
def site(database):
    return make_site(database)


@pytest.fixture
def donor(database):
    return make_donor(database)


def test_a_donor_is_checked_in_and_the_visit_is_audited(database, site, donor):
    view = check_in(clerk(database), donor_id=donor, site_id=site)
    assert view.status == "checked_in" and view.kind == "whole_blood"
    assert view.checked_in_at == FROZEN_AT and view.checked_in_by == "clerk.ann"
    [entry] = audit_entries(database, entity="visit")
    assert (entry.action, entry.entity_id, entry.actor) == ("create", str(view.id), "clerk.ann")
    assert entry.new["status"] == "checked_in"


def test_checking_in_for_an_appointment_marks_it_checked_in_with_an_audit_entry(database, site, donor):
    appointment = make_appointment(database, donor_id=donor, site_id=site)
    view = check_in(clerk(database), donor_id=donor, site_id=site, appointment_id=appointment)
    row = get(database, Appointment, appointment)
    assert view.appointment_id == appointment
    assert row.status == "checked_in" and row.status_changed_at == FROZEN_AT
    [entry] = audit_entries(database, entity="appointment")
    assert entry.old == {"status": "booked", "status_changed_at": None}
    assert entry.new["status"] == "checked_in"


@pytest.mark.parametrize("problem, match", [
    ("other_donor", "belongs to another donor"),
    ("other_site", "is at another site"),
    ("cancelled", "is cancelled, not booked"),
])
def test_an_appointment_that_does_not_fit_is_refused_and_nothing_changes(database, site, donor, problem, match):
    other_donor, other_site = make_donor(database), make_site(database)
    appointment = make_appointment(
        database, donor_id=other_donor if problem == "other_donor" else donor,
        site_id=other_site if problem == "other_site" else site,
        status="cancelled" if problem == "cancelled" else "booked",
    )
    before = counts(database)
    with pytest.raises((InvalidInput, Conflict), match=match):
        check_in(clerk(database), donor_id=donor, site_id=site, appointment_id=appointment)
    assert counts(database) == before
    assert get(database, Appointment, appointment).status == ("cancelled" if problem == "cancelled" else "booked")


def test_an_unknown_appointment_is_refused(database, site, donor):
    with pytest.raises(NotFound, match="No appointment with id 999"):
        check_in(clerk(database), donor_id=donor, site_id=site, appointment_id=999)


def test_an_unknown_donor_or_site_is_refused(database, site, donor):
    with pytest.raises(NotFound, match="No donor with id 999"):
        check_in(clerk(database), donor_id=999, site_id=site)
    with pytest.raises(NotFound, match="No site with id 999"):
        check_in(clerk(database), donor_id=donor, site_id=999)
    assert counts(database)["visit"] == 0


def test_a_merged_record_is_refused_naming_the_survivor(database, site, donor):
    merged = make_donor(database, merged_into_id=donor)
    survivor_number = get(database, Donor, donor).donor_number
    with pytest.raises(Conflict, match=f"merged into donor {survivor_number}: use that record"):
        check_in(clerk(database), donor_id=merged, site_id=site)
    assert counts(database)["visit"] == 0


def test_an_inactive_site_is_refused(database, donor):
    closed = make_site(database, active=False)
    before = counts(database)
    with pytest.raises(Conflict, match="is not active"):
        check_in(clerk(database), donor_id=donor, site_id=closed)
    assert counts(database) == before


def test_an_unknown_donation_kind_is_refused(database, site, donor):
    with pytest.raises(InvalidInput, match="Unknown donation kind 'blood'"):
        check_in(clerk(database), donor_id=donor, site_id=site, kind="blood")


def test_a_second_open_visit_on_the_same_day_is_refused(database, site, donor):
    first = check_in(clerk(database), donor_id=donor, site_id=site)
    before = counts(database)
    with pytest.raises(Conflict, match=f"already has an open visit today \\(visit {first.id}\\)"):
        check_in(clerk(database), donor_id=donor, site_id=make_site(database))
    assert counts(database) == before


def test_a_visit_left_open_yesterday_or_closed_today_does_not_block(database, site, donor):
    make_visit(database, donor_id=donor, site_id=site, checked_in_at=FROZEN_AT - timedelta(days=1))
    make_visit(database, donor_id=donor, site_id=site, status="withdrawn")
    assert check_in(clerk(database), donor_id=donor, site_id=site).status == "checked_in"


def test_a_temporarily_deferred_donor_is_told_at_the_desk_and_no_visit_is_opened(database, site, donor):
    make_deferral(database, donor_id=donor, starts_on=date(2026, 3, 1), ends_on=date(2026, 6, 1))
    appointment = make_appointment(database, donor_id=donor, site_id=site)
    before = counts(database)
    with pytest.raises(DonorDeferred, match="deferred until 2026-06-01"):
        check_in(clerk(database), donor_id=donor, site_id=site, appointment_id=appointment)
    assert counts(database) == before
    assert get(database, Appointment, appointment).status == "booked"


def test_a_permanently_deferred_donor_cannot_be_checked_in(database, site, donor):
    make_deferral(database, donor_id=donor, code="hiv", kind="permanent", starts_on=date(2020, 1, 1))
    before = counts(database)
    with pytest.raises(DonorDeferred, match="permanently deferred"):
        check_in(clerk(database), donor_id=donor, site_id=site)
    assert counts(database) == before


def test_a_deferral_on_a_merged_record_blocks_the_survivor(database, site, donor):
    merged = make_donor(database, merged_into_id=donor)
    make_deferral(database, donor_id=merged, starts_on=date(2026, 3, 1), ends_on=date(2026, 4, 1))
    with pytest.raises(DonorDeferred, match="until 2026-04-01"):
        check_in(clerk(database), donor_id=donor, site_id=site)


def test_a_deferral_that_ended_or_was_lifted_does_not_block(database, site, donor):
    make_deferral(database, donor_id=donor, starts_on=date(2025, 1, 1), ends_on=TODAY)
    with database.sessions() as s:
        s.add(Deferral(donor_id=donor, code="hiv", kind="permanent", starts_on=date(2020, 1, 1), decided_by="dr.kim",
                       lifted_at=FROZEN_AT, lifted_by="dr.kim", lift_reason="false positive"))
        s.commit()
    assert check_in(clerk(database), donor_id=donor, site_id=site).status == "checked_in"


def test_a_deferral_lookup_that_fails_refuses_the_check_in(database, site, donor, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("SELECT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(deferral_lookup, "active_deferrals", broken)
    before = counts(database)
    with pytest.raises(DonorDeferred, match="Could not confirm"):
        check_in(clerk(database), donor_id=donor, site_id=site)
    assert counts(database) == before


def test_get_visit_and_the_open_visits_of_a_site(database, site, donor):
    first = check_in(clerk(database), donor_id=donor, site_id=site)
    other = make_donor(database)
    second = check_in(clerk(database), donor_id=other, site_id=site)
    make_visit(database, donor_id=make_donor(database), site_id=site, status="deferred")
    make_visit(database, donor_id=make_donor(database), site_id=make_site(database))
    assert get_visit(clerk(database), first.id) == first
    assert [v.id for v in list_open_visits(clerk(database), site)] == [first.id, second.id]
    with pytest.raises(NotFound, match="No visit with id 999"):
        get_visit(clerk(database), 999)


def test_reading_visits_writes_nothing(database, site, donor):
    view = check_in(clerk(database), donor_id=donor, site_id=site)
    before = counts(database)
    list_open_visits(clerk(database), site)
    get_visit(clerk(database), view.id)
    assert counts(database) == before
    assert get(database, Visit, view.id).status == "checked_in"
