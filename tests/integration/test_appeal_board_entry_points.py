"""The dashboard and the report on their pages (refreshed by htmx, the appeal paused and resumed from the
dashboard) and through the command line, with the same permission as the API."""

from __future__ import annotations

import html
import re

import pytest
from typer.testing import CliRunner

from bloodbank.adapters.db.models import Incident
from bloodbank.entrypoints.cli.app import app
from bloodbank.entrypoints.cli.context import set_database_url
from tests.integration.appeal_donation_fixtures import accept, give_blood, invitation_ids
from tests.integration.appeal_fixtures import (
    booked_ten_hours_on, link_secret, make_appeal_donor, make_appeal_site,
)
from tests.integration.web_fixtures import PASSWORD, browser, make_user

__all__ = ["link_secret", "booked_ten_hours_on"]
# The appeal sized against a known first booking, whatever the hour the suite runs at.
pytestmark = pytest.mark.usefixtures("booked_ten_hours_on")
runner = CliRunner()


def text_of(answer) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", answer.text)))


def _started(client) -> int:
    answer = client.post("/incidents", data={"csrf_token": client.csrf, "place": "Central station",
                                             "kind": "explosion", "severe": "10", "moderate": "0", "minor": "0"})
    incident = int(answer.headers["location"].split("/")[2].split("?")[0])
    started = client.post(f"/incidents/{incident}/appeal", data={"csrf_token": client.csrf, "action": "start",
                                                                 "back": "dashboard"})
    assert started.status_code == 303 and started.headers["location"].startswith(f"/incidents/{incident}/dashboard")
    return incident


def test_the_dashboard_page_refreshes_itself_and_pauses_and_resumes_the_appeal(database, link_secret):
    make_appeal_site(database)
    make_appeal_donor(database, km_north=1)
    client = browser(database, "inventory_manager")
    incident = _started(client)
    page = client.get(f"/incidents/{incident}/dashboard")
    assert page.status_code == 200
    assert f'hx-get="/incidents/{incident}/dashboard"' in page.text and 'hx-select="#dashboard"' in page.text
    assert 'id="need-supply-chart" src="data:image/svg+xml;base64,' in page.text
    words = text_of(page)
    assert "The appeal is running." in words and "0-6h (no appeal reaches it)" in words
    assert re.search(r"O- \d+ [\d.]+ 1 0 0 0 0 0 \d+", words)  # by group: one invited so far
    paused = client.post(f"/incidents/{incident}/appeal", data={"csrf_token": client.csrf, "action": "pause",
                                                                "back": "dashboard"})
    assert "The appeal is paused" in text_of(client.get(paused.headers["location"]))
    resumed = client.post(f"/incidents/{incident}/appeal", data={"csrf_token": client.csrf, "action": "resume",
                                                                 "back": "dashboard"})
    assert "The appeal is running." in text_of(client.get(resumed.headers["location"]))
    assert browser(database, "clerk").get(f"/incidents/{incident}/dashboard").status_code == 403


def test_the_report_page_leads_with_the_unused_share_and_offers_each_table_as_csv(database, link_secret):
    make_appeal_site(database)
    make_appeal_donor(database, km_north=1)
    client = browser(database, "inventory_manager")
    incident = _started(client)
    assert "No unit has come from the appeal's donations yet." in text_of(client.get(f"/incidents/{incident}/report"))
    [invitation] = invitation_ids(database)
    accept(database, invitation)
    give_blood(database, invitation, units=({"status": "discarded"}, {"kind": "plasma", "status": "available"}))
    words = text_of(client.get(f"/incidents/{incident}/report"))
    assert "50 % unused" in words and "1 of 2 units expired or were discarded" in words
    answer = client.get(f"/incidents/{incident}/report/fates.csv")
    assert answer.status_code == 200 and "red_cells,O-,0,0,0,1,0,1" in answer.text
    assert client.get(f"/incidents/{incident}/report/nothing.csv").status_code == 404
    assert 'href="/incidents/%d/dashboard"' % incident in client.get(f"/incidents/{incident}").text


@pytest.fixture
def cli(database):
    set_database_url(database.url)
    make_user(database, "inventory_manager", "stock.sam")
    make_user(database, "clerk", "desk.dee")

    def run(*args, user="stock.sam"):
        result = runner.invoke(app, [str(a) for a in args], env={
            "BLOODBANK_USER": user, "BLOODBANK_PASSWORD": PASSWORD, "COLUMNS": "200",
            "BLOODBANK_DATABASE_URL": database.url})
        return result.exit_code, " ".join(result.output.split())
    yield run
    set_database_url(None)


def test_the_command_line_shows_the_dashboard_writes_the_report_and_follows_running_appeals(
        database, link_secret, cli, tmp_path):
    make_appeal_site(database)
    make_appeal_donor(database, km_north=1)
    assert cli("incidents", "declare", "--place", "Central station", "--kind", "explosion", "--severe", 10)[0] == 0
    with database.sessions() as s:
        incident = s.query(Incident).one().id
    assert cli("incidents", "appeal", "start", incident)[0] == 0
    make_appeal_donor(database, km_north=2)
    code, said = cli("incidents", "appeal", "follow")
    assert code == 0 and "1 running appeal(s) topped up." in said
    assert len(invitation_ids(database)) == 2
    code, said = cli("incidents", "dashboard", incident, "--chart", tmp_path / "chart.svg")
    assert code == 0 and "running" in said and "24-72h" in said and "after 72h" in said
    assert (tmp_path / "chart.svg").read_text().startswith("<svg")
    code, said = cli("incidents", "report", incident, "--csv", tmp_path)
    assert code == 0 and "Unused share: no unit has come" in said
    assert (tmp_path / f"bloodbank-incident-{incident}-fates.csv").exists()
    code, said = cli("incidents", "report", incident, user="desk.dee")
    assert code != 0
