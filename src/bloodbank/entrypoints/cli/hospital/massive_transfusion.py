"""`bloodbank mtp …`: massive transfusion (a hospital's ratio, activate, pack, issue and take back coolers, end
signed, the report); `bloodbank identity-packs …`: emergency identities printed ahead and scanned on arrival."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from bloodbank.domain.access import Permission as P
from bloodbank.domain.ids import MAX_ID
from bloodbank.domain.massive_transfusion import rules
from bloodbank.entrypoints import languages
from bloodbank.entrypoints.cli.context import clerk_errors, console, running, uow
from bloodbank.entrypoints.cli.identity import Actor, needs, signing_password
from bloodbank.service_layer.hospital import identity_packs, massive_transfusion, mtp_rounds, patients
from bloodbank.service_layer.hospital.mtp_views import MtpView, RoundView

app = typer.Typer(help="Massive transfusion: coolers by the hospital's ratio, tracked and returned.",
                  no_args_is_help=True)
packs_app = typer.Typer(help="Emergency identity packs for a trauma bay: print ahead, scan on arrival.",
                        no_args_is_help=True)

Id = typer.Argument(..., min=1, max=MAX_ID)


def _show_round(view: RoundView) -> None:
    kind = "emergency units" if view.emergency else "group-specific"
    console.print(f"Round {view.number} (id {view.id}), {kind}: [bold]{view.state}[/bold]")
    for u in view.units:
        now = {True: "back in stock", False: "discarded on return"}.get(u.restocked, "issued" if u.issue_id
                                                                         else "packed")
        console.print(f"  {u.din} {u.product_code}  {u.kind:<20} {u.blood_group or '?':<4} {now}")
    for family, missing in view.short:
        console.print(f"[yellow]{missing} {family.replace('_', ' ')} short: the stock could not fill them.[/yellow]")


def _show(view: MtpView) -> None:
    who = view.patient.identifier("emergency") or view.patient.display_name
    state = "[bold]active[/bold]" if view.active else f"ended {view.ended_at:%Y-%m-%d %H:%M} UTC by {view.ended_by}"
    console.print(f"Massive transfusion {view.id}: patient {escape(who)} (record {view.patient.id}), "
                  f"group {view.patient_group or 'not confirmed'}, ratio {view.ratio.text}, {state}")
    c = view.counts
    console.print(f"Given: {c.red_cells} red cells, {c.plasma} plasma, {c.platelets} platelet doses, "
                  f"{c.whole_blood} whole blood")
    if view.achieved:
        console.print(f"Ratio given per red cell: 1 : {float(view.achieved[1]):.2f} : {float(view.achieved[2]):.2f} "
                      f"(target 1 : {float(view.target[1]):.2f} : {float(view.target[2]):.2f})")
    if view.o_negative_for_male:
        console.print(f"[red]{view.o_negative_for_male} O-negative red-cell unit(s) given to a male patient.[/red]")
    console.print(f"Returned to stock: {view.returned_to_stock}; wasted on return: {view.wasted}")
    for kind, group, n in view.by_kind_and_group:
        console.print(f"  {kind:<20} {group:<4} {n}")
    for r in view.rounds:
        _show_round(r)


@app.command("protocols")
@needs(P.MASSIVE_TRANSFUSION)
def protocols(actor: str = Actor) -> None:
    """The ratios a hospital may choose, with their sources."""
    for p in rules().protocols.values():
        console.print(f"[bold]{p.ratio.text}[/bold] {escape(p.name)}{' (default)' if p.code == rules().default else ''}"
                      f"\n  {escape(p.source)}")


@app.command("ratio")
@needs(P.MASSIVE_TRANSFUSION)
def ratio(hospital: str = typer.Option(..., "--hospital", help="The hospital's code or id."),
          actor: str = Actor) -> None:
    """The hospital's ratio of red cells : plasma : platelet doses per cooler."""
    with clerk_errors():
        view = massive_transfusion.hospital_ratio(uow(), hospital_id=_hospital(hospital))
    console.print(f"{view.ratio.text} " + (f"(own: {escape(view.reason)})" if view.own else "(default)"))


@app.command("set-ratio")
@needs(P.MTP_RATIO)
def set_ratio(hospital: str = typer.Option(..., "--hospital"), ratio: str = typer.Option(..., "--ratio"),
              reason: str = typer.Option(..., "--reason"), actor: str = Actor) -> None:
    """Set the hospital's own ratio (e.g. 4:4:1), with the reason."""
    with clerk_errors():
        view = massive_transfusion.set_hospital_ratio(uow(), hospital_id=_hospital(hospital), ratio=ratio,
                                                      reason=reason)
    console.print(f"Ratio {view.ratio.text} saved.")


def _hospital(text: str) -> int | str:
    return int(text) if text.strip().isdigit() else text


