from datetime import timedelta, timezone

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from bloodbank.adapters.db.models import Signature, Site, TemperatureExcursion, Unit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.entrypoints.cli.blood import inventory as cli
from bloodbank.entrypoints.cli.context import set_database_url
from tests.integration import lab_fixtures
from tests.integration.inventory_fixtures import audit_actions, counts, make_issue, make_site, make_unit, unit
from tests.integration.lab_fixtures import audit_entries
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
    """The output with the console's line wrapping undone."""
    return " ".join(result.output.split())


def records(database) -> dict[str, object]:
    """Everything but the audit log, which a refusal writes to."""
    return {name: value for name, value in counts(database).items() if name != "audit"}


def signatures(database) -> list[Signature]:
    with database.sessions() as session:
        return session.query(Signature).order_by(Signature.id).all()


def held_by_an_excursion(database) -> tuple[str, int]:
    """An excursion recorded at EAST's fridge 1 and the unit it put in quarantine."""
    site_id = make_site(database, code="EAST")
    red = make_unit(database, site_id=site_id, location="fridge 1")
    result = run("excursion", "--site", "EAST", "--location", "fridge 1",
                 "--started", (utcnow() - timedelta(hours=2)).isoformat(),
                 "--ended", (utcnow() - timedelta(hours=1)).isoformat(), "--lowest", 4, "--highest", 12.5)
    assert result.exit_code == 0, result.output
    return result.output.split("Excursion ")[1].split(" ")[0], red


def test_stock_shows_groups_kinds_days_of_supply_and_what_expires_soon(database):
    north = make_site(database, code="NORTH")
    for _ in range(4):
        make_unit(database, site_id=north, group="O-")
    make_unit(database, site_id=north, group="O-", expires_in=timedelta(days=1))
    make_issue(database, make_unit(database, site_id=north, group="O-", status="issued"), days_ago=2)
    result = run("stock", "--site", "north")
    assert result.exit_code == 0, result.output
    assert "NORTH" in result.output and "red cells" in result.output and "O-" in result.output
    assert "140.0" in result.output  # 5 units / (1 issue / 28 days)
    assert "Use first" in result.output


def test_a_transfer_is_dispatched_and_received_from_the_command_line(database):
    north, south = make_site(database, code="NORTH"), make_site(database, code="SOUTH")
    a, b = make_unit(database, site_id=north), make_unit(database, site_id=north)
    result = run("dispatch", a, b, "--from", "NORTH", "--to", "SOUTH")
    assert result.exit_code == 0 and "Transfer" in result.output, result.output
    transfer_id = result.output.split("Transfer ")[1].split(":")[0]
    assert "on the road" in run("in-transit").output
    result = run("receive", transfer_id, a, "--location", "fridge 4")
    assert result.exit_code == 0 and f"Missing (still in transit): {b}" in result.output, result.output
    assert (unit(database, a).status, unit(database, a).site_id) == ("available", south)


def test_a_refused_dispatch_is_a_clear_message_and_changes_nothing(database):
    north, _ = make_site(database, code="NORTH"), make_site(database, code="SOUTH")
    held = make_unit(database, site_id=north, status="reserved")
    before = counts(database)
    result = run("dispatch", held, "--from", "NORTH", "--to", "SOUTH")
    assert result.exit_code == 1 and "Nothing was sent" in result.output
    assert counts(database) == before


def test_an_excursion_is_recorded_with_the_monitors_times(database):
    make_site(database, code="NORTH")
    site_id = make_site(database, code="EAST")
    red = make_unit(database, site_id=site_id, location="fridge 1")
    started = (utcnow() - timedelta(hours=2)).isoformat()
    ended = (utcnow() - timedelta(hours=1)).isoformat()
    result = run("excursion", "--site", "EAST", "--location", "fridge 1", "--started", started, "--ended", ended,
                 "--lowest", 4, "--highest", 12.5)
    assert result.exit_code == 0 and "1 unit(s) held" in result.output, result.output
    assert unit(database, red).status == "quarantined"
    excursion_id = result.output.split("Excursion ")[1].split(" ")[0]
    result = run("excursion-discard", excursion_id, red, "--note", "12.5 °C for an hour")
    assert result.exit_code == 0 and "storage temperature excursion" in result.output, result.output


def test_a_bad_excursion_time_is_a_clear_message(database):
    make_site(database, code="EAST")
    result = run("excursion", "--site", "EAST", "--location", "fridge 1", "--started", "yesterday",
                 "--ended", "now", "--lowest", 4, "--highest", 12)
    assert result.exit_code == 1 and "must be a date and time" in result.output


