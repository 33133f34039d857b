from datetime import timedelta

import pytest

from bloodbank.domain.errors import InvalidInput, NotFound
from bloodbank.service_layer.blood import inventory
from bloodbank.service_layer.blood.inventory import expiring_within, stock, stock_lines, unit_locations
from bloodbank.service_layer.blood.transfers import dispatch
from tests.integration.inventory_fixtures import clerk, make_issue, make_site, make_unit


def _line(report, site_id, kind, group):
    matches = [l for l in report.lines if (l.site_id, l.kind, l.blood_group) == (site_id, kind, group)]
    assert len(matches) <= 1
    return matches[0] if matches else None


def test_stock_counts_available_units_by_site_kind_and_group_and_the_others_apart(database):
    north, south = make_site(database), make_site(database)
    for _ in range(3):
        make_unit(database, site_id=north, group="O-")
    make_unit(database, site_id=north, group="A+")
    make_unit(database, site_id=north, group="O-", status="reserved")
    make_unit(database, site_id=north, group="O-", status="quarantined")
    make_unit(database, site_id=north, group="O-", kind="plasma", expires_in=timedelta(days=300))
    make_unit(database, site_id=south, group="O-")
    report = stock(clerk(database))
    o_neg = _line(report, north, "red_cells", "O-")
    assert (o_neg.available, o_neg.reserved, o_neg.quarantined) == (3, 1, 1)
    assert _line(report, north, "red_cells", "A+").available == 1
    assert _line(report, north, "plasma", "O-").available == 1
    assert _line(report, south, "red_cells", "O-").available == 1


def test_units_in_transit_or_out_of_stock_are_in_no_sites_stock(database):
    north = make_site(database)
    make_unit(database, site_id=north, group="B+")
    make_unit(database, site_id=None, group="B+", status="in_transit")
    for status in ("issued", "transfused", "discarded", "processed", "collected"):
        make_unit(database, site_id=north, group="B+", status=status)
    line = _line(stock(clerk(database)), north, "red_cells", "B+")
    assert (line.available, line.reserved, line.quarantined, line.returned, line.recalled) == (1, 0, 0, 0, 0)


def test_a_dispatched_unit_leaves_the_senders_stock_and_is_not_yet_in_the_receivers(database):
    north, south = make_site(database), make_site(database)
    sent = make_unit(database, site_id=north, group="AB+")
    dispatch(clerk(database), from_site_id=north, to_site_id=south, unit_ids=[sent])
    report = stock(clerk(database))
    assert _line(report, north, "red_cells", "AB+") is None and _line(report, south, "red_cells", "AB+") is None


def test_days_of_supply_divides_available_units_by_issues_of_the_last_28_days(database):
    north = make_site(database)
    for _ in range(6):
        make_unit(database, site_id=north, group="O+")
    for days_ago in (1, 5, 10, 27):
        make_issue(database, make_unit(database, site_id=north, group="O+", status="issued"), days_ago=days_ago)
    make_issue(database, make_unit(database, site_id=north, group="O+", status="issued"), days_ago=29)
    make_issue(database, make_unit(database, site_id=north, group="A+", status="issued"), days_ago=2)
    line = _line(stock(clerk(database)), north, "red_cells", "O+")
    assert line.mean_daily_use == pytest.approx(4 / 28)
    assert line.days_of_supply == pytest.approx(6 / (4 / 28))


def test_a_group_used_lately_with_nothing_left_shows_zero_days_and_one_never_used_shows_none(database):
    north = make_site(database)
    make_issue(database, make_unit(database, site_id=north, group="A-", status="issued"), days_ago=3)
    make_unit(database, site_id=north, group="AB-")
    report = stock(clerk(database))
    assert _line(report, north, "red_cells", "A-").available == 0
    assert _line(report, north, "red_cells", "A-").days_of_supply == 0.0
    assert _line(report, north, "red_cells", "AB-").days_of_supply is None


def test_available_units_are_counted_in_age_bands(database):
    north = make_site(database)
    for age in (0, 7, 8, 20, 30):
        make_unit(database, site_id=north, age_days=age)
    make_unit(database, site_id=north, age_days=1, status="reserved")
    ages = dict(_line(stock(clerk(database)), north, "red_cells", "O+").ages)
    assert ages == {"0-7": 2, "8-14": 1, "15-21": 1, "22-28": 0, "29+": 1}


