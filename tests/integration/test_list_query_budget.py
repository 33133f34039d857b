"""Lists that grow with the years are cut by the database: a page costs the same statements for 5 rows behind it
as for 60, and says how many there are in all."""

from bloodbank.adapters.db.models import DonorFollowUp
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.service_layer.blood import follow_up, transfers
from tests.integration import inventory_fixtures, lab_fixtures
from tests.integration.query_budget import statements


def _open_follow_ups(database, count):
    site = lab_fixtures.make_site(database)
    for n in range(count):
        donation = lab_fixtures.make_donation(database, site_id=site)
        lab_fixtures.insert(database, DonorFollowUp(
            donor_id=lab_fixtures.donor_of(database, donation), donation_id=donation if n % 2 else None,
            reason="reactive_marker", detail="hbv reactive", opened_at=utcnow(), opened_by="lab.lee"))


def _follow_up_page(database):
    with statements(database) as sent:
        page, total = follow_up.follow_ups_page(lab_fixtures.lab(database), limit=4, offset=1)
    return page, total, len(sent)


def test_a_page_of_follow_ups_sends_as_many_statements_for_60_behind_it_as_for_5(database):
    _open_follow_ups(database, 5)
    few, few_total, few_cost = _follow_up_page(database)
    _open_follow_ups(database, 55)
    many, many_total, many_cost = _follow_up_page(database)
    assert (few_total, many_total) == (5, 60)
    assert len(few) == len(many) == 4
    assert many_cost == few_cost
    assert [v.din is not None for v in many] == [v.donation_id is not None for v in many]


def _dispatch(database, from_site, to_site, count):
    for _ in range(count):
        units = [inventory_fixtures.make_unit(database, site_id=from_site) for _ in range(2)]
        transfers.dispatch(inventory_fixtures.clerk(database), from_site_id=from_site, to_site_id=to_site,
                           unit_ids=units)


def _transfer_page(database):
    with statements(database) as sent:
        page, total = transfers.in_transit_page(inventory_fixtures.clerk(database), limit=4, offset=1)
    return page, total, len(sent)


def test_a_page_of_transfers_on_the_road_sends_as_many_statements_for_60_behind_it_as_for_5(database):
    here, there = inventory_fixtures.make_site(database), inventory_fixtures.make_site(database)
    _dispatch(database, here, there, 5)
    few, few_total, few_cost = _transfer_page(database)
    _dispatch(database, here, there, 55)
    many, many_total, many_cost = _transfer_page(database)
    assert (few_total, many_total) == (5, 60)
    assert len(few) == len(many) == 4 and all(len(t.units) == 2 for t in many)
    assert many_cost == few_cost
    assert [t.id for t in many] == sorted(t.id for t in many)