def test_discard_expire_and_waste_from_the_command_line(database):
    site = make_site(database, code="NORTH")
    a = make_unit(database, site_id=site)
    old = make_unit(database, site_id=site, expires_in=timedelta(hours=-3))
    result = run("discard", a, "--reason", "broken", "--note", "dropped")
    assert result.exit_code == 0 and "bag broken or leaking (dropped)" in result.output, result.output
    result = run("expire")
    assert result.exit_code == 0 and f"1 expired unit(s) discarded: {old}." in result.output, result.output
    result = run("waste", "--since", utcnow().date().isoformat(), "--site", "NORTH")
    assert result.exit_code == 0 and "expired" in result.output and "bag broken" in result.output, result.output
    result = run("discard", a, "--reason", "broken")
    assert result.exit_code == 1 and "cannot become discarded" in result.output


def test_where_lists_a_donations_units(database):
    site = make_site(database, code="NORTH")
    make_unit(database, site_id=site, din="G123426000042", location="fridge 7")
    result = run("where", "G123426000042")
    assert result.exit_code == 0 and "NORTH fridge 7" in result.output, result.output


def test_writes_without_a_user_name_are_refused(database):
    site = make_site(database, code="NORTH")
    a = make_unit(database, site_id=site)
    before = counts(database)
    result = run("discard", a, "--reason", "broken", user="")
    assert result.exit_code != 0
    assert counts(database) == before


def test_a_discard_as_a_name_with_no_account_is_refused_and_logged(database):
    a = make_unit(database, site_id=make_site(database, code="NORTH"))
    before, entries = records(database), len(audit_entries(database))
    result = run("discard", a, "--reason", "broken", user="nobody")
    assert result.exit_code == 1 and "no active account named 'nobody'" in said(result)
    assert records(database) == before and unit(database, a).status == "available"
    [denied] = audit_entries(database)[entries:]
    assert denied.action == "access_denied" and denied.entity_id == "discard"


def test_hospital_staff_may_not_discard_a_unit_from_the_command_line(database):
    make_user(database, "hospital_staff", "ward.wes")
    a = make_unit(database, site_id=make_site(database, code="NORTH"))
    before = records(database)
    result = run("discard", a, "--reason", "broken", user="ward.wes")
    assert result.exit_code == 1 and "may not do this" in said(result) and "'discard'" in said(result)
    assert records(database) == before and signatures(database) == []
    assert audit_actions(database)[-1] == "access_denied"


def test_a_clerk_may_not_read_the_stock_from_the_command_line(database):
    make_user(database, "clerk", "clerk.ann")
    make_unit(database, site_id=make_site(database, code="NORTH"))
    result = run("stock", user="clerk.ann")
    assert result.exit_code == 1 and "may not do this" in said(result) and "'units.read'" in said(result)
    assert "NORTH" not in said(result)
    assert audit_actions(database)[-1] == "access_denied"


def test_a_discard_is_signed_with_the_discarders_own_password(database):
    a = make_unit(database, site_id=make_site(database, code="NORTH"))
    result = run("discard", a, "--reason", "broken")
    assert result.exit_code == 0, result.output
    [signature] = signatures(database)
    assert (signature.action, signature.entity, signature.entity_id) == ("discard", "unit", str(a))
    assert signature.signer_name == "Test inventory_manager" and "E0001" in signature.meaning


def test_a_discard_with_a_wrong_password_discards_nothing_and_is_logged(database):
    a = make_unit(database, site_id=make_site(database, code="NORTH"))
    before = records(database)
    result = run("discard", a, "--reason", "broken", password="not my password at all")
    assert result.exit_code == 1 and "password does not match" in said(result)
    assert records(database) == before and unit(database, a).status == "available"
    assert signatures(database) == [] and audit_actions(database)[-1] == "signature_refused"


def test_an_excursion_discard_is_signed_with_the_discarders_own_password(database):
    excursion_id, red = held_by_an_excursion(database)
    result = run("excursion-discard", excursion_id, red, "--note", "12.5 °C for an hour")
    assert result.exit_code == 0, result.output
    assert unit(database, red).status == "discarded"
    [signature] = signatures(database)
    assert (signature.action, signature.entity, signature.entity_id) == ("discard", "unit", str(red))
    assert signature.signer_name == "Test inventory_manager"


def test_an_excursion_discard_with_a_wrong_password_discards_nothing(database):
    excursion_id, red = held_by_an_excursion(database)
    before = records(database)
    result = run("excursion-discard", excursion_id, red, password="not my password at all")
    assert result.exit_code == 1 and "password does not match" in said(result)
    assert records(database) == before and unit(database, red).status == "quarantined"
    assert signatures(database) == [] and audit_actions(database)[-1] == "signature_refused"


