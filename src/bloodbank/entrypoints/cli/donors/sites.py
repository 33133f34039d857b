from __future__ import annotations

import json
from typing import Optional

import typer

from bloodbank.domain.access import Permission as P
from bloodbank.domain import scheduling
from bloodbank.domain.errors import InvalidInput
from bloodbank.entrypoints.cli.context import clerk_errors, console, uow
from bloodbank.entrypoints.cli.identity import Actor, needs
from bloodbank.service_layer.donors import sites
from bloodbank.service_layer.donors.sites import SiteView

app = typer.Typer(help="Sites: fixed centres and mobile drives, their chairs and opening hours.",
                  no_args_is_help=True)

HOURS_HELP = "Opening hours, repeatable: DAY[-DAY]=HH:MM-HH:MM[,HH:MM-HH:MM], e.g. mon-fri=08:00-12:00,13:00-17:00."
HOURS_JSON_HELP = 'Opening hours as JSON instead, e.g. {"mon": ["08:00", "16:00"]}.'


def _hours(specs: list[str] | None, as_json: str | None) -> dict | None:
    if specs and as_json:
        raise InvalidInput("Give the opening hours either with --hours or with --hours-json, not both.")
    if as_json:
        try:
            return json.loads(as_json)
        except json.JSONDecodeError as error:
            raise InvalidInput(f"--hours-json is not valid JSON: {error.msg}.") from None
    return scheduling.hours_from_text(specs) if specs else None


def _show(view: SiteView) -> None:
    state = "" if view.active else "  [red](inactive)[/red]"
    console.print(f"[bold]{view.code}[/bold] {view.name} (id {view.id}){state}")
    console.print(f"  {view.kind} site, facility {view.facility_code}, rules {view.rule_set}, clock {view.time_zone}")
    console.print(f"  {view.chairs} chairs, {view.slot_minutes}-minute slots")
    console.print(f"  Hours: {view.hours_text}")
    if view.address:
        console.print(f"  Address: {view.address}")
    if view.latitude is not None:
        console.print(f"  Position: {view.latitude}, {view.longitude}")


@app.command()
@needs(P.SITES_WRITE)
def create(
    code: str = typer.Argument(..., help="Short unique code, e.g. NORTH."),
    name: str = typer.Argument(..., help="The site's name as donors know it."),
    facility: str = typer.Option(..., "--facility", help="ISBT 128 facility code (FIN), e.g. A9999."),
    time_zone: str = typer.Option(..., "--time-zone", help="IANA zone of the site's clock, e.g. Asia/Damascus."),
    kind: str = typer.Option("fixed", "--kind", help="fixed (a centre) or mobile (a drive)."),
    rule_set: str = typer.Option("who", "--rule-set", help="Eligibility rules applied at the site."),
    hours: Optional[list[str]] = typer.Option(None, "--hours", help=HOURS_HELP),
    hours_json: Optional[str] = typer.Option(None, "--hours-json", help=HOURS_JSON_HELP),
    chairs: int = typer.Option(4, "--chairs", help="Donors seen at once."),
    slot_minutes: int = typer.Option(15, "--slot-minutes", help="Length of one appointment slot."),
    address: str = typer.Option("", "--address"),
    latitude: Optional[float] = typer.Option(None, "--lat", help="Decimal degrees."),
    longitude: Optional[float] = typer.Option(None, "--lon", help="Decimal degrees."),
    actor: str = Actor,
) -> None:
    """Create a site; without hours it is closed every day until they are set."""
    with clerk_errors():
        view = sites.create_site(
            uow(), code=code, name=name, kind=kind, facility_code=facility, rule_set=rule_set,
            time_zone=time_zone, opening_hours=_hours(hours, hours_json) or {}, chairs=chairs, slot_minutes=slot_minutes,
            address=address, latitude=latitude, longitude=longitude,
        )
    console.print("Site created.")
    _show(view)


@app.command("list")
@needs(P.DONORS_READ)
def list_(all_: bool = typer.Option(False, "--all", help="Include inactive sites."),
          actor: str = Actor) -> None:
    """List the sites, active ones only unless --all."""
    with clerk_errors():
        views = sites.list_sites(uow(), active_only=not all_)
    if not views:
        console.print("No sites.")
    for view in views:
        state = "" if view.active else " (inactive)"
        console.print(f"{view.code:<12} {view.name}  [{view.kind}, {view.chairs} chairs]{state}")


@app.command()
@needs(P.DONORS_READ)
def show(code: str = typer.Argument(..., help="The site's code."), actor: str = Actor) -> None:
    """Show one site in full."""
    with clerk_errors():
        view = sites.site_by_code(uow(), code)
    _show(view)


@app.command()
@needs(P.SITES_WRITE)
def update(
    code: str = typer.Argument(..., help="The site's code."),
    reason: str = typer.Option(..., "--reason", help="Why it changes (recorded in the audit log)."),
    new_code: Optional[str] = typer.Option(None, "--new-code"),
    name: Optional[str] = typer.Option(None, "--name"),
    kind: Optional[str] = typer.Option(None, "--kind", help="fixed or mobile."),
    facility: Optional[str] = typer.Option(None, "--facility", help="ISBT 128 facility code (FIN)."),
    rule_set: Optional[str] = typer.Option(None, "--rule-set"),
    time_zone: Optional[str] = typer.Option(None, "--time-zone", help="IANA zone of the site's clock."),
    hours: Optional[list[str]] = typer.Option(None, "--hours", help=HOURS_HELP + " Replaces all hours."),
    hours_json: Optional[str] = typer.Option(None, "--hours-json", help=HOURS_JSON_HELP),
    chairs: Optional[int] = typer.Option(None, "--chairs", help="Fewer chairs never cancels existing bookings."),
    slot_minutes: Optional[int] = typer.Option(None, "--slot-minutes"),
    address: Optional[str] = typer.Option(None, "--address"),
    latitude: Optional[float] = typer.Option(None, "--lat"),
    longitude: Optional[float] = typer.Option(None, "--lon"),
    actor: str = Actor,
) -> None:
    """Change a site's details; bookings already made keep their time and chair."""
    with clerk_errors():
        given = dict(code=new_code, name=name, kind=kind, facility_code=facility, rule_set=rule_set,
                     time_zone=time_zone, opening_hours=_hours(hours, hours_json), chairs=chairs, slot_minutes=slot_minutes,
                     address=address, latitude=latitude, longitude=longitude)
        fields = {key: value for key, value in given.items() if value is not None}
        site = sites.site_by_code(uow(), code)
        view = sites.update_site(uow(), site.id, reason=reason, **fields)
    console.print("Site updated.")
    _show(view)


@app.command()
@needs(P.SITES_WRITE)
def deactivate(
    code: str = typer.Argument(..., help="The site's code."),
    reason: str = typer.Option(..., "--reason"),
    actor: str = Actor,
) -> None:
    """Stop new bookings at a site; the appointments it holds are kept."""
    with clerk_errors():
        site = sites.site_by_code(uow(), code)
        view = sites.deactivate_site(uow(), site.id, reason=reason)
    console.print(f"Site {view.code} is inactive: it takes no new bookings.")


@app.command()
@needs(P.SITES_WRITE)
def reactivate(
    code: str = typer.Argument(..., help="The site's code."),
    reason: str = typer.Option(..., "--reason"),
    actor: str = Actor,
) -> None:
    """Let an inactive site take bookings again."""
    with clerk_errors():
        site = sites.site_by_code(uow(), code)
        view = sites.reactivate_site(uow(), site.id, reason=reason)
    console.print(f"Site {view.code} is active again.")
