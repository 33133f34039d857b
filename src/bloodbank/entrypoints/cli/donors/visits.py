from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Optional

import typer

from bloodbank.domain.access import Permission as P
from bloodbank.config import get_settings
from bloodbank.domain import questionnaire
from bloodbank.domain.consent import WITHDRAWAL_STEPS
from bloodbank.domain.errors import InvalidInput
from bloodbank.entrypoints.cli.context import clerk_errors, console, running, uow
from bloodbank.entrypoints.cli.identity import Actor, needs, signed
from bloodbank.service_layer.blood import self_exclusion
from bloodbank.service_layer.donors import consent, deferrals, same_day, screening, visits
from bloodbank.service_layer.donors.visits import VisitView

app = typer.Typer(help="The visit: check-in, screening, consent, withdrawal and deferrals.", no_args_is_help=True)


def _show_visit(view: VisitView) -> None:
    console.print(f"Visit {view.id}: donor {view.donor_number}, site {view.site_id}, "
                  f"{view.kind.replace('_', ' ')}, status [bold]{view.status}[/bold]")
    console.print(f"Checked in {view.checked_in_at:%Y-%m-%d %H:%M} UTC by {view.checked_in_by}")


@app.command("check-in")
@needs(P.VISITS)
def check_in(
    donor_id: int = typer.Argument(..., help="The donor's record id."),
    site_id: int = typer.Option(..., "--site", help="The site's id."),
    appointment_id: Optional[int] = typer.Option(None, "--appointment", help="The booked appointment, if any."),
    kind: str = typer.Option("whole_blood", "--kind", help="whole_blood, double_red_cells, plasma or platelets."),
    actor: str = Actor,
) -> None:
    """Check a donor in; a deferred donor is told here and no visit is opened."""
    with clerk_errors():
        view = visits.check_in(uow(), donor_id=donor_id, site_id=site_id, appointment_id=appointment_id,
                               kind=kind)
    _show_visit(view)


@app.command("open")
@needs(P.VISITS)
def open_visits(site_id: int = typer.Argument(..., help="The site's id."), actor: str = Actor) -> None:
    """Today's visits at a site that are still in progress."""
    with clerk_errors():
        views = visits.list_open_visits(uow(), site_id)
    if not views:
        console.print("No open visits today.")
    for view in views:
        console.print(f"{view.id:>6}  {view.donor_number:<12} {view.status:<11} "
                      f"{view.checked_in_at:%H:%M} UTC  {view.kind.replace('_', ' ')}")


@app.command()
def questions() -> None:
    """The health questionnaire: the ids to answer with --answer, and what a "yes" needs."""
    console.print(f"Questionnaire version {questionnaire.CURRENT_VERSION}")
    for q in questionnaire.questions():
        answer = f"no, or the date ({q.since})" if q.asks_date else "yes or no"
        only = f" [dim](asked of sex {q.only_for_sex} only)[/dim]" if q.only_for_sex else ""
        console.print(f"[bold]{q.id}[/bold]: {q.donor_text}  → {answer}{only}")


def _answers(answers_file: Path | None, pairs: list[str]) -> dict:
    answers: dict = {}
    if answers_file is not None:
        try:
            answers = json.loads(answers_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise InvalidInput(f"Cannot read the answers file {answers_file}: {error}") from None
        if not isinstance(answers, dict):
            raise InvalidInput(f"The answers file {answers_file} must hold one JSON object: question id → answer.")
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"--answer {pair!r}: write it as question_id=answer.")
        if key.strip() in answers:
            raise InvalidInput(f"Question {key.strip()!r} is answered twice.")
        answers[key.strip()] = value.strip()
    return answers


@app.command()
@needs(P.VISITS)
def screen(
    visit_id: int = typer.Argument(..., help="The checked-in visit."),
    answers_file: Optional[Path] = typer.Option(None, "--answers", help="JSON file: question id → answer."),
    answer: list[str] = typer.Option([], "--answer", help="question_id=answer, repeated (see `questions`)."),
    weight: Optional[float] = typer.Option(None, "--weight", help="kg"),
    hemoglobin: Optional[float] = typer.Option(None, "--hb", help="g/dL"),
    systolic: Optional[int] = typer.Option(None, "--systolic", help="mmHg"),
    diastolic: Optional[int] = typer.Option(None, "--diastolic", help="mmHg"),
    pulse: Optional[int] = typer.Option(None, "--pulse", help="beats per minute"),
    temperature: Optional[float] = typer.Option(None, "--temperature", help="°C"),
    actor: str = Actor,
) -> None:
    """Record the questionnaire and measurements; the site's rule set decides (a missing measurement defers)."""
    with clerk_errors():
        view = screening.record_screening(
            uow(), visit_id=visit_id, answers=_answers(answers_file, answer), weight_kg=weight,
            hemoglobin_g_dl=hemoglobin, systolic=systolic, diastolic=diastolic, pulse=pulse,
            temperature_c=temperature, reasons=running().principal.may(P.DEFERRAL_REASONS),
        )
    if view.eligible:
        console.print(f"[green]Eligible[/green] ({view.rule_set} rules). Visit {view.visit_id} is screened: "
                      "record the donor's consent next.")
        return
    console.print(f"[red]Not eligible today[/red] ({view.rule_set} rules). Visit {view.visit_id} is closed.")
    for reason in view.reasons:
        console.print(f"  - {reason}")
    if view.reasons_withheld:
        console.print("  The reasons are confidential: the medical director sees them.")
    if view.permanent:
        console.print("Permanent deferral.")
    elif view.next_eligible_date:
        console.print(f"May donate again from {view.next_eligible_date.isoformat()}.")


