"""Choosing the language: the switcher every page carries, and a person's own setting on their account page.

Logged in, the choice is kept on the account, so it follows the person to any computer; without an account
(the login page, a donor's page), a cookie keeps it for that browser.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from bloodbank.domain.errors import DomainError
from bloodbank.entrypoints import languages
from bloodbank.entrypoints.web.errors import status_for
from bloodbank.entrypoints.web.i18n import remember
from bloodbank.entrypoints.web.security import Caller, logged_in, principal_of
from bloodbank.entrypoints.web.templating import render
from bloodbank.entrypoints.web.ui.donors.desk import form_of
from bloodbank.service_layer.staff import users

router = APIRouter()


def _back_to(target: object) -> str:
    """Only a path on this site, so the switcher cannot be used to send someone elsewhere."""
    if not isinstance(target, str) or not target.startswith("/") or target.startswith("//"):
        return "/"
    parts = urlsplit(target)
    return "/" if parts.scheme or parts.netloc else target


@router.post("/language")
async def switch(request: Request, form=Depends(form_of)):
    language = languages.supported(form.get("language") if isinstance(form.get("language"), str) else None)
    response = RedirectResponse(_back_to(form.get("next")), status_code=303)
    if language is None:
        return response
    principal = principal_of(request)
    if principal is not None and principal.via == "session" and not principal.must_change_password:
        caller = await logged_in(request)  # the same anti-forgery check as any form a logged-in person posts
        users.set_own_language(caller.uow(), user_id=caller.user_id, language=language)
    remember(response, request, language)
    return response


@router.get("/account")
def account_page(request: Request, caller: Caller = Depends(logged_in)):
    return render(request, "account.html", account=users.get_user(caller.uow(), caller.user_id))


@router.post("/account/language")
def set_language(request: Request, form=Depends(form_of), caller: Caller = Depends(logged_in)):
    chosen = form.get("language")
    try:
        account = users.set_own_language(caller.uow(), user_id=caller.user_id,
                                          language=chosen if isinstance(chosen, str) else "")
    except DomainError as error:
        return render(request, "account.html", status_code=status_for(error), error=error,
                      account=users.get_user(caller.uow(), caller.user_id))
    response = RedirectResponse("/account?done=language", status_code=303)
    if account.language:
        remember(response, request, account.language)
    else:
        response.delete_cookie("bloodbank_language")
    return response
