"""`bloodbank incidents`: declare a mass-casualty incident, count its casualties, read the shortfall, close it."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from bloodbank.domain.access import Permission as P
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.ids import MAX_ID
from bloodbank.domain.incidents import IncidentKind, Severity
from bloodbank.entrypoints.cli.crisis import appeal_board
from bloodbank.entrypoints.cli.crisis import appeals as appeals_cli
from bloodbank.entrypoints.cli.context import clerk_errors, console, uow
from bloodbank.entrypoints.cli.identity import Actor, needs, signed
from bloodbank.service_layer.crisis import incidents
from bloodbank.service_layer.crisis.shortfall import shortfall as compute_shortfall
from bloodbank.service_layer.donors import sites
from bloodbank.service_layer.hospital import hospitals

app = typer.Typer(help="Mass-casualty incidents: declare, count casualties by severity, the time-phased "
                       "shortfall of blood, close (signed).", no_args_is_help=True)

app.add_typer(appeals_cli.app, name="appeal")
app.command("dashboard")(appeal_board.dashboard_command)
app.command("report")(appeal_board.report_command)

IncidentId = typer.Argument(..., min=1, max=MAX_ID, help="The incident's number.")


def _when(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"The time must look like 2026-03-01T14:30+03:00 (got {text!r}).") from None
    if value.tzinfo is None:
        raise InvalidInput("Give the incident's time with its offset, e.g. 2026-03-01T14:30+03:00.")
    return value


@app.command()
@needs(P.INCIDENTS)
def declare(
    place: str = typer.Option(..., "--place", help="Where: a district, a street, a landmark."),
    kind: str = typer.Option(..., "--kind", help=", ".join(k.value for k in IncidentKind)),
    at: Optional[str] = typer.Option(None, "--at", help="When it happened, with its offset; now if left out."),
    site: Optional[str] = typer.Option(None, "--site", help="The site whose clock it is read on (its code)."),
    severe: int = typer.Option(0, "--severe", min=0, help="Severe casualties expected."),
    moderate: int = typer.Option(0, "--moderate", min=0, help="Moderate casualties expected."),
    minor: int = typer.Option(0, "--minor", min=0, help="Minor casualties expected."),
    note: str = typer.Option("", "--note"),
    actor: str = Actor,
) -> None:
    """Declare an incident, with the casualties expected by severity."""
    with clerk_errors():
        site_id = sites.site_by_code(uow(), site).id if site else None
        view = incidents.declare(uow(), place=place, kind=kind, occurred_at=_when(at), site_id=site_id, note=note,
                                 expected={"severe": severe, "moderate": moderate, "minor": minor})
    console.print(f"Incident [bold]{view.id}[/bold] declared: {escape(view.place)} ({view.kind}).")


@app.command("list")
@needs(P.CASUALTY_COUNTS)
def list_(status: Optional[str] = typer.Option(None, "--status", help="declared or closed"),
          actor: str = Actor) -> None:
    """Incidents, newest first (no counts)."""
    with clerk_errors():
        items, _ = incidents.list_incidents(uow(), status=status, limit=200)
    table = Table("Incident", "Place", "Kind", "Happened (UTC)", "Status")
    for i in items:
        table.add_row(str(i.id), escape(i.place), i.kind, f"{i.occurred_at:%Y-%m-%d %H:%M}", i.status)
    console.print(table)


@app.command()
@needs(P.CASUALTY_COUNTS)
def count(
    incident_id: int = IncidentId,
    severity: str = typer.Option(..., "--severity", help=", ".join(s.value for s in Severity)),
    change: int = typer.Option(..., "--change", help="How many arrived; negative only with --correction."),
    hospital: Optional[str] = typer.Option(None, "--hospital", help="The admitting hospital's code."),
    expected: bool = typer.Option(False, "--expected", help="A change to the casualties expected, not admitted."),
    correction: bool = typer.Option(False, "--correction", help="Corrects an earlier count; needs --reason."),
    reason: str = typer.Option("", "--reason"),
    actor: str = Actor,
) -> None:
    """Add casualties of one severity to an incident, or correct a count."""
    with clerk_errors():
        hospital_id = hospitals.get_hospital(uow(), hospital).id if hospital else None
        entry = incidents.add_casualties(uow(), incident_id=incident_id, severity=severity, change=change,
                                         basis="expected" if expected else "admitted", hospital_id=hospital_id,
                                         correction=correction, reason=reason)
    console.print(f"Counted: {entry.change:+d} {entry.severity} {entry.basis}"
                  f"{' at ' + entry.hospital_code if entry.hospital_code else ''}.")


@app.command()
@needs(P.INCIDENTS)
def show(incident_id: int = IncidentId, actor: str = Actor) -> None:
    """One incident: every count, and the orders and issues for its casualties."""
    with clerk_errors():
        view = incidents.get_incident(uow(), incident_id)
    console.print(f"Incident {view.id}: {escape(view.place)} ({view.kind}), {view.status}; "
                  f"{view.orders} orders, {view.issues} units issued.")
    table = Table("Severity", "Expected", "Admitted", "Planned for")
    totals = {(l.basis, l.severity): l.total for l in view.totals}
    planned = {l.severity: l.total for l in view.for_forecast}
    for s in Severity:
        table.add_row(s.value, str(totals[("expected", s.value)]), str(totals[("admitted", s.value)]),
                      str(planned[s.value]))
    console.print(table)


@app.command()
@needs(P.INCIDENTS)
def shortfall(incident_id: int = IncidentId, actor: str = Actor) -> None:
    """Need by window, component and group against stock, quarantine and transfers; what an appeal can cover."""
    with clerk_errors():
        view = compute_shortfall(uow(), incident_id=incident_id)
    table = Table("Window", "Kind", "Group", "Need", "Stock", "Quarantine", "Transfers", "Carried", "Gap",
                  "Donors")
    for line in view.lines:
        if line.need or line.gap or line.stock or line.quarantine or line.transfer:
            table.add_row(line.window, line.kind.replace("_", " "), line.group, str(line.need), str(line.stock),
                          str(line.quarantine), str(line.transfer), str(line.carried_in), str(line.gap),
                          str(line.donors_to_cover or ""))
    console.print(table)
    for w in view.windows:
        part = f", an appeal can cover {w.appeal_gap} of it" if w.appeal_reaches and w.appeal_gap < w.gap else ""
        console.print(f"{w.window.label}: need {w.need}, gap {w.gap}"
                      f"{' (passed)' if w.passed else ''}{'' if w.appeal_reaches else ', out of an appeal’s reach'}"
                      f"{part}.")
    for statement in view.statements:
        console.print(escape(statement))


@app.command()
@needs(P.INCIDENTS)
def close(incident_id: int = IncidentId, note: str = typer.Option("", "--note"), actor: str = Actor) -> None:
    """Close the incident, signed with your password: nothing more is counted or tagged against it."""
    with clerk_errors():
        view = signed(action="close_incident", act=lambda: incidents.close(uow(), incident_id=incident_id, note=note),
                      record=incidents.close_subject)
    console.print(f"Incident {view.id} closed.")
