"""Pages: the walking blood bank. The panel board (join, withdraw, who needs re-testing), supply cut-offs
(signed), activation and the call list, the emergency collection form, the unit (label, refrigeration), and
the signed issue of blood not fully tested.

Each page calls the same use cases as the API and the CLI; a refusal is shown on the page it came from.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from bloodbank.config import get_settings
from bloodbank.domain import walking_blood_bank as wbb
from bloodbank.domain.access import CHOSEN_ABOVE, THE_SITE, Permission, signature_meaning
from bloodbank.domain.errors import DomainError, InvalidInput, NotFound
from bloodbank.domain.ids import MAX_ID
from bloodbank.domain.messages import N_
from bloodbank.entrypoints.web.errors import status_for
from bloodbank.entrypoints.web.security import Caller, require, require_any
from bloodbank.entrypoints.web.signing import signed
from bloodbank.entrypoints import languages
from bloodbank.entrypoints.web.templating import render
from bloodbank.service_layer.blood import labels, retrospective
from bloodbank.service_layer.crisis import incidents
from bloodbank.service_layer.donors import search, sites
from bloodbank.service_layer.field import (
    activation, collection, cut_offs, issue, panel, recipient_follow_ups, titres,
)

router = APIRouter()

PANEL = Depends(require(Permission.PANEL))
ACTIVATE = Depends(require(Permission.PANEL_ACTIVATE))
COLLECT = Depends(require(Permission.EMERGENCY_COLLECTION))
SIGN_RISK = Depends(require(Permission.ISSUE_NOT_FULLY_TESTED))
NOTICES = {"joined": N_("The volunteer joined the panel."),
           "withdrawn": N_("The volunteer withdrew: they will not be called."),
           "cut_off": N_("Supply cut-off declared. Your signature is recorded."),
           "ended": N_("Supply cut-off ended."), "answered": N_("Answer recorded."),
           "collected": N_("Collected. Print the label and put it on the bag."),
           "refrigerated": N_("Refrigerated: stored whole blood."), "issued": N_("Issued under your signature."),
           "closed": N_("Follow-up closed."), "titre": N_("Titre recorded."),
           "availability": N_("Availability recorded.")}
# What an id names, in the messages "Choose the …" and "There is no … 12".
SITE, MEMBER, CUT_OFF, INCIDENT, ACTIVATION, UNIT, PATIENT, FOLLOW_UP = (
    N_("site"), N_("panel member"), N_("cut-off"), N_("incident"), N_("activation"), N_("unit"), N_("patient"),
    N_("follow-up"))
TRACE = Depends(require(Permission.TRACE))
RESULTS = Depends(require(Permission.RESULTS_READ))
CALLS = Depends(require_any(Permission.PANEL, Permission.EMERGENCY_COLLECTION))
MARKERS = wbb.rules().rapid_markers


def _id(text: object, what: str) -> int:
    try:
        number = int(str(text or "").strip())
    except ValueError:
        raise InvalidInput(N_("Choose the %(what)s."), params={"what": what}) from None
    if not 1 <= number <= MAX_ID:
        raise NotFound(N_("There is no %(what)s %(number)s."), params={"what": what, "number": number})
    return number


def _optional_id(text: object, what: str) -> int | None:
    return _id(text, what) if str(text or "").strip() else None


async def _form(request: Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.form()).items()}


def _site_options(caller: Caller) -> list[tuple[str, str]]:
    return [(str(s.id), f"{s.code} · {s.name}") for s in sites.list_sites(caller.uow())]


def _retest_words(retest) -> str:
    """What a member must have tested again, in the reader's words."""
    return ", ".join(languages.gettext(wbb.RETEST_WORDS.get(w, w)) for w in retest)


def _board_page(request: Request, caller: Caller, site_id: int | None, *, status_code: int = 200,
                error: str | None = None, typed: dict | None = None):
    options = _site_options(caller)
    if site_id is None and options:
        site_id = int(options[0][0])
    board = panel.panel_board(caller.uow(), site_id=site_id) if site_id else None
    may_activate = caller.principal.may(Permission.PANEL_ACTIVATE)
    open_incidents = []
    if may_activate and caller.principal.may(Permission.CASUALTY_COUNTS):
        open_incidents = [(str(i.id), f"{i.id} · {i.place}")
                          for i in incidents.list_incidents(caller.uow(), status="declared", limit=50)[0]]
    return render(request, "field/panel.html", status_code=status_code, error=error,
                  notice=NOTICES.get(request.query_params.get("saved", "")), board=board, site_id=site_id,
                  sites=options, typed=typed or {}, may_activate=may_activate,
                  cut_offs=cut_offs.list_cut_offs(caller.uow(), site_id=site_id) if site_id else [],
                  activations=activation.list_activations(caller.uow(), site_id=site_id) if site_id else [],
                  incidents=open_incidents, consent_version=get_settings().consent_text_version,
                  retest_words=_retest_words,
                  cut_off_meaning=signature_meaning("supply_cut_off", board.site_name if board else THE_SITE))


