from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Optional

import typer

from bloodbank.domain.access import Permission as P
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.lab_tests import TESTS
from bloodbank.domain.second_entry import ANALYSER, AWAITING, DISPUTED, MANUAL, VERIFIED
from bloodbank.entrypoints.cli.context import clerk_errors, console, err_console, uow
from bloodbank.entrypoints.cli.identity import Actor, needs, signed
from bloodbank.service_layer.blood import follow_up, quarantine as quarantine_board, release, testing
from bloodbank.service_layer.blood.testing import BatchRow, RefusedRow, ResultView

app = typer.Typer(help="The lab: test results, quarantine, release and donor follow-ups.", no_args_is_help=True)

TEST_HELP = ", ".join(TESTS)


def _show_result(view: ResultView) -> None:
    value = f" {view.value}" if view.value else ""
    stage = "final" if view.final else "preliminary"
    console.print(f"Result {view.id}: {view.din} {view.test_name} {view.outcome}{value} ({stage})")
    for note in view.consequences:
        console.print(f"  → {note}")
    if view.check == AWAITING:
        console.print(f"  [bold]Awaiting a second entry:[/bold] bloodbank lab second-entry {view.id} …")


@app.command()
@needs(P.RESULTS_WRITE)
def result(
    din: str = typer.Argument(..., help="The donation's DIN (13 characters, or as scanned)."),
    test: str = typer.Argument(..., help=TEST_HELP),
    outcome: str = typer.Argument(..., help="negative, reactive, positive, indeterminate; for abo_rh the group."),
    value: Optional[str] = typer.Option(None, "--value", help="The typed value (abo_rh: the group) or a reading."),
    preliminary: bool = typer.Option(False, "--preliminary", help="Not final yet: the unit stays in quarantine."),
    actor: str = Actor,
) -> None:
    """Record a test result typed by hand; a reactive marker discards every unit holding the donation's blood at
    once. A grouping or an infection marker counts for release once a second entry agrees (`second-entry`)."""
    with clerk_errors():
        view = testing.record_result_by_din(uow(), din=din, test=test, outcome=outcome, value=value,
                                            final=not preliminary, source=MANUAL)
    _show_result(view)


@app.command()
@needs(P.RESULTS_WRITE)
def correct(
    result_id: int = typer.Argument(..., help="The result to correct."),
    outcome: str = typer.Argument(..., help="The right outcome."),
    reason: str = typer.Option(..., "--reason", help="Why the recorded result was wrong."),
    value: Optional[str] = typer.Option(None, "--value", help="The typed value, if any."),
    preliminary: bool = typer.Option(False, "--preliminary", help="The corrected result is not final yet."),
    actor: str = Actor,
) -> None:
    """Correct a result: the old one is kept, marked as replaced. A discarded unit stays discarded. The correction
    is typed by hand: a grouping or an infection marker counts once a second entry agrees."""
    with clerk_errors():
        view = testing.correct_result(uow(), result_id=result_id, outcome=outcome, value=value, reason=reason,
                                      final=not preliminary)
    _show_result(view)


@app.command()
@needs(P.RESULTS_READ)
def results(din: str = typer.Argument(..., help="The donation's DIN."), actor: str = Actor) -> None:
    """Every result of a donation, corrections included (this read is logged)."""
    with clerk_errors():
        views = testing.results_for_donation(uow(), testing.donation_id_for_din(uow(), din))
    if not views:
        console.print("No results recorded.")
    for v in views:
        state = "current" if v.current else f"replaced by {v.superseded_by_id}"
        why = f" — corrected: {v.correction_reason}" if v.correction_reason else ""
        console.print(f"{v.id:>6}  {v.test_name:<18} {v.outcome:<13} {v.value or '':<5} "
                      f"{'final' if v.final else 'prelim.':<7} {state}{why}{_entry_note(v)}")


def _entry_note(view: ResultView) -> str:
    if view.check == AWAITING:
        return " — typed by hand, awaiting a second entry"
    if view.check == VERIFIED:
        return f" — typed by hand, verified by {view.second_entry_by}"
    if view.check == DISPUTED:
        return f" — {view.disagreement}"
    return ""


@app.command("second-entries")
@needs(P.RESULTS_WRITE)
def second_entries(
    din: Optional[str] = typer.Option(None, "--din", help="Only this donation's."),
    site_id: Optional[int] = typer.Option(None, "--site", help="Only donations collected at this site."),
    actor: str = Actor,
) -> None:
    """Results typed by hand waiting for their second entry, oldest first; what they say is not shown."""
    with clerk_errors():
        items = testing.awaiting_second_entry(uow(), din=din, site_id=site_id)
    if not items:
        console.print("No result typed by hand is waiting for a second entry.")
    for item in items:
        correction = " (correction)" if item.correction else ""
        console.print(f"{item.result_id:>6}  {item.din_eye_readable} {item.test_name:<18} first entered "
                      f"{item.recorded_at:%Y-%m-%d %H:%M} UTC by {item.recorded_by}{correction}")


@app.command("second-entry")
@needs(P.RESULTS_WRITE)
def second_entry(
    result_id: int = typer.Argument(..., help="The result typed by hand (see second-entries)."),
    outcome: str = typer.Argument(..., help="The outcome read again; for abo_rh the group."),
    value: Optional[str] = typer.Option(None, "--value", help="abo_rh: the group read again."),
    actor: str = Actor,
) -> None:
    """Enter a result typed by hand again, blind: agreeing, it counts for release; disagreeing, both entries are
    kept, the field is named and the result stays blocked (exit status 1)."""
    with clerk_errors():
        view = testing.give_second_entry(uow(), result_id=result_id, outcome=outcome, value=value)
    console.print(f"[green]Verified[/green]: result {view.id} ({view.din} {view.test_name}), both entries agree.")
    for note in view.consequences:
        if note != "verified by a second entry":
            console.print(f"  → {note}")


