"""Trace a DIN, look back from a donor, recall units.

Trace and lookback show donors and recipients by name and identifier: they run
as the reader's checked account (--as), which goes into the audit log with every
read, and a role sees what it sees on the pages (no results without RESULTS_READ).
A recall is signed with the signer's password, as on the pages.
"""

from __future__ import annotations

import json
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from bloodbank.domain.access import Permission as P
from bloodbank.entrypoints.cli.context import clerk_errors, console, running, uow
from bloodbank.entrypoints.cli.identity import Actor, needs, signed
from bloodbank.service_layer.traceability import recall as recalls, recall_follow_up, trace as tracing
from bloodbank.service_layer.traceability.recall import ACTIONS, RecallView
from bloodbank.service_layer.traceability.trace_views import Lookback, Recipient, Trace, TraceUnit

trace_app = typer.Typer(help="Trace a donation or a pool from its DIN: donor, units, movements, recipients.",
                        no_args_is_help=True)
lookback_app = typer.Typer(help="Find every patient who received blood from one donor.", no_args_is_help=True)
recall_app = typer.Typer(help="Recall every unit holding blood from a donor or a DIN.", no_args_is_help=True)

AsJson = typer.Option(False, "--json", help="Print JSON instead of a tree.")


def _echo_json(data: dict) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


# ---------------------------------------------------------------- trace


@needs(P.TRACE)
def trace_command(
    din: str = typer.Argument(..., help="Scanned or typed; spaces and check character optional."),
    as_json: bool = AsJson,
    actor: str = Actor,
) -> None:
    """Show where the blood of a DIN came from and went: donor, units, tests, movements, recipients."""
    with clerk_errors():
        result = tracing.trace_din_as(uow(), din, role=running().principal.role)
    if as_json:
        _echo_json(result.to_dict())
    else:
        console.print(trace_tree(result))


trace_app.command("din")(trace_command)


def trace_tree(result: Trace) -> Tree:
    tree = Tree(f"[bold]Trace of DIN {escape(result.din)}[/bold]")
    for d in result.donations:
        volume = f"{d.volume_ml} mL" if d.volume_ml else "volume not recorded"
        node = tree.add(f"Donation [bold]{escape(d.din)}[/bold] on {d.collected_on}, "
                        f"{escape(d.site_code)} {escape(d.site_name)}, {volume}, {d.status}")
        node.add(f"Donor {escape(d.donor.donor_number)} {escape(d.donor.name)}")
        for unit in d.units:
            _unit_node(node, unit)
    if result.other_units:
        loose = tree.add("[yellow]Units with no recorded source[/yellow]")
        for unit in result.other_units:
            _unit_node(loose, unit)
    return tree


def _unit_node(parent: Tree, unit: TraceUnit) -> None:
    label = (f"Unit {escape(unit.din)} {escape(unit.product_code)} {escape(unit.division)} "
             f"{unit.kind.replace('_', ' ')} {escape(unit.blood_group or '')}: [bold]{escape(unit.fate)}[/bold]")
    if unit.shown_above:
        parent.add(label + " (shown above)")
        return
    node = parent.add(label)
    if unit.sources:
        node.add("Made from: " + ", ".join(f"{escape(s.din)} {escape(s.product_code)}" for s in unit.sources))
    if unit.tests:
        node.add("Tests: " + "; ".join(f"{t.test} {t.outcome}" + (f" {escape(t.value)}" if t.value else "")
                                       + ("" if t.din == unit.din else f" ({escape(t.din)})") for t in unit.tests))
    if unit.events:
        moves = node.add("Movements")
        for e in unit.events:
            change = f" {e.from_status or '-'} -> {e.to_status}" if e.to_status else ""
            moves.add(f"{e.at:%Y-%m-%d %H:%M} {escape(e.event)}{change} by {escape(e.actor)}")
    for r in unit.recipients:
        node.add(_recipient_line(r))
    for child in unit.children:
        _unit_node(node, child)


def _recipient_line(r: Recipient) -> str:
    who = ", ".join(r.identifiers) or f"patient {r.patient_id}"
    text = f"[cyan]Recipient {escape(who)}[/cyan]: issued {r.issued_at:%Y-%m-%d %H:%M}"
    if r.transfusion_started_at:
        text += f", transfused from {r.transfusion_started_at:%Y-%m-%d %H:%M}"
        text += f" to {r.transfusion_ended_at:%H:%M} ({r.outcome})" if r.transfusion_ended_at else " (running)"
    if r.returned_at:
        text += f", returned {r.returned_at:%Y-%m-%d %H:%M}"
    if r.reactions:
        text += f"; [red]reactions: {escape(', '.join(r.reactions))}[/red]"
    return text


# ---------------------------------------------------------------- lookback


@needs(P.TRACE)
def lookback_command(
    donor: str = typer.Argument(..., help="Donor number, e.g. D00004213."),
    as_json: bool = AsJson,
    actor: str = Actor,
) -> None:
    """List every patient who received any unit holding this donor's blood (splits, pools, merged records)."""
    with clerk_errors():
        result = tracing.lookback_as(uow(), donor, role=running().principal.role)
    if as_json:
        _echo_json(result.to_dict())
    else:
        console.print(lookback_tree(result))


lookback_app.command("donor")(lookback_command)


