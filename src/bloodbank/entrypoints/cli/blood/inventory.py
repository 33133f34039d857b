from __future__ import annotations

from datetime import date, datetime
from typing import Optional

import typer
from rich.table import Table

from bloodbank.domain.access import Permission as P
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.unit_status import DISCARD_REASONS
from bloodbank.entrypoints.cli.context import clerk_errors, console, uow
from bloodbank.entrypoints.cli.identity import Actor, needs, signed
from bloodbank.service_layer.blood import discards, excursions, holds, inventory, transfers
from bloodbank.service_layer.blood.discards import DiscardView
from bloodbank.service_layer.blood.holds import HeldUnit
from bloodbank.service_layer.blood.inventory import StockReport
from bloodbank.service_layer.blood.transfers import TransferView
from bloodbank.service_layer.donors import sites

app = typer.Typer(help="Inventory: stock and days of supply, transfers, temperature excursions, units held for "
                       "review, discards.", no_args_is_help=True)

REASONS_HELP = ", ".join(f"{code} ({label})" for code, label in DISCARD_REASONS.items())


def _site_id(code: str | None) -> int | None:
    return None if code is None else sites.site_by_code(uow(), code).id


def _moment(text: str, what: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{what} must be a date and time like 2026-03-01T14:30 (got {text!r}).") from None
    # Without an offset the use case reads it on the site's clock, as the monitor there shows it.
    return value


def _days(value: float | None) -> str:
    if value is None:
        return "-"
    colour = "red" if value < 2 else "yellow" if value < 4 else "green"
    return f"[{colour}]{value:.1f}[/{colour}]"


def _show_stock(report: StockReport) -> None:
    if not report.lines:
        console.print("No stock.")
        return
    labels = [label for label, _ in report.lines[0].ages]
    table = Table("Site", "Kind", "Group", "Available", "Reserved", "Quarantined", "Days of supply",
                  *[f"{label} d" for label in labels], title=f"Stock at {report.at:%Y-%m-%d %H:%M} UTC")
    for line in report.lines:
        table.add_row(line.site_code, line.kind.replace("_", " "), line.blood_group or "-", str(line.available),
                      str(line.reserved), str(line.quarantined), _days(line.days_of_supply),
                      *[str(n) for _, n in line.ages])
    console.print(table)
    if report.expiring:
        soon = Table("Unit", "DIN", "Product", "Site", "Location", "Kind", "Group", "Status", "Expires",
                     title="Use first: expiring soon")
        for u in report.expiring:
            expires = f"{u.expires_at:%Y-%m-%d %H:%M}" + (" [red]EXPIRED[/red]" if u.expired else "")
            soon.add_row(str(u.unit_id), u.din, f"{u.product_code}/{u.division}", u.site_code, u.storage_location,
                         u.kind.replace("_", " "), u.blood_group or "-", u.status, expires)
        console.print(soon)
        if report.expiring_total > len(report.expiring):
            console.print(f"{report.expiring_total} units expire soon in all; the {len(report.expiring)} expiring "
                          "first are listed.")


def _state(view: TransferView, u) -> str:
    now = u.status.replace("_", " ")
    if u.unit_id in view.in_transit:
        return "on the road"
    if u.received_ok is None:
        return f"not received (now {now})"
    return ("received" if u.received_ok else "received, cold chain broken") + f" (now {now})"


def _show_transfer(view: TransferView) -> None:
    console.print(f"Transfer [bold]{view.id}[/bold]: {view.from_site_code} → {view.to_site_code}, {view.status}; "
                  f"sent {view.dispatched_at:%Y-%m-%d %H:%M} UTC by {view.dispatched_by}"
                  + (f", received {view.received_at:%Y-%m-%d %H:%M} UTC by {view.received_by}"
                     if view.received_at else ""))
    for u in view.units:
        console.print(f"  unit {u.unit_id}  {u.din} {u.product_code}/{u.division}  {u.kind.replace('_', ' ')} "
                      f"{u.blood_group or '-'}  {_state(view, u)}")
    if view.missing:
        console.print(f"[bold red]Missing (still in transit):[/bold red] {', '.join(map(str, view.missing))}")
    if view.quarantined:
        console.print(f"[yellow]Quarantined (cold chain broken):[/yellow] {', '.join(map(str, view.quarantined))}")


def _discard_subject(view: DiscardView) -> tuple[str, str, int]:
    """What a discard's signature names: the unit, as the web's signature names it."""
    return discards.unit_subject(view.din, view.product_code, view.division), "unit", view.unit_id


def _show_discard(view: DiscardView) -> None:
    note = f" ({view.discard_note})" if view.discard_note else ""
    console.print(f"Unit {view.unit_id} {view.din} {view.product_code}/{view.division} discarded: "
                  f"{DISCARD_REASONS.get(view.discard_reason, view.discard_reason)}{note}.")


@app.command()
@needs(P.UNITS_READ)
def stock(
    site: Optional[str] = typer.Option(None, "--site", help="A site's code; default: every site."),
    kind: Optional[str] = typer.Option(None, "--kind", help="One component kind, e.g. red_cells."),
    actor: str = Actor,
) -> None:
    """Units on the shelf by site, kind and group, days of supply, and what expires soon."""
    with clerk_errors():
        report = inventory.stock(uow(), site_id=_site_id(site), kind=kind)
    _show_stock(report)


@app.command()
@needs(P.UNITS_READ)
def where(din: str = typer.Argument(..., help="The donation number (DIN), typed or scanned."),
          actor: str = Actor) -> None:
    """Where every unit of one donation is now."""
    with clerk_errors():
        rows = inventory.unit_locations(uow(), din)
    for row in rows:
        place = f"in transit (transfer {row.transfer_id})" if row.site_id is None and row.transfer_id \
            else f"{row.site_code or '-'} {row.storage_location}".strip()
        console.print(f"unit {row.unit_id}  {row.din} {row.product_code}/{row.division}  "
                      f"{row.kind.replace('_', ' ')}  {row.status.replace('_', ' ')}  {place}")


@app.command()
@needs(P.INVENTORY_WRITE)
def dispatch(
    unit_ids: list[int] = typer.Argument(..., help="The units to send (their ids)."),
    from_site: str = typer.Option(..., "--from", help="Sending site's code."),
    to_site: str = typer.Option(..., "--to", help="Receiving site's code."),
    note: str = typer.Option("", "--note"),
    actor: str = Actor,
) -> None:
    """Send available units to another site; all of them, or none if one cannot go."""
    with clerk_errors():
        view = transfers.dispatch(uow(), from_site_id=_site_id(from_site), to_site_id=_site_id(to_site),
                                  unit_ids=unit_ids, note=note)
    console.print("[green]Dispatched.[/green] Put the transfer number on the box.")
    _show_transfer(view)


@app.command()
@needs(P.INVENTORY_WRITE)
def receive(
    transfer_id: int = typer.Argument(...),
    unit_ids: Optional[list[int]] = typer.Argument(None, help="The units in the box; the others are missing."),
    cold_chain_broken: bool = typer.Option(False, "--cold-chain-broken",
                                           help="The box arrived out of temperature: quarantine the units."),
    location: str = typer.Option("", "--location", help="Where the units are stored on arrival."),
    actor: str = Actor,
) -> None:
    """Book in a transfer's units at the receiving site (once per transfer)."""
    with clerk_errors():
        view = transfers.receive(uow(), transfer_id=transfer_id, received_unit_ids=unit_ids or [],
                                 cold_chain_ok=not cold_chain_broken, storage_location=location)
    console.print("[green]Received.[/green]")
    _show_transfer(view)


@app.command("in-transit")
@needs(P.UNITS_READ)
def in_transit(actor: str = Actor) -> None:
    """Transfers with units still on the road."""
    with clerk_errors():
        views = transfers.list_in_transit(uow())
    if not views:
        console.print("Nothing in transit.")
    for view in views:
        _show_transfer(view)


@app.command()
@needs(P.INVENTORY_WRITE)
def excursion(
    site: str = typer.Option(..., "--site", help="The site's code."),
    location: str = typer.Option(..., "--location", help="The fridge, freezer or incubator."),
    started: str = typer.Option(..., "--started", help="When it left its range, from the monitor (ISO)."),
    ended: str = typer.Option(..., "--ended", help="When it was back in range, from the monitor (ISO)."),
    lowest: float = typer.Option(..., "--lowest", help="Lowest reading, °C."),
    highest: float = typer.Option(..., "--highest", help="Highest reading, °C."),
    note: str = typer.Option("", "--note"),
    actor: str = Actor,
) -> None:
    """Record a storage temperature excursion; units whose range it breached go to quarantine."""
    with clerk_errors():
        view = excursions.record_excursion(
            uow(), site_id=_site_id(site), storage_location=location, started_at=_moment(started, "--started"),
            ended_at=_moment(ended, "--ended"), lowest_c=lowest, highest_c=highest, note=note)
    console.print(f"Excursion {view.id} recorded at {location}: {len(view.affected)} unit(s) held.")
    for u in view.affected:
        console.print(f"  [yellow]held[/yellow] unit {u.unit_id} {u.din} {u.product_code} "
                      f"{u.kind.replace('_', ' ')} ({u.status_before} → {u.status_after})")
    if view.unaffected_unit_ids:
        console.print(f"  Within their range, left as they were: {', '.join(map(str, view.unaffected_unit_ids))}")


@app.command("excursion-discard")
@needs(P.DISCARD)
def excursion_discard(
    excursion_id: int = typer.Argument(...),
    unit_id: int = typer.Argument(...),
    note: str = typer.Option("", "--note", help="The review's conclusion."),
    actor: str = Actor,
) -> None:
    """Discard a unit held by an excursion that the laboratory judged unfit, signed with your password."""
    with clerk_errors():
        view = signed(action="discard",
                      act=lambda: excursions.discard_after_review(uow(), excursion_id=excursion_id,
                                                                  unit_id=unit_id, note=note),
                      record=_discard_subject)
    _show_discard(view)


def _show_held(view: HeldUnit) -> None:
    place = f"{view.site_code or '-'} {view.storage_location}".strip()
    console.print(f"unit {view.unit_id}  {view.din} {view.product_code}/{view.division}  "
                  f"{view.kind.replace('_', ' ')} {view.blood_group or '-'}  {view.status.replace('_', ' ')}  {place}")
    for h in view.holds:
        decided = (f" — {h.decision} after review by {h.decided_by} {h.decided_at:%Y-%m-%d %H:%M} UTC: "
                   f"{h.decision_reason}" if h.decision else "")
        state = "[yellow]open[/yellow]" if h.decision is None else "decided"
        console.print(f"  hold {h.id} ({h.kind_label}, {state}): {h.reason}; opened "
                      f"{h.opened_at:%Y-%m-%d %H:%M} UTC by {h.opened_by}{decided}")


@app.command("holds")
@needs(P.UNITS_READ)
def held(
    unit_id: Optional[int] = typer.Argument(None, help="One unit: every hold it had; default: every held unit."),
    site: Optional[str] = typer.Option(None, "--site", help="A site's code; default: every site."),
    actor: str = Actor,
) -> None:
    """Units held in quarantine for a review decision (excursion, broken cold chain), or one unit's holds."""
    with clerk_errors():
        views = [holds.unit_holds(uow(), unit_id=unit_id)] if unit_id is not None \
            else holds.held_units(uow(), site_id=_site_id(site))
    if not views:
        console.print("No unit is held for review.")
    for view in views:
        _show_held(view)


@app.command("review-release")
@needs(P.RELEASE)
def review_release(
    unit_id: int = typer.Argument(..., help="The held unit."),
    reason: str = typer.Option(..., "--reason", help="The review's conclusion: why the unit is fit for use."),
    actor: str = Actor,
) -> None:
    """Release a held unit after review, signed with your password; every other release check still applies."""
    with clerk_errors():
        view = signed(action="review_release",
                      act=lambda: holds.release_after_review(uow(), unit_id=unit_id, reason=reason),
                      record=lambda v: (discards.unit_subject(v.din, v.product_code, v.division), "unit", v.unit_id))
    console.print(f"[green]Released after review[/green] unit {view.unit_id} {view.din} {view.product_code} "
                  f"{view.blood_group or ''}: now available.")


@app.command("review-discard")
@needs(P.DISCARD)
def review_discard(
    unit_id: int = typer.Argument(..., help="The held unit."),
    reason: str = typer.Option(..., "--reason", help="The review's conclusion: why the unit is unfit."),
    actor: str = Actor,
) -> None:
    """Discard a held unit the review judged unfit, signed with your password."""
    with clerk_errors():
        view = signed(action="discard", act=lambda: holds.discard_after_review(uow(), unit_id=unit_id, reason=reason),
                      record=_discard_subject)
    _show_discard(view)


@app.command()
@needs(P.DISCARD)
def discard(
    unit_id: int = typer.Argument(...),
    reason: str = typer.Option(..., "--reason", help=REASONS_HELP),
    note: str = typer.Option("", "--note", help="Required with --reason other."),
    actor: str = Actor,
) -> None:
    """Discard one unit, with a reason, signed with your password."""
    with clerk_errors():
        view = signed(action="discard",
                      act=lambda: discards.discard(uow(), unit_id=unit_id, reason_code=reason, note=note),
                      record=_discard_subject)
    _show_discard(view)


@app.command()
@needs(P.DISCARD)
def expire(actor: str = Actor) -> None:
    """Discard every unit in stock whose expiry has passed (by the server's clock), signed with your password."""
    with clerk_errors():
        ids = signed(action="discard", act=lambda: discards.discard_expired(uow()), record=discards.expiry_sweep_subject)
    console.print(f"{len(ids)} expired unit(s) discarded" + (f": {', '.join(map(str, ids))}." if ids else "."))


@app.command()
@needs(P.UNITS_READ)
def waste(
    since: str = typer.Option(..., "--since", help="First day, YYYY-MM-DD."),
    site: Optional[str] = typer.Option(None, "--site", help="A site's code; default: every site."),
    actor: str = Actor,
) -> None:
    """Units discarded since a day, by reason and kind."""
    with clerk_errors():
        try:
            first = date.fromisoformat(since)
        except ValueError:
            raise InvalidInput(f"--since must be a day like 2026-03-01 (got {since!r}).") from None
        report = discards.discards_report(uow(), since=first, site_id=_site_id(site))
    if not report:
        console.print(f"Nothing discarded since {first}.")
        return
    table = Table("Reason", "Kind", "Units", title=f"Discarded since {first}")
    for reason, kinds in report.items():
        for kind, n in kinds.items():
            table.add_row(DISCARD_REASONS.get(reason, reason), kind.replace("_", " "), str(n))
    console.print(table)