@app.command("consent")
@needs(P.VISITS)
def give_consent(
    visit_id: int = typer.Argument(..., help="The screened visit."),
    donor_confirmed: bool = typer.Option(False, "--donor-confirmed",
                                         help="The donor has read the text and confirmed their consent."),
    text_version: Optional[str] = typer.Option(None, "--text-version",
                                               help="Version of the consent text shown (default: current)."),
    actor: str = Actor,
) -> None:
    """Record the donor's own consent to this donation."""
    version = text_version or get_settings().consent_text_version
    with clerk_errors():
        view = consent.give_consent(uow(), visit_id=visit_id, text_version=version,
                                    confirmed_by_donor=donor_confirmed)
    console.print(f"Consent recorded for visit {view.visit_id} (text {view.text_version}).")


@app.command()
@needs(P.VISITS)
def withdraw(
    visit_id: int = typer.Argument(..., help="The visit."),
    step: str = typer.Option(..., "--step", help=", ".join(WITHDRAWAL_STEPS)),
    actor: str = Actor,
) -> None:
    """The donor stops, at any step. No reason is asked."""
    with clerk_errors():
        consent.withdraw(uow(), visit_id=visit_id, step=step)
    console.print(f"Visit {visit_id}: the donor has withdrawn. The visit is closed.")


@app.command("self-exclude")
@needs(P.VISITS)
def self_exclude(visit_id: int = typer.Argument(..., help="The visit."), actor: str = Actor) -> None:
    """Record the donor's confidential "do not use my blood"; repeating it changes nothing."""
    with clerk_errors():
        self_exclusion.record_self_exclusion(uow(), visit_id=visit_id)
    console.print("Recorded.")


@app.command("allow-rescreen")
@needs(P.DEFERRALS_WRITE)
def allow_rescreen(
    visit_id: int = typer.Argument(..., help="Today's visit at which the donor was found not eligible."),
    reason: str = typer.Option(..., "--reason", help="Why the donor may be screened again today."),
    actor: str = Actor,
) -> None:
    """Override the day's result, signed with your password: the donor may be checked in and screened again today."""
    with clerk_errors():
        view = signed(action="override",
                      act=lambda: same_day.allow_rescreen(uow(), visit_id=visit_id, reason=reason),
                      record=lambda v: (same_day.override_subject(v), "visit", v.id))
    console.print(f"Donor {view.donor_number} may be screened once more today.")


@app.command()
@needs(P.DEFERRALS_WRITE)
def defer(
    donor_id: int = typer.Argument(..., help="The donor's record id."),
    code: str = typer.Option(..., "--code", help="A deferral code (see `bloodbank eligibility`)."),
    kind: str = typer.Option(..., "--kind", help="temporary or permanent."),
    reason: str = typer.Option(..., "--reason", help="Why: shown only to staff who ask for reasons."),
    starts_on: Optional[str] = typer.Option(None, "--from", help="YYYY-MM-DD; default today."),
    ends_on: Optional[str] = typer.Option(None, "--until", help="YYYY-MM-DD; required for temporary."),
    actor: str = Actor,
) -> None:
    """Defer a donor, temporarily (until a date) or permanently."""
    with clerk_errors():
        view = deferrals.add_deferral(uow(), donor_id=donor_id, code=code, kind=kind, reason=reason,
                                      starts_on=_date(starts_on, "--from"), ends_on=_date(ends_on, "--until"))
    until = f"until {view.ends_on.isoformat()}" if view.ends_on else "permanently"
    console.print(f"Deferral {view.id}: donor deferred {until}.")


@app.command("lift-deferral")
@needs(P.DEFERRALS_WRITE)
def lift_deferral(
    deferral_id: int = typer.Argument(..., help="The deferral's id."),
    reason: str = typer.Option(..., "--reason", help="Why it no longer applies."),
    actor: str = Actor,
) -> None:
    """Lift a deferral; the record is kept."""
    with clerk_errors():
        deferrals.lift_deferral(uow(), deferral_id=deferral_id, reason=reason)
    console.print(f"Deferral {deferral_id} lifted.")


@app.command("deferrals")
@needs(P.DEFERRAL_REASONS)
def list_deferrals(
    donor_id: int = typer.Argument(..., help="The donor's record id."),
    with_reasons: bool = typer.Option(False, "--with-reasons", help="Show reasons (this read is logged)."),
    actor: str = Actor,
) -> None:
    """A donor's deferrals, current and past; reasons only on request."""
    with clerk_errors():
        views = deferrals.list_deferrals(uow(), donor_id, include_reasons=with_reasons)
    if not views:
        console.print("No deferrals on record.")
    for v in views:
        until = v.ends_on.isoformat() if v.ends_on else "permanent"
        lifted = f", lifted {v.lifted_at:%Y-%m-%d} by {v.lifted_by}" if v.lifted_at else ""
        console.print(f"{v.id:>6}  {v.code:<28} {v.kind:<9} {v.starts_on.isoformat()} → {until}{lifted}")
        if with_reasons:
            console.print(f"        reason: {v.reason or '-'}"
                          + (f"; lifted because: {v.lift_reason}" if v.lift_reason else ""))


def _date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{option} must be a date written YYYY-MM-DD (got {text!r}).") from None
