"""The root `bloodbank` command; each area of work is a sub-command group."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from bloodbank.domain.digits import ascii_digits
from bloodbank.entrypoints.cli import database, demo, doctor, serve, simulate
from bloodbank.entrypoints.cli.blood import inventory, lab, processing
from bloodbank.entrypoints.cli.context import set_database_url
from bloodbank.entrypoints.cli.crisis import incidents, outbox
from bloodbank.entrypoints.cli.donors import appointments, collection, donors, eligibility, retention, sites, visits
# Its commands join `bloodbank donors` as the module is read.
from bloodbank.entrypoints.cli.donors import portal_requests  # noqa: F401
from bloodbank.entrypoints.cli.field import walking_blood_bank
from bloodbank.entrypoints.cli.hospital import issue, massive_transfusion, orders, patients, transfusion
from bloodbank.entrypoints.cli.reporting import monthly as monthly_reports
from bloodbank.entrypoints.cli.staff import audit, keys, users
from bloodbank.entrypoints.cli.traceability import trace

app = typer.Typer(
    help="bloodbank: voluntary, safe, type-correct, traceable blood donation and transfusion.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(database.app, name="db")
app.add_typer(eligibility.app, name="eligibility")
app.add_typer(audit.app, name="audit")
app.add_typer(keys.app, name="keys")
app.add_typer(sites.app, name="sites")
app.add_typer(users.app, name="users")
app.add_typer(donors.app, name="donors")
app.add_typer(retention.app, name="retention")
app.add_typer(appointments.app, name="appointments")
app.add_typer(visits.app, name="visits")
app.add_typer(collection.app, name="collection")
app.add_typer(processing.app, name="processing")
app.add_typer(lab.app, name="lab")
app.add_typer(inventory.app, name="inventory")
app.add_typer(patients.hospitals_app, name="hospitals")
app.add_typer(patients.app, name="patients")
app.add_typer(orders.app, name="orders")
app.add_typer(issue.app, name="issue")
app.add_typer(transfusion.app, name="transfusion")
app.add_typer(massive_transfusion.app, name="mtp")
app.add_typer(massive_transfusion.packs_app, name="identity-packs")
app.add_typer(incidents.app, name="incidents")
app.add_typer(monthly_reports.app, name="reports")
app.add_typer(walking_blood_bank.app, name="field")
app.add_typer(outbox.app, name="outbox")
app.command("trace")(trace.trace_command)
app.command("lookback")(trace.lookback_command)
app.add_typer(trace.recall_app, name="recall")
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)
app.command("doctor")(doctor.doctor)
app.command("simulate")(simulate.simulate)


@app.callback()
def _root(
    database_url: Optional[str] = typer.Option(
        None, "--database", envvar="BLOODBANK_DATABASE_URL",
        help="SQLAlchemy URL of the database (default: SQLite under ./var/).",
    ),
) -> None:
    set_database_url(database_url)


def main(argv: list[str] | None = None) -> None:
    # A DIN, donor number or date typed on an Arabic keyboard reads the same as one typed in ASCII digits.
    app(args=[ascii_digits(arg) for arg in (sys.argv[1:] if argv is None else argv)], prog_name="bloodbank")