def lookback_tree(result: Lookback) -> Tree:
    records = ", ".join(result.donor_records)
    tree = Tree(f"[bold]Lookback for donor {escape(result.donor.donor_number)} {escape(result.donor.name)}"
                f"[/bold] (records {escape(records)})")
    for d in result.donations:
        node = tree.add(f"Donation {escape(d.din)} on {d.collected_on} (record {escape(d.donor_number)})")
        if not d.recipients:
            node.add("no unit of it was issued")
        for line in d.recipients:
            via = f" in pool {escape(line.din)}" if line.pooled else ""
            node.add(f"Unit {escape(line.din)} {escape(line.product_code)} {escape(line.division)}{via}: "
                     + _recipient_line(line.recipient))
    tree.add(f"[bold]{len(result.patient_ids)} patient(s)[/bold] to contact")
    return tree


# ---------------------------------------------------------------- recall


@recall_app.command("create")
@needs(P.RECALL)
def create(
    reason: str = typer.Option(..., "--reason", help="Why: e.g. donor reported an infection after donating."),
    donor: Optional[str] = typer.Option(None, "--donor", help="Donor number: every donation of the person."),
    din: Optional[str] = typer.Option(None, "--din", help="One donation's DIN, or a pool's."),
    actor: str = Actor,
) -> None:
    """Recall every unit holding the blood, signed with your password: stock is taken out, issued units called
    back, transfused ones listed."""
    with clerk_errors():
        view = signed(action="recall", act=lambda: recalls.recall(uow(), reason=reason, donor_number=donor, din=din),
                      record=lambda result: (recalls.recall_subject(result), "recall", result.recall_id))
    console.print(f"[bold]Recall {view.recall_id}[/bold] opened by {escape(view.opened_by)}: {escape(view.reason)}")
    console.print(_recall_table(view))
    if view.count("in_transfusion"):
        console.print("[bold red]A unit is being transfused now: call the ward at once.[/bold red]")
    if view.count("recalled_from_ward"):
        console.print("[bold yellow]Call the wards holding issued units: they must send them back.[/bold yellow]")
    if view.count("listed"):
        console.print("[bold yellow]Transfused units are listed: run a lookback for their recipients.[/bold yellow]")


@recall_app.command("list")
@needs(P.TRACE)
def list_command(limit: int = typer.Option(20, "--limit", min=1, max=200), actor: str = Actor) -> None:
    """The latest recalls and what happened to each unit."""
    with clerk_errors():
        views = recalls.list_recalls(uow(), limit=limit)
    if not views:
        console.print("No recall.")
    for view in views:
        console.print(f"[bold]Recall {view.recall_id}[/bold] {view.opened_at:%Y-%m-%d %H:%M} by "
                      f"{escape(view.opened_by)} ({escape(json.dumps(view.scope))}): {escape(view.reason)}")
        console.print(_recall_table(view))


@recall_app.command("open")
@needs(P.UNITS_READ)
def open_command(
    side: str = typer.Option(..., "--side", help="stock (units taken out of stock) or ward (issued or transfused)."),
    site_id: Optional[int] = typer.Option(None, "--site", help="Only units of this site."),
    hospital_id: Optional[int] = typer.Option(None, "--hospital", help="Only units issued to this hospital."),
    actor: str = Actor,
) -> None:
    """Units recalled that the stock or the wards must still act on, until what was done is recorded."""
    with clerk_errors():
        tasks = recall_follow_up.open_recall_tasks(uow(), side=side, site_id=site_id, hospital_id=hospital_id)
    if not tasks:
        console.print("No recall is waiting.")
    for t in tasks:
        console.print(f"Recall {t.recall_id} ({escape(t.reason)}): unit {t.unit_id} {t.din} {t.product_code} "
                      f"{t.division} at {t.site_code or '—'}: {escape(t.to_do)}")


def _record_handling(recall_id: int, unit_id: int, side: str, note: str) -> None:
    with clerk_errors():
        task = recall_follow_up.record_handling(uow(), recall_id=recall_id, unit_id=unit_id, side=side, note=note)
    console.print(f"Recall {task.recall_id}: what was done with unit {task.din} is recorded.")


@recall_app.command("handled-in-stock")
@needs(P.INVENTORY_WRITE)
def handled_in_stock(
    recall_id: int = typer.Argument(..., help="The recall."),
    unit_id: int = typer.Argument(..., help="A unit it took out of stock."),
    note: str = typer.Option(..., "--note", help="What was done with it (returned, destroyed…)."),
    actor: str = Actor,
) -> None:
    """Record what the blood bank did with a unit the recall took out of its stock."""
    _record_handling(recall_id, unit_id, "stock", note)


@recall_app.command("handled-on-ward")
@needs(P.TRANSFUSION)
def handled_on_ward(
    recall_id: int = typer.Argument(..., help="The recall."),
    unit_id: int = typer.Argument(..., help="An issued or transfused unit it reached."),
    note: str = typer.Option(..., "--note", help="What the ward did (sent back, recipient's doctor told…)."),
    actor: str = Actor,
) -> None:
    """Record what the ward did with an issued or transfused unit the recall reached."""
    _record_handling(recall_id, unit_id, "ward", note)


def _recall_table(view: RecallView) -> Table:
    table = Table("Unit", "Product", "Kind", "Was", "Now", "Action")
    for u in view.units:
        table.add_row(u.din, f"{u.product_code} {u.division}", u.kind.replace("_", " "), u.status_before,
                      u.status_now, ACTIONS.get(u.action, u.action))
    return table
