from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from bloodbank.domain.access import Permission as P
from bloodbank.domain.processing import METHODS
from bloodbank.entrypoints.cli.context import clerk_errors, console, uow
from bloodbank.entrypoints.cli.identity import Actor, needs
from bloodbank.service_layer.blood import aliquots, irradiation, labels, pooling, processing, testing
from bloodbank.service_layer.blood.units import UnitView
from bloodbank.service_layer.donors import sites

app = typer.Typer(help="Processing: components from donations, pools, cryo, aliquots, irradiation and labels.",
                  no_args_is_help=True)



def _line(view: UnitView) -> str:
    group = view.blood_group or "not grouped"
    volume = f"{view.volume_ml} mL" if view.volume_ml else "volume not recorded"
    flags = [name for name, on in (("irradiated", view.irradiated), ("leucoreduced", view.leucoreduced),
                                   ("low titer", view.low_titer), ("CMV neg", view.cmv_negative)) if on]
    label = "label verified" if view.label_verified else "label not verified"
    return (f"unit {view.id}  {view.din_eye_readable}  {view.product_code} div {view.division}  "
            f"{view.product_name}  {group}  {volume}  expires {view.expires_at:%Y-%m-%d %H:%M} UTC  "
            f"[bold]{view.status}[/bold]  {label}" + (f"  ({', '.join(flags)})" if flags else ""))


def _donation_id(ref: str) -> int:
    """A donation by its id, or by the DIN on the bag: scanned, typed with spaces, with or without check."""
    ref = ref.strip()
    return int(ref) if ref.isdigit() else testing.donation_id_for_din(uow(), ref)


def _show(views: list[UnitView]) -> None:
    for view in views:
        console.print(_line(view))


@app.command()
@needs(P.PROCESSING)
def process(
    donation: str = typer.Argument(..., help="A completed whole blood donation: its DIN (scan or type) or its id."),
    method: str = typer.Option(..., "--method", help=", ".join(METHODS)),
    leucoreduced: Optional[bool] = typer.Option(
        None, "--leucoreduced/--not-leucoreduced",
        help="Default: leucoreduced for separated components, not for whole blood kept whole."),
    low_titer: bool = typer.Option(False, "--low-titer", help="Low-titer group O whole blood (method whole_blood)."),
    actor: str = Actor,
) -> None:
    """Make a donation's components; every unit starts in quarantine."""
    with clerk_errors():
        views = processing.process_donation(uow(), donation_id=_donation_id(donation), method=method,
                                            leucoreduced=leucoreduced, low_titer=low_titer)
    console.print(f"[green]{len(views)} unit(s) made, in quarantine.[/green]")
    _show(views)


@app.command()
@needs(P.PROCESSING)
def pool(
    donations: List[str] = typer.Argument(..., help="4 to 6 donations processed by the buffy-coat method, or 4 to "
                                                     "6 by the platelet-rich plasma method: DINs or ids."),
    site_code: str = typer.Option(..., "--site", help="The code of the site making the pool."),
    actor: str = Actor,
) -> None:
    """Pool 4 to 6 buffy coats, or 4 to 6 platelet concentrates, of one ABO/RhD group into one platelet unit
    with a new DIN."""
    with clerk_errors():
        site = sites.site_by_code(uow(), site_code)
        view = pooling.pool_platelets(uow(), donation_ids=[_donation_id(d) for d in donations],
                                         site_id=site.id)
    console.print("[green]Pool made, in quarantine.[/green] Its own DIN:")
    _show([view])


@app.command()
@needs(P.PROCESSING)
def cryo(
    unit_id: int = typer.Argument(..., help="A plasma unit."),
    actor: str = Actor,
) -> None:
    """Make cryoprecipitate from a plasma unit (the plasma becomes processed)."""
    with clerk_errors():
        view = aliquots.make_cryo(uow(), plasma_unit_id=unit_id)
    console.print("[green]Cryoprecipitate made, in quarantine.[/green]")
    _show([view])


@app.command()
@needs(P.PROCESSING)
def split(
    unit_id: int = typer.Argument(..., help="An undivided unit."),
    parts: int = typer.Option(..., "--parts", help="2 to 4 aliquots."),
    volume_each: Optional[int] = typer.Option(None, "--volume-each", help="mL per aliquot; default an equal share."),
    actor: str = Actor,
) -> None:
    """Split a unit into aliquots (divisions A0, B0...), e.g. paediatric packs."""
    with clerk_errors():
        views = aliquots.split_unit(uow(), unit_id=unit_id, parts=parts, volume_each_ml=volume_each)
    console.print(f"[green]{len(views)} aliquots made, in quarantine.[/green] Label each one.")
    _show(views)


@app.command()
@needs(P.PROCESSING)
def irradiate(
    unit_id: int = typer.Argument(...),
    actor: str = Actor,
) -> None:
    """Record irradiation now: new product code and expiry; the unit needs a new label."""
    with clerk_errors():
        view = irradiation.irradiate(uow(), unit_id=unit_id)
    console.print("[green]Irradiated.[/green] Print and verify a new label.")
    _show([view])


@app.command()
@needs(P.PROCESSING)
def label(
    unit_id: int = typer.Argument(...),
    out: Path = typer.Option(..., "--out", help="Where to write the label PDF."),
    actor: str = Actor,
) -> None:
    """Print the unit's 100 x 100 mm label; it must then be verified by scanning it back."""
    with clerk_errors():
        pdf = labels.print_label(uow(), unit_id=unit_id)
    out.write_bytes(pdf)
    console.print(f"Label written to {out}. Stick it on the bag, then run verify-label.")


@app.command("verify-label")
@needs(P.PROCESSING)
def verify_label(
    unit_id: int = typer.Argument(...),
    din: str = typer.Option(..., "--din", help="Scan the label's DIN barcode (or type the DIN)."),
    group: str = typer.Option(..., "--group", help="Scan the label's ABO/RhD barcode (=%1700; =%Mq00 if not "
                                                   "grouped)."),
    product: str = typer.Option(..., "--product", help="Scan the label's product code barcode."),
    expiry: str = typer.Option(..., "--expiry", help="Scan the label's expiry barcode (&>0260732359)."),
    actor: str = Actor,
) -> None:
    """Scan the label back: it is verified only if its DIN, blood group, product code and expiry are what this
    unit's label must carry now."""
    with clerk_errors():
        view = labels.verify_label(uow(), unit_id=unit_id, scanned_din=din, scanned_group=group,
                                   scanned_product=product, scanned_expiry=expiry)
    console.print("[green]Label verified.[/green]")
    _show([view])


@app.command()
@needs(P.UNITS_READ)
def show(din: str = typer.Argument(..., help="Scanned or typed; spaces and check character optional."),
         actor: str = Actor) -> None:
    """List every unit carrying a DIN."""
    with clerk_errors():
        views = processing.find_units_by_din(uow(), din)
    _show(views)
