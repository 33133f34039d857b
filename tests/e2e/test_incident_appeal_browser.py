"""From the web an inventory manager declares an incident in the demo region, sees the gap by window, starts an
appeal, and watches invitations, acceptances and collections close it.

The donors answer through their personal links in a browser of their own. Two parts are played beside the
browser, on the server's database: mutual aid from neighbouring services fills the shelves but for a few A+
red cells, so that the gap is one a handful of donors can close; and each donor who booked gives blood on
their day (the chair's pages take a donor on the day of the visit, and the booking is tomorrow). The demo's
donors who opted in are reachable at any hour here, so the test does not depend on the time it runs.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from bloodbank.adapters.db.database import Database
from bloodbank.adapters.db.models import AppealInvitation, Donor, OutboxMessage, Site, Unit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.config import get_settings
from bloodbank.domain import appeal_sizing, mass_casualty
from bloodbank.domain.appeal_rules import default_parameters
from bloodbank.domain.isbt128 import make_din
from bloodbank.service_layer.crisis.shortfall import shortfall
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from tests.integration.appeal_donation_fixtures import give_blood

SHORT_GROUP, SHORT_UNITS = "A+", 2  # red cell units left short: ceil(2 / 0.85) = 3 donors close the gap
PRODUCT = {"red_cells": ("red_cells", "E0001"), "plasma": ("plasma", "E0002"),
           "platelets": ("platelets_apheresis", "E0003")}


@pytest.fixture
def appeal_links(monkeypatch):
    monkeypatch.setenv("BLOODBANK_APPEAL_LINK_SECRET", "a-secret-for-the-browser-tests-0123456789")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def _reachable_at_any_hour(database: Database) -> None:
    with database.sessions() as s, s.begin():
        s.execute(update(Donor).where(Donor.appeals_opt_in.is_(True))
                  .values(appeal_contact_from_hour=0, appeal_contact_until_hour=24))


def _mutual_aid(database: Database, incident_id: int) -> None:
    """Units from neighbouring services at a depot of their own: every kind and group the forecast and the
    restocking need, but SHORT_UNITS A+ red cells."""
    gap = shortfall(UnitOfWork(database, actor="mutual aid"), incident_id=incident_id)
    need: dict[tuple[str, str], int] = {}
    for line in gap.lines:
        key = (line.kind, line.group)
        need[key] = need.get(key, 0) + line.need - line.stock - line.quarantine - line.transfer
    params = default_parameters()
    restock = appeal_sizing.restock_units(params.target_days_of_supply, params.usual_daily_use,
                                          mass_casualty.default_parameters().population, {})
    now = utcnow()
    with database.sessions() as s, s.begin():
        depot = Site(code="AID", name="Mutual aid depot", facility_code="G1234", time_zone="Europe/London")
        s.add(depot)
        s.flush()
        serial = 800_000
        for (kind, group), missing in sorted(need.items()):
            if kind == "red_cells":
                missing += restock[group]
            missing += -SHORT_UNITS if (kind, group) == ("red_cells", SHORT_GROUP) else 2
            unit_kind, code = PRODUCT[kind]
            for _ in range(max(0, missing)):
                serial += 1
                s.add(Unit(din=str(make_din("G1234", 26, serial)), product_code=code, division="00",
                           kind=unit_kind, blood_group=group, status="available", volume_ml=280,
                           collected_at=now - timedelta(days=2), expires_at=now + timedelta(days=30),
                           site_id=depot.id, label_printed_at=now, label_verified_at=now,
                           label_verified_by="lab.kim"))


def _links(database: Database) -> list[tuple[int, str]]:
    with database.sessions() as s:
        rows = s.execute(select(OutboxMessage.invitation_id, OutboxMessage.body)
                         .join(AppealInvitation, AppealInvitation.id == OutboxMessage.invitation_id)
                         .where(AppealInvitation.blood_group == SHORT_GROUP).order_by(OutboxMessage.id)).all()
    return [(i, body.split("/appeal/")[1].split()[0]) for i, body in rows]


def _cell(page, group: str, column: int):
    """A figure of the dashboard's row for a group: 0 donors needed, 2 invited, 3 accepted, 6 collected, 8 still."""
    return page.locator(f'#dashboard-groups tr[data-group="{group}"] td').nth(column)


def test_an_inventory_manager_watches_an_appeal_close_the_gap(page_as, chromium, live_server, live_database_url,
                                                              appeal_links, screenshot_dir):
    database = Database(live_database_url)
    _reachable_at_any_hour(database)
    page = page_as("inventory")

    page.goto("/incidents/new")
    page.get_by_label("Where (a district, a street, a landmark)").fill("Derby bus station")
    page.get_by_label("Severe").fill("4")
    page.get_by_role("button", name="Declare").click()
    expect(page.locator("h1")).to_contain_text("Derby bus station")
    incident = int(re.search(r"/incidents/(\d+)", page.url).group(1))
    expect(page.locator("#windows")).to_contain_text("0-6h")
    expect(page.locator("#windows tbody tr").first).to_have_class("short")
    expect(page.locator("#statements")).to_contain_text("An appeal cannot cover the 0-6h")

    _mutual_aid(database, incident)
    page.clock.install()
    page.get_by_role("link", name="Appeal dashboard").click()
    expect(page.locator("#dashboard-windows")).to_contain_text("after 72h")
    later = page.locator('#dashboard-windows tr[data-window="after 72h"] td')
    expect(later.nth(2)).to_have_text(str(SHORT_UNITS))  # the gap: A+ red cells to restore stock
    expect(page.locator('#dashboard-windows tr[data-window="0-6h"] td').nth(2)).to_have_text("0")

    page.get_by_role("button", name="Start the appeal").click()
    expect(page.locator("#dashboard-status")).to_contain_text("The appeal is running.")
    expect(_cell(page, SHORT_GROUP, 0)).to_have_text("3")
    expect(_cell(page, SHORT_GROUP, 8)).to_have_text("3")
    links = _links(database)
    assert len(links) >= 3
    expect(_cell(page, SHORT_GROUP, 2)).to_have_text(str(len(links)))

    booked = []
    donors = chromium.new_context(base_url=live_server)
    try:
        for invitation, token in links:
            donor = donors.new_page()
            donor.goto(f"/appeal/{token}")
            donor.get_by_role("button", name="Book this time").click()
            # A donor already booked that day for a routine donation is told so, and keeps that booking.
            expect(donor.locator("#booked, [role=alert]").first).to_be_visible()
            if donor.locator("#booked").count():
                booked.append(invitation)
            donor.close()
            if len(booked) == 3:
                break
    finally:
        donors.close()
    assert len(booked) == 3
    page.clock.run_for("00:21")  # the dashboard asks again by itself
    expect(_cell(page, SHORT_GROUP, 3)).to_have_text("3")
    expect(page.locator("#gap-closed")).to_contain_text("Donations still to collect: 3")

    for invitation in booked:
        give_blood(database, invitation)
    page.clock.run_for("00:21")
    expect(page.locator("#gap-closed")).to_have_text("Gap closed")
    expect(_cell(page, SHORT_GROUP, 6)).to_have_text("3")
    expect(page.locator("#dashboard-statements")).to_contain_text("The gap is closed")

    page.get_by_role("button", name="Top up now").click()
    expect(page.locator("#gap-closed")).to_have_text("Gap closed")
    page.screenshot(path=screenshot_dir / "incident-dashboard.png", full_page=True)
    assert len(_links(database)) == len(links)  # a closed gap invites nobody
    database.dispose()
