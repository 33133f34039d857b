"""The donor's private screen: "use my blood" or "do not use my blood", chosen alone on a tablet.

The clerk opens it for a visit and hands the tablet over. Both answers post to
the same address, with values of the same length, and lead to the same
thank-you page: neither the screen afterwards nor the traffic tells which one
was chosen. The staff navigation is hidden so the donor is not one tap away
from other people's records.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from bloodbank.domain.access import Permission
from bloodbank.domain.errors import DomainError
from bloodbank.entrypoints.web.errors import status_for
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.entrypoints.web.templating import render
from bloodbank.entrypoints.web.ui.donors.desk import MAX_ID, form_of
from bloodbank.service_layer.blood import self_exclusion
from bloodbank.service_layer.donors import visits

router = APIRouter()


@router.get("/kiosk/visits/{visit_id}")
def choice_page(request: Request, visit_id: int = Path(..., ge=1, le=MAX_ID),
                caller: Caller = Depends(require(Permission.VISITS))):
    visit = visits.get_visit(caller.uow(), visit_id)
    return render(request, "kiosk/choice.html", visit_id=visit.id)


@router.post("/kiosk/visits/{visit_id}")
def choose(request: Request, visit_id: int = Path(..., ge=1, le=MAX_ID), form: FormData = Depends(form_of),
           caller: Caller = Depends(require(Permission.VISITS))):
    choice = form.get("choice")
    try:
        self_exclusion.record_confidential_choice(caller.uow(), visit_id=visit_id,
                                           choice=choice if isinstance(choice, str) else "")
    except DomainError as error:
        return render(request, "kiosk/choice.html", status_code=status_for(error), error=error.message,
                      visit_id=visit_id)
    return RedirectResponse(f"/kiosk/visits/{visit_id}/thanks", status_code=303)


@router.get("/kiosk/visits/{visit_id}/thanks")
def thanks(request: Request, visit_id: int = Path(..., ge=1, le=MAX_ID),
           caller: Caller = Depends(require(Permission.VISITS))):
    visit = visits.get_visit(caller.uow(), visit_id)
    return render(request, "kiosk/thanks.html", visit_id=visit.id)
