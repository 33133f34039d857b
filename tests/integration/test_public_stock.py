"""The public page and feed of blood stocks: no login, levels and whole days by group, the groups needed,
figures that agree with the inventory, and no count of units, person or casualty figure."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bloodbank.domain import stock_levels
from bloodbank.domain.stock_levels import Thresholds, level, shown_days, thresholds_from
from bloodbank.entrypoints.web import public_figures
from bloodbank.service_layer.blood.inventory import supply_by_group
from bloodbank.service_layer.reporting.public_stock import public_stock
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from tests.integration.inventory_fixtures import make_issue, make_site, make_unit
from tests.integration.web_fixtures import browser


@pytest.fixture(autouse=True)
def fresh_figures():
    public_figures.forget()
    yield
    public_figures.forget()


@pytest.fixture
def region(database):
    site = make_site(database, code="CITY")
    for _ in range(12):
        make_unit(database, site_id=site, group="O+")  # 12 on the shelf
    for _ in range(28):  # 28 issued in four weeks: one a day, so 12 days of supply
        make_issue(database, make_unit(database, site_id=site, group="O+", status="issued"), days_ago=3)
    make_unit(database, site_id=site, group="O-")
    for _ in range(56):  # two a day, one on the shelf: half a day
        make_issue(database, make_unit(database, site_id=site, group="O-", status="issued"), days_ago=3)
    return site


def test_levels_follow_the_days_of_supply_and_agree_with_the_inventory(database, region):
    stock = public_stock(UnitOfWork(database, read_only=True))
    red = {g.blood_group: g for g in stock.national.groups if g.component == "red_cells"}
    supply = {s.blood_group: s for s in supply_by_group(UnitOfWork(database), kind="red_cells")}
    for group, shown in red.items():
        assert shown.days == shown_days(supply[group].days_of_supply)
    assert (red["O+"].level, red["O+"].days) == ("good", 12)
    assert (red["O-"].level, red["O-"].days) == ("very_low", 0)
    assert red["AB-"].level == "very_low"  # none on the shelf
    assert stock.needed[0] == "O-" and "O+" not in stock.needed
    assert [a.code for a in stock.sites] == ["CITY"]


def test_the_page_and_the_feed_need_no_login_and_carry_no_counts(database, region):
    anyone = browser(database)
    page = anyone.get("/public")
    assert page.status_code == 200 and "Needed now: groups O-, A-" in re.sub(r"<[^>]+>", "", page.text)
    assert "<script" not in page.text.split("<main", 1)[1]  # read without a script
    assert page.headers["cache-control"].startswith("public")
    feed = anyone.get("/api/public/stock")
    assert feed.status_code == 200
    body = feed.json()
    assert set(body) == {"at", "national", "sites", "needed", "sources"}
    for area in [body["national"], *body["sites"]]:
        for group in area["groups"]:
            assert set(group) == {"blood_group", "component", "level", "days"}  # a level and days, never units
    assert body["needed"][0] == "O-"


def test_the_feed_is_kept_for_a_minute_and_read_afresh_after(database, region):
    anyone = browser(database)
    before = anyone.get("/api/public/stock").json()
    for _ in range(20):
        make_unit(database, site_id=region, group="O-")
    assert anyone.get("/api/public/stock").json() == before
    public_figures.forget()
    after = anyone.get("/api/public/stock").json()
    o_neg = next(g for g in after["national"]["groups"] if g["blood_group"] == "O-")
    assert o_neg["days"] == 10 and o_neg["level"] == "good"


def test_thresholds_are_data_with_a_source_and_malformed_ones_are_refused():
    rules = stock_levels.thresholds()
    assert set(rules) == {"red_cells", "platelets"} and all(t.source for t in rules.values())
    with pytest.raises(stock_levels.StockLevelRulesError, match="low_days < good_days"):
        thresholds_from({"red_cells": {"good_days": 1, "low_days": 2, "source": "x"},
                         "platelets": {"good_days": 3, "low_days": 1, "source": "y"}})
    with pytest.raises(stock_levels.StockLevelRulesError, match="missing"):
        thresholds_from({"red_cells": {"good_days": 6, "low_days": 2, "source": "x"}})
    rule = Thresholds(6, 2, "s")
    assert [level(5, d, rule) for d in (0.5, 2, 5.9, 6, None)] == ["very_low", "low", "low", "good", "good"]
    assert level(0, None, rule) == "very_low"
