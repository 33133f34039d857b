"""The stock report is counted by the database: as many statements for 200 units as for 10."""

from datetime import timedelta

from bloodbank.service_layer.blood.inventory import stock, stock_grid, supply_by_group
from tests.integration.inventory_fixtures import clerk, make_site, make_unit
from tests.integration.query_budget import statements


def report_costs(database, site):
    with statements(database) as sent:
        report = stock(clerk(database))
    with statements(database) as sent_grid:
        stock_grid(clerk(database), site_id=site)
    with statements(database) as sent_supply:
        supply_by_group(clerk(database))
    return report, (len(sent), len(sent_grid), len(sent_supply))


def test_the_stock_report_sends_the_same_statements_for_10_units_as_for_200(database):
    site = make_site(database)
    groups = ["O+", "O-", "A+", "B+", "AB-"]
    for n in range(10):
        make_unit(database, site_id=site, group=groups[n % 5], age_days=n * 3, expires_in=timedelta(days=1 + n))
    small, small_cost = report_costs(database, site)
    for n in range(190):
        make_unit(database, site_id=site, group=groups[n % 5], age_days=n % 35,
                  status="available" if n % 4 else "quarantined")
    large, large_cost = report_costs(database, site)
    assert large_cost == small_cost
    assert sum(line.available + line.quarantined for line in large.lines) == 200
    assert sum(n for line in large.lines for _label, n in line.ages) == sum(line.available for line in large.lines)
