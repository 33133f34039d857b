from __future__ import annotations

import re
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from bloodbank.adapters.db.models import Order, Unit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.entrypoints.cli import context
from bloodbank.entrypoints.cli.hospital.orders import app
from tests.integration.lab_fixtures import audit_entries
from tests.integration.patient_fixtures import count_rows, make_hospital, make_patient, make_reservation, make_unit
from tests.integration.web_fixtures import join_hospitals, make_user

runner = CliRunner()


@pytest.fixture
def cli(database):
    context.set_database_url(database.url)
    make_user(database, "hospital_staff", "dr.cli")
    yield lambda *args, user="dr.cli": runner.invoke(app, [str(a) for a in args],
                                                     env={"BLOODBANK_USER": user, "COLUMNS": "250"})
    context.set_database_url(None)


def said(result) -> str:
    """The output with the console's line wrapping undone."""
    return " ".join(result.output.split())


def soon(hours: int = 4) -> str:
    return (utcnow() + timedelta(hours=hours)).isoformat(timespec="minutes")


def test_an_order_is_placed_listed_shown_and_cancelled(database, cli):
    rxh = make_hospital(database, code="RXH")
    join_hospitals(database, "dr.cli", rxh)
    make_patient(database, ("mrn", "RXH:1"), hospital_id=rxh)
    result = cli("place", "--hospital", "RXH", "--patient", "RXH:1", "--kind", "red cells", "--quantity", 2,
                 "--needed-by", soon(), "--urgency", "urgent", "--note", "theatre 3")
    assert result.exit_code == 0, result.output
    order_id = int(re.search(r"Order (\d+) placed", result.output).group(1))
    unit = make_unit(database, status="reserved")
    make_reservation(database, order_id, unit)
    listed = cli("list", "--hospital", "RXH", "--status", "open")
    assert listed.exit_code == 0 and "red_cells" in listed.output and "urgent" in listed.output, listed.output
    shown = cli("show", order_id)
    assert shown.exit_code == 0 and f"Reserved units (ids): {unit}" in shown.output and "dr.cli" in shown.output
    cancelled = cli("cancel", order_id, "--reason", "surgery postponed")
    assert cancelled.exit_code == 0, cancelled.output
    with database.sessions() as session:
        assert session.get(Unit, unit).status == "available"
        assert session.get(Order, order_id).status == "cancelled"


def test_a_stock_order_and_a_refused_order(database, cli):
    rxh = make_hospital(database, code="RXH")
    join_hospitals(database, "dr.cli", rxh)
    result = cli("place", "--hospital", "RXH", "--for-stock", "--kind", "plasma", "--quantity", 10,
                 "--needed-by", soon(24))
    assert result.exit_code == 0, result.output
    refused = cli("place", "--hospital", "RXH", "--for-stock", "--kind", "plasma", "--quantity", 10,
                  "--needed-by", "2001-01-01 10:00")
    assert refused.exit_code == 1 and "already passed" in refused.output
    bad = cli("place", "--hospital", "RXH", "--for-stock", "--kind", "plasma", "--quantity", 1,
              "--needed-by", "tomorrow")
    assert bad.exit_code == 1 and "YYYY-MM-DD HH:MM" in bad.output
    assert count_rows(database, Order) == 1
    assert "No order found" in cli("list", "--status", "cancelled").output


def test_an_order_placed_as_a_name_with_no_account_is_refused_and_logged(database, cli):
    rxh = make_hospital(database, code="RXH")
    join_hospitals(database, "dr.cli", rxh)
    entries = len(audit_entries(database))
    result = cli("place", "--hospital", "RXH", "--for-stock", "--kind", "plasma", "--quantity", 2,
                 "--needed-by", soon(24), user="nobody")
    assert result.exit_code == 1 and "no active account named 'nobody'" in said(result)
    assert count_rows(database, Order) == 0
    [denied] = audit_entries(database)[entries:]
    assert denied.action == "access_denied" and denied.entity_id == "orders"


def test_an_inventory_manager_may_not_place_or_list_orders_from_the_command_line(database, cli):
    make_user(database, "inventory_manager", "stock.sam")
    rxh = make_hospital(database, code="RXH")
    join_hospitals(database, "dr.cli", rxh)
    placed = cli("place", "--hospital", "RXH", "--for-stock", "--kind", "plasma", "--quantity", 2,
                 "--needed-by", soon(24), user="stock.sam")
    assert placed.exit_code == 1 and "may not do this" in said(placed) and "'orders'" in said(placed)
    assert count_rows(database, Order) == 0
    listed = cli("list", user="stock.sam")
    assert listed.exit_code == 1 and "may not do this" in said(listed)
    assert [e.action for e in audit_entries(database)[-2:]] == ["access_denied", "access_denied"]
