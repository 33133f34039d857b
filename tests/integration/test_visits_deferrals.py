import json
from datetime import date

import pytest
import time_machine
from sqlalchemy.exc import OperationalError

from bloodbank.adapters.db.models import Deferral
from bloodbank.domain.errors import Conflict, DonorDeferred, InvalidInput, NotFound
from bloodbank.service_layer.donors import deferral_lookup
from bloodbank.service_layer.donors.deferrals import (
    DeferralStatus, add_deferral, deferral_status, lift_deferral, list_deferrals,
)
from bloodbank.service_layer.donors.visits import check_in
from tests.integration.visit_fixtures import (
    FROZEN_AT, TODAY, audit_entries, clerk, counts, get, make_deferral, make_donor, make_site,
)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(FROZEN_AT, tick=False):
        yield


@pytest.fixture
def donor(database):
    return make_donor(database)


def defer(database, donor, **overrides):
    fields = dict(donor_id=donor, code="major_surgery", kind="temporary", reason="hip replacement on 2026-03-01",
                  ends_on=date(2027, 3, 1))
    return add_deferral(clerk(database, "dr.kim"), **{**fields, **overrides})


def test_a_temporary_deferral_is_added_from_today_and_audited_without_its_reason(database, donor):
    view = defer(database, donor)
    assert (view.code, view.kind, view.starts_on, view.ends_on) == ("major_surgery", "temporary", TODAY,
                                                                    date(2027, 3, 1))
    assert view.decided_by == "dr.kim" and view.reason == "hip replacement on 2026-03-01"
    [entry] = audit_entries(database, entity="deferral")
    assert (entry.action, entry.entity_id, entry.actor) == ("create", str(view.id), "dr.kim")
    assert entry.new["ends_on"] == "2027-03-01" and "hip" not in json.dumps([entry.new, entry.reason])


def test_a_deferral_added_blocks_check_in(database, donor):
    defer(database, donor)
    with pytest.raises(DonorDeferred, match="until 2027-03-01"):
        check_in(clerk(database), donor_id=donor, site_id=make_site(database))


@pytest.mark.parametrize("overrides, match", [
    (dict(ends_on=None), "temporary deferral needs an end date"),
    (dict(ends_on=TODAY), "must be after the start date"),
    (dict(starts_on=date(2026, 4, 1), ends_on=date(2026, 3, 20)), "must be after the start date"),
    (dict(kind="permanent"), "permanent deferral has no end date"),
    (dict(kind="forever", ends_on=None), "Unknown deferral kind 'forever'"),
    (dict(code="bad_mood"), "Unknown deferral code 'bad_mood'"),
    (dict(reason="  "), "Give the reason"),
])
def test_a_deferral_that_does_not_add_up_is_refused_and_nothing_is_written(database, donor, overrides, match):
    before = counts(database)
    with pytest.raises(InvalidInput, match=match):
        defer(database, donor, **overrides)
    assert counts(database) == before


def test_a_deferral_for_an_unknown_or_merged_donor_is_refused(database, donor):
    with pytest.raises(NotFound, match="No donor with id 999"):
        defer(database, 999)
    merged = make_donor(database, merged_into_id=donor)
    with pytest.raises(Conflict, match="was merged into donor"):
        defer(database, merged)
    assert counts(database)["deferral"] == 0


def test_lifting_a_deferral_keeps_the_row_and_is_audited(database, donor):
    view = defer(database, donor, code="hiv", kind="permanent", ends_on=None)
    lifted = lift_deferral(clerk(database, "dr.lee"), deferral_id=view.id, reason="confirmatory test negative")
    row = get(database, Deferral, view.id)
    assert (row.lifted_at, row.lifted_by, row.lift_reason) == (FROZEN_AT, "dr.lee", "confirmatory test negative")
    assert lifted.lifted_by == "dr.lee"
    [entry] = audit_entries(database, entity="deferral", action="lift")
    assert entry.old == {"lifted_at": None} and entry.new["lifted_by"] == "dr.lee"
    assert check_in(clerk(database), donor_id=donor, site_id=make_site(database)).status == "checked_in"


def test_a_deferral_is_lifted_once(database, donor):
    view = defer(database, donor)
    lift_deferral(clerk(database), deferral_id=view.id, reason="cleared")
    before = counts(database)
    with pytest.raises(Conflict, match="already lifted on 2026-03-10"):
        lift_deferral(clerk(database), deferral_id=view.id, reason="again")
    with pytest.raises(NotFound, match="No deferral with id 999"):
        lift_deferral(clerk(database), deferral_id=999, reason="x")
    with pytest.raises(InvalidInput, match="reason for lifting"):
        lift_deferral(clerk(database), deferral_id=view.id, reason="")
    assert counts(database) == before


def test_listing_deferrals_without_reasons_shows_none_and_logs_nothing(database, donor):
    defer(database, donor)
    before = counts(database)
    [view] = list_deferrals(clerk(database), donor)
    assert view.code == "major_surgery" and view.reason is None and view.lift_reason is None
    assert counts(database) == before


def test_reading_the_reasons_is_a_logged_sensitive_read(database, donor):
    defer(database, donor)
    merged = make_donor(database, merged_into_id=donor)
    make_deferral(database, donor_id=merged, starts_on=date(2025, 1, 1), ends_on=date(2025, 2, 1), reason="Hb 11")
    views = list_deferrals(clerk(database, "dr.lee"), donor, include_reasons=True)
    assert [v.reason for v in views] == ["hip replacement on 2026-03-01", "Hb 11"]
    [entry] = audit_entries(database, action="read")
    assert (entry.entity, entry.entity_id, entry.actor) == ("deferral", str(donor), "dr.lee")


def test_listing_an_unknown_donor_is_refused(database):
    with pytest.raises(NotFound):
        list_deferrals(clerk(database), 999, include_reasons=True)
    assert counts(database)["audit"] == 0


def test_the_status_says_whether_and_until_when_without_reasons(database, donor):
    assert deferral_status(clerk(database), donor) == DeferralStatus(False, False, None)
    make_deferral(database, donor_id=donor, starts_on=date(2026, 3, 1), ends_on=date(2026, 5, 1))
    make_deferral(database, donor_id=donor, starts_on=date(2026, 3, 1), ends_on=date(2026, 4, 1))
    assert deferral_status(clerk(database), donor) == DeferralStatus(True, False, date(2026, 5, 1))
    assert deferral_status(clerk(database), donor, on=date(2026, 5, 1)) == DeferralStatus(False, False, None)
    make_deferral(database, donor_id=donor, code="cancer", kind="permanent", starts_on=date(2026, 3, 1))
    assert deferral_status(clerk(database), donor) == DeferralStatus(True, True, None)


def test_a_status_lookup_that_fails_answers_deferred(database, donor, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("SELECT", {}, Exception("connection reset"))

    monkeypatch.setattr(deferral_lookup, "active_deferrals", broken)
    status = deferral_status(clerk(database), donor)
    assert status.deferred and "could not be confirmed" in status.note


def test_the_status_of_an_unknown_donor_is_not_found(database):
    with pytest.raises(NotFound):
        deferral_status(clerk(database), 999)
