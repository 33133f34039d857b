"""`bloodbank field`: the walking blood bank — titres, the panel, supply cut-offs, activation and the call list,
emergency collection, refrigeration, and the signed issue of blood not fully tested."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from bloodbank.domain.access import Permission as P
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.ids import MAX_ID
from bloodbank.domain import walking_blood_bank as wbb
from bloodbank.entrypoints.cli.context import clerk_errors, console, uow
from bloodbank.entrypoints.cli.identity import Actor, needs, running, signed, signing_password
from bloodbank.service_layer.donors import sites
from bloodbank.service_layer.blood import retrospective
from bloodbank.service_layer.field import (
    activation, collection, cut_offs, issue, panel, policy, recipient_follow_ups, titres,
)

app = typer.Typer(help="The walking blood bank: titres, the panel (join, withdraw, board), supply cut-offs "
                       "(signed), activation and the call list, emergency collection, the signed issue of blood "
                       "not fully tested.", no_args_is_help=True)

Site = typer.Option(..., "--site", help="The site's code.")
MemberId = typer.Argument(..., min=1, max=MAX_ID, help="The panel member's number.")
ActivationId = typer.Argument(..., min=1, max=MAX_ID, help="The activation's number.")
UnitId = typer.Argument(..., min=1, max=MAX_ID, help="The unit's id.")


def _site_id(code: str) -> int:
    return sites.site_by_code(uow(), code).id


def _yes(text: str | None) -> str:
    return "-" if text is None else text


@app.command()
@needs(P.PANEL)
def titre(donor_id: Optional[int] = typer.Option(None, "--donor", min=1, max=MAX_ID),
          donation_id: Optional[int] = typer.Option(None, "--donation", min=1, max=MAX_ID,
                                                    help="The donation whose sample was titred."),
          anti_a: int = typer.Option(..., "--anti-a", help="Reciprocal: 128 for 1:128."),
          anti_b: int = typer.Option(..., "--anti-b"), actor: str = Actor) -> None:
    """Record anti-A and anti-B titres, measured now, on a donor (a panel sample) or a donation."""
    with clerk_errors():
        view = titres.record_titre(uow(), donor_id=donor_id, donation_id=donation_id, anti_a=anti_a, anti_b=anti_b)
    console.print(f"Titre recorded for donor {view.donor_id}: anti-A 1:{view.anti_a}, anti-B 1:{view.anti_b}.")


@app.command()
@needs(P.PANEL)
def join(donor_id: int = typer.Option(..., "--donor", min=1, max=MAX_ID), site: str = Site,
         consent_version: str = typer.Option(..., "--consent-version", help="The consent text the volunteer read."),
         donor_confirms: bool = typer.Option(False, "--donor-confirms",
                                             help="The volunteer confirmed, themselves, their consent to be called "
                                                  "at any hour."),
         actor: str = Actor) -> None:
    """A volunteer joins the site's panel by their own consent."""
    with clerk_errors():
        view = panel.join_panel(uow(), site_id=_site_id(site), donor_id=donor_id, text_version=consent_version,
                                confirmed_by_donor=donor_confirms)
    console.print(f"{escape(view.name)} joined the panel as member {view.id}.")


@app.command()
@needs(P.PANEL)
def withdraw(member_id: int = MemberId, actor: str = Actor) -> None:
    """The volunteer withdraws from the panel, at once and without a reason."""
    with clerk_errors():
        view = panel.withdraw_from_panel(uow(), member_id=member_id)
    console.print(f"{escape(view.name)} withdrew from the panel: they will not be called.")


@app.command()
@needs(P.PANEL)
def availability(member_id: int = MemberId,
                 available: bool = typer.Option(..., "--available/--not-available"),
                 note: str = typer.Option("", "--note", help="e.g. 'away until Friday'"), actor: str = Actor) -> None:
    """Whether the member can be called now (they say so; nothing else follows from it)."""
    with clerk_errors():
        view = panel.set_availability(uow(), member_id=member_id, available=available, note=note)
    console.print(f"{escape(view.name)} is {'available' if view.available else 'not available'} to be called.")


