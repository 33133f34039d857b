from __future__ import annotations

from datetime import date, datetime

import typer

from bloodbank.domain.access import Permission as P
from bloodbank.domain.errors import InvalidInput
from bloodbank.entrypoints.cli.context import clerk_errors, console, uow
from bloodbank.entrypoints.cli.identity import Actor, needs
from bloodbank.service_layer.donors import appointments, sites
from bloodbank.service_layer.donors.appointments import AppointmentView

app = typer.Typer(help="Appointments: free slots, booking, cancellation and no-shows.", no_args_is_help=True)



def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"Cannot read the date {text!r}: write it YYYY-MM-DD.") from None


def _when(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"Cannot read the time {text!r}: write it 'YYYY-MM-DD HH:MM'.") from None


def _line(view: AppointmentView) -> str:
    return (f"{view.starts_at:%Y-%m-%d %H:%M %Z}  #{view.id:<6} {view.status:<10} {view.donor_number:<12} "
            f"{view.donor_name}  [{view.kind.replace('_', ' ')}, {view.site_code}]")


@app.command()
@needs(P.APPOINTMENTS)
def slots(
    site_code: str = typer.Argument(..., help="The site's code."),
    day: str = typer.Argument(..., metavar="DATE", help="YYYY-MM-DD."),
    actor: str = Actor,
) -> None:
    """The day's slots not yet started, with the chairs still free in each."""
    with clerk_errors():
        on = _day(day)
        site = sites.site_by_code(uow(), site_code)
        views = appointments.available_slots(uow(), site_id=site.id, on=on)
    if not views:
        console.print(f"No slots at {site.code} on {day}. Opening hours: {site.hours_text}.")
    for view in views:
        free = "[red]full[/red]" if view.free == 0 else f"{view.free} free"
        console.print(f"{view.starts_at:%H:%M %Z}  {free}")


@app.command()
@needs(P.APPOINTMENTS)
def book(
    site_code: str = typer.Argument(..., help="The site's code."),
    when: str = typer.Argument(..., help="Slot start on the site's own clock, 'YYYY-MM-DD HH:MM'."),
    donor: str = typer.Argument(..., help="The donor's number (or record id)."),
    kind: str = typer.Option("whole_blood", "--kind", help="whole_blood, double_red_cells, plasma or platelets."),
    actor: str = Actor,
) -> None:
    """Book a donor into a slot; a full slot names the next free one."""
    with clerk_errors():
        starts_at = _when(when)
        site = sites.site_by_code(uow(), site_code)
        donor_id = appointments.donor_id_for(uow(), donor)
        view = appointments.book(uow(), donor_id=donor_id, site_id=site.id, starts_at=starts_at,
                                 kind=kind)
    console.print(f"Booked: appointment {view.id}, {view.donor_number} at {view.site_code} "
                  f"{view.starts_at:%a %Y-%m-%d %H:%M %Z}.")


@app.command()
@needs(P.APPOINTMENTS)
def cancel(
    appointment_id: int = typer.Argument(..., help="The appointment number."),
    reason: str = typer.Option("", "--reason", help="Why (recorded in the audit log)."),
    actor: str = Actor,
) -> None:
    """Cancel a booked appointment and free its chair."""
    with clerk_errors():
        view = appointments.cancel(uow(), appointment_id=appointment_id, reason=reason)
    console.print(f"Cancelled appointment {view.id} ({view.site_code} {view.starts_at:%a %Y-%m-%d %H:%M %Z}).")


@app.command("no-show")
@needs(P.APPOINTMENTS)
def no_show(
    appointment_id: int = typer.Argument(..., help="The appointment number."),
    actor: str = Actor,
) -> None:
    """Record that the donor did not come (only once the slot has started)."""
    with clerk_errors():
        view = appointments.mark_no_show(uow(), appointment_id=appointment_id)
    console.print(f"Appointment {view.id} recorded as a no-show.")


@app.command("list")
@needs(P.APPOINTMENTS)
def list_(
    site_code: str = typer.Argument(..., help="The site's code."),
    day: str = typer.Argument(..., metavar="DATE", help="YYYY-MM-DD."),
    actor: str = Actor,
) -> None:
    """Every appointment at the site that day, whatever its status."""
    with clerk_errors():
        on = _day(day)
        site = sites.site_by_code(uow(), site_code)
        views = appointments.list_for_site_day(uow(), site_id=site.id, on=on)
    if not views:
        console.print(f"No appointments at {site.code} on {day}.")
    for view in views:
        console.print(_line(view), highlight=False)
