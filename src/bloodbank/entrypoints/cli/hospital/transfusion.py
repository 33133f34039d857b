from __future__ import annotations

from typing import Optional

import typer
from rich.markup import escape

from bloodbank.domain.access import Permission as P
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.haemovigilance import IMPUTABILITY, REACTION_CATEGORIES, SEVERITIES
from bloodbank.entrypoints.cli.context import clerk_errors, console, uow
from bloodbank.entrypoints.cli.identity import Actor, needs, second_person_password
from bloodbank.service_layer.hospital import returns, transfusion
from bloodbank.service_layer.hospital.transfusion import OUTCOMES, TransfusionView

app = typer.Typer(help="At the bedside: check, transfuse, observe, report reactions, return unused units.",
                  no_args_is_help=True)

Temp = typer.Option(None, "--temp", help="Temperature, °C.")
Pulse = typer.Option(None, "--pulse", help="Beats per minute.")
Bp = typer.Option(None, "--bp", help="Blood pressure as SYSTOLIC/DIASTOLIC, e.g. 120/80.")
Resp = typer.Option(None, "--resp", help="Respiratory rate, breaths per minute.")
Spo2 = typer.Option(None, "--spo2", help="Oxygen saturation, %.")


def _vitals(temp: float | None, pulse: int | None, bp: str | None, resp: int | None, spo2: int | None) -> dict:
    systolic = diastolic = None
    if bp:
        high, sep, low = bp.partition("/")
        if not sep or not high.strip().isdigit() or not low.strip().isdigit():
            raise InvalidInput(f"Blood pressure '{bp}' is not SYSTOLIC/DIASTOLIC, e.g. 120/80.")
        systolic, diastolic = int(high), int(low)
    values = {"temperature_c": temp, "pulse": pulse, "systolic": systolic, "diastolic": diastolic,
              "respiratory_rate": resp, "spo2": spo2}
    return {k: v for k, v in values.items() if v is not None}


def _show(view: TransfusionView) -> None:
    console.print(f"Transfusion [bold]{view.transfusion_id}[/bold] of unit {escape(view.din)} "
                  f"{escape(view.product_code)} (issue {view.issue_id}), unit {view.unit_status}")
    console.print(f"Started {view.started_at:%Y-%m-%d %H:%M} UTC by {escape(view.administered_by)}"
                  + (f", checked by {escape(view.checked_by)}" if view.checked_by else ""))
    if view.ended_at:
        console.print(f"Ended {view.ended_at:%Y-%m-%d %H:%M} UTC: {view.outcome}, {view.volume_given_ml} mL given")
    console.print(f"Observations during: {len(view.vitals.get('during') or [])}")
    for warning in view.warnings:
        console.print(f"[bold red]WARNING:[/bold red] {escape(warning)}")
    for r in view.reactions:
        console.print(f"Reaction {r.reaction_id}: {escape(r.category_name)}, {r.severity}, {r.imputability}")


@app.command()
@needs(P.TRANSFUSION)
def start(
    issue_id: int = typer.Argument(..., help="The issue on the unit's compatibility label."),
    unit: str = typer.Option(..., "--unit", help="Scan the unit's DIN (optionally followed by its product code)."),
    patient: str = typer.Option(..., "--patient", help="Scan the patient's identity band."),
    temp: Optional[float] = Temp, pulse: Optional[int] = Pulse, bp: Optional[str] = Bp,
    resp: Optional[int] = Resp, spo2: Optional[int] = Spo2,
    tag: Optional[str] = typer.Option(None, "--tag", help="Scan the compatibility tag tied to the bag."),
    checked_by: Optional[str] = typer.Option(None, "--checked-by", help="The second person checking: their user "
                                                                        "name; they type their password when asked."),
    actor: str = Actor,
) -> None:
    """Bedside check and start: unit and patient must match the issue, or it is a hard stop."""
    with clerk_errors():
        view = transfusion.start_transfusion(
            uow(), issue_id=issue_id, scanned_unit=unit, scanned_patient=patient,
            vitals_before=_vitals(temp, pulse, bp, resp, spo2), checked_by=checked_by,
            checker_password=second_person_password(checked_by) if checked_by else None, scanned_tag=tag)
    console.print("[green]Bedside check passed: transfusion started.[/green]")
    _show(view)


