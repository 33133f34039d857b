"""The quarantine board judges a page of units in a fixed number of queries, and judges them as release does."""

from bloodbank.adapters.db.models import Unit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.service_layer.blood.quarantine import quarantine_in_state, quarantine_list
from bloodbank.service_layer.blood.release_facts import release_facts, release_facts_of_units
from bloodbank.service_layer.donors.merge import merge_donors
from tests.integration.lab_fixtures import (
    lab, make_donation, make_donor, make_pool, make_site, make_unit, pass_all_tests, self_exclude,
)
from tests.integration.query_budget import statements


def shelf(database, site, count, start=0):
    """Units of every kind the board meets: tested or not, pooled, self-excluded, of merged donors."""
    units = []
    for n in range(start, start + count):
        donation = make_donation(database, site_id=site)
        if n % 3 == 0:
            pass_all_tests(database, donation)
        if n % 7 == 0:
            self_exclude(database, donation)
        units.append(make_unit(database, donation_id=donation, site_id=site))
    parents = [make_unit(database, donation_id=make_donation(database, site_id=site), site_id=site,
                         kind="platelet_concentrate", status="processed") for _ in range(2)]
    units.append(make_pool(database, parents=parents, site_id=site))
    return units


def test_a_page_of_100_units_costs_the_same_statements_as_a_page_of_10(database):
    site = make_site(database)
    shelf(database, site, 10)
    with statements(database) as small:
        ten = quarantine_list(lab(database), site, limit=100)
    shelf(database, site, 90, start=10)
    with statements(database) as large:
        hundred = quarantine_list(lab(database), site, limit=100)
    assert len(ten) == 11 and len(hundred) == 100
    assert len(large) == len(small)


def test_the_board_judges_each_unit_on_the_same_facts_as_its_release(database):
    site = make_site(database)
    donor = make_donor(database, blood_group="A+", confirmed=True)
    other = make_donor(database)
    merge_donors(lab(database, "dr.who"), survivor_id=donor, duplicate_id=other, reason="same passport")
    units = shelf(database, site, 12) + [make_unit(database, donation_id=make_donation(
        database, site_id=site, donor_id=other), site_id=site)]
    with database.sessions() as session:
        rows = list(session.query(Unit).filter(Unit.id.in_(units)))
        now = utcnow()
        together = release_facts_of_units(session, rows, now)
        for row in rows:
            assert together[row.id][0] == release_facts(session, row, now)[0]


def test_a_page_and_a_state_read_the_list_in_expiry_order_without_gaps(database):
    site = make_site(database)
    shelf(database, site, 30)
    everything = quarantine_list(lab(database), site)
    pages = [item for offset in range(0, 40, 7) for item in quarantine_list(lab(database), site, limit=7,
                                                                             offset=offset)]
    assert [i.unit_id for i in pages] == [i.unit_id for i in everything]
    for state in {item.state for item in everything}:
        assert [i.unit_id for i in quarantine_in_state(lab(database), site, state)] == [
            i.unit_id for i in everything if i.state == state]