@router.get("/field")
def board(request: Request, site_id: str = "", caller: Caller = PANEL):
    return _board_page(request, caller, _optional_id(site_id, SITE))


@router.post("/field/sites/{site_id}/panel")
async def join(request: Request, site_id: int, caller: Caller = PANEL):
    form = await _form(request)
    site_id = _id(site_id, SITE)
    try:
        donor = search.find_donor_by_number(caller.uow(), form.get("donor_number", ""))
        panel.join_panel(caller.uow(), site_id=site_id, donor_id=donor.id,
                         text_version=form.get("consent_version", ""),
                         confirmed_by_donor=form.get("confirmed_by_donor") == "on")
    except DomainError as failure:
        return _board_page(request, caller, site_id, status_code=status_for(failure), error=failure,
                           typed=form)
    return RedirectResponse(f"/field?site_id={site_id}&saved=joined", status_code=303)


@router.post("/field/panel/{member_id}/withdraw")
def withdraw(request: Request, member_id: int, caller: Caller = PANEL):
    view = panel.withdraw_from_panel(caller.uow(), member_id=_id(member_id, MEMBER))
    return RedirectResponse(f"/field?site_id={view.site_id}&saved=withdrawn", status_code=303)


@router.post("/field/panel/{member_id}/availability")
async def availability(request: Request, member_id: int, caller: Caller = PANEL):
    form = await _form(request)
    view = panel.set_availability(caller.uow(), member_id=_id(member_id, MEMBER),
                                  available=form.get("available") == "yes", note=form.get("note", ""))
    return RedirectResponse(f"/field?site_id={view.site_id}&saved=availability", status_code=303)


def _titre_value(text: str, antibody: str) -> int:
    text = (text or "").strip().removeprefix("1:")
    if not text.isdigit():
        raise InvalidInput(N_("Give the %(antibody)s titre as a number, e.g. 128 for 1:128."),
                           params={"antibody": antibody})
    return int(text)


@router.post("/field/sites/{site_id}/titres")
async def record_titre(request: Request, site_id: int, caller: Caller = PANEL):
    form = await _form(request)
    site_id = _id(site_id, SITE)
    try:
        donor = search.find_donor_by_number(caller.uow(), form.get("titre_donor_number", ""))
        titres.record_titre(caller.uow(), donor_id=donor.id, anti_a=_titre_value(form.get("anti_a", ""), "anti-A"),
                            anti_b=_titre_value(form.get("anti_b", ""), "anti-B"))
    except DomainError as failure:
        return _board_page(request, caller, site_id, status_code=status_for(failure), error=failure,
                           typed=form)
    return RedirectResponse(f"/field?site_id={site_id}&saved=titre", status_code=303)


@router.post("/field/sites/{site_id}/cut-offs")
async def declare_cut_off(request: Request, site_id: int, caller: Caller = ACTIVATE):
    form = await _form(request)
    site_id = _id(site_id, SITE)
    try:
        signed(caller, password=form.get("signature_password", ""), action="supply_cut_off",
               act=lambda: cut_offs.declare_cut_off(caller.uow(), site_id=site_id, reason=form.get("reason", "")),
               record=lambda v: (v.site_name, "supply_cut_off", v.id))
    except DomainError as failure:
        return _board_page(request, caller, site_id, status_code=status_for(failure), error=failure,
                           typed=form)
    return RedirectResponse(f"/field?site_id={site_id}&saved=cut_off", status_code=303)


@router.post("/field/cut-offs/{cut_off_id}/end")
def end_cut_off(request: Request, cut_off_id: int, caller: Caller = ACTIVATE):
    view = cut_offs.end_cut_off(caller.uow(), cut_off_id=_id(cut_off_id, CUT_OFF))
    return RedirectResponse(f"/field?site_id={view.site_id}&saved=ended", status_code=303)


