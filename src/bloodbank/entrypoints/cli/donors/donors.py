from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from bloodbank.domain.access import Permission as P
from bloodbank.domain.donor_numbers import validate_donor_number
from bloodbank.domain.errors import Conflict, InvalidInput, PossibleDuplicate
from bloodbank.entrypoints import languages
from bloodbank.entrypoints.cli.context import clerk_errors, console, err_console, uow
from bloodbank.domain.erasure import CHANNEL_LABELS, REQUEST_CHANNELS
from bloodbank.entrypoints.cli.identity import Actor, needs, signed
from bloodbank.service_layer.donor_portal import my_data
from bloodbank.service_layer.donors import card as card_pdfs, data_copy as data_copies, erasure
from bloodbank.service_layer.donors import merge as donor_merge, registry as donors, search as donor_search
from bloodbank.service_layer.donors.registry import DonorView, DuplicateCandidate

app = typer.Typer(help="Donors: register, find, merge duplicate records, print donor cards, erase on request.",
                  no_args_is_help=True)


def _date(text: str | None, what: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        # Only year-month-day: 03/04/1990 means two different days on two sides of the Atlantic.
        raise InvalidInput(f"The {what} '{text}' must be written YYYY-MM-DD, e.g. 1990-04-03.") from None


def _donor_table(views: list[DonorView]) -> Table:
    table = Table("Number", "Name", "Born", "Sex", "Group", "Phone", "Postcode")
    for column in table.columns:
        column.overflow = "fold"  # a number cut short with an ellipsis would be misread
    for v in views:
        table.add_row(v.donor_number, escape(v.full_name), v.date_of_birth.isoformat(), v.sex,
                      v.blood_group or "", v.phone or "", escape(v.postcode))
    return table


def _candidate_table(candidates: list[DuplicateCandidate]) -> Table:
    table = Table("Number", "Name", "Born", "Phone", "Match", title="Records that may be this person")
    for column in table.columns:
        column.overflow = "fold"
    for c in candidates:
        table.add_row(c.donor.donor_number, escape(c.donor.full_name), c.donor.date_of_birth.isoformat(),
                      c.donor.phone or "", f"{c.score:.2f}" + (" likely" if c.likely else ""))
    return table


def _show(view: DonorView) -> None:
    console.print(f"[bold]{view.donor_number}[/bold]  {escape(view.full_name)}")
    if view.erased:
        console.print(f"Born in {view.date_of_birth.year}, sex {view.sex}, blood group {view.blood_group or 'not known'}. "
                      "Kept for traceability only: `bloodbank donors erase NUMBER --preview` shows the statement.")
        return
    console.print(f"Born {view.date_of_birth.isoformat()}, sex {view.sex}, "
                  f"blood group {view.blood_group or 'not yet known'}"
                  + ("  [red](group discrepancy: units blocked)[/red]" if view.group_discrepancy else ""))
    for label, value in (("Phone", view.phone), ("Email", view.email), ("Address", view.address),
                         ("Postcode", view.postcode), ("Preferred site", view.preferred_site_id)):
        if value not in (None, ""):
            console.print(f"{label}: {escape(str(value))}")
    console.print(f"Appeals: {'yes' if view.appeals_opt_in else 'no'}")


def _ids_of(numbers: list[str]) -> tuple[int, ...]:
    return tuple(donor_search.find_donor_by_number(uow(), number).id for number in numbers)


@app.command()
@needs(P.DONORS_WRITE)
def register(
    given_name: str = typer.Option(..., "--given", help="Given name(s)."),
    family_name: str = typer.Option(..., "--family", help="Family name."),
    date_of_birth: str = typer.Option(..., "--dob", help="Date of birth, YYYY-MM-DD."),
    sex: str = typer.Option(..., "--sex", help="F or M."),
    phone: Optional[str] = typer.Option(None, "--phone"),
    email: Optional[str] = typer.Option(None, "--email"),
    address: str = typer.Option("", "--address"),
    postcode: str = typer.Option("", "--postcode"),
    latitude: Optional[float] = typer.Option(None, "--lat", help="Home latitude (with --lon), for appeals nearby."),
    longitude: Optional[float] = typer.Option(None, "--lon"),
    blood_group: Optional[str] = typer.Option(None, "--group", help="Blood group if already known, e.g. 'O-'."),
    preferred_site_id: Optional[int] = typer.Option(None, "--site", help="Preferred site's id."),
    appeals: bool = typer.Option(False, "--appeals/--no-appeals", help="The donor agrees to receive appeals."),
    confirm_new: list[str] = typer.Option(
        [], "--confirm-new", metavar="NUMBER",
        help="A record checked with the donor and found to be someone else (repeat for each)."),
    actor: str = Actor,
) -> None:
    """Register a new donor; stops and lists any record that may already be this person."""
    with clerk_errors():
        try:
            view = donors.register_donor(
                uow(), given_name=given_name, family_name=family_name,
                date_of_birth=_date(date_of_birth, "date of birth"), sex=sex, phone=phone, email=email,
                address=address, postcode=postcode, latitude=latitude, longitude=longitude,
                blood_group=blood_group, preferred_site_id=preferred_site_id, appeals_opt_in=appeals,
                confirm_new_person_despite=_ids_of(confirm_new),
            )
        except PossibleDuplicate as error:
            _explain_duplicates(error)
            raise typer.Exit(1) from None
    console.print(f"Registered {escape(view.full_name)} as donor [bold]{view.donor_number}[/bold].")


def _explain_duplicates(error: PossibleDuplicate) -> None:
    err_console.print(f"[red]{error.message}[/red]")
    err_console.print(_candidate_table(error.candidates))
    for c in error.candidates:
        err_console.print(f"[bold]{c.donor.donor_number}[/bold]: " + escape("; ".join(c.reasons)) + ".")
    numbers = [c.donor.donor_number for c in error.candidates]
    err_console.print(
        "If the donor is on file, use that record (`bloodbank donors show NUMBER`); to combine two records "
        "of one person run `bloodbank donors merge KEEP_NUMBER DUPLICATE_NUMBER --reason ...`.\n"
        "If the donor is none of them, run the same command again with "
        + " ".join(f"--confirm-new {n}" for n in numbers)
    )


@app.command()
@needs(P.DONORS_READ)
def search(
    text: str = typer.Argument("", help="Words to look for in names, donor number or phone."),
    date_of_birth: Optional[str] = typer.Option(None, "--dob", help="Only donors born on this day (YYYY-MM-DD)."),
    phone: Optional[str] = typer.Option(None, "--phone", help="Only donors with this phone number."),
    limit: int = typer.Option(50, "--limit"),
    offset: int = typer.Option(0, "--offset"),
    actor: str = Actor,
) -> None:
    """Find donors by name, number, phone or date of birth (merged records are not listed)."""
    with clerk_errors():
        views = donor_search.search_donors(uow(), text=text, date_of_birth=_date(date_of_birth, "date of birth"),
                                     phone=phone, limit=limit, offset=offset)
    if not views:
        console.print("No donor found.")
        return
    console.print(_donor_table(views))


@app.command()
@needs(P.DONORS_READ)
def show(number: str = typer.Argument(..., help="Donor number, e.g. D00004213."),
         actor: str = Actor) -> None:
    """Show a donor's record (a merged number shows the record it was merged into)."""
    with clerk_errors():
        view = donor_search.find_donor_by_number(uow(), number)
    _show(view)


@app.command()
@needs(P.DONORS_MERGE)
def merge(
    survivor_number: str = typer.Argument(..., metavar="KEEP_NUMBER", help="The record to keep."),
    duplicate_number: str = typer.Argument(..., metavar="DUPLICATE_NUMBER", help="The second record of the same person."),
    reason: str = typer.Option(..., "--reason", help="How you know both records are the same person."),
    actor: str = Actor,
) -> None:
    """Merge a duplicate record into the one kept: all history moves over, nothing is deleted."""
    with clerk_errors():
        survivor = _unmerged(survivor_number)
        duplicate = _unmerged(duplicate_number)
        view = donor_merge.merge_donors(uow(), survivor_id=survivor.id, duplicate_id=duplicate.id,
                                        reason=reason)
    console.print(f"Merged {duplicate.donor_number} into {view.donor_number} ({escape(view.full_name)}).")


def _unmerged(number: str) -> DonorView:
    asked = validate_donor_number(number)
    view = donor_search.find_donor_by_number(uow(), asked)
    if view.donor_number != asked:
        raise Conflict(f"Record {asked} was already merged into {view.donor_number}: use that number.")
    return view


@app.command()
@needs(P.DONORS_READ)
def card(
    number: str = typer.Argument(..., help="Donor number."),
    out: Path = typer.Option(..., "--out", help="Where to write the PDF."),
    actor: str = Actor,
) -> None:
    """Write the donor's card (credit-card size, with a barcode of the number) as a PDF."""
    with clerk_errors():
        made = card_pdfs.donor_card_by_number(uow(), number, language=languages.current(),
                                              catalogue=languages.catalogue)
    try:
        out.write_bytes(made.pdf)
    except OSError as error:
        err_console.print(f"[red]Could not write {escape(str(out))}: {escape(str(error.strerror or error))}[/red]")
        raise typer.Exit(1) from None
    console.print(f"Card for {made.donor_number} written to {escape(str(out))}.")


@app.command("data-copy")
@needs(P.DATA_COPY)
def data_copy(
    number: str = typer.Argument(..., help="Donor number (any record of the person)."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write the copy as JSON, for a machine."),
    pdf_out: Optional[Path] = typer.Option(None, "--pdf", help="Write the copy as a PDF document, for a person."),
    actor: str = Actor,
) -> None:
    """A copy of everything held about a donor, for the donor (their right of access)."""
    with clerk_errors():
        if json_out is None and pdf_out is None:
            raise InvalidInput("Say where to write the copy: --json FILE, --pdf FILE, or both.")
        copy = data_copies.data_copy(uow(), donor_id=donor_search.find_donor_by_number(uow(), number).id)
    if json_out is not None:
        json_out.write_text(json.dumps(asdict(copy), default=str, ensure_ascii=False, indent=1), encoding="utf-8")
    if pdf_out is not None:
        pdf_out.write_bytes(data_copies.data_copy_document(copy, language=languages.current(),
                                                                      catalogue=languages.catalogue))
    held = sum(len(rows) for rows in copy.sections.values())
    console.print(f"Copy of donor {copy.donor_number}'s data written ({held} entries).")


@app.command()
@needs(P.ERASURE)
def erase(
    number: str = typer.Argument(..., help="Donor number (any record of the person)."),
    requested_on: Optional[str] = typer.Option(None, "--requested-on", help="The day the donor asked, YYYY-MM-DD "
                                               "(a request filed from the donor's page gives its own)."),
    channel: Optional[str] = typer.Option(None, "--channel", help="How they asked: " + ", ".join(REQUEST_CHANNELS)),
    preview: bool = typer.Option(False, "--preview", help="Only say what would be erased and kept; change nothing."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation (the signature is still asked)."),
    actor: str = Actor,
) -> None:
    """Erase a person's personal data at their request (signed; cannot be undone), keeping what traceability needs."""
    with clerk_errors():
        statement = erasure.statement_or_preview(uow(), number)
        show_statement(statement)
        if preview or statement.erased:
            return
        asked = _date(requested_on, "date of the request")
        if asked is None and channel is None:
            # A request the donor filed from their page gives its day and channel, as on the erasure page.
            asked = my_data.requested_on(uow(), donor_id=statement.donor_id)
            channel = "portal" if asked else None
        if asked is None or channel is None:
            raise InvalidInput("Say when and how the donor asked: --requested-on YYYY-MM-DD --channel "
                               + "|".join(REQUEST_CHANNELS) + ".")
        if not yes and not typer.confirm(f"Erase the personal data of donor {statement.donor_number} as listed? "
                                         "This cannot be undone.", default=False):
            err_console.print("Nothing was erased.")
            raise typer.Exit(1)
        done = signed(action="erase",
                      act=lambda: erasure.erase_donor(uow(), donor_ref=statement.donor_id, requested_on=asked,
                                                      channel=channel),
                      record=lambda s: (s.donor_number, "donor", s.donor_id))
    console.print(f"Erased, signed and audited (entry {done.audit_entry_id}). Give the donor this statement.")


def show_statement(statement: erasure.ErasureStatement) -> None:
    if statement.erased:
        console.print(f"[bold]{statement.donor_number}[/bold] was erased on {statement.erased_at:%Y-%m-%d} by "
                      f"{escape(statement.erased_by or '')} ({statement.kind}"
                      + (f", asked {statement.requested_on.isoformat()} {CHANNEL_LABELS.get(statement.channel, '')}"
                         if statement.kind == "request" else "") + ").")
    else:
        console.print(f"An erasure of [bold]{statement.donor_number}[/bold] (records "
                      f"{', '.join(statement.record_numbers)}) would do this; nothing is changed yet.")
    for title, listed in (("Erased" if statement.erased else "Would be erased", statement.erased_items),
                          ("Kept", statement.kept_items)):
        console.print(f"[bold]{title}[/bold]")
        for item in listed:
            count = "" if item.count is None else f" ({item.count})"
            until = f", until {item.kept_until.isoformat()}" if item.kept_until else ""
            console.print(f"  {escape(item.what)}{count}: {item.disposition}{until}. {escape(item.why)} "
                          f"[dim]{escape('; '.join(item.sources))}[/dim]")
    console.print(f"The right to erasure: {escape(statement.request_basis)}; answer within {statement.answer_within}.")
