from __future__ import annotations

from datetime import datetime
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from bloodbank.domain.access import Permission as P
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.patients import ORDER_KINDS, URGENCIES
from bloodbank.domain.ids import MAX_ID
from bloodbank.entrypoints.cli.context import clerk_errors, console, uow
from bloodbank.entrypoints.cli.identity import Actor, needs
from bloodbank.service_layer.hospital import hospitals, orders, patients
from bloodbank.service_layer.hospital.orders import OrderView

app = typer.Typer(help="Orders for blood from hospitals: place, cancel, list, show.", no_args_is_help=True)


def _needed_by(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"Write the time needed as YYYY-MM-DD HH:MM; got '{text}'.") from None
    # Without an offset the use case reads it on the hospital's clock, wherever this computer is.
    return moment


def _when(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def _table(views: list[OrderView]) -> Table:
    table = Table("Order", "Hospital", "Patient", "Kind", "Qty", "Needed by", "Urgency", "Status", "Reserved")
    for column in table.columns:
        column.overflow = "fold"
    for v in views:
        table.add_row(str(v.id), str(v.hospital_id), "stock" if v.for_stock else f"id:{v.patient_id}", v.kind,
                      str(v.quantity), _when(v.needed_by), v.urgency, v.status, str(len(v.reserved_unit_ids)))
    return table


@app.command()
@needs(P.ORDERS)
def place(
    hospital: str = typer.Option(..., "--hospital", help="Hospital code, e.g. RXH."),
    kind: str = typer.Option(..., "--kind", help=", ".join(ORDER_KINDS)),
    quantity: int = typer.Option(..., "--quantity", help="Number of units, 1 to 50."),
    needed_by: str = typer.Option(..., "--needed-by", help="YYYY-MM-DD HH:MM on the hospital's clock, unless an offset is given."),
    urgency: str = typer.Option("routine", "--urgency", help="; ".join(f"{k}: {v}" for k, v in URGENCIES.items())),
    patient: Optional[str] = typer.Option(None, "--patient", help="Patient identifier (mrn:RXH:1, EM-2026-0001) or id:42."),
    for_stock: bool = typer.Option(False, "--for-stock", help="Replenish the hospital's own stock (no patient)."),
    note: str = typer.Option("", "--note"),
    incident: Optional[int] = typer.Option(None, "--incident", min=1, max=MAX_ID,
                                           help="The mass-casualty incident it is for (its number)."),
    actor: str = Actor,
) -> None:
    """Place an order for a patient, or for the hospital's stock."""
    with clerk_errors():
        hospital_id = hospitals.get_hospital(uow(), hospital).id
        patient_id = patients.lookup_patient(uow(), patient).id if patient else None
        view = orders.place_order(uow(), hospital_id=hospital_id, patient_id=patient_id, for_stock=for_stock,
                                  kind=kind, quantity=quantity, needed_by=_needed_by(needed_by), urgency=urgency,
                                  note=note, incident_id=incident)
    console.print(f"Order [bold]{view.id}[/bold] placed: {view.quantity} × {view.kind}, {view.urgency}, "
                  f"needed by {_when(view.needed_by)}.")


@app.command()
@needs(P.ORDERS)
def cancel(
    order_id: int = typer.Argument(...),
    reason: str = typer.Option(..., "--reason"),
    actor: str = Actor,
) -> None:
    """Cancel an order; units reserved for it go back to available stock."""
    with clerk_errors():
        view = orders.cancel_order(uow(), order_id=order_id, reason=reason)
    console.print(f"Order {view.id} cancelled.")


@app.command("list")
@needs(P.ORDERS)
def list_orders(
    hospital: Optional[str] = typer.Option(None, "--hospital", help="Hospital code."),
    status: Optional[str] = typer.Option(None, "--status", help="open, allocated, issued, fulfilled, cancelled."),
    limit: int = typer.Option(50, "--limit"),
    offset: int = typer.Option(0, "--offset"),
    actor: str = Actor,
) -> None:
    """List orders, soonest needed first."""
    with clerk_errors():
        hospital_id = hospitals.get_hospital(uow(), hospital).id if hospital else None
        views = orders.list_orders(uow(), hospital_id=hospital_id, status=status, limit=limit, offset=offset)
    if not views:
        console.print("No order found.")
        return
    console.print(_table(views))


@app.command()
@needs(P.ORDERS)
def show(order_id: int = typer.Argument(...), actor: str = Actor) -> None:
    """Show one order and the units reserved for it."""
    with clerk_errors():
        view = orders.get_order(uow(), order_id)
    console.print(_table([view]))
    if view.reserved_unit_ids:
        console.print("Reserved units (ids): " + ", ".join(str(i) for i in view.reserved_unit_ids))
    if view.note:
        console.print(f"Note: {escape(view.note)}")
    console.print(f"Ordered by {escape(view.ordered_by)} at {_when(view.created_at)}.")
