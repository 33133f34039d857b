"""Pages: mass-casualty incidents. The list; declaring one; an incident's page with its counts, the gap by
window × component × group and what an appeal can and cannot cover; counting casualties; the signed close.

The blood service's roles (INCIDENTS) see every count; a hospital's staff (CASUALTY_COUNTS) see the list
and, on the count page, only the entries they made.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from bloodbank.domain import scheduling
from bloodbank.domain.access import Permission, signature_meaning
from bloodbank.domain.errors import DomainError, InvalidInput, NotFound
from bloodbank.domain.ids import MAX_ID
from bloodbank.domain.incidents import KIND_LABELS, MAX_COUNT_STEP, MAX_PLACE, MAX_REASON, Severity
from bloodbank.domain.mass_casualty import KIND_LABELS as COMPONENT_LABELS
from bloodbank.domain.messages import N_
from bloodbank.entrypoints.web.errors import status_for
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.entrypoints.web.signing import signed
from bloodbank.entrypoints.web.templating import render, viewer_clock
from bloodbank.service_layer.crisis import appeals, incidents
from bloodbank.service_layer.crisis.shortfall import shortfall
from bloodbank.service_layer.donors import sites
from bloodbank.service_layer.hospital import hospitals

router = APIRouter()

INCIDENTS = Depends(require(Permission.INCIDENTS))
COUNTS = Depends(require(Permission.CASUALTY_COUNTS))
KIND_OPTIONS = [(k.value, label) for k, label in KIND_LABELS.items()]
SEVERITY_OPTIONS = [(s.value, s.value) for s in Severity]
# An appeal's status as the page names it, written out so the catalogues hold it.
APPEAL_STATUS_WORDS = (N_("running"), N_("paused"), N_("stopped"))
NOTICES = {"declared": N_("Incident declared."), "counted": N_("Casualties counted."),
           "closed": N_("Incident closed. Your signature is recorded."),
           "appeal_start": N_("Appeal started: the invitations leave through the outbox."),
           "appeal_pause": N_("Appeal paused: nobody new is invited."),
           "appeal_resume": N_("Appeal resumed."), "appeal_top_up": N_("Appeal topped up.")}


def _incident_id(value: int) -> int:
    if not 1 <= value <= MAX_ID:
        raise NotFound(f"There is no incident {value}.")
    return value


def _whole(text: str | None, what: str, low: int, high: int) -> int:
    text = (text or "").strip() or "0"
    try:
        number = int(text)
    except ValueError:
        raise InvalidInput(f"The {what} must be a whole number.") from None
    if not low <= number <= high:
        raise InvalidInput(f"The {what} must be from {low} to {high}.")
    return number


def _optional_id(text: str | None, what: str) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    number = _whole(text, what, 1, MAX_ID)
    return number


def _wall_time(request: Request, text: str) -> datetime | None:
    """A time typed on the page, read on the reader's clock."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        wall = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"'{text[:30]}' is not a date and time: write it as 2026-01-31 14:30.") from None
    if wall.tzinfo is not None:
        return wall
    at = scheduling.local_to_utc(wall, viewer_clock(request))
    if at is None:
        raise InvalidInput(f"{wall:%H:%M} on {wall:%Y-%m-%d} does not exist on your clock (the clocks go forward "
                           "then): give another time.")
    return at


@router.get("/incidents")
def incident_list(request: Request, caller: Caller = COUNTS):
    items, total = incidents.list_incidents(caller.uow(), limit=200)
    return render(request, "crisis/list.html", items=items, total=total, kind_labels=KIND_LABELS,
                  may_manage=caller.principal.may(Permission.INCIDENTS))


def _new_page(request: Request, caller: Caller, *, values: dict, status_code: int = 200, error: str | None = None):
    return render(request, "crisis/new.html", status_code=status_code, error=error, values=values,
                  kinds=KIND_OPTIONS, severities=[s.value for s in Severity],
                  sites=[("", N_("None"))] + [(str(s.id), f"{s.code} · {s.name}")
                                               for s in sites.list_sites(caller.uow())],
                  max_place=MAX_PLACE)


@router.get("/incidents/new")
def new_incident(request: Request, caller: Caller = INCIDENTS):
    return _new_page(request, caller, values={"kind": "explosion"})


@router.post("/incidents")
async def declare(request: Request, caller: Caller = INCIDENTS):
    form = {k: str(v) for k, v in (await request.form()).items()}
    try:
        view = incidents.declare(
            caller.uow(), place=form.get("place", ""), kind=form.get("kind", ""),
            occurred_at=_wall_time(request, form.get("occurred_at", "")),
            site_id=_optional_id(form.get("site_id"), "site"), note=form.get("note", ""),
            expected={s.value: _whole(form.get(s.value), f"number of {s.value} casualties", 0, MAX_COUNT_STEP)
                      for s in Severity})
    except DomainError as failure:
        return _new_page(request, caller, values=form, status_code=status_for(failure), error=failure)
    return RedirectResponse(f"/incidents/{view.id}?saved=declared", status_code=303)


