"""Pages: an incident's appeal (the section of the incident page and its start, pause, resume and top-up
forms, INCIDENTS), and the donor's invitation page behind their personal link (no login: the signed link is
the key; declining has no consequence and stopping appeals is one button)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from bloodbank.domain.access import Permission
from bloodbank.domain.errors import DomainError, InvalidInput
from bloodbank.entrypoints.web.errors import status_for
from bloodbank.entrypoints.web.security import Caller, database_of, require
from bloodbank.entrypoints.web.templating import render
from bloodbank.entrypoints.web.ui.crisis.incidents import _incident_id, _incident_page
from bloodbank.service_layer.crisis import appeal_replies, appeals

router = APIRouter()
INCIDENTS = Depends(require(Permission.INCIDENTS))
ACTS = {"start": appeals.start, "pause": appeals.pause, "resume": appeals.resume, "top_up": appeals.top_up}
MAX_TOKEN = 200


@router.post("/incidents/{incident_id}/appeal")
async def appeal_act(request: Request, incident_id: int, caller: Caller = INCIDENTS):
    incident_id = _incident_id(incident_id)
    form = await request.form()
    action = str(form.get("action", ""))
    try:
        act = ACTS.get(action)
        if act is None:
            raise InvalidInput("Choose start, pause, resume or top up.")
        act(caller.uow(), incident_id=incident_id)
    except DomainError as failure:
        return _incident_page(request, caller, incident_id, status_code=status_for(failure), error=failure.message)
    if form.get("back") == "dashboard":
        return RedirectResponse(f"/incidents/{incident_id}/dashboard?saved=appeal_{action}", status_code=303)
    return RedirectResponse(f"/incidents/{incident_id}?saved=appeal_{action}#appeal", status_code=303)


# ---------------------------------------------------------------- the donor's page


def _token(token: str) -> str:
    return token[:MAX_TOKEN]


@router.get("/appeal/{token}")
def invitation_page(request: Request, token: str):
    try:
        page = appeal_replies.open_invitation(appeal_replies.link_uow(database_of(request)), token=_token(token))
    except DomainError as failure:
        return render(request, "appeal/invitation.html", status_code=status_for(failure), error=failure.message,
                      page=None, token="", done=None)
    return render(request, "appeal/invitation.html", page=page, token=_token(token), done=None)


@router.post("/appeal/{token}")
async def answer(request: Request, token: str):
    form = await request.form()
    action, token = str(form.get("action", "")), _token(token)
    uow = appeal_replies.link_uow(database_of(request))
    try:
        if action == "accept":
            page = appeal_replies.accept(uow, token=token, starts_at=_slot(str(form.get("starts_at", ""))))
        elif action == "decline":
            page = appeal_replies.decline(uow, token=token)
        elif action == "stop":
            page = appeal_replies.stop_appeals(uow, token=token)
        else:
            raise InvalidInput("Choose a time, decline, or stop appeals.")
    except DomainError as failure:
        try:
            page = appeal_replies.open_invitation(appeal_replies.link_uow(database_of(request)), token=token)
        except DomainError:
            page = None
        return render(request, "appeal/invitation.html", status_code=status_for(failure), error=failure.message,
                      page=page, token=token if page else "", done=None)
    return render(request, "appeal/invitation.html", page=page, token=token, done=action)


def _slot(text: str) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text[:40])
    except ValueError:
        raise InvalidInput("Choose one of the times listed.") from None
    if value.tzinfo is None:
        raise InvalidInput("Choose one of the times listed.")
    return value
