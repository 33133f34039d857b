from __future__ import annotations

from typing import Optional

import typer

from bloodbank.domain.access import Permission as P
from bloodbank.domain.collection import BAG_TYPES, REACTION_KINDS, SEVERITIES
from bloodbank.entrypoints.cli.context import clerk_errors, console, uow
from bloodbank.entrypoints.cli.identity import Actor, needs
from bloodbank.service_layer.donors import collection
from bloodbank.service_layer.donors.collection import CollectionView

app = typer.Typer(help="Collect blood: assign the DIN, record the bag, volume and any reaction.",
                  no_args_is_help=True)


def _show(view: CollectionView) -> None:
    console.print(f"DIN [bold]{view.din_eye_readable}[/bold]   (barcode data {view.din_barcode})")
    console.print(f"Donation {view.donation_id}, visit {view.visit_id}, {view.kind.replace('_', ' ')}, "
                  f"status {view.status}")
    console.print(f"Bag {view.bag_type}, lot {view.bag_lot}; phlebotomist {view.phlebotomist}")
    planned = f"planned {view.planned_volume_ml} mL" if view.planned_volume_ml else "no planned volume"
    maximum = f", donor maximum {view.max_volume_ml} mL" if view.max_volume_ml else ""
    recorded = f", collected {view.volume_ml} mL" if view.volume_ml else ""
    console.print(f"Volume: {planned}{maximum}{recorded}")
    console.print(f"Started {view.started_at:%Y-%m-%d %H:%M:%S} UTC"
                  + (f", ended {view.ended_at:%Y-%m-%d %H:%M:%S} UTC" if view.ended_at else ""))
    if view.volume_flag:
        console.print(f"[bold yellow]FLAG for the laboratory:[/bold yellow] {view.volume_flag}")


@app.command()
@needs(P.COLLECTION)
def start(
    visit_id: int = typer.Argument(..., help="The consented visit."),
    bag_type: str = typer.Option(..., "--bag-type", help=", ".join(b.code for b in BAG_TYPES)),
    lot: str = typer.Option(..., "--lot", help="Lot number printed on the bag."),
    planned_volume: Optional[int] = typer.Option(
        None, "--planned-volume", help="mL; default: the bag's nominal volume (450 mL whole blood)."),
    actor: str = Actor,
) -> None:
    """Start a collection: checks deferral, consent, eligibility and the safe volume, then assigns the DIN."""
    with clerk_errors():
        view = collection.start_collection(uow(), visit_id=visit_id, bag_type=bag_type, bag_lot=lot,
                                           planned_volume_ml=planned_volume)
    console.print("[green]Collection started.[/green] Label the bag and the sample tubes with:")
    _show(view)


@app.command()
@needs(P.COLLECTION)
def finish(
    donation_id: int = typer.Argument(...),
    volume: int = typer.Option(..., "--volume", help="Collected volume in mL, anticoagulant excluded."),
    actor: str = Actor,
) -> None:
    """Record the collected volume and end the collection (the end time is the server's)."""
    with clerk_errors():
        view = collection.finish_collection(uow(), donation_id=donation_id, volume_ml=volume)
    console.print("[green]Collection complete.[/green]")
    _show(view)


@app.command()
@needs(P.COLLECTION)
def abort(
    donation_id: int = typer.Argument(...),
    reason: str = typer.Option(..., "--reason", help="For example: vein lost, donor withdrew."),
    volume: Optional[int] = typer.Option(None, "--volume", help="Volume in the bag, if any, in mL."),
    actor: str = Actor,
) -> None:
    """Stop a collection before a full bag. The DIN stays used and is never given again."""
    with clerk_errors():
        view = collection.abort_collection(uow(), donation_id=donation_id, reason=reason, volume_ml=volume)
    console.print("[yellow]Collection aborted.[/yellow]")
    _show(view)


@app.command()
@needs(P.COLLECTION)
def reaction(
    donation_id: int = typer.Argument(...),
    kind: str = typer.Option(..., "--kind", help=", ".join(k.code for k in REACTION_KINDS)),
    severity: str = typer.Option(..., "--severity", help=", ".join(SEVERITIES)),
    outcome: str = typer.Option(..., "--outcome", help="What was done and how the donor left."),
    actor: str = Actor,
) -> None:
    """Record an adverse reaction to a donation (ISBT 2014 categories)."""
    with clerk_errors():
        view = collection.record_adverse_reaction(uow(), donation_id=donation_id, kind=kind,
                                                  severity=severity, outcome=outcome)
    what = view.kind.replace("_", " ")
    console.print(f"Recorded: {view.severity} {what} on DIN {view.din} (reaction {view.id}).")


@app.command()
@needs(P.COLLECTION)
def show(din: str = typer.Argument(..., help="Scanned or typed; spaces and check character optional."),
         actor: str = Actor) -> None:
    """Show a donation found by its DIN."""
    with clerk_errors():
        view = collection.find_by_din(uow(), din)
    _show(view)
