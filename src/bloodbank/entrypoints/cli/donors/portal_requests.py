"""`bloodbank donors erasure-requests`, `decline-erasure` and `available-now`: what donors said on their page that
staff act on. An erasure request is answered by `bloodbank donors erase` (which closes it) or declined here."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from bloodbank.domain.access import Permission as P
from bloodbank.entrypoints.cli.context import clerk_errors, console, uow
from bloodbank.entrypoints.cli.donors.donors import app
from bloodbank.entrypoints.cli.identity import Actor, needs
from bloodbank.service_layer.donor_portal import my_data, preferences


@app.command("erasure-requests")
@needs(P.ERASURE)
def erasure_requests(actor: str = Actor) -> None:
    """Erasure requests donors filed from their page, not yet erased or declined, oldest first."""
    with clerk_errors():
        requests = my_data.open_erasure_requests(uow())
    if not requests:
        console.print("No erasure request is waiting.")
        return
    table = Table("Donor", "Asked on", "Erase with", title="Erasure requests from the donors' page")
    for r in requests:
        table.add_row(r.donor_number, r.requested_on.isoformat(),
                      f"bloodbank donors erase {r.donor_number} --requested-on {r.requested_on.isoformat()} "
                      f"--channel {r.channel}")
    for column in table.columns:
        column.overflow = "fold"
    console.print(table)


@app.command("decline-erasure")
@needs(P.ERASURE)
def decline_erasure(
    number: str = typer.Argument(..., help="Donor number."),
    reason: str = typer.Option(..., "--reason", help="Why, in words the donor reads on their page."),
    actor: str = Actor,
) -> None:
    """Decline a donor's erasure request, saying why (audited); the donor reads the reason on their page."""
    with clerk_errors():
        done = my_data.decline_erasure_request(uow(), donor_ref=number, reason=reason)
    console.print(f"The erasure request of donor {done.donor_number} is declined; the donor reads why on their page.")


@app.command("available-now")
@needs(P.DONORS_READ)
def available_now(actor: str = Actor) -> None:
    """Donors who said on their page they can come now, in an emergency, soonest to lapse first."""
    with clerk_errors():
        donors = preferences.available_now(uow())
    if not donors:
        console.print("No donor has said they can come now.")
        return
    table = Table("Donor", "Group", "Can come until (UTC)", title="Donors who can come now")
    for d in donors:
        table.add_row(d.donor_number, escape(d.blood_group or "not confirmed"), f"{d.available_until:%Y-%m-%d %H:%M}")
    console.print(table)