@app.command()
@needs(P.TRANSFUSION)
def vitals(
    transfusion_id: int = typer.Argument(...),
    temp: Optional[float] = Temp, pulse: Optional[int] = Pulse, bp: Optional[str] = Bp,
    resp: Optional[int] = Resp, spo2: Optional[int] = Spo2,
    actor: str = Actor,
) -> None:
    """Record observations during the transfusion (the time is the server's)."""
    with clerk_errors():
        view = transfusion.record_vitals(uow(), transfusion_id=transfusion_id,
                                         vitals=_vitals(temp, pulse, bp, resp, spo2))
    _show(view)


@app.command()
@needs(P.TRANSFUSION)
def end(
    transfusion_id: int = typer.Argument(...),
    volume: int = typer.Option(..., "--volume", help="mL given."),
    outcome: str = typer.Option("completed", "--outcome", help=", ".join(OUTCOMES)),
    temp: Optional[float] = Temp, pulse: Optional[int] = Pulse, bp: Optional[str] = Bp,
    resp: Optional[int] = Resp, spo2: Optional[int] = Spo2,
    actor: str = Actor,
) -> None:
    """End the transfusion with the observations after it: the unit becomes transfused."""
    with clerk_errors():
        view = transfusion.end_transfusion(uow(), transfusion_id=transfusion_id, volume_given_ml=volume,
                                           outcome=outcome, vitals_after=_vitals(temp, pulse, bp, resp, spo2))
    console.print("[green]Transfusion ended.[/green]")
    _show(view)


@app.command()
@needs(P.TRANSFUSION)
def reaction(
    transfusion_id: int = typer.Argument(...),
    category: str = typer.Option(..., "--category", help=", ".join(REACTION_CATEGORIES)),
    severity: str = typer.Option(..., "--severity", help=", ".join(SEVERITIES)),
    imputability: str = typer.Option("not_assessable", "--imputability", help=", ".join(IMPUTABILITY)),
    description: str = typer.Option(..., "--description", help="Signs, times, what was done."),
    actor: str = Actor,
) -> None:
    """Report a transfusion reaction (ISBT categories); a serious one opens a follow-up of the donor(s)."""
    with clerk_errors():
        view = transfusion.report_reaction(uow(), transfusion_id=transfusion_id, category=category,
                                           severity=severity, imputability=imputability, description=description)
    console.print(f"Reaction {view.reaction_id} recorded: {escape(view.category_name)}, {view.severity}"
                  + (" [bold red](serious: report to the haemovigilance officer)[/bold red]" if view.serious else ""))
    console.print(f"Unit {escape(view.din)}; donation(s) {escape(', '.join(view.donation_dins))}")
    if view.follow_up_ids:
        console.print(f"Donor follow-up opened for {len(view.follow_up_ids)} donation(s).")


@app.command("return")
@needs(P.TRANSFUSION)
def return_command(
    issue_id: Optional[int] = typer.Argument(None, help="The issue; or leave it out and give --scan."),
    scan: Optional[str] = typer.Option(None, "--scan", help="The DIN scanned from the bag brought back."),
    minutes: int = typer.Option(..., "--minutes", help="Minutes since the unit left controlled storage."),
    cold_chain: bool = typer.Option(False, "--cold-chain/--no-cold-chain",
                                    help="Kept in a validated cold box the whole time."),
    note: str = typer.Option("", "--note"),
    actor: str = Actor,
) -> None:
    """Receive a unit back unused: restocked if its cold chain held, otherwise discarded."""
    with clerk_errors():
        if (issue_id is None) == (scan is None):
            raise InvalidInput("Give the issue or --scan with the bag's DIN, not both and not neither.")
        if issue_id is None:
            issue_id = returns.issue_of_scanned_unit(uow(), scanned_unit=scan)
        view = returns.return_unit(uow(), issue_id=issue_id, minutes_out_of_storage=minutes,
                                   kept_in_cold_chain=cold_chain, note=note)
    if view.restocked:
        console.print(f"[green]Unit {escape(view.din)} back in stock[/green]: {escape(view.explanation)}.")
    else:
        console.print(f"[yellow]Unit {escape(view.din)} discarded[/yellow]: {escape(view.explanation)}.")


@app.command()
@needs(P.TRANSFUSION)
def show(transfusion_id: int = typer.Argument(...), actor: str = Actor) -> None:
    """Show a transfusion, its observations and reactions."""
    with clerk_errors():
        view = transfusion.get_transfusion(uow(), transfusion_id)
    _show(view)
