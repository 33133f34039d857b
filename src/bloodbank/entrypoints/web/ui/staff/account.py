"""A person's own account: choosing their own password (required after an administrator reset it)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from bloodbank.domain.errors import DomainError, InvalidInput
from bloodbank.entrypoints.web.errors import status_for
from bloodbank.entrypoints.web.security import Caller, logged_in
from bloodbank.entrypoints.web.templating import render
from bloodbank.service_layer.staff import users

router = APIRouter()


@router.get("/account/password")
def password_form(request: Request, caller: Caller = Depends(logged_in)):
    return render(request, "account_password.html", reset=caller.principal.must_change_password)


@router.post("/account/password")
def change_password(request: Request, current_password: str = Form(""), new_password: str = Form(""),
                    repeat_password: str = Form(""), caller: Caller = Depends(logged_in)):
    try:
        if new_password != repeat_password:
            raise InvalidInput("The two new passwords differ: type the same one twice.")
        users.change_own_password(caller.uow(), user_id=caller.principal.user_id, current=current_password[:200],
                                  new=new_password[:200])
    except DomainError as error:
        return render(request, "account_password.html", status_code=status_for(error), error=error,
                      reset=caller.principal.must_change_password)
    return RedirectResponse("/?done=password_changed", status_code=303)
