"""The donor's sign-in pages: details, then the code typed or the emailed link followed.

Opening the link (a GET) only shows a button: mail scanners open links, and
must not spend the donor's sign-in. The button posts the token. Each form
carries a token also set as a cookie, as the staff login's does: a sign-in
posted from another site carries neither, so nobody is signed in to another
person's donor page without knowing it.
"""

from __future__ import annotations

import secrets
from datetime import date

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from bloodbank.domain import donor_portal as portal
from bloodbank.domain.errors import DomainError, InvalidInput
from bloodbank.domain.messages import N_
from bloodbank.entrypoints.web.api.donor_portal.my import message_language
from bloodbank.entrypoints.web.donor_security import DONOR_COOKIE, DonorCaller, set_donor_cookie, signed_in_donor
from bloodbank.entrypoints.web.errors import status_for
from bloodbank.entrypoints.web.security import database_of
from bloodbank.entrypoints.web.ui.donor_portal.pages import public_page
from bloodbank.entrypoints.web.ui.donors.desk import form_of
from bloodbank.service_layer.donor_portal import sessions, sign_in
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

router = APIRouter()
FORM_COOKIE = "bloodbank_donor_form"
EXPIRED = N_("This form has expired or did not come from this site: ask again.")


def _form_page(request: Request, template: str, status_code: int = 200, **context):
    token = secrets.token_urlsafe(24)
    response = public_page(request, template, status_code=status_code, form_token=token, **context)
    response.set_cookie(FORM_COOKIE, token, httponly=True, samesite="strict", path="/my",
                        secure=request.url.scheme == "https")
    return response


def _came_from_here(request: Request, form: FormData) -> bool:
    expected, sent = request.cookies.get(FORM_COOKIE, ""), form.get("form_token")
    return bool(expected) and isinstance(sent, str) and secrets.compare_digest(expected.encode(), sent.encode())


def _uow(request: Request) -> UnitOfWork:
    return UnitOfWork(database_of(request), actor="portal")


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


@router.get("/my/sign-in")
def sign_in_page(request: Request):
    return _form_page(request, "my/sign_in.html", channel="email")


@router.post("/my/sign-in")
def ask_to_sign_in(request: Request, form: FormData = Depends(form_of)):
    channel = _text(form, "channel")
    if not _came_from_here(request, form):
        return _form_page(request, "my/sign_in.html", status_code=403, error=EXPIRED, channel=channel or "email")
    try:
        try:
            born = date.fromisoformat(_text(form, "date_of_birth"))
        except ValueError:
            raise InvalidInput(N_("Give your date of birth as year-month-day, e.g. 1985-03-01.")) from None
        asked = sign_in.request_sign_in(_uow(request), donor_number=_text(form, "donor_number"),
                                        date_of_birth=born, channel=channel, contact=_text(form, "contact"),
                                        client=request.client.host if request.client else "",
                                        translate_for=message_language)
    except DomainError as error:
        return _form_page(request, "my/sign_in.html", status_code=status_for(error), error=error,
                          channel=channel or "email", donor_number=_text(form, "donor_number"))
    return _form_page(request, "my/sent.html", notice=portal.SENT, challenge=asked.challenge, channel=asked.channel)


def _signed_in(request: Request, ticket: sign_in.DonorTicket) -> RedirectResponse:
    response = RedirectResponse("/my", status_code=303)
    set_donor_cookie(response, request, ticket.token)
    return response


@router.post("/my/sign-in/code")
def sign_in_with_code(request: Request, form: FormData = Depends(form_of)):
    challenge = _text(form, "challenge")
    if not _came_from_here(request, form):
        return _form_page(request, "my/sign_in.html", status_code=403, error=EXPIRED, channel="sms")
    try:
        ticket = sign_in.sign_in_with_code(_uow(request), challenge=challenge, code=_text(form, "code"))
    except DomainError as error:
        return _form_page(request, "my/sent.html", status_code=status_for(error), error=error,
                          challenge=challenge, channel="sms")
    return _signed_in(request, ticket)


@router.get("/my/link/{token}")
def link_page(request: Request, token: str = Path(..., max_length=100)):
    return _form_page(request, "my/link.html", token=token)


@router.post("/my/link")
def sign_in_with_link(request: Request, form: FormData = Depends(form_of)):
    if not _came_from_here(request, form):
        return _form_page(request, "my/link.html", status_code=403, error=EXPIRED, token=_text(form, "token"))
    try:
        ticket = sign_in.sign_in_with_link(_uow(request), token=_text(form, "token"))
    except DomainError as error:
        return _form_page(request, "my/sign_in.html", status_code=status_for(error), error=error, channel="email")
    return _signed_in(request, ticket)


@router.post("/my/sign-out")
def sign_out(request: Request, caller: DonorCaller = Depends(signed_in_donor)):
    sessions.sign_out(caller.donor.unit_of_work(caller.database), request.cookies.get(DONOR_COOKIE))
    response = RedirectResponse("/my/sign-in", status_code=303)
    response.delete_cookie(DONOR_COOKIE, path="/")
    return response

