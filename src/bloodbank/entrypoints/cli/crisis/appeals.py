"""`bloodbank incidents appeal`: start, pause, resume, top up and show an incident's appeal to donors."""

from __future__ import annotations

import time
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from bloodbank.domain.access import Permission as P
from bloodbank.domain.ids import MAX_ID
from bloodbank.entrypoints.cli.context import clerk_errors, console, uow
from bloodbank.entrypoints.cli.identity import Actor, needs
from bloodbank.service_layer.crisis import appeals
from bloodbank.service_layer.crisis.appeals import AppealView

app = typer.Typer(help="An incident's appeal to opted-in donors, sized to the gap: start, pause, resume, top up, "
                       "show.", no_args_is_help=True)
IncidentId = typer.Argument(..., min=1, max=MAX_ID, help="The incident's number.")


def print_appeal(view: AppealView) -> None:
    console.print(f"Appeal of incident {view.incident_id}: [bold]{view.status}[/bold]; rates: response "
                  f"{view.response_rate:.0%}, show-up {view.show_up_rate:.0%}.")
    table = Table("Group", "Donors needed", "Expected", "Invited", "Accepted", "Declined", "Arrived", "Collected",
                  "Released")
    for g in view.groups:
        table.add_row(g.group, str(g.donors_needed), f"{g.expected:g}", str(g.invited), str(g.accepted),
                      str(g.declined), str(g.arrived), str(g.collected), str(g.released))
    console.print(table)
    for day in view.days:
        console.print(f"{day.day.isoformat()}: {day.invited} invited, {day.accepted} accepted.")
    for statement in view.statements:
        console.print(escape(statement))


@app.command()
@needs(P.INCIDENTS)
def start(incident_id: int = IncidentId, actor: str = Actor) -> None:
    """Start the appeal: invite donors sized to the gap; messages leave with `bloodbank outbox send`."""
    with clerk_errors():
        print_appeal(appeals.start(uow(), incident_id=incident_id))


@app.command()
@needs(P.INCIDENTS)
def pause(incident_id: int = IncidentId, actor: str = Actor) -> None:
    """Pause the appeal: nobody new is invited."""
    with clerk_errors():
        print_appeal(appeals.pause(uow(), incident_id=incident_id))


@app.command()
@needs(P.INCIDENTS)
def resume(incident_id: int = IncidentId, actor: str = Actor) -> None:
    """Resume a paused appeal and top it up."""
    with clerk_errors():
        print_appeal(appeals.resume(uow(), incident_id=incident_id))


@app.command("top-up")
@needs(P.INCIDENTS)
def top_up(incident_id: int = IncidentId, actor: str = Actor) -> None:
    """Invite what the gap still needs at the rates learned so far (nobody once it is covered)."""
    with clerk_errors():
        print_appeal(appeals.top_up(uow(), incident_id=incident_id))


@app.command()
@needs(P.INCIDENTS)
def follow(every: Optional[int] = typer.Option(None, "--every", min=10, max=86_400,
                                               help="Run again every SECONDS until stopped; once if left out."),
           actor: str = Actor) -> None:
    """Top up every running appeal and stop those whose incident was closed, as `serve` does beside the server."""
    while True:
        with clerk_errors():
            count = appeals.top_up_running(uow())
        console.print(f"{count} running appeal(s) topped up.")
        if every is None:
            return
        time.sleep(every)


@app.command()
@needs(P.INCIDENTS)
def show(incident_id: int = IncidentId, actor: str = Actor) -> None:
    """Need, invited, accepted, arrived, collected and released by group and day."""
    with clerk_errors():
        print_appeal(appeals.get_appeal(uow(), incident_id=incident_id))