@app.command("panel")
@needs(P.PANEL)
def board(site: str = Site, actor: str = Actor) -> None:
    """Each member's standing; lapsed screens and titres are flagged, and who needs re-testing is listed."""
    with clerk_errors():
        view = panel.panel_board(uow(), site_id=_site_id(site))
    table = Table("Member", "Name", "Group (typings)", "Titre A/B (date)", "Screen", "Last donation", "Callable",
                  "Re-test")
    for m in view.members:
        f, s = m.facts, m.standing
        titre_text = (f"{f.titre.anti_a}/{f.titre.anti_b} ({f.titre.tested_at:%Y-%m-%d})" if f.titre else "-")
        screen = f"{f.screened_at:%Y-%m-%d}" if f.screened_at else "-"
        last = f"{f.last_donation:%Y-%m-%d}" if f.last_donation else "-"
        state = ("LOW TITRE O" if s.low_titre else "yes") if s.callable else "no: " + " ".join(s.reasons)
        table.add_row(str(m.id), escape(m.name), f"{_yes(f.group)} ({f.group_confirmations})", titre_text, screen,
                      last, escape(state), ", ".join(s.retest) or "-")
    console.print(table)
    if view.needs_retest:
        console.print("Needs re-testing: " + ", ".join(f"{m.id} {escape(m.name)} ({', '.join(m.standing.retest)})"
                                                       for m in view.needs_retest))


@app.command("policy")
@needs(P.PANEL_ACTIVATE)
def set_policy(site: str = Site,
               titre_threshold: Optional[int] = typer.Option(None, "--titre-threshold",
                                                             help="Low titre: both below this (default 256)."),
               titre_days: Optional[int] = typer.Option(None, "--titre-days", help="How long a titre counts."),
               screen_days: Optional[int] = typer.Option(None, "--screen-days", help="How long a screen counts."),
               reason: str = typer.Option(..., "--reason"), actor: str = Actor) -> None:
    """Set the site's own figures; one left out goes back to the default."""
    with clerk_errors():
        chosen = policy.set_policy(uow(), site_id=_site_id(site), reason=reason, titre_threshold=titre_threshold,
                                   titre_validity_days=titre_days, screen_validity_days=screen_days)
    console.print(f"Low titre below 1:{chosen.titre_threshold}, valid {chosen.titre_validity.days} days; screen "
                  f"valid {chosen.screen_validity.days} days.")


@app.command("cut-off")
@needs(P.PANEL_ACTIVATE)
def cut_off(site: str = Site, reason: str = typer.Option(..., "--reason"), actor: str = Actor) -> None:
    """Declare that tested blood cannot reach the site: signed with your password."""
    with clerk_errors():
        site_id = _site_id(site)
        view = signed(action="supply_cut_off", act=lambda: cut_offs.declare_cut_off(uow(), site_id=site_id,
                                                                                    reason=reason),
                      record=lambda v: (v.site_name, "supply_cut_off", v.id))
    console.print(f"Supply cut-off {view.id} declared at {escape(view.site_name)}.")


@app.command("end-cut-off")
@needs(P.PANEL_ACTIVATE)
def end_cut_off(cut_off_id: int = typer.Argument(..., min=1, max=MAX_ID), actor: str = Actor) -> None:
    """End a supply cut-off."""
    with clerk_errors():
        view = cut_offs.end_cut_off(uow(), cut_off_id=cut_off_id)
    console.print(f"Supply cut-off {view.id} ended.")


def _waiting(entries: list[str]) -> list[tuple[str | None, int]]:
    waiting = []
    for entry in entries:
        group, _, count = entry.partition(":")
        try:
            waiting.append((group, int(count or 1)))
        except ValueError:
            raise InvalidInput(f"Write each --waiting as GROUP:COUNT, e.g. unknown:3 or A+:1 (got {entry!r}).") from None
    return waiting