def _waiting(form: dict[str, str]) -> list[tuple[str | None, int]]:
    waiting = []
    for key, group in (("unknown", None), *((f"group_{g}", g) for g in ("O+", "O-", "A+", "A-", "B+", "B-",
                                                                         "AB+", "AB-"))):
        text = form.get(key, "").strip()
        if text and text != "0":
            try:
                waiting.append((group, int(text)))
            except ValueError:
                raise InvalidInput(N_("Give the number of patients waiting as a whole number.")) from None
    return waiting


@router.post("/field/sites/{site_id}/activations")
async def activate(request: Request, site_id: int, caller: Caller = ACTIVATE):
    form = await _form(request)
    site_id = _id(site_id, SITE)
    emergency = form.get("emergency", "")
    try:
        kind, _, number = emergency.partition(":")
        view = activation.activate(caller.uow(), site_id=site_id, waiting=_waiting(form),
                                   incident_id=_optional_id(number, INCIDENT) if kind == "incident" else None,
                                   cut_off_id=_optional_id(number, CUT_OFF) if kind == "cut_off" else None)
    except DomainError as failure:
        return _board_page(request, caller, site_id, status_code=status_for(failure), error=failure,
                           typed=form)
    return RedirectResponse(f"/field/activations/{view.id}", status_code=303)


def _activation_page(request: Request, caller: Caller, activation_id: int, *, status_code: int = 200,
                     error: str | None = None, typed: dict | None = None):
    may_answer = caller.principal.may(Permission.PANEL)
    # The collection room sees who is coming, not the whole panel's phone list.
    view = activation.get_activation(caller.uow(), activation_id=activation_id) if may_answer else None
    accepted = activation.coming(caller.uow(), activation_id=activation_id)
    return render(request, "field/activation.html", status_code=status_code, error=error,
                  notice=NOTICES.get(request.query_params.get("saved", "")), activation=view,
                  activation_id=activation_id, accepted=accepted, typed=typed or {},
                  member_options=[(str(m.id), m.name) for m in accepted],
                  may_collect=caller.principal.may(Permission.EMERGENCY_COLLECTION),
                  may_answer=may_answer,
                  questions=wbb.rules().questions, markers=MARKERS,
                  consent_version=get_settings().consent_text_version)


@router.get("/field/calls")
def calls(request: Request, caller: Caller = COLLECT):
    return render(request, "field/calls.html", calls=activation.calls_in_force(caller.uow()))


@router.get("/field/activations/{activation_id}")
def activation_page(request: Request, activation_id: int, caller: Caller = CALLS):
    return _activation_page(request, caller, _id(activation_id, ACTIVATION))


@router.post("/field/activations/{activation_id}/answers")
async def answer(request: Request, activation_id: int, caller: Caller = PANEL):
    form = await _form(request)
    activation_id = _id(activation_id, ACTIVATION)
    try:
        activation.record_answer(caller.uow(), activation_id=activation_id,
                                 member_id=_id(form.get("member_id"), MEMBER), outcome=form.get("outcome", ""))
    except DomainError as failure:
        return _activation_page(request, caller, activation_id, status_code=status_for(failure),
                                error=failure)
    return RedirectResponse(f"/field/activations/{activation_id}?saved=answered", status_code=303)


def _answers(form: dict[str, str]) -> dict[str, bool]:
    answers = {}
    for question in wbb.rules().questions:
        value = form.get(f"q_{question.code}", "")
        if value in ("yes", "no"):
            answers[question.code] = value == "yes"
    return answers


@router.post("/field/activations/{activation_id}/collections")
async def collect(request: Request, activation_id: int, caller: Caller = COLLECT):
    form = await _form(request)
    activation_id = _id(activation_id, ACTIVATION)
    try:
        volume = form.get("volume_ml", "").strip()
        if not volume.isdigit():
            raise InvalidInput(N_("Give the volume collected in mL, as a whole number."))
        view = collection.collect_in_emergency(
            caller.uow(), activation_id=activation_id, member_id=_id(form.get("member_id"), MEMBER),
            answers=_answers(form), consent_text_version=form.get("consent_version", ""),
            confirmed_by_donor=form.get("confirmed_by_donor") == "on",
            rapid_tests=[{"marker": m, "result": form.get(f"rt_{m}_result", ""), "kit": form.get(f"rt_{m}_kit", ""),
                          "lot": form.get(f"rt_{m}_lot", "")} for m in MARKERS],
            bedside_group=form.get("bedside_group", ""), bag_type=form.get("bag_type", ""),
            bag_lot=form.get("bag_lot", ""), volume_ml=int(volume), anticoagulant=form.get("anticoagulant", ""))
    except DomainError as failure:
        return _activation_page(request, caller, activation_id, status_code=status_for(failure),
                                error=failure, typed=form)
    return RedirectResponse(f"/field/units/{view.unit_id}?saved=collected", status_code=303)


