from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from bloodbank.domain.access import Permission as P
from bloodbank.entrypoints import languages
from bloodbank.entrypoints.cli.context import clerk_errors, console, uow
from bloodbank.entrypoints.cli.identity import Actor, needs, signed
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.ids import MAX_ID
from bloodbank.service_layer.hospital import allocation, compatibility_tag, crossmatch, emergency as emergencies, issue
from bloodbank.service_layer.hospital.allocation import AllocationView
from bloodbank.service_layer.hospital.issue import IssueView

app = typer.Typer(help="Allocation, crossmatch and issue of units for patients.", no_args_is_help=True)

UnitScan = typer.Option(..., "--unit-scan", help="The DIN barcode scanned from the unit's label.")
PatientScan = typer.Option(..., "--patient-scan", help="The identifier scanned from the patient's wristband.")
ProductScan = typer.Option(None, "--product-scan", help="The product code barcode from the label (optional).")


def _show_allocation(view: AllocationView) -> None:
    console.print(f"Order {view.order_id}: [bold]{view.order_status}[/bold], "
                  f"{len(view.reserved)} of {view.quantity} units held")
    for r in view.reserved:
        console.print(f"  reservation {r.id:>5}  unit {r.unit_id:>5}  {r.din} {r.product_code}  "
                      f"{r.blood_group or '?':<3}  expires {r.expires_at:%Y-%m-%d %H:%M} UTC"
                      + (f"  [yellow]{r.note}[/yellow]" if r.note else ""))
    for note in view.notes:
        console.print(f"[yellow]Note:[/yellow] {note}")
    if view.shortfall:
        console.print(f"[red]{view.shortfall} unit(s) short.[/red]")


def _show_issue(view: IssueView) -> None:
    how = "EMERGENCY release, uncrossmatched" if view.emergency else (
        "electronic issue" if view.electronic else
        (f"crossmatch {view.crossmatch_id}" if view.crossmatch_id else "no crossmatch needed"))
    console.print(f"[green]Issued[/green]: unit {view.din} {view.product_code} ({view.blood_group}) to patient "
                  f"{view.patient_id}, issue {view.id}, {how}, by {view.issued_by} "
                  f"at {view.issued_at:%Y-%m-%d %H:%M} UTC")
    for check in view.manual_checks:
        console.print(f"[bold yellow]{check}[/bold yellow]")
    if view.emergency and view.follow_up_done_at is None:
        console.print("[yellow]Follow up: group the patient and crossmatch this unit as soon as a sample "
                      "is tested.[/yellow]")


@app.command("allocate")
@needs(P.ORDERS)
def allocate(order_id: int = typer.Argument(..., help="The order's id."), actor: str = Actor) -> None:
    """Reserve the best units in stock for an order (a shortfall leaves it open)."""
    with clerk_errors():
        _show_allocation(allocation.allocate(uow(), order_id=order_id))


@app.command("reserve")
@needs(P.ORDERS)
def reserve(order_id: int = typer.Argument(..., help="The order's id."),
            unit_id: Optional[int] = typer.Argument(None, help="The unit's id; or leave it out and give --scan."),
            scan: Optional[str] = typer.Option(None, "--scan", help="The DIN scanned from the bag in hand."),
            product_scan: Optional[str] = ProductScan, actor: str = Actor) -> None:
    """Reserve one unit chosen by hand, or scanned in hand, for an order, under the same rules as allocate."""
    with clerk_errors():
        if (unit_id is None) == (scan is None):
            raise InvalidInput("Give the unit's id or --scan with its DIN, not both and not neither.")
        if unit_id is not None:
            _show_allocation(allocation.reserve_unit(uow(), order_id=order_id, unit_id=unit_id))
        else:
            _show_allocation(allocation.reserve_scanned_unit(uow(), order_id=order_id, scanned_unit=scan,
                                                             scanned_product=product_scan))


@app.command("release")
@needs(P.ORDERS)
def release(reservation_id: int = typer.Argument(..., help="The reservation's id."),
            reason: str = typer.Option(..., "--reason", help="Why the unit goes back to stock."),
            actor: str = Actor) -> None:
    """Give a reserved unit back to stock."""
    with clerk_errors():
        view = allocation.release_reservation(uow(), reservation_id=reservation_id, reason=reason)
    console.print(f"Reservation {view.id} released: unit {view.din} {view.product_code} is available again.")


@app.command("show")
@needs(P.ORDERS)
def show(order_id: int = typer.Argument(..., help="The order's id."), actor: str = Actor) -> None:
    """The units held for an order."""
    with clerk_errors():
        _show_allocation(allocation.get_allocation(uow(), order_id=order_id))


@app.command("tag")
@needs(P.ISSUE)
def tag(issue_id: int = typer.Argument(..., min=1, max=MAX_ID, help="The issue's id."),
        out: Path = typer.Option(..., "--out", help="Where to write the tag's PDF."), actor: str = Actor) -> None:
    """Print the compatibility tag to tie to the bag: patient, unit, basis of the match, and its barcodes."""
    with clerk_errors():
        pdf = compatibility_tag.print_tag(uow(), issue_id=issue_id, language=languages.current(),
                                         catalogue=languages.catalogue)
    out.write_bytes(pdf)
    console.print(f"Compatibility tag of issue {issue_id} written to {escape(str(out))}.")


