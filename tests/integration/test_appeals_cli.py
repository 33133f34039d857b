"""`bloodbank incidents appeal` and `bloodbank outbox`: the same rules and permission as the API and the page."""

import pytest
from typer.testing import CliRunner

from bloodbank.adapters.db.models import Incident
from bloodbank.entrypoints.cli.app import app
from bloodbank.entrypoints.cli.context import set_database_url
from tests.integration.appeal_fixtures import (
    booked_ten_hours_on, link_secret, make_appeal_donor, make_appeal_site, sms_gateway,
)
from tests.integration.web_fixtures import PASSWORD, make_user

__all__ = ["link_secret", "sms_gateway", "booked_ten_hours_on"]
# The appeal sized against a known first booking, whatever the hour the suite runs at.
pytestmark = pytest.mark.usefixtures("booked_ten_hours_on")
runner = CliRunner()
URL: dict[str, str] = {}


@pytest.fixture(autouse=True)
def cli_database(database):
    set_database_url(database.url)
    URL["now"] = database.url
    make_user(database, "inventory_manager", "stock.sam")
    make_user(database, "clerk", "desk.dee")
    yield
    set_database_url(None)


def run(*args, user="stock.sam"):
    return runner.invoke(app, [str(a) for a in args],
                         env={"BLOODBANK_USER": user, "BLOODBANK_PASSWORD": PASSWORD, "COLUMNS": "200",
                              "BLOODBANK_DATABASE_URL": URL["now"]})


def _only_incident(database) -> int:
    with database.sessions() as session:
        return session.query(Incident).one().id


def said(result) -> str:
    return " ".join(result.output.split())


def test_start_pause_resume_show_and_send(database, link_secret, sms_gateway):
    make_appeal_site(database)
    make_appeal_donor(database, km_north=1)
    declared = run("incidents", "declare", "--place", "Central station", "--kind", "explosion", "--severe", 10)
    assert declared.exit_code == 0, declared.output
    incident = _only_incident(database)
    started = run("incidents", "appeal", "start", incident)
    assert started.exit_code == 0, started.output
    assert "running" in said(started) and "O- │" in said(started)
    again = run("incidents", "appeal", "start", incident)
    assert again.exit_code != 0 and "already has an appeal" in said(again)
    assert "paused" in said(run("incidents", "appeal", "pause", incident))
    assert "running" in said(run("incidents", "appeal", "resume", incident))
    sent = run("outbox", "send")
    assert sent.exit_code == 0 and "Sent 1" in said(sent), sent.output
    assert "sent 1" in said(run("outbox", "status"))
    assert len(sms_gateway.delivered) == 1


def test_a_clerk_cannot_start_an_appeal(database, link_secret):
    run("incidents", "declare", "--place", "Market", "--kind", "fire", "--severe", 1)
    refused = run("incidents", "appeal", "start", _only_incident(database), user="desk.dee")
    assert refused.exit_code != 0 and "may not do this" in said(refused)


def test_an_unknown_incident_is_a_clear_error(database, link_secret):
    result = run("incidents", "appeal", "show", 999999)
    assert result.exit_code != 0 and "incident" in said(result).lower() and "Traceback" not in result.output
