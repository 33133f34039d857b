"""What donors said on their page that staff act on: open erasure requests (erased through the erasure page,
which closes them, or declined here with a reason the donor reads), and the donors who can come now."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from bloodbank.domain.access import Permission
from bloodbank.domain.errors import DomainError
from bloodbank.domain.ids import MAX_ID
from bloodbank.domain.messages import N_
from bloodbank.entrypoints.web.errors import status_for
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.entrypoints.web.templating import render
from bloodbank.entrypoints.web.ui.donors.desk import form_of
from bloodbank.service_layer.donor_portal import my_data, preferences

router = APIRouter()

DECLINED = "declined"


def _requests_page(request: Request, caller: Caller, *, error=None, notice=None, typed: dict | None = None,
                   status_code: int = 200):
    return render(request, "desk/erasure_requests.html", status_code=status_code, error=error, notice=notice,
                  requests=my_data.open_erasure_requests(caller.uow()), typed=typed or {},
                  reason_length=my_data.DECLINE_REASON_LENGTH)


@router.get("/desk/erasure-requests")
def erasure_requests(request: Request, notice: str | None = None,
                     caller: Caller = Depends(require(Permission.ERASURE))):
    return _requests_page(request, caller,
                          notice=N_("Declined: the donor reads the reason on their page.") if notice == DECLINED else None)


@router.post("/desk/erasure-requests/{donor_id}/decline")
def decline(request: Request, donor_id: int = Path(..., ge=1, le=MAX_ID), form: FormData = Depends(form_of),
            caller: Caller = Depends(require(Permission.ERASURE))):
    reason = form.get("reason")
    try:
        my_data.decline_erasure_request(caller.uow(), donor_ref=donor_id,
                                        reason=reason if isinstance(reason, str) else "")
    except DomainError as error:
        return _requests_page(request, caller, error=error, status_code=status_for(error),
                              typed={donor_id: reason if isinstance(reason, str) else ""})
    return RedirectResponse(f"/desk/erasure-requests?notice={DECLINED}", status_code=303)


@router.get("/desk/available-now")
def available_now(request: Request, caller: Caller = Depends(require(Permission.DONORS_READ))):
    return render(request, "desk/available_now.html", donors=preferences.available_now(caller.uow()))
