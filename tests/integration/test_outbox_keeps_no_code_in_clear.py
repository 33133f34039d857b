"""The one-time sign-in link or code never sits in clear: the outbox seals every body at rest, blanks a sign-in's
once it is sent or given up, and no staff view of the outbox (the API, the command line) shows it, even when a
gateway echoes the message in its error."""

from __future__ import annotations

import re

from sqlalchemy import MetaData, text
from typer.testing import CliRunner

from bloodbank.adapters.messaging.errors import SendFailed
from bloodbank.entrypoints.cli import app
from bloodbank.service_layer.messaging import outbox
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from tests.integration.portal_fixtures import CODE, LINK, ask, home_browser, make_home_donor, messages
from tests.integration.web_fixtures import PASSWORD, api, make_user

runner = CliRunner()


class Echoing:
    """A gateway that fails, quoting back what it was sent, as some do."""

    def __init__(self, permanent: bool = True):
        self.permanent = permanent

    def send(self, *, to: str, subject: str, body: str, key: str) -> None:
        raise SendFailed(f"gateway refused {to}: {body}", permanent=self.permanent)


class Delivering:
    def __init__(self):
        self.delivered: list[str] = []

    def send(self, *, to: str, subject: str, body: str, key: str) -> None:
        self.delivered.append(body)


def stored_rows(database) -> list[str]:
    """Every row of every table, as the database holds it (no column type opens anything)."""
    tables = MetaData()
    with database.engine.connect() as connection:
        tables.reflect(connection)
        return [" ".join(map(str, row)) for table in tables.sorted_tables
                for row in connection.execute(text(f'SELECT * FROM "{table.name}"'))]


def raw_outbox(database) -> list[tuple]:
    with database.engine.connect() as connection:
        return connection.execute(text("SELECT body, subject, last_error FROM outbox_message")).all()


def send(database, sender, channel: str):
    return outbox.send_pending(UnitOfWork(database, actor="outbox"), senders={channel: sender})


def test_no_row_of_the_database_holds_a_sign_in_link_or_code_in_clear(database):
    by_email, by_sms = make_home_donor(database), make_home_donor(database)
    assert ask(home_browser(database), database, by_email, "email").status_code == 202
    assert ask(home_browser(database), database, by_sms, "sms").status_code == 202
    link_message, code_message = messages(database)  # opened by the column type, as the sender reads them
    token = LINK.search(link_message.body).group(1)
    code = CODE.search(code_message.body).group(1)
    assert not [row for row in stored_rows(database) if token in row]
    assert not [row for row in raw_outbox(database) if code in " ".join(row)]
    delivered = Delivering()
    assert outbox.send_pending(UnitOfWork(database, actor="outbox"),
                               senders={"email": delivered, "sms": delivered}).sent == 2
    assert token in delivered.delivered[0] and code in delivered.delivered[1]
    # Once sent, the link and the code are gone from the outbox altogether.
    assert [m.body for m in messages(database)] == ["", ""]


def test_a_gateway_that_echoes_the_message_puts_no_code_where_staff_read_errors(database):
    donor = make_home_donor(database)
    assert ask(home_browser(database), database, donor, "sms").status_code == 202
    [message] = messages(database)
    code = CODE.search(message.body).group(1)

    report = send(database, Echoing(), "sms")

    assert report.failed == 1 and not [e for e in report.errors if code in e]
    [failed] = messages(database)
    assert failed.status == "failed" and failed.body == "" and code not in failed.last_error
    assert "gateway refused" in failed.last_error
    assert not [row for row in raw_outbox(database) if code in " ".join(row)]
    staff_view = api(database, "inventory_manager", "inv.ian").get("/api/outbox")
    assert staff_view.status_code == 200 and staff_view.json()["failed"] and code not in staff_view.text
    make_user(database, "inventory_manager", "inv.joe")
    shown = runner.invoke(app, ["--database", database.url, "outbox", "status", "--as", "inv.joe"],
                          env={"BLOODBANK_PASSWORD": PASSWORD})
    assert shown.exit_code == 0, shown.output
    assert "gateway refused" in " ".join(shown.output.split()) and code not in shown.output


def test_a_message_that_will_be_tried_again_keeps_its_body_sealed(database):
    donor = make_home_donor(database)
    ask(home_browser(database), database, donor, "sms")
    [message] = messages(database)
    code = CODE.search(message.body).group(1)
    send(database, Echoing(permanent=False), "sms")
    [waiting] = messages(database)
    assert waiting.status == "pending" and code in waiting.body  # still to be sent …
    assert code not in waiting.last_error
    assert not [row for row in raw_outbox(database) if code in " ".join(row)]  # … but never stored in clear
    # Nor the phone it was going to: the outbox keeps no copy of an address.
    assert re.search(r"\d{6}", waiting.last_error) is None and "[…]" in waiting.last_error