@app.command("activate")
@needs(P.MASSIVE_TRANSFUSION)
def activate(patient: str = typer.Option(..., "--patient", help="The wristband's identifier, or id:42."),
             reason: str = typer.Option(..., "--reason"),
             incident: Optional[int] = typer.Option(None, "--incident", min=1, max=MAX_ID),
             actor: str = Actor) -> None:
    """Activate massive transfusion for a patient (an unidentified one included)."""
    with clerk_errors():
        found = patients.lookup_patient(uow(), patient)
        _show(massive_transfusion.activate(uow(), patient_id=found.id, reason=reason, incident_id=incident))


@app.command("list")
@needs(P.MASSIVE_TRANSFUSION)
def list_protocols(active: bool = typer.Option(False, "--active"), actor: str = Actor) -> None:
    """Protocols of your hospitals, active first."""
    with clerk_errors():
        views, total = massive_transfusion.list_protocols(uow(), active_only=active)
    for v in views:
        who = v.patient.identifier("emergency") or v.patient.display_name
        console.print(f"{v.id:>5}  {escape(who):<24} {'active' if v.active else 'ended':<7} rounds {len(v.rounds)}")
    console.print(f"{total} protocol(s).")


@app.command("show")
@needs(P.MASSIVE_TRANSFUSION)
def show(mtp_id: int = Id, actor: str = Actor) -> None:
    """A protocol and its report: rounds, units by kind and group, ratio, O-negative, returned and wasted."""
    with clerk_errors():
        _show(massive_transfusion.get(uow(), mtp_id=mtp_id))


@app.command("pack")
@needs(P.MASSIVE_TRANSFUSION)
def pack(mtp_id: int = Id, actor: str = Actor) -> None:
    """Pack the next cooler by the protocol's ratio."""
    with clerk_errors():
        _show_round(mtp_rounds.prepare_round(uow(), mtp_id=mtp_id))


@app.command("issue")
@needs(P.MASSIVE_TRANSFUSION)
def issue(round_id: int = Id, unit_scan: list[str] = typer.Option(..., "--unit-scan", help="Each unit, scanned."),
          patient_scan: str = typer.Option(..., "--patient-scan"), actor: str = Actor) -> None:
    """Issue a cooler: every unit packed and the patient's wristband scanned."""
    with clerk_errors():
        _show_round(mtp_rounds.issue_round(uow(), round_id=round_id, scanned_units=unit_scan,
                                           scanned_patient=patient_scan))


@app.command("return")
@needs(P.MASSIVE_TRANSFUSION)
def take_back(round_id: int = Id, minutes: int = typer.Option(..., "--minutes", min=0),
              cold: bool = typer.Option(..., "--cold/--not-cold", help="Kept as its storage requires throughout."),
              given: list[str] = typer.Option([], "--given", help="A unit hung on the patient, scanned."),
              note: str = typer.Option("", "--note"), actor: str = Actor) -> None:
    """Take a cooler back: unused units to stock within time and temperature, otherwise discarded."""
    with clerk_errors():
        _show_round(mtp_rounds.return_round(uow(), round_id=round_id, minutes_out_of_storage=minutes,
                                            kept_in_cold_chain=cold, note=note, given=given))


@app.command("end")
@needs(P.MASSIVE_TRANSFUSION)
def end(mtp_id: int = Id, note: str = typer.Option("", "--note"), actor: str = Actor) -> None:
    """End massive transfusion, signed with your password."""
    with clerk_errors():
        principal = running().principal
        _show(massive_transfusion.deactivate(uow(), mtp_id=mtp_id, signer_id=principal.user_id,
                                             password=signing_password(), note=note))


@packs_app.command("print")
@needs(P.PATIENTS_WRITE)
def print_pack(hospital: str = typer.Option(..., "--hospital"), count: int = typer.Option(..., "--count", min=1,
                                                                                          max=identity_packs.MAX_PACK),
               place: str = typer.Option(..., "--place"), out: Path = typer.Option(..., "--out", dir_okay=False),
               tubes: int = typer.Option(identity_packs.DEFAULT_TUBES, "--tubes", min=1, max=identity_packs.MAX_TUBES),
               actor: str = Actor) -> None:
    """Reserve numbers for a trauma bay and write the pack's PDF."""
    with clerk_errors():
        view = identity_packs.print_pack(uow(), hospital_id=_hospital(hospital), count=count, place=place)
        out.write_bytes(identity_packs.pack_pdf(uow(), pack_id=view.id, tubes=tubes, language=languages.current(),
                                                catalogue=languages.catalogue))
    console.print(f"Pack {view.id}: {view.numbers[0]} to {view.numbers[-1]}, written to {escape(str(out))}.")


@packs_app.command("scan")
@needs(P.PATIENTS_WRITE)
def scan(scanned: str = typer.Argument(..., help="The wristband or a tube label, scanned."),
         sex: Optional[str] = typer.Option(None, "--sex"),
         age: Optional[int] = typer.Option(None, "--age", min=0, max=120), actor: str = Actor) -> None:
    """Register the casualty of a pre-printed number at once (or find them if already)."""
    with clerk_errors():
        view = identity_packs.register_scanned(uow(), scanned=scanned, sex=sex, approximate_age=age)
    state = "registered" if view.registered_now else "already registered"
    console.print(f"Patient record {view.patient.id} {state} under {view.patient.identifier('emergency')}.")
