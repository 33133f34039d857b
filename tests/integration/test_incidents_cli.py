import pytest
from typer.testing import CliRunner

from bloodbank.adapters.db.models import Hospital, Incident, Signature
from bloodbank.entrypoints.cli.context import set_database_url
from bloodbank.entrypoints.cli.crisis import incidents as cli
from tests.integration.inventory_fixtures import insert, make_site, make_unit
from tests.integration.web_fixtures import PASSWORD, make_user

runner = CliRunner()


@pytest.fixture(autouse=True)
def cli_database(database):
    set_database_url(database.url)
    make_user(database, "inventory_manager", "stock.sam")
    yield
    set_database_url(None)


def run(*args, user="stock.sam", password=PASSWORD):
    return runner.invoke(cli.app, [str(a) for a in args],
                         env={"BLOODBANK_USER": user, "BLOODBANK_PASSWORD": password, "COLUMNS": "200"})


def said(result) -> str:
    return " ".join(result.output.split())


def _incident(database) -> int:
    result = run("declare", "--place", "Central station", "--kind", "explosion", "--severe", 10)
    assert result.exit_code == 0, result.output
    with database.sessions() as session:
        return session.query(Incident).one().id


def test_declare_count_shortfall_and_signed_close(database):
    site = make_site(database, code="NORTH")
    make_unit(database, site_id=site, group="O-")
    insert(database, Hospital(code="RXH", name="Royal", site_id=site))
    incident = _incident(database)
    counted = run("count", incident, "--severity", "moderate", "--change", 4, "--hospital", "RXH")
    assert counted.exit_code == 0 and "+4 moderate admitted at RXH" in said(counted)
    shown = run("show", incident)
    assert "moderate │ 0 │ 4 │ 4" in said(shown)
    gap = run("shortfall", incident)
    assert gap.exit_code == 0, gap.output
    assert "An appeal cannot cover the 0-6h and 6-24h gap" in said(gap)
    closed = run("close", incident, "--note", "all treated")
    assert closed.exit_code == 0 and f"Incident {incident} closed" in said(closed)
    with database.sessions() as session:
        assert session.query(Signature).filter_by(entity="incident", action="close_incident").count() == 1


def test_a_wrong_password_closes_nothing(database):
    incident = _incident(database)
    result = run("close", incident, password="not my password")
    assert result.exit_code != 0 and "does not match" in said(result)
    with database.sessions() as session:
        assert session.get(Incident, incident).status == "declared"


@pytest.mark.parametrize("command", [("declare", "--place", "X", "--kind", "fire"), ("show", 1), ("shortfall", 1),
                                     ("close", 1)])
def test_hospital_staff_neither_declare_nor_read_counts_nor_close(database, command):
    make_user(database, "hospital_staff", "ward.sam")
    result = run(*command, user="ward.sam")
    assert result.exit_code != 0 and "may not do this" in said(result)


def test_a_clerk_cannot_count_casualties(database):
    incident = _incident(database)
    make_user(database, "clerk", "desk.ann")
    result = run("count", incident, "--severity", "severe", "--change", 1, user="desk.ann")
    assert result.exit_code != 0 and "may not do this" in said(result)
