"""The donor's private screen: "use my blood" or "do not use my blood", chosen alone on a tablet.

The clerk hands the tablet over from the visit page: that ends the clerk's own
session on it and opens a kiosk session for that one visit (a cookie sent only
to /kiosk), so the tablet reaches nothing but this question, whatever address
is typed. Both answers post to the same address, with values of the same
length, and lead to the same thank-you page: neither the screen afterwards nor
the traffic tells which one was chosen. Answering ends the kiosk session.
"""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from bloodbank.domain.access import Permission
from bloodbank.domain.errors import DomainError
from bloodbank.entrypoints import languages
from bloodbank.entrypoints.web.errors import status_for
from bloodbank.entrypoints.web.security import SESSION_COOKIE, Caller, database_of, require
from bloodbank.entrypoints.web.templating import render
from bloodbank.entrypoints.web.ui.donors.desk import MAX_ID, form_of
from bloodbank.service_layer.blood import self_exclusion
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.staff import kiosk_sessions

router = APIRouter()
KIOSK_COOKIE = "bloodbank_kiosk"


@router.post("/desk/visits/{visit_id}/kiosk")
def hand_over(request: Request, visit_id: int = Path(..., ge=1, le=MAX_ID),
              caller: Caller = Depends(require(Permission.VISITS))):
    try:
        ticket = kiosk_sessions.open_kiosk(caller.uow(), visit_id=visit_id,
                                           staff_session_token=request.cookies.get(SESSION_COOKIE))
    except DomainError as error:
        return render(request, "error.html", status_code=status_for(error), message=error)
    response = RedirectResponse("/kiosk", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.set_cookie(KIOSK_COOKIE, ticket.token, httponly=True, samesite="strict", path="/kiosk",
                        secure=request.url.scheme == "https")
    return response


def _kiosk(request: Request):
    return kiosk_sessions.resolve_kiosk(UnitOfWork(database_of(request), actor="kiosk"),
                                        request.cookies.get(KIOSK_COOKIE))


def _closed(request: Request):
    return render(request, "kiosk/closed.html", status_code=403)


@router.get("/kiosk")
def choice_page(request: Request):
    kiosk = _kiosk(request)
    if kiosk is None:
        return _closed(request)
    return render(request, "kiosk/choice.html", kiosk_csrf=kiosk.csrf_token, language=kiosk.language)


@router.post("/kiosk")
def choose(request: Request, form: FormData = Depends(form_of)):
    kiosk = _kiosk(request)
    if kiosk is None:
        return _closed(request)
    sent = form.get("kiosk_csrf")
    if not isinstance(sent, str) or not secrets.compare_digest(sent.encode(), kiosk.csrf_token.encode()):
        return _closed(request)
    choice = form.get("choice")
    database = database_of(request)
    try:
        self_exclusion.record_confidential_choice(UnitOfWork(database, actor="kiosk"), visit_id=kiosk.visit_id,
                                                  choice=choice if isinstance(choice, str) else "")
    except DomainError as error:
        return render(request, "kiosk/choice.html", status_code=status_for(error), error=error,
                      kiosk_csrf=kiosk.csrf_token, language=kiosk.language)
    kiosk_sessions.close_kiosk(UnitOfWork(database, actor="kiosk"), request.cookies.get(KIOSK_COOKIE))
    # The thanks are said in the donor's language too, though the session that knew it has ended.
    thanks_url = "/kiosk/thanks" + (f"?language={kiosk.language}" if kiosk.language else "")
    response = RedirectResponse(thanks_url, status_code=303)
    response.delete_cookie(KIOSK_COOKIE, path="/kiosk")
    return response


@router.get("/kiosk/thanks")
def thanks(request: Request, language: str = Query("", max_length=8)):
    return render(request, "kiosk/thanks.html", language=languages.supported(language))