def read_results_csv(text: str) -> tuple[list[BatchRow], list[RefusedRow]]:
    """Rows `din,test,outcome[,value]`, an optional header; malformed lines are refused with their number."""
    rows, problems = [], []
    for line, fields in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [f.strip() for f in fields]
        if not any(cells) or (line == 1 and cells[0].lower() == "din"):
            continue
        if len(cells) not in (3, 4) or not all(cells[:3]):
            problems.append(RefusedRow(line, cells[0] if cells else "", cells[1] if len(cells) > 1 else "",
                                       "expected din,test,outcome[,value]"))
            continue
        rows.append(BatchRow(line=line, din=cells[0], test=cells[1], outcome=cells[2],
                             value=cells[3] if len(cells) == 4 and cells[3] else None))
    return rows, problems


@app.command()
@needs(P.RESULTS_WRITE)
def batch(path: Path = typer.Argument(..., help="CSV file: din,test,outcome,value"), actor: str = Actor) -> None:
    """Record an analyser's file of results; each line stands alone: a bad line is reported, the others are kept.
    Results from an analyser's file need no second entry."""
    with clerk_errors():
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as error:
            raise InvalidInput(f"Cannot read {path}: {error}") from None
    rows, malformed = read_results_csv(text)
    report = testing.record_results_batch(uow(), rows, source=ANALYSER)
    for line, view in report.accepted:
        console.print(f"line {line}: recorded result {view.id} ({view.din} {view.test_name} {view.outcome})")
        for note in view.consequences:
            console.print(f"  → {note}")
    refused = sorted([*malformed, *report.refused], key=lambda r: r.line)
    for row in refused:
        err_console.print(f"[red]line {row.line}: refused — {row.message}[/red]")
    console.print(f"{len(report.accepted)} recorded, {len(refused)} refused.")
    if refused:
        raise typer.Exit(1)


@app.command()
@needs(P.UNITS_READ)
def quarantine(site_id: Optional[int] = typer.Option(None, "--site", help="Only this site's units."),
               actor: str = Actor) -> None:
    """Units in quarantine and what they wait for."""
    with clerk_errors():
        items = quarantine_board.quarantine_list(uow(), site_id)
    if not items:
        console.print("No units in quarantine.")
    for item in items:
        waits = f" — missing: {', '.join(item.missing_tests)}" if item.missing_tests else ""
        if item.awaiting_second_entry:
            waits += f" — second entry: {', '.join(item.awaiting_second_entry)}"
        console.print(f"{item.unit_id:>6}  {item.din} {item.product_code} {item.blood_group or '?':<3} "
                      f"exp {item.expires_at:%Y-%m-%d %H:%M}  [bold]{item.state}[/bold]{waits}")
        for hold in item.holds:
            console.print(f"        {hold}")


@app.command("release")
@needs(P.RELEASE)
def release_unit(unit_id: int = typer.Argument(..., help="The quarantined unit."), actor: str = Actor) -> None:
    """Release a unit for transfusion, signed with your password: refused, with every reason, unless every check
    passes."""
    with clerk_errors():
        view = signed(action="release", act=lambda: release.release_unit(uow(), unit_id=unit_id),
                      record=lambda v: (release.unit_subject(v.din, v.product_code, v.division), "unit", v.unit_id))
    console.print(f"[green]Released[/green] unit {view.unit_id} {view.din} {view.product_code} "
                  f"{view.blood_group}: now available.")


@app.command()
@needs(P.RELEASE)
def why(unit_id: int = typer.Argument(..., help="The unit."), actor: str = Actor) -> None:
    """Why a unit cannot be released yet (nothing is changed)."""
    with clerk_errors():
        blockers = release.release_blockers_for(uow(), unit_id)
    if not blockers:
        console.print(f"Unit {unit_id} passes every release check.")
    for blocker in blockers:
        console.print(f"- {blocker.message}")


@app.command("follow-ups")
@needs(P.FOLLOW_UPS)
def follow_ups(
    show_all: bool = typer.Option(False, "--all", help="Closed ones too."),
    donor_id: Optional[int] = typer.Option(None, "--donor", help="Only this donor's."),
    actor: str = Actor,
) -> None:
    """Donor follow-ups opened by the lab (this read is logged)."""
    with clerk_errors():
        views = follow_up.list_follow_ups(uow(), open_only=not show_all, donor_id=donor_id)
    if not views:
        console.print("No follow-ups.")
    for v in views:
        closed = f" — closed by {v.closed_by}: {v.outcome}" if v.closed_at else ""
        console.print(f"{v.id:>6}  donor {v.donor_number} {v.din or '':<13} {v.reason:<18} {v.detail}{closed}")


@app.command("close-follow-up")
@needs(P.FOLLOW_UPS)
def close_follow_up(
    follow_up_id: int = typer.Argument(..., help="The follow-up."),
    outcome: str = typer.Option(..., "--outcome", help="What was found or done."),
    group: Optional[str] = typer.Option(None, "--group", help="Grouping follow-up: the donor's confirmed group."),
    actor: str = Actor,
) -> None:
    """Close a follow-up with its outcome; confirming a blood group is signed with your password."""
    with clerk_errors():
        if group:
            view = signed(action="confirm_group",
                          act=lambda: follow_up.close_follow_up(uow(), follow_up_id=follow_up_id, outcome=outcome,
                                                                confirmed_group=group),
                          record=lambda v: (follow_up.group_subject(group, v), "donor", v.donor_id))
        else:
            view = follow_up.close_follow_up(uow(), follow_up_id=follow_up_id, outcome=outcome)
    console.print(f"Follow-up {view.id} closed.")
