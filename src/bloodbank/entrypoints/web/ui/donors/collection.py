"""Pages: the phlebotomist's home. Who is waiting at a site, and one visit at the chair: start the
collection (the DIN is assigned then), print its labels, finish, stop, record a reaction.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from bloodbank.domain.access import Permission
from bloodbank.domain.collection import BAG_TYPES, REACTION_KINDS, SEVERITIES
from bloodbank.domain.errors import DomainError, InvalidInput
from bloodbank.domain.ids import MAX_ID
from bloodbank.domain.messages import N_
from bloodbank.entrypoints.web.errors import status_for
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.entrypoints.web.templating import render
from bloodbank.service_layer.donors import chair, collection, din_labels as din_sheets

router = APIRouter()

MAX_TEXT = 2000
COLLECT = require(Permission.COLLECTION)

DONE = {
    "started": N_("Collection started. Print the DIN labels and label the bag and every sample tube before the "
                  "needle goes in."),
    "finished": N_("Collection finished: the bag goes to processing."),
    "aborted": N_("Collection stopped. The DIN stays used and is never given again."),
    "reaction": N_("Adverse reaction recorded."),
}
STATUS_WORDS = {"in_progress": N_("Bag filling"), "complete": N_("Complete"), "aborted": N_("Stopped")}
KIND_OPTIONS = [("", N_("Choose…"))] + [(k.code, k.description) for k in REACTION_KINDS]
SEVERITY_WORDS = dict(zip(SEVERITIES, (N_("Mild"), N_("Moderate"), N_("Severe")), strict=True))
SEVERITY_OPTIONS = [("", N_("Choose…"))] + list(SEVERITY_WORDS.items())
# A recorded reaction and a bag as the page names them, looked up in the reader's catalogue.
REACTION_WORDS = {k.code: k.description for k in REACTION_KINDS}
BAG_WORDS = {b.code: b.description for b in BAG_TYPES}


def _id(what: str):
    return Path(..., ge=1, le=MAX_ID, description=f"The {what}'s id.")


def _whole_ml(text: str, what: str) -> int | None:
    """A typed number of mL, or None when left empty; anything else is refused in the clerk's words."""
    value = (text or "").strip()
    if not value:
        return None
    if not (value.isascii() and value.lstrip("-").isdigit()) or len(value) > 7:
        raise InvalidInput(N_("The %(what)s must be a whole number of millilitres; got '%(text)s'."),
                           params={"what": what, "text": value[:20]})
    return int(value)


@router.get("/collection")
def collection_home(request: Request, site_id: str = "", caller: Caller = Depends(COLLECT)):
    site = int(site_id) if site_id.isdigit() and len(site_id) < 10 else None
    error, status_code = None, 200
    try:
        board = chair.collection_board(caller.uow(), site_id=site)
    except DomainError as refused:  # a site id from an old bookmark: show the default site and say so
        error, status_code = refused.message, status_for(refused)
        board = chair.collection_board(caller.uow())
    return render(request, "collection/home.html", status_code=status_code, error=error, board=board,
                  site_options=[(s.id, f"{s.code} · {s.name}") for s in board.sites], status_words=STATUS_WORDS)


def _visit_page(request: Request, caller: Caller, visit_id: int, *, typed: dict | None = None,
                error: str | None = None, notice: str | None = None, status_code: int = 200):
    visit = chair.collection_visit(caller.uow(), visit_id=visit_id)
    return render(request, "collection/visit.html", status_code=status_code, error=error, notice=notice,
                  visit=visit, typed=typed or {}, status_words=STATUS_WORDS,
                  bag_options=[(b.code, b.description) for b in visit.bag_types],
                  kind_options=KIND_OPTIONS, severity_options=SEVERITY_OPTIONS, reaction_words=REACTION_WORDS,
                  severity_words=SEVERITY_WORDS, bag_words=BAG_WORDS)


@router.get("/collection/visits/{visit_id}")
def visit_page(request: Request, visit_id: int = _id("visit"), done: str = "", caller: Caller = Depends(COLLECT)):
    return _visit_page(request, caller, visit_id, notice=DONE.get(done))