def test_the_expiry_sweep_is_signed_naming_the_units_it_discarded(database):
    site = make_site(database, code="NORTH")
    old = make_unit(database, site_id=site, expires_in=timedelta(hours=-3))
    make_unit(database, site_id=site)
    result = run("expire")
    assert result.exit_code == 0, result.output
    [signature] = signatures(database)
    assert (signature.action, signature.entity, signature.entity_id) == ("discard", "inventory", "expiry_sweep")
    assert f"1 expired unit(s) in stock at every site (unit ids {old})" in signature.meaning
    assert signature.signer_name == "Test inventory_manager"


def test_the_expiry_sweep_with_a_wrong_password_discards_nothing(database):
    old = make_unit(database, site_id=make_site(database, code="NORTH"), expires_in=timedelta(hours=-3))
    before = records(database)
    result = run("expire", password="not my password at all")
    assert result.exit_code == 1 and "password does not match" in said(result)
    assert records(database) == before and unit(database, old).status == "available"
    assert signatures(database) == [] and audit_actions(database)[-1] == "signature_refused"


def held_ready_unit(database) -> int:
    """A red cell unit whose tests are final and negative and label verified, held by an excursion at WEST."""
    site_id = lab_fixtures.make_site(database)
    with database.sessions() as session, session.begin():
        session.execute(update(Site).where(Site.id == site_id).values(code="WEST"))
    donation = lab_fixtures.make_donation(database, site_id=site_id)
    red = lab_fixtures.make_unit(database, donation_id=donation, site_id=site_id)
    lab_fixtures.pass_all_tests(database, donation)
    with database.sessions() as session, session.begin():
        session.execute(update(Unit).where(Unit.id == red).values(storage_location="fridge 1"))
    result = run("excursion", "--site", "WEST", "--location", "fridge 1",
                 "--started", (utcnow() - timedelta(hours=2)).isoformat(),
                 "--ended", (utcnow() - timedelta(hours=1)).isoformat(), "--lowest", 4, "--highest", 11)
    assert result.exit_code == 0 and "1 unit(s) held" in result.output, result.output
    return red


def test_a_held_unit_is_listed_and_released_after_a_signed_review(database):
    red = held_ready_unit(database)
    make_user(database, "lab_technician", "lab.rev")
    listed = run("holds", "--site", "WEST")
    assert listed.exit_code == 0 and f"unit {red}" in said(listed) and "temperature excursion, open" in said(listed)
    result = run("review-release", red, "--reason", "Probe fault: product stayed at 4 °C", user="lab.rev")
    assert result.exit_code == 0 and "Released after review" in result.output, result.output
    assert unit(database, red).status == "available"
    [signature] = signatures(database)
    assert (signature.action, signature.entity_id, signature.signer_name) == ("review_release", str(red),
                                                                               "Test lab_technician")
    assert "release_after_review" in audit_actions(database)
    history = run("holds", red)
    assert "released after review by lab.rev" in said(history) and "Probe fault" in said(history)


def test_a_review_release_with_a_wrong_password_or_without_the_release_permission_does_nothing(database):
    red = held_ready_unit(database)
    make_user(database, "lab_technician", "lab.rev")
    before = records(database)
    wrong = run("review-release", red, "--reason", "fine", user="lab.rev", password="not my password at all")
    assert wrong.exit_code == 1 and "password does not match" in said(wrong)
    not_mine = run("review-release", red, "--reason", "fine")  # stock.sam: an inventory manager
    assert not_mine.exit_code == 1 and "'release' permission" in said(not_mine)
    assert records(database) == before and unit(database, red).status == "quarantined"
    assert signatures(database) == []


def test_a_held_unit_is_discarded_after_a_signed_review(database):
    red = held_ready_unit(database)
    result = run("review-discard", red, "--reason", "11 °C for an hour: unfit")
    assert result.exit_code == 0 and "storage temperature excursion (11 °C for an hour: unfit)" in said(result), \
        result.output
    assert unit(database, red).status == "discarded"
    [signature] = signatures(database)
    assert (signature.action, signature.entity_id) == ("discard", str(red))
    assert "No unit is held for review." in run("holds").output


def test_an_excursion_time_without_a_zone_is_read_on_the_sites_clock_not_this_computers(database):
    site_id = make_site(database, code="EAST", time_zone="Asia/Damascus")
    make_unit(database, site_id=site_id, location="fridge 1")
    started = (utcnow() + timedelta(hours=3) - timedelta(hours=2)).replace(tzinfo=None, microsecond=0)
    ended = started + timedelta(hours=1)
    result = run("excursion", "--site", "EAST", "--location", "fridge 1", "--started", started.isoformat(),
                 "--ended", ended.isoformat(), "--lowest", 4, "--highest", 12.5)
    assert result.exit_code == 0, result.output
    with database.sessions() as session:
        stored = session.query(TemperatureExcursion).one()
    # The monitor in Damascus (UTC+3) said `started`: two hours ago in UTC.
    assert stored.started_at == started.replace(tzinfo=timezone.utc) - timedelta(hours=3)