def _print_calls(view: activation.ActivationView) -> None:
    table = Table("#", "Member", "Name", "Phone", "Group", "Why")
    for call in view.calls:
        table.add_row(str(call.rank), str(call.member.id), escape(call.member.name), escape(call.member.phone or "-"),
                      escape(call.member.facts.group or "-") + (" LOW TITRE" if call.low_titre else ""),
                      escape(call.why))
    console.print(table)
    if not view.calls:
        console.print("Nobody on the panel can be called now.")


@app.command()
@needs(P.PANEL_ACTIVATE)
def activate(site: str = Site,
             waiting: list[str] = typer.Option(..., "--waiting", help="GROUP:COUNT of patients waiting; "
                                                                      "unknown:2 for patients not yet grouped."),
             incident: Optional[int] = typer.Option(None, "--incident", min=1, max=MAX_ID),
             cut_off_id: Optional[int] = typer.Option(None, "--cut-off", min=1, max=MAX_ID),
             actor: str = Actor) -> None:
    """Activate the panel inside an open incident or a cut-off: the call list, in order."""
    with clerk_errors():
        view = activation.activate(uow(), site_id=_site_id(site), waiting=_waiting(waiting), incident_id=incident,
                                   cut_off_id=cut_off_id)
    console.print(f"Activation {view.id}: phone in this order.")
    _print_calls(view)


@app.command("calls")
@needs(P.PANEL)
def calls(activation_id: int = ActivationId, actor: str = Actor) -> None:
    """The call list as it stands now."""
    with clerk_errors():
        _print_calls(activation.get_activation(uow(), activation_id=activation_id))


@app.command()
@needs(P.PANEL)
def answer(activation_id: int = ActivationId, member: int = typer.Option(..., "--member", min=1, max=MAX_ID),
           outcome: str = typer.Option(..., "--outcome", help="accepted, declined or no_answer"),
           actor: str = Actor) -> None:
    """What a member answered; a refusal is recorded and has no other consequence."""
    with clerk_errors():
        view = activation.record_answer(uow(), activation_id=activation_id, member_id=member, outcome=outcome)
    console.print(f"Recorded: member {member} {outcome.replace('_', ' ')}.")
    _print_calls(view)


@app.command()
@needs(P.EMERGENCY_COLLECTION)
def collect(activation_id: int = ActivationId,
            form: Path = typer.Option(..., "--form", exists=True, dir_okay=False,
                                      help="A JSON file: member_id, answers, consent_text_version, "
                                           "confirmed_by_donor, rapid_tests, bedside_group, bag_type, bag_lot, "
                                           "volume_ml, anticoagulant."),
            actor: str = Actor) -> None:
    """Emergency collection from a member who answered the call."""
    with clerk_errors():
        try:
            data = json.loads(form.read_text("utf-8"))
        except (ValueError, UnicodeDecodeError) as error:
            raise InvalidInput(f"The form is not readable JSON: {error}") from None
        if not isinstance(data, dict):
            raise InvalidInput("The form must be a JSON object.")
        allowed = {"member_id", "answers", "consent_text_version", "confirmed_by_donor", "rapid_tests",
                   "bedside_group", "bag_type", "bag_lot", "volume_ml", "anticoagulant"}
        unknown, missing = sorted(set(data) - allowed), sorted(allowed - {"anticoagulant"} - set(data))
        if unknown or missing:
            raise InvalidInput(f"The form lacks {', '.join(missing) or 'nothing'} and has unknown fields: "
                               f"{', '.join(unknown) or 'none'}.")
        view = collection.collect_in_emergency(uow(), activation_id=activation_id, **data)
    console.print(f"Unit {view.unit_id} DIN {view.din} {view.kind} {view.blood_group}: "
                  f"{escape(view.special_testing)}; use by {view.expires_at:%Y-%m-%d %H:%M} UTC at room temperature.")