def _unit(caller: Caller, unit_id: int) -> collection.EmergencyUnitView:
    found = [u for u in collection.emergency_units(caller.uow()) if u.unit_id == unit_id]
    if not found:
        raise NotFound(N_("No unit %(unit)s was collected in an emergency."), params={"unit": unit_id})
    return found[0]


@router.get("/field/units/{unit_id}")
def unit_page(request: Request, unit_id: int, caller: Caller = COLLECT):
    view = _unit(caller, _id(unit_id, UNIT))
    return render(request, "field/unit.html", unit=view, notice=NOTICES.get(request.query_params.get("saved", "")))


@router.post("/field/units/{unit_id}/label.pdf")
def label(request: Request, unit_id: int, caller: Caller = COLLECT):
    pdf = labels.print_label(caller.uow(), unit_id=_id(unit_id, UNIT))
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="unit-{unit_id}-label.pdf"'})


@router.post("/field/units/{unit_id}/refrigerate")
def refrigerate(request: Request, unit_id: int, caller: Caller = COLLECT):
    view = collection.refrigerate(caller.uow(), unit_id=_id(unit_id, UNIT))
    return RedirectResponse(f"/field/units/{view.unit_id}?saved=refrigerated", status_code=303)


def _issue_page(request: Request, caller: Caller, *, status_code: int = 200, error: str | None = None,
                typed: dict | None = None):
    units = [u for u in collection.emergency_units(caller.uow()) if u.status == "quarantined"]
    return render(request, "field/issue.html", status_code=status_code, error=error, units=units,
                  unit_options=[("", N_("Choose"))] + [(str(u.unit_id), f"{u.din} {u.blood_group}") for u in units],
                  typed=typed or {}, notice=NOTICES.get(request.query_params.get("saved", "")),
                  meaning=signature_meaning(issue.ACTION, CHOSEN_ABOVE))


@router.get("/field/issue")
def issue_page(request: Request, caller: Caller = SIGN_RISK):
    return _issue_page(request, caller)


@router.post("/field/issue")
async def issue_unit(request: Request, caller: Caller = SIGN_RISK):
    form = await _form(request)
    try:
        issue.issue_not_fully_tested(
            caller.uow(), signer_id=caller.user_id, password=form.get("signature_password", ""),
            unit_id=_id(form.get("unit_id"), UNIT), patient_id=_id(form.get("patient_id"), PATIENT),
            scanned_unit=form.get("scanned_unit", ""), scanned_patient=form.get("scanned_patient", ""),
            reason=form.get("reason", ""))
    except DomainError as failure:
        return _issue_page(request, caller, status_code=status_for(failure), error=failure, typed=form)
    return RedirectResponse("/field/issue?saved=issued", status_code=303)


@router.get("/field/pending-results")
def pending_results(request: Request, caller: Caller = RESULTS):
    return render(request, "field/pending.html", pending=retrospective.pending_results(caller.uow()))


def _follow_ups_page(request: Request, caller: Caller, *, status_code: int = 200, error: str | None = None):
    return render(request, "field/follow_ups.html", status_code=status_code, error=error,
                  notice=NOTICES.get(request.query_params.get("saved", "")),
                  follow_ups=recipient_follow_ups.recipient_follow_ups(caller.uow()))


@router.get("/field/follow-ups")
def follow_ups(request: Request, caller: Caller = TRACE):
    return _follow_ups_page(request, caller)


@router.post("/field/follow-ups/{follow_up_id}/close")
async def close_follow_up(request: Request, follow_up_id: int, caller: Caller = TRACE):
    form = await _form(request)
    try:
        recipient_follow_ups.close_recipient_follow_up(caller.uow(), follow_up_id=_id(follow_up_id, FOLLOW_UP),
                                                       outcome=form.get("outcome", ""))
    except DomainError as failure:
        return _follow_ups_page(request, caller, status_code=status_for(failure), error=failure)
    return RedirectResponse("/field/follow-ups?saved=closed", status_code=303)
