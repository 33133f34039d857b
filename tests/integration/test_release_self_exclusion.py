import json

import pytest

from bloodbank.adapters.db.models import Unit
from bloodbank.domain.errors import InvalidTransition
from bloodbank.domain.release import NOT_SUITABLE
from bloodbank.service_layer.blood.quarantine import quarantine_list
from bloodbank.service_layer.blood.release import release_blockers_for, release_unit
from bloodbank.service_layer.blood.self_exclusion import apply_self_exclusion
from tests.integration.lab_fixtures import (
    audit_entries, get, lab, make_donation, make_pool, make_site, make_unit, pass_all_tests, self_exclude,
    status_of, unit_events, visit_of,
)


def mentions_exclusion(*texts) -> bool:
    return any("exclu" in json.dumps(text, default=str).lower() for text in texts)


def excluded_unit(database, **unit_kw):
    site = make_site(database)
    donation = make_donation(database, site_id=site)
    unit = make_unit(database, donation_id=donation, site_id=site, **unit_kw)
    pass_all_tests(database, donation)
    self_exclude(database, donation)
    return site, donation, unit


def test_a_self_excluded_unit_is_discarded_on_release_without_saying_why(database):
    _, _, unit = excluded_unit(database)
    audit_before = len(audit_entries(database))
    with pytest.raises(InvalidTransition) as error:
        release_unit(lab(database), unit_id=unit)
    assert error.value.message == NOT_SUITABLE
    assert not mentions_exclusion(error.value.message)
    row = get(database, Unit, unit)
    # The code stays on the row for the record; the column is not shown on ordinary screens.
    assert (row.status, row.discard_reason) == ("discarded", "self_excluded")
    new_entries = audit_entries(database)[audit_before:]
    assert [e.action for e in new_entries] == ["discard"]
    assert new_entries[0].reason == "not suitable for transfusion"
    assert not mentions_exclusion(*[(e.old, e.new, e.reason, e.entity) for e in new_entries])
    event = unit_events(database, unit)[-1]
    assert event.event == "discard" and not mentions_exclusion(event.detail)


def test_why_says_only_that_the_unit_is_not_suitable(database):
    _, _, unit = excluded_unit(database)
    blockers = release_blockers_for(lab(database), unit)
    assert [b.message for b in blockers] == [NOT_SUITABLE]
    assert status_of(database, unit) == "quarantined"  # reading changes nothing


def test_the_quarantine_board_shows_a_self_excluded_unit_as_blocked_and_nothing_more(database):
    site, _, unit = excluded_unit(database)
    [item] = quarantine_list(lab(database), site)
    assert (item.unit_id, item.state, item.missing_tests, item.holds) == (unit, "blocked", (), ())


def test_applying_a_self_exclusion_discards_every_unit_of_the_visit_and_the_pools_holding_it(database):
    site = make_site(database)
    donation = make_donation(database, site_id=site)
    other = make_donation(database, site_id=site)
    red = make_unit(database, donation_id=donation, site_id=site)
    plt = make_unit(database, donation_id=donation, site_id=site, kind="platelets_apheresis", status="processed")
    other_plt = make_unit(database, donation_id=other, site_id=site, kind="platelets_apheresis", status="processed")
    issued = make_unit(database, donation_id=donation, site_id=site, kind="plasma", status="issued")
    pool = make_pool(database, parents=[plt, other_plt], site_id=site)
    untouched = make_unit(database, donation_id=other, site_id=site)
    self_exclude(database, donation)
    audit_before = len(audit_entries(database))
    assert apply_self_exclusion(lab(database, "system"), visit_id=visit_of(database, donation)) is None
    assert [status_of(database, u) for u in (red, pool, issued, untouched)] == [
        "discarded", "discarded", "recalled", "quarantined"]
    entries = audit_entries(database)[audit_before:]
    assert entries and not mentions_exclusion(*[(e.old, e.new, e.reason) for e in entries])


def test_applying_it_to_a_visit_that_is_not_excluded_does_nothing(database):
    site = make_site(database)
    donation = make_donation(database, site_id=site)
    unit = make_unit(database, donation_id=donation, site_id=site)
    apply_self_exclusion(lab(database), visit_id=visit_of(database, donation))
    assert status_of(database, unit) == "quarantined"


def test_a_self_exclusion_given_after_processing_takes_the_units_out_of_use_at_once(database):
    from bloodbank.service_layer.blood.self_exclusion import record_self_exclusion

    site = make_site(database)
    donation = make_donation(database, site_id=site)
    red = make_unit(database, donation_id=donation, site_id=site)
    plasma = make_unit(database, donation_id=donation, site_id=site, kind="plasma", status="available")
    pass_all_tests(database, donation)
    audit_before = len(audit_entries(database))
    record_self_exclusion(lab(database, "kiosk.1"), visit_id=visit_of(database, donation))
    assert [status_of(database, u) for u in (red, plasma)] == ["discarded", "discarded"]
    entries = audit_entries(database)[audit_before:]
    assert [e.entity for e in entries].count("confidential") == 1
    assert not mentions_exclusion(*[(e.old, e.new, e.reason) for e in entries if e.entity != "confidential"])
