from __future__ import annotations

from datetime import date
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from bloodbank.domain.access import Permission as P
from bloodbank.domain.errors import InvalidInput, PossibleDuplicate
from bloodbank.domain.patients import IDENTIFIER_SYSTEMS, SPECIAL_REQUIREMENTS
from bloodbank.domain.second_entry import AWAITING, DISPUTED
from bloodbank.entrypoints.cli.context import clerk_errors, console, err_console, uow
from bloodbank.entrypoints.cli.identity import Actor, needs, second_person_password, signed
from bloodbank.service_layer.hospital import grouping_errors, hospitals, patient_lab, patient_merge, patients
from bloodbank.service_layer.hospital.patients import PatientView

app = typer.Typer(help="Patients: register, identify, record groupings, antibodies and special requirements, "
                       "merge duplicate records.", no_args_is_help=True)
hospitals_app = typer.Typer(help="Hospitals served by the blood bank.", no_args_is_help=True)

PatientArg = typer.Argument(..., help="Identifier (mrn:RXH:123456, nhs:9434765919, EM-2026-0001) or id:42.")
SYSTEMS_HELP = "; ".join(f"{code} = {s.name} (e.g. {s.example})" for code, s in IDENTIFIER_SYSTEMS.items())


def _date(text: str | None, what: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"The {what} '{text}' must be written YYYY-MM-DD, e.g. 1990-04-03.") from None