def test_units_close_to_expiry_are_listed_first_to_use(database):
    north = make_site(database)
    red_soon = make_unit(database, site_id=north, expires_in=timedelta(days=2))
    make_unit(database, site_id=north, expires_in=timedelta(days=5))
    platelet_soon = make_unit(database, site_id=north, kind="platelets_apheresis", expires_in=timedelta(hours=10))
    make_unit(database, site_id=north, kind="platelets_apheresis", expires_in=timedelta(days=2))
    make_unit(database, site_id=north, expires_in=timedelta(days=1), status="quarantined")
    expired = make_unit(database, site_id=north, expires_in=timedelta(hours=-2))
    expiring = stock(clerk(database)).expiring
    assert [u.unit_id for u in expiring] == [expired, platelet_soon, red_soon]
    assert [u.expired for u in expiring] == [True, False, False]


def test_stock_can_be_narrowed_to_one_site_and_one_kind(database):
    north, south = make_site(database), make_site(database)
    make_unit(database, site_id=north)
    make_unit(database, site_id=north, kind="plasma", expires_in=timedelta(days=300))
    make_unit(database, site_id=south)
    report = stock(clerk(database), site_id=north, kind="red_cells")
    assert [(l.site_id, l.kind) for l in report.lines] == [(north, "red_cells")]


def test_the_report_lists_the_units_expiring_first_and_counts_them_all(database, monkeypatch):
    monkeypatch.setattr(inventory, "EXPIRING_LISTED", 2)
    north = make_site(database)
    units = [make_unit(database, site_id=north, expires_in=timedelta(hours=10 + n)) for n in range(5)]
    report = stock(clerk(database))
    assert [u.unit_id for u in report.expiring] == units[:2]
    assert report.expiring_total == 5


def test_a_report_of_one_group_lists_that_groups_units_expiring_first(database, monkeypatch):
    monkeypatch.setattr(inventory, "EXPIRING_LISTED", 2)
    north = make_site(database)
    for n in range(3):
        make_unit(database, site_id=north, group="O+", expires_in=timedelta(hours=5 + n))
    b_neg = [make_unit(database, site_id=north, group="B-", expires_in=timedelta(hours=20 + n)) for n in range(3)]
    report = stock(clerk(database), blood_group="B-")
    assert [u.unit_id for u in report.expiring] == b_neg[:2] and report.expiring_total == 3
    assert {line.blood_group for line in report.lines} == {"B-"}


def test_the_stock_counts_alone_match_the_full_reports(database):
    north, south = make_site(database), make_site(database)
    make_unit(database, site_id=north, group="A+")
    make_unit(database, site_id=north, group="A+", status="reserved", expires_in=timedelta(hours=3))
    make_unit(database, site_id=south, kind="plasma", expires_in=timedelta(days=300))
    make_issue(database, make_unit(database, site_id=north, group="A+", status="issued"))
    assert stock_lines(clerk(database)) == stock(clerk(database)).lines
    assert stock_lines(clerk(database), site_id=south, kind="plasma") == \
        stock(clerk(database), site_id=south, kind="plasma").lines


def test_units_expiring_within_hours_come_a_page_at_a_time_with_the_count_of_all(database):
    north = make_site(database)
    units = [make_unit(database, site_id=north, expires_in=timedelta(hours=1 + n)) for n in range(5)]
    make_unit(database, site_id=north, expires_in=timedelta(days=5))
    page, total = expiring_within(clerk(database), hours=24, limit=2, offset=2)
    assert [u.unit_id for u in page] == units[2:4] and total == 5


def test_an_unknown_kind_or_site_is_refused(database):
    with pytest.raises(InvalidInput, match="is not a component kind"):
        stock(clerk(database), kind="blood")
    with pytest.raises(NotFound, match="No site with id 999"):
        stock(clerk(database), site_id=999)
    with pytest.raises(NotFound, match="No site with id 999"):
        stock_lines(clerk(database), site_id=999)
    with pytest.raises(InvalidInput):
        stock(clerk(database), blood_group="Q+")


def test_every_unit_of_a_donation_is_located_including_the_one_on_the_road(database):
    north, south = make_site(database, code="NORTH"), make_site(database)
    din = "G123426000001"
    shelf = make_unit(database, site_id=north, din=din, location="fridge 2")
    road = make_unit(database, site_id=north, din=din, kind="plasma", expires_in=timedelta(days=300))
    transfer = dispatch(clerk(database), from_site_id=north, to_site_id=south, unit_ids=[road])
    places = {row.unit_id: row for row in unit_locations(clerk(database), "G1234 26 000001")}
    assert (places[shelf].site_code, places[shelf].storage_location, places[shelf].transfer_id) == \
        ("NORTH", "fridge 2", None)
    assert (places[road].status, places[road].site_id, places[road].transfer_id) == ("in_transit", None, transfer.id)


def test_locating_an_unknown_or_malformed_din_says_so(database):
    with pytest.raises(NotFound, match="No unit carries"):
        unit_locations(clerk(database), "G123426999999")
    with pytest.raises(InvalidInput):
        unit_locations(clerk(database), "G12")