@app.command("crossmatch")
@needs(P.ORDERS)
def record_crossmatch(
    patient_id: int = typer.Argument(..., help="The patient's record id."),
    unit_id: int = typer.Argument(..., help="The unit's id."),
    sample_id: int = typer.Option(..., "--sample", help="The patient sample tested."),
    result: str = typer.Option(..., "--result", help="compatible or incompatible."),
    method: str = typer.Option("serological", "--method", help=", ".join(crossmatch.METHODS)),
    actor: str = Actor,
) -> None:
    """Record a serological crossmatch of a unit against a patient's sample."""
    with clerk_errors():
        view = crossmatch.record_crossmatch(uow(), patient_id=patient_id, unit_id=unit_id,
                                            sample_id=sample_id, result=result, method=method)
    colour = "green" if view.result == "compatible" else "red"
    console.print(f"Crossmatch {view.id}: unit {view.din} with patient {view.patient_id}: "
                  f"[{colour}]{view.result}[/{colour}] ({view.method}).")


@app.command("issue")
@needs(P.ISSUE)
def issue_command(
    reservation_id: int = typer.Argument(..., help="The reservation holding the unit."),
    unit_scan: str = UnitScan, patient_scan: str = PatientScan, product_scan: Optional[str] = ProductScan,
    actor: str = Actor,
) -> None:
    """Issue a reserved unit: scan the unit's label and the patient's wristband."""
    with clerk_errors():
        _show_issue(issue.issue_unit(uow(), reservation_id=reservation_id, scanned_unit=unit_scan,
                                     scanned_patient=patient_scan, scanned_product=product_scan))


@app.command("emergency")
@needs(P.EMERGENCY_RELEASE)
def emergency(
    patient_id: int = typer.Argument(..., help="The patient's record id (an emergency number is fine)."),
    unit_id: Optional[int] = typer.Argument(None, help="The unit's id; leave it out and the unit scan picks it."),
    unit_scan: str = UnitScan, patient_scan: str = PatientScan, product_scan: Optional[str] = ProductScan,
    reason: str = typer.Option(..., "--reason", help="Why blood goes before testing."),
    order_id: Optional[int] = typer.Option(None, "--order", help="The order, if one was placed."),
    incident: Optional[int] = typer.Option(None, "--incident", min=1, max=2**31 - 1,
                                           help="The mass-casualty incident, when no order is named."),
    actor: str = Actor,
) -> None:
    """Emergency release of uncrossmatched blood, signed with your password; it must be followed up (see
    follow-ups)."""
    with clerk_errors():
        view = signed(
            action="emergency_release",
            act=lambda: emergencies.emergency_issue(
                uow(), patient_id=patient_id, unit_id=unit_id, scanned_unit=unit_scan, scanned_patient=patient_scan,
                reason=reason, order_id=order_id, scanned_product=product_scan, incident_id=incident),
            record=lambda done: (f"{done.din} {done.product_code}", "issue", done.id))
    _show_issue(view)


@app.command("follow-ups")
@needs(P.ISSUE)
def follow_ups(actor: str = Actor) -> None:
    """Emergency releases still waiting for grouping and crossmatch."""
    with clerk_errors():
        pending = emergencies.pending_emergency_follow_ups(uow())
    if not pending:
        console.print("No emergency release is waiting for follow-up.")
    for item in pending:
        i = item.issue
        console.print(f"Issue {i.id}: unit {i.din} ({i.blood_group}) to patient {i.patient_id} "
                      f"at {i.issued_at:%Y-%m-%d %H:%M} UTC by {i.issued_by}")
        for line in item.missing:
            console.print(f"  to do: {line}")
        for line in item.findings:
            console.print(f"  [red]{line}[/red]")


@app.command("follow-up-done")
@needs(P.ISSUE)
def follow_up_done(issue_id: int = typer.Argument(..., help="The emergency issue's id."),
                   note: str = typer.Option(..., "--note", help="What the follow-up found."),
                   actor: str = Actor) -> None:
    """Close the follow-up of an emergency release once grouping and crossmatch are done."""
    with clerk_errors():
        view = emergencies.complete_emergency_follow_up(uow(), issue_id=issue_id, note=note)
    console.print(f"Follow-up of issue {view.id} recorded.")


@app.command("electronic-check")
@needs(P.ISSUE)
def electronic_check(patient_id: int = typer.Argument(..., help="The patient's record id."),
                     actor: str = Actor) -> None:
    """Whether red cells may be issued to this patient without a serological crossmatch."""
    with clerk_errors():
        allowed, reasons = issue.electronic_issue_status(uow(), patient_id=patient_id)
    if allowed:
        console.print("[green]Electronic issue allowed.[/green]")
        return
    console.print("[yellow]Electronic issue not allowed:[/yellow]")
    for reason in reasons:
        console.print(f"  - {reason}")
