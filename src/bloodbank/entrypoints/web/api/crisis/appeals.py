"""REST endpoints: an incident's appeal to donors (INCIDENTS), the outbox's state, and the donor's side: the
personal link's invitation (no login: the signed link is the key) and the SMS gateway's inbound replies
(authenticated by the shared secret the gateway sends)."""

from __future__ import annotations

import hmac

from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from bloodbank.config import get_settings
from bloodbank.domain.access import Permission
from bloodbank.domain.errors import MessagingNotConfigured
from bloodbank.entrypoints.web.api.common import Id
from bloodbank.entrypoints.web.security import Caller, database_of, require
from bloodbank.service_layer.crisis import appeal_replies, appeals
from bloodbank.service_layer.crisis.appeal_replies import InvitationPage
from bloodbank.service_layer.crisis.appeals import AppealView
from bloodbank.service_layer.messaging.outbox import OutboxStatus, outbox_status

router = APIRouter(tags=["appeals"])
INCIDENTS = Depends(require(Permission.INCIDENTS))
Token = Annotated[str, Path(min_length=1, max_length=200, description="The signed token of the personal link.")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Accepting(Strict):
    starts_at: AwareDatetime | None = Field(None, description="The slot chosen; the earliest that fits if left out.")


class InboundSms(BaseModel):
    sender: str = Field(alias="from", min_length=3, max_length=40, description="The number the reply came from.")
    text: str = Field(max_length=1000)


class InboundAnswer(BaseModel):
    received: bool
    command: str | None


@router.get("/incidents/{incident_id}/appeal", summary="The incident's appeal: need, invited, accepted, arrived, "
                                                       "collected and released by group and day")
def get_appeal(incident_id: Id, caller: Caller = INCIDENTS) -> AppealView:
    return appeals.get_appeal(caller.uow(), incident_id=incident_id)


@router.post("/incidents/{incident_id}/appeal", status_code=201,
             summary="Start the incident's appeal: invite donors sized to the gap")
def start(incident_id: Id, caller: Caller = INCIDENTS) -> AppealView:
    return appeals.start(caller.uow(), incident_id=incident_id)


@router.post("/incidents/{incident_id}/appeal/pause", summary="Pause the appeal: nobody new is invited")
def pause(incident_id: Id, caller: Caller = INCIDENTS) -> AppealView:
    return appeals.pause(caller.uow(), incident_id=incident_id)


@router.post("/incidents/{incident_id}/appeal/resume", summary="Resume a paused appeal and top it up")
def resume(incident_id: Id, caller: Caller = INCIDENTS) -> AppealView:
    return appeals.resume(caller.uow(), incident_id=incident_id)


@router.post("/incidents/{incident_id}/appeal/top-up", summary="Invite what the gap still needs, at the rates "
                                                                "learned so far")
def top_up(incident_id: Id, caller: Caller = INCIDENTS) -> AppealView:
    return appeals.top_up(caller.uow(), incident_id=incident_id)


@router.get("/outbox", summary="Messages waiting, sent, retrying and failed")
def get_outbox(caller: Caller = INCIDENTS) -> OutboxStatus:
    return outbox_status(caller.uow())


# ---------------------------------------------------------------- the donor's side, no login


@router.get("/appeal-links/{token}", summary="A donor's invitation, from their personal link: free slots")
def open_link(token: Token, request: Request) -> InvitationPage:
    return appeal_replies.open_invitation(appeal_replies.link_uow(database_of(request)), token=token)


@router.post("/appeal-links/{token}/accept", summary="Accept the invitation: book the slot chosen or the earliest")
def accept_link(token: Token, body: Accepting, request: Request) -> InvitationPage:
    return appeal_replies.accept(appeal_replies.link_uow(database_of(request)), token=token,
                                 starts_at=body.starts_at)


@router.post("/appeal-links/{token}/decline", summary="Decline the invitation (no consequence)")
def decline_link(token: Token, request: Request) -> InvitationPage:
    return appeal_replies.decline(appeal_replies.link_uow(database_of(request)), token=token)


@router.post("/appeal-links/{token}/stop", summary="Receive no more appeals")
def stop_link(token: Token, request: Request) -> InvitationPage:
    return appeal_replies.stop_appeals(appeal_replies.link_uow(database_of(request)), token=token)


@router.post("/sms/inbound", summary="A reply from a donor's phone, posted by the SMS gateway with its secret")
def inbound_sms(body: InboundSms, request: Request,
                x_gateway_secret: str = Header("", max_length=200)) -> InboundAnswer:
    expected = get_settings().sms_inbound_secret.get_secret_value()
    if not expected:
        raise MessagingNotConfigured("Inbound SMS needs BLOODBANK_SMS_INBOUND_SECRET set.")
    if not hmac.compare_digest(x_gateway_secret.encode(), expected.encode()):
        raise HTTPException(status_code=401, detail="The gateway's secret is missing or wrong.")
    outcome = appeal_replies.sms_reply(appeal_replies.sms_uow(database_of(request)), sender=body.sender,
                                       text=body.text)
    return InboundAnswer(received=True, command=outcome.command)