def _back(visit_id: int, done: str) -> RedirectResponse:
    return RedirectResponse(f"/collection/visits/{visit_id}?done={done}", status_code=303)


@router.post("/collection/visits/{visit_id}/start")
def start_collection(request: Request, visit_id: int = _id("visit"), bag_type: str = Form(""),
                     bag_lot: str = Form(""), planned_volume_ml: str = Form(""), caller: Caller = Depends(COLLECT)):
    typed = {"bag_type": bag_type[:60], "bag_lot": bag_lot[:MAX_TEXT], "planned_volume_ml": planned_volume_ml[:20]}
    try:
        collection.start_collection(caller.uow(), visit_id=visit_id, bag_type=bag_type, bag_lot=bag_lot,
                                    planned_volume_ml=_whole_ml(planned_volume_ml, N_("planned volume")))
    except DomainError as error:
        return _visit_page(request, caller, visit_id, typed=typed, error=error,
                           status_code=status_for(error))
    return _back(visit_id, "started")


def _form_id(text: str) -> int:
    value = (text or "").strip()
    if not (value.isascii() and value.isdigit() and len(value) <= 10) or not 1 <= int(value) <= MAX_ID:
        raise InvalidInput("This form names no donation: reload the page and try again.")
    return int(value)


@router.post("/collection/visits/{visit_id}/finish")
def finish_collection(request: Request, visit_id: int = _id("visit"), donation_id: str = Form(""),
                      volume_ml: str = Form(""), caller: Caller = Depends(COLLECT)):
    typed = {"volume_ml": volume_ml[:20]}
    try:
        volume = _whole_ml(volume_ml, N_("collected volume"))
        if volume is None:
            raise InvalidInput("Type the collected volume in mL, read from the scale.")
        collection.finish_collection(caller.uow(), donation_id=_form_id(donation_id),
                                     volume_ml=volume)
    except DomainError as error:
        return _visit_page(request, caller, visit_id, typed=typed, error=error,
                           status_code=status_for(error))
    return _back(visit_id, "finished")


@router.post("/collection/visits/{visit_id}/abort")
def abort_collection(request: Request, visit_id: int = _id("visit"), donation_id: str = Form(""),
                     reason: str = Form(""), volume_in_bag_ml: str = Form(""), caller: Caller = Depends(COLLECT)):
    typed = {"reason": reason[:MAX_TEXT], "volume_in_bag_ml": volume_in_bag_ml[:20]}
    try:
        if len(reason) > MAX_TEXT:
            raise InvalidInput(f"Say why in at most {MAX_TEXT} characters.")
        collection.abort_collection(caller.uow(), donation_id=_form_id(donation_id),
                                    reason=reason, volume_ml=_whole_ml(volume_in_bag_ml, N_("volume in the bag")))
    except DomainError as error:
        return _visit_page(request, caller, visit_id, typed=typed, error=error,
                           status_code=status_for(error))
    return _back(visit_id, "aborted")


@router.post("/collection/visits/{visit_id}/reaction")
def record_reaction(request: Request, visit_id: int = _id("visit"), donation_id: str = Form(""),
                    kind: str = Form(""), severity: str = Form(""), outcome: str = Form(""),
                    caller: Caller = Depends(COLLECT)):
    typed = {"kind": kind[:60], "severity": severity[:20], "outcome": outcome[:MAX_TEXT]}
    try:
        if len(outcome) > MAX_TEXT:
            raise InvalidInput(f"Describe the outcome in at most {MAX_TEXT} characters.")
        collection.record_adverse_reaction(caller.uow(), donation_id=_form_id(donation_id),
                                           kind=kind, severity=severity, outcome=outcome)
    except DomainError as error:
        return _visit_page(request, caller, visit_id, typed=typed, error=error,
                           status_code=status_for(error))
    return _back(visit_id, "reaction")


@router.get("/collection/donations/{donation_id}/din-labels.pdf")
def din_labels(donation_id: int = _id("donation"), caller: Caller = Depends(COLLECT)):
    pdf = din_sheets.din_labels_pdf(caller.uow(), donation_id=donation_id)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="din-labels-{donation_id}.pdf"'})