def _identifier_pairs(texts: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for text in texts:
        system, sep, value = text.partition(":")
        if not sep:
            raise InvalidInput(f"Write each identifier as TYPE:VALUE, e.g. mrn:RXH:123456; got '{text}'.")
        pairs.append((system, value))
    return pairs


def _patient_id(text: str) -> int:
    return patients.lookup_patient(uow(), text).id


def _hospital_id(code: str) -> int:
    return hospitals.get_hospital(uow(), code).id


def _describe(view: PatientView) -> str:
    born = "born unknown" if view.date_of_birth is None else (
        f"born ~{view.date_of_birth.year} (estimated)" if view.date_of_birth_estimated
        else f"born {view.date_of_birth.isoformat()}")
    ids = ", ".join(f"{s}:{v}" for s, v in view.identifiers)
    return f"[bold]id:{view.id}[/bold]  {escape(view.display_name)}, {born}, sex {view.sex or '?'}  ({escape(ids)})"


# ---------------------------------------------------------------- hospitals


@hospitals_app.command("create")
@needs(P.SITES_WRITE)
def create_hospital(
    code: str = typer.Argument(..., help="Short code, letters and digits, e.g. RXH (prefixes hospital numbers)."),
    name: str = typer.Option(..., "--name"),
    site: int = typer.Option(..., "--site", help="Id of the site whose stock serves the hospital."),
    address: str = typer.Option("", "--address"),
    time_zone: Optional[str] = typer.Option(None, "--time-zone",
                                            help="IANA zone of the hospital's clock; left out, the site's."),
    actor: str = Actor,
) -> None:
    """Add a hospital served by a site."""
    with clerk_errors():
        view = hospitals.create_hospital(uow(), code=code, name=name, site_id=site, address=address,
                                         time_zone=time_zone)
    console.print(f"Hospital [bold]{view.code}[/bold] created (id {view.id}).")


@hospitals_app.command("list")
@needs(P.PATIENTS_READ)
def list_hospitals(site: Optional[int] = typer.Option(None, "--site", help="Only those served by this site."),
                   actor: str = Actor) -> None:
    """List hospitals."""
    with clerk_errors():
        views = hospitals.list_hospitals(uow(), site_id=site)
    table = Table("Id", "Code", "Name", "Site")
    for v in views:
        table.add_row(str(v.id), v.code, escape(v.name), str(v.site_id or ""))
    console.print(table)


# ---------------------------------------------------------------- patients


@app.command()
@needs(P.PATIENTS_WRITE)
def register(
    hospital: str = typer.Option(..., "--hospital", help="Hospital code, e.g. RXH."),
    identifier: list[str] = typer.Option(..., "--id", help=f"TYPE:VALUE, repeat for each. {SYSTEMS_HELP}."),
    given_name: str = typer.Option("", "--given"),
    family_name: str = typer.Option("", "--family"),
    date_of_birth: Optional[str] = typer.Option(None, "--dob", help="YYYY-MM-DD."),
    sex: Optional[str] = typer.Option(None, "--sex", help="F or M; leave out if not known."),
    actor: str = Actor,
) -> None:
    """Register a patient; refused if any identifier is already on file."""
    with clerk_errors():
        try:
            view = patients.register_patient(
                uow(), hospital_id=_hospital_id(hospital), identifiers=_identifier_pairs(identifier),
                given_name=given_name, family_name=family_name, date_of_birth=_date(date_of_birth, "date of birth"),
                sex=sex)
        except PossibleDuplicate as error:
            err_console.print(f"[red]{escape(error.message)}[/red]")
            for candidate in error.candidates:
                err_console.print(_describe(candidate))
            raise typer.Exit(1) from None
    console.print(f"Registered {_describe(view)}")


@app.command()
@needs(P.PATIENTS_WRITE)
def emergency(
    hospital: str = typer.Option(..., "--hospital", help="Hospital code, e.g. RXH."),
    sex: Optional[str] = typer.Option(None, "--sex", help="F or M; leave out if not known."),
    age: Optional[int] = typer.Option(None, "--age", help="Approximate age in years."),
    actor: str = Actor,
) -> None:
    """Register an unidentified patient under the next emergency number."""
    with clerk_errors():
        view = patients.register_emergency_patient(uow(), hospital_id=_hospital_id(hospital), sex=sex,
                                                   approximate_age=age)
    console.print(f"Emergency number [bold]{view.identifier('emergency')}[/bold]: {_describe(view)}")


@app.command()
@needs(P.PATIENTS_WRITE)
def identifier(
    patient: str = PatientArg,
    new: str = typer.Argument(..., help="The identifier to add, TYPE:VALUE."),
    reason: str = typer.Option("", "--reason"),
    actor: str = Actor,
) -> None:
    """Add an identifier to a patient (e.g. the NHS number once known)."""
    with clerk_errors():
        [(system, value)] = _identifier_pairs([new])
        view = patients.add_identifier(uow(), patient_id=_patient_id(patient), system=system, value=value,
                                       reason=reason)
    console.print(_describe(view))


@app.command()
@needs(P.PATIENTS_WRITE)
def edit(
    patient: str = PatientArg,
    reason: str = typer.Option(..., "--reason", help="Why, e.g. 'name misspelt at admission'."),
    given_name: Optional[str] = typer.Option(None, "--given"),
    family_name: Optional[str] = typer.Option(None, "--family"),
    date_of_birth: Optional[str] = typer.Option(None, "--dob", help="YYYY-MM-DD."),
    estimated: Optional[bool] = typer.Option(None, "--estimated/--exact", help="Whether the date of birth is "
                                                                             "estimated."),
    sex: Optional[str] = typer.Option(None, "--sex", help="F or M."),
    actor: str = Actor,
) -> None:
    """Correct a patient's name, date of birth or sex; only the options given change, and the reason is kept."""
    given = {"given_name": given_name, "family_name": family_name, "sex": sex,
             "date_of_birth_estimated": estimated}
    changes = {name: value for name, value in given.items() if value is not None}
    with clerk_errors():
        if date_of_birth is not None:
            changes["date_of_birth"] = _date(date_of_birth, "date of birth")
        view = patients.update_patient_details(uow(), patient_id=_patient_id(patient), reason=reason, **changes)
    console.print(f"Saved: {_describe(view)}")


@app.command()
@needs(P.PATIENTS_READ)
def find(text: str = typer.Argument(..., help="An identifier, or words of the names."), actor: str = Actor) -> None:
    """Find patients by any identifier or by name."""
    with clerk_errors():
        views = patients.find_patients(uow(), text)
    if not views:
        console.print("No patient found.")
    for view in views:
        console.print(_describe(view))


@app.command()
@needs(P.PATIENTS_READ)
def show(patient: str = PatientArg, actor: str = Actor) -> None:
    """Show a patient with everything recorded under any of their records."""
    with clerk_errors():
        view = patients.lookup_patient(uow(), patient)
        record = patient_lab.get_patient_record(uow(), view.id)
        chart = patient_lab.get_patient_chart(uow(), view.id)
    profile = record.profile
    console.print(_describe(view))
    groups = ", ".join(g.blood_group for g in profile.groupings) or "none"
    colour = "red" if record.grouping_status == "discrepant" else "bold"
    console.print(f"Groupings: {groups}  [{colour}]{record.grouping_status}[/{colour}]")
    for g in chart.groupings:
        where = f"sample {g.sample_number}" if g.sample_number else "no sample"
        note = (f" ENTERED IN ERROR, not counted: {escape(g.in_error_reason or '')} (by {g.in_error_by}, "
                f"confirmed by {g.in_error_confirmed_by})" if g.in_error_at else "")
        if g.check == AWAITING and not g.in_error_at:
            note += " typed by hand, AWAITING A SECOND ENTRY: not counted yet"
        elif g.check == DISPUTED:
            note += f" {escape(g.disagreement or '')}"
        console.print(f"  Grouping #{g.id} {g.blood_group} on {where}{note}")
    screens = ", ".join("positive" if s.positive else "negative" for s in profile.antibody_screens) or "none"
    console.print(f"Antibody screens: {screens}")
    console.print(f"Antibodies: {', '.join(profile.antibodies) or 'none'}")
    for r in record.requirements:
        until = f" until {r.until.isoformat()}" if r.until else ""
        console.print(f"Requirement #{r.id} {r.requirement} since {r.since.isoformat()}{until}"
                      f"{'' if r.active else ' (not active)'}: {escape(r.reason)}")


@app.command()
@needs(P.PATIENTS_WRITE)
def sample(
    patient: str = PatientArg,
    number: str = typer.Argument(..., help="Sample number from the tube label."),
    taken_by: str = typer.Option(..., "--taken-by", help="Who took the sample at the bedside."),
    actor: str = Actor,
) -> None:
    """Record a sample received from a patient (time is the server's)."""
    with clerk_errors():
        view = patient_lab.record_sample(uow(), patient_id=_patient_id(patient), sample_number=number,
                                         taken_by=taken_by)
    console.print(f"Sample {view.sample_number} recorded (id {view.id}).")


@app.command()
@needs(P.PATIENTS_WRITE)
def group(
    patient: str = PatientArg,
    sample_id: int = typer.Option(..., "--sample", help="Sample id."),
    blood_group: str = typer.Argument(..., help="e.g. 'A+' or 'O neg'."),
    manual: bool = typer.Option(False, "--manual", help="Typed in by hand, not from the analyser."),
    actor: str = Actor,
) -> None:
    """Record an ABO/RhD grouping; a result that disagrees with earlier ones is stored and flagged. One typed by
    hand (--manual) counts for the patient's group once a second entry agrees (`second-entry`)."""
    with clerk_errors():
        view = patient_lab.record_grouping(uow(), patient_id=_patient_id(patient), sample_id=sample_id,
                                           blood_group=blood_group, manually_edited=manual)
    if view.status == "discrepant":
        console.print(f"[red]Grouping {view.blood_group} DISAGREES with an earlier grouping: group O red cells "
                      "only until the lab resolves it.[/red]")
    else:
        console.print(f"Grouping {view.blood_group} recorded; group is {view.status}.")
    if view.check == AWAITING:
        console.print(f"  Typed by hand: it counts once a second entry agrees "
                      f"(bloodbank patients second-entry … --grouping {view.id} GROUP).")


@app.command("second-entries")
@needs(P.PATIENTS_WRITE)
def second_entries(
    patient: Optional[str] = typer.Option(None, "--patient", help="Only this patient's (identifier or id:42)."),
    actor: str = Actor,
) -> None:
    """Groupings typed by hand waiting for their second entry, oldest first; their group is not shown."""
    with clerk_errors():
        items = patient_lab.groupings_awaiting_second_entry(
            uow(), patient_id=_patient_id(patient) if patient else None)
    if not items:
        console.print("No grouping typed by hand is waiting for a second entry.")
    for item in items:
        ids = ", ".join(f"{s}:{v}" for s, v in item.identifiers)
        console.print(f"Grouping #{item.grouping_id}  id:{item.patient_id} {escape(item.patient_name)} "
                      f"({escape(ids)})  sample {item.sample_number or 'none'}, first entered "
                      f"{item.tested_at:%Y-%m-%d %H:%M} UTC by {item.recorded_by}")


@app.command("second-entry")
@needs(P.PATIENTS_WRITE)
def second_entry(
    patient: str = PatientArg,
    grouping_id: int = typer.Option(..., "--grouping", help="The grouping's id (see 'second-entries')."),
    blood_group: str = typer.Argument(..., help="The group read again from the card, e.g. 'A+'."),
    actor: str = Actor,
) -> None:
    """Enter a grouping typed by hand again, blind: agreeing, it counts for the patient's group; disagreeing,
    both entries are kept, both groups are named and the patient is discrepant (exit status 1)."""
    with clerk_errors():
        view = patient_lab.give_grouping_second_entry(uow(), grouping_id=grouping_id, blood_group=blood_group,
                                                      patient_id=_patient_id(patient))
    console.print(f"[green]Verified[/green]: grouping #{view.id}, both entries agree; group is {view.status}.")


@app.command("grouping-in-error")
@needs(P.PATIENTS_WRITE)
def grouping_in_error(
    patient: str = PatientArg,
    grouping_id: int = typer.Option(..., "--grouping", help="The grouping's id (see 'show')."),
    reason: str = typer.Option(..., "--reason", help="Why, e.g. 'wrong blood in tube'."),
    confirmed_by: str = typer.Option(..., "--confirmed-by", help="User name of the second person who confirmed it; "
                                                                 "they type their password when asked."),
    actor: str = Actor,
) -> None:
    """Mark a grouping entered in error, confirmed by a second person, signed with your password; it stays on
    the record and no longer counts for the patient's group."""
    with clerk_errors():
        patient_id = _patient_id(patient)
        confirmer_password = second_person_password(confirmed_by)
        view = signed(
            action="grouping_in_error",
            act=lambda: grouping_errors.mark_grouping_in_error(
                uow(), grouping_id=grouping_id, reason=reason, confirmed_by=confirmed_by,
                confirmer_password=confirmer_password, patient_id=patient_id),
            record=lambda done: (grouping_errors.grouping_subject(done), "patient", done.person_id))
    console.print(f"Grouping #{view.id} {view.blood_group} marked entered in error, signed; confirmed by "
                  f"{view.in_error_confirmed_by}. The patient's group is now {view.status_after} "
                  f"(was {view.status_before}).")


@app.command()
@needs(P.PATIENTS_WRITE)
def screen(
    patient: str = PatientArg,
    sample_id: int = typer.Option(..., "--sample", help="Sample id."),
    positive: bool = typer.Option(..., "--positive/--negative"),
    manual: bool = typer.Option(False, "--manual", help="Typed in by hand, not from the analyser."),
    actor: str = Actor,
) -> None:
    """Record an antibody screen result."""
    with clerk_errors():
        patient_lab.record_antibody_screen(uow(), patient_id=_patient_id(patient), sample_id=sample_id,
                                           positive=positive, manually_edited=manual)
    console.print(f"Antibody screen {'positive' if positive else 'negative'} recorded.")


@app.command()
@needs(P.PATIENTS_WRITE)
def antibody(
    patient: str = PatientArg,
    name: str = typer.Argument(..., help="e.g. anti-K, anti-Fya; 'other:...' for one not listed."),
    significant: bool = typer.Option(True, "--significant/--not-significant"),
    note: str = typer.Option("", "--note"),
    actor: str = Actor,
) -> None:
    """Record an antibody identified in the patient (kept for life)."""
    with clerk_errors():
        view = patient_lab.record_antibody(uow(), patient_id=_patient_id(patient), antibody=name,
                                           clinically_significant=significant, note=note)
    console.print(f"Antibody {view.antibody} recorded.")


@app.command()
@needs(P.PATIENTS_WRITE)
def require(
    patient: str = PatientArg,
    requirement: str = typer.Argument(..., help=", ".join(SPECIAL_REQUIREMENTS)),
    reason: str = typer.Option(..., "--reason"),
    until: Optional[str] = typer.Option(None, "--until", help="Last day it applies, YYYY-MM-DD."),
    actor: str = Actor,
) -> None:
    """Add a special requirement (irradiated, CMV-negative...) from today."""
    with clerk_errors():
        view = patient_lab.add_requirement(uow(), patient_id=_patient_id(patient), requirement=requirement,
                                           reason=reason, until=_date(until, "end date"))
    console.print(f"Requirement #{view.id} {view.requirement} active from {view.since.isoformat()}.")
    console.print(SPECIAL_REQUIREMENTS[view.requirement])


@app.command("end-requirement")
@needs(P.PATIENTS_WRITE)
def end_requirement(
    requirement_id: int = typer.Argument(..., help="Requirement number, as shown by `patients show`."),
    reason: str = typer.Option(..., "--reason"),
    actor: str = Actor,
) -> None:
    """End a special requirement from today (the record is kept)."""
    with clerk_errors():
        view = patient_lab.end_requirement(uow(), requirement_id=requirement_id, reason=reason)
    console.print(f"Requirement #{view.id} {view.requirement} ended.")


@app.command()
@needs(P.PATIENTS_WRITE)
def merge(
    keep: str = typer.Argument(..., help="The record to keep."),
    duplicate: str = typer.Argument(..., help="The record to merge into it."),
    reason: str = typer.Option(..., "--reason", help="How you know they are the same person."),
    actor: str = Actor,
) -> None:
    """Merge two records of one patient; every grouping, antibody and requirement is kept."""
    with clerk_errors():
        view = patient_merge.merge_patients(uow(), survivor_id=_patient_id(keep),
                                            duplicate_id=_patient_id(duplicate), reason=reason)
        record = patient_lab.get_patient_record(uow(), view.id)
    console.print(f"Merged: {_describe(view)}")
    if record.grouping_status == "discrepant":
        console.print("[red]The two records disagree on blood group: group O red cells only until the lab "
                      "resolves it.[/red]")
