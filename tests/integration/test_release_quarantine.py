import json
from dataclasses import asdict

from bloodbank.service_layer.blood.quarantine import quarantine_list
from bloodbank.service_layer.blood.testing import record_result
from tests.integration.lab_fixtures import (
    counts, lab, make_donation, make_donor, make_site, make_unit, pass_all_tests,
)


def test_the_quarantine_board_says_what_each_unit_waits_for(database):
    site = make_site(database)
    waiting = make_donation(database, site_id=site)
    ready = make_donation(database, site_id=site)
    held = make_donation(database, site_id=site)
    u_waiting = make_unit(database, donation_id=waiting, site_id=site)
    u_ready = make_unit(database, donation_id=ready, site_id=site)
    u_held = make_unit(database, donation_id=held, site_id=site, label_verified=False)
    pass_all_tests(database, waiting, skip=("hcv", "abo_rh"))
    pass_all_tests(database, ready)
    pass_all_tests(database, held)
    before = counts(database)
    items = {item.unit_id: item for item in quarantine_list(lab(database), site)}
    assert counts(database) == before
    assert (items[u_waiting].state, items[u_waiting].missing_tests) == ("awaiting results",
                                                                        ("ABO/RhD grouping", "HCV"))
    assert (items[u_ready].state, items[u_ready].missing_tests, items[u_ready].holds) == ("ready for release", (), ())
    assert items[u_held].state == "held"
    assert items[u_held].holds == ("The label has not been verified against the unit.",)


def test_a_blocked_unit_shows_neither_the_result_nor_the_reason(database):
    site = make_site(database)
    reactive_donor = make_donor(database, blood_group="O-")
    donation = make_donation(database, site_id=site, donor_id=reactive_donor)
    unit = make_unit(database, donation_id=donation, site_id=site)
    pass_all_tests(database, donation, skip=("hiv",))  # typed A+ against a record of O-: a discrepancy
    [item] = quarantine_list(lab(database), site)
    assert (item.unit_id, item.state, item.missing_tests) == (unit, "blocked", ("HIV",))
    text = json.dumps(asdict(item), default=str).lower()
    for word in ("discrepan", "o-", "reactive", "consent", "history"):
        assert word not in text


def test_discarded_units_leave_the_board_and_other_sites_are_filtered_out(database):
    here, there = make_site(database), make_site(database)
    gone = make_donation(database, site_id=here)
    make_unit(database, donation_id=gone, site_id=here)
    elsewhere = make_donation(database, site_id=there)
    far = make_unit(database, donation_id=elsewhere, site_id=there)
    record_result(lab(database), donation_id=gone, test="hiv", outcome="reactive")
    assert quarantine_list(lab(database), here) == []
    assert [i.unit_id for i in quarantine_list(lab(database))] == [far]
