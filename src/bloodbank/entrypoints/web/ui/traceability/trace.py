"""Pages: trace and lookback from one search box, recalls with an electronic signature.

A DIN (scanned or typed) shows the whole chain: donor, donation, every
component with its tests, movements, fate and recipient, through splits and
pools. A donor number shows the lookback: every recipient of that person's
blood. Each page that names donors or patients is logged by the use case.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from bloodbank.domain import isbt128
from bloodbank.domain.access import Permission, signature_meaning
from bloodbank.domain.errors import DomainError
from bloodbank.domain.ids import MAX_ID
from bloodbank.domain.messages import N_, Text
from bloodbank.entrypoints import languages
from bloodbank.entrypoints.web.errors import status_for
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.entrypoints.web.signing import signed
from bloodbank.entrypoints.web.templating import din, render
from bloodbank.service_layer.traceability import recall as recalls, trace as tracing
from bloodbank.service_layer.traceability.recall import ACTIONS

router = APIRouter()

MAX_TEXT = 60
PAGE = 20


def product_name(code: str) -> str:
    try:
        return isbt128.product(code).name
    except DomainError:
        return code


def din_display(din: str) -> str:
    try:
        return isbt128.parse_din(din).eye_readable
    except DomainError:
        return din


def _page(request: Request, caller: Caller, *, q: str = "", found=None, status_code: int = 200,
          error: str | None = None, notice: str | None = None, recall_form: dict | None = None):
    may_recall = caller.principal.may(Permission.RECALL)
    recent = [] if found is not None else tracing.recent_issues(caller.uow(), limit=8)
    latest, _ = recalls.recalls_page(caller.uow(), limit=5) if found is None else ([], 0)
    form = recall_form or {}
    if found is not None and not form:
        form = ({"din": found.trace.din} if found.kind == "din"
                else {"donor_number": found.lookback.donor.donor_number})
    return render(request, "trace/search.html", status_code=status_code, error=error, notice=notice, q=q,
                  found=found, recent=recent, latest_recalls=latest, may_recall=may_recall, recall_form=form,
                  meaning=signature_meaning("recall", _form_subject(form)), product_name=product_name,
                  din_display=din, may_read_results=caller.principal.may(Permission.RESULTS_READ))


def _form_subject(form: dict) -> Text:
    if form.get("din"):
        return Text(N_("the recall of DIN %(din)s"), din=din_display(form["din"]))
    if form.get("donor_number"):
        return Text(N_("the recall of every donation of donor %(donor)s"), donor=form["donor_number"])
    return Text(N_("this recall"))


@router.get("/trace")
def trace_page(request: Request, q: str = "", caller: Caller = Depends(require(Permission.TRACE))):
    q = q.strip()[:MAX_TEXT]
    if not q:
        return _page(request, caller)
    try:
        found = tracing.search_as(caller.uow(), q, role=caller.principal.role)
    except DomainError as error:
        return _page(request, caller, q=q, error=error, status_code=status_for(error))
    return _page(request, caller, q=q, found=found)


@router.get("/trace/recall")
def recall_form(request: Request, din: str = "", donor_number: str = "",
                caller: Caller = Depends(require(Permission.RECALL))):
    form = {"din": din.strip()[:MAX_TEXT], "donor_number": donor_number.strip()[:MAX_TEXT], "reason": ""}
    return _recall_page(request, form)


def _recall_page(request: Request, form: dict, *, status_code: int = 200, error: str | None = None):
    return render(request, "trace/recall_form.html", status_code=status_code, error=error, form=form,
                  meaning=signature_meaning("recall", _form_subject(form)))


@router.post("/trace/recall")
def open_recall(request: Request, reason: str = Form(""), din: str = Form(""), donor_number: str = Form(""),
                signature_password: str = Form(""), caller: Caller = Depends(require(Permission.RECALL))):
    form = {"din": din.strip()[:MAX_TEXT], "donor_number": donor_number.strip()[:MAX_TEXT],
            "reason": reason.strip()[:500]}
    try:
        result = signed(caller, password=signature_password, action="recall",
                        act=lambda: recalls.recall(caller.uow(), reason=form["reason"], din=form["din"] or None,
                                                   donor_number=form["donor_number"] or None),
                        record=lambda r: (recalls.recall_subject(r), "recall", r.recall_id))
    except DomainError as error:
        return _recall_page(request, form, status_code=status_for(error), error=error)
    return RedirectResponse(f"/trace/recalls/{result.recall_id}?opened=1", status_code=303)


@router.get("/trace/recalls")
def recall_list(request: Request, offset: int = 0, caller: Caller = Depends(require(Permission.TRACE))):
    offset = max(0, min(offset, 10_000_000))
    items, total = recalls.recalls_page(caller.uow(), limit=PAGE, offset=offset)
    return render(request, "trace/recalls.html", recalls=items, total=total, offset=offset, page=PAGE,
                  may_recall=caller.principal.may(Permission.RECALL), din_display=din)


@router.get("/trace/recalls/{recall_id}")
def recall_page(request: Request, recall_id: int, opened: int = 0,
                caller: Caller = Depends(require(Permission.TRACE))):
    view = recalls.get_recall(caller.uow(), max(1, min(recall_id, MAX_ID)))
    notice = None
    if opened:
        notice = languages.gettext(N_("Recall %(recall)s is open and signed: %(stock)s unit(s) taken out of stock, "
                                      "%(ward)s to call back from wards, %(running)s being transfused now, "
                                      "%(transfused)s transfused.")) % {
            "recall": view.recall_id, "stock": view.count("recalled"), "ward": view.count("recalled_from_ward"),
            "running": view.count("in_transfusion"), "transfused": view.count("listed")}
    lookback_links = []
    if "din" in view.scope:
        lookback_links.append((N_("Trace this DIN"), "/trace?" + urlencode({"q": view.scope["din"]})))
    return render(request, "trace/recall.html", recall=view, actions=ACTIONS, notice=notice,
                  product_name=product_name, din_display=din, links=lookback_links)