def _incident_page(request: Request, caller: Caller, incident_id: int, *, status_code: int = 200,
                   error: str | None = None, typed: dict | None = None):
    view = incidents.get_incident(caller.uow(), incident_id)
    gap = shortfall(caller.uow(), incident_id=incident_id)
    totals = {(l.basis, l.severity): l.total for l in view.totals}
    planned = {l.severity: l.total for l in view.for_forecast}
    rows = [l for l in gap.lines if l.need or l.gap or l.stock or l.quarantine or l.transfer or l.carried_in]
    appeal = appeals.get_appeal(caller.uow(), incident_id=incident_id, gap=gap)
    return render(request, "crisis/incident.html", status_code=status_code, error=error, appeal=appeal,
                  notice=NOTICES.get(request.query_params.get("saved", "")), incident=view, gap=gap, rows=rows,
                  totals=totals, planned=planned, severities=[s.value for s in Severity],
                  component_labels=COMPONENT_LABELS, kind_labels=KIND_LABELS, typed=typed or {},
                  hospitals=_hospital_options(caller), severity_options=SEVERITY_OPTIONS,
                  close_meaning=signature_meaning("close_incident", incidents.close_subject(view)[0]))


def _hospital_options(caller: Caller) -> list[tuple[str, str]]:
    return [(str(h.id), f"{h.name} ({h.code})") for h in hospitals.list_hospitals(caller.uow())]


@router.get("/incidents/{incident_id}")
def incident_page(request: Request, incident_id: int, caller: Caller = INCIDENTS):
    return _incident_page(request, caller, _incident_id(incident_id))


def _count_page(request: Request, caller: Caller, incident_id: int, *, status_code: int = 200,
                error: str | None = None, typed: dict | None = None):
    incident, entries = incidents.my_entries(caller.uow(), incident_id)
    return render(request, "crisis/count.html", status_code=status_code, error=error,
                  notice=NOTICES.get(request.query_params.get("saved", "")), incident=incident, entries=entries,
                  kind_labels=KIND_LABELS, hospitals=_hospital_options(caller), severity_options=SEVERITY_OPTIONS,
                  typed=typed or {}, max_reason=MAX_REASON)


@router.get("/incidents/{incident_id}/count")
def count_page(request: Request, incident_id: int, caller: Caller = COUNTS):
    return _count_page(request, caller, _incident_id(incident_id))


@router.post("/incidents/{incident_id}/casualties")
async def add_casualties(request: Request, incident_id: int, caller: Caller = COUNTS):
    form = {k: str(v) for k, v in (await request.form()).items()}
    incident_id = _incident_id(incident_id)
    back_to_incident = form.get("back") == "incident" and caller.principal.may(Permission.INCIDENTS)
    try:
        correction = form.get("correction") == "on"
        incidents.add_casualties(
            caller.uow(), incident_id=incident_id, severity=form.get("severity", ""),
            change=_whole(form.get("change"), "number of casualties", -MAX_COUNT_STEP, MAX_COUNT_STEP),
            basis="expected" if form.get("basis") == "expected" else "admitted",
            hospital_id=_optional_id(form.get("hospital_id"), "hospital"), correction=correction,
            reason=form.get("reason", ""))
    except DomainError as failure:
        page = _incident_page if back_to_incident else _count_page
        return page(request, caller, incident_id, status_code=status_for(failure), error=failure, typed=form)
    target = f"/incidents/{incident_id}" if back_to_incident else f"/incidents/{incident_id}/count"
    return RedirectResponse(f"{target}?saved=counted", status_code=303)


@router.post("/incidents/{incident_id}/close")
def close(request: Request, incident_id: int, note: str = Form("", max_length=incidents.MAX_NOTE),
          signature_password: str = Form("", max_length=200), caller: Caller = INCIDENTS):
    incident_id = _incident_id(incident_id)
    try:
        signed(caller, password=signature_password, action="close_incident",
               act=lambda: incidents.close(caller.uow(), incident_id=incident_id, note=note),
               record=incidents.close_subject)
    except DomainError as failure:
        return _incident_page(request, caller, incident_id, status_code=status_for(failure), error=failure,
                              typed={"close_note": note})
    return RedirectResponse(f"/incidents/{incident_id}?saved=closed", status_code=303)