@app.command()
@needs(P.EMERGENCY_COLLECTION)
def refrigerate(unit_id: int = UnitId, actor: str = Actor) -> None:
    """The unit goes into the refrigerator now (within 8 h of collection): stored whole blood."""
    with clerk_errors():
        view = collection.refrigerate(uow(), unit_id=unit_id)
    console.print(f"Unit {view.unit_id} refrigerated: use by {view.expires_at:%Y-%m-%d %H:%M} UTC.")


@app.command("issue")
@needs(P.ISSUE_NOT_FULLY_TESTED)
def issue_(unit_id: int = UnitId, patient: int = typer.Option(..., "--patient", min=1, max=MAX_ID),
           scanned_unit: str = typer.Option(..., "--scanned-unit", help="The unit's DIN barcode as scanned."),
           scanned_patient: str = typer.Option(..., "--scanned-patient", help="The wristband as scanned."),
           because: str = typer.Option(..., "--because", help="Why you accept the risk."),
           actor: str = Actor) -> None:
    """Issue blood not fully tested: you sign that you accept the risk, because …"""
    principal = running().principal
    with clerk_errors():
        view = issue.issue_not_fully_tested(uow(), signer_id=principal.user_id, password=signing_password(),
                                            unit_id=unit_id, patient_id=patient, scanned_unit=scanned_unit,
                                            scanned_patient=scanned_patient, reason=because)
    console.print(f"Issued unit {view.din} to patient {view.patient_id}, NOT FULLY TESTED, under your signature "
                  f"(issue {view.id}).")


@app.command("pending-results")
@needs(P.RESULTS_READ)
def pending_results(actor: str = Actor) -> None:
    """Emergency donations whose full tests are not all in (their sample waits in the lab)."""
    with clerk_errors():
        pending = retrospective.pending_results(uow())
    table = Table("Donation", "DIN", "Collected (UTC)", "Missing", "Units")
    for p in pending:
        table.add_row(str(p.donation_id), p.din, f"{p.collected_at:%Y-%m-%d %H:%M}", ", ".join(p.missing),
                      ", ".join(p.unit_statuses))
    console.print(table if pending else "Every emergency donation is fully tested.")


@app.command("follow-ups")
@needs(P.TRACE)
def follow_ups(actor: str = Actor) -> None:
    """Recipients of emergency blood later found reactive, still to follow up."""
    with clerk_errors():
        views = recipient_follow_ups.recipient_follow_ups(uow())
    table = Table("Follow-up", "DIN", "Unit", "Issue", "Patient", "Opened (UTC)")
    for v in views:
        table.add_row(str(v.id), v.din, str(v.unit_id), str(v.issue_id), str(v.patient_id),
                      f"{v.opened_at:%Y-%m-%d %H:%M}")
    console.print(table if views else "No recipient is waiting for follow-up.")


@app.command("close-follow-up")
@needs(P.TRACE)
def close_follow_up(follow_up_id: int = typer.Argument(..., min=1, max=MAX_ID),
                    outcome: str = typer.Option(..., "--outcome", help="What was done for the patient."),
                    actor: str = Actor) -> None:
    """Record what was done for a recipient: the follow-up leaves the director's home."""
    with clerk_errors():
        view = recipient_follow_ups.close_recipient_follow_up(uow(), follow_up_id=follow_up_id, outcome=outcome)
    console.print(f"Recipient follow-up {view.id} closed.")


@app.command("rules")
def show_rules() -> None:
    """The walking blood bank's figures and their sources."""
    rules = wbb.rules()
    console.print(f"Low titre: anti-A and anti-B below 1:{rules.titre_threshold}; valid "
                  f"{rules.titre_validity.days} days; screen valid {rules.screen_validity.days} days.")
    for name, source in rules.sources.items():
        console.print(f"[bold]{name}[/bold]: {escape(source)}")
