"""The donor's own API (/api/my): signing in, their record, bookings, quiz, preferences, private answer, data.

Every operation but the two sign-in steps needs a donor session (the cookie set
by signing in); a staff session or API token is not one, and is answered 401.
The donor's id always comes from the session, never from the request.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from bloodbank.domain import donor_portal as portal
from bloodbank.entrypoints import languages
from bloodbank.entrypoints.web.api.donors.donors import MAX_ID, RecordId, SaneDate, SaneDateTime, record_id
from bloodbank.entrypoints.web.api.donors.visits import Kind
from bloodbank.entrypoints.web.donor_security import (
    DONOR_COOKIE, DonorCaller, set_donor_cookie, signed_in_donor,
)
from bloodbank.entrypoints.web.security import database_of
from bloodbank.service_layer.donor_portal import (
    bookings, home_answers, my_data, preferences, private_answer, quiz, sessions, sign_in,
)
from bloodbank.service_layer.donor_portal.home_answers import HomeAnswersTicket
from bloodbank.service_layer.donor_portal.my_data import MyErasure
from bloodbank.service_layer.donor_portal.my_record import MyRecord, my_record
from bloodbank.service_layer.donor_portal.preferences import MyPreferences
from bloodbank.service_layer.donor_portal.quiz import QuizAnswer
from bloodbank.service_layer.donors import card as cards
from bloodbank.service_layer.donor_portal.bookings import MyAppointment
from bloodbank.service_layer.donors.appointments import SlotView
from bloodbank.service_layer.donors.data_copy import DataCopy
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

router = APIRouter(prefix="/my", tags=["donor portal"])


def client_of(request: Request) -> str:
    return request.client.host if request.client else ""


def message_language(donor_language: str | None):
    """A sign-in message is written in the donor's own language, else in the one they are reading the page in."""
    return languages.translations(languages.choose(donor_language, languages.current())).gettext


class SignInRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    donor_number: str = Field(max_length=20)
    date_of_birth: SaneDate
    channel: Literal["email", "sms"]
    contact: str = Field(max_length=200, description="The email address or phone number on file.")


class SignInAnswer(BaseModel):
    challenge: str = Field(description="Send it back with the SMS code.")
    channel: str
    message: str


class CodeSignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    challenge: str = Field(max_length=100)
    code: str = Field(max_length=20)


class LinkSignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(max_length=100)


class SignedIn(BaseModel):
    csrf_token: str = Field(description="Send it as X-CSRF-Token with every change.")


def db_uow(request: Request, actor: str = "portal") -> UnitOfWork:
    return UnitOfWork(database_of(request), actor=actor)


@router.post("/sign-in", status_code=202, summary="Ask for a sign-in link (email) or code (SMS)")
def request_sign_in(body: SignInRequest, request: Request) -> SignInAnswer:
    asked = sign_in.request_sign_in(db_uow(request), client=client_of(request), translate_for=message_language,
                                    **body.model_dump())
    return SignInAnswer(challenge=asked.challenge, channel=asked.channel, message=languages.gettext(portal.SENT))


def _signed_in(request: Request, ticket: sign_in.DonorTicket) -> JSONResponse:
    response = JSONResponse(SignedIn(csrf_token=ticket.csrf_token).model_dump())
    set_donor_cookie(response, request, ticket.token)
    return response


@router.post("/sign-in/code", summary="Sign in with the code sent by SMS", response_model=SignedIn)
def sign_in_code(body: CodeSignIn, request: Request):
    return _signed_in(request, sign_in.sign_in_with_code(db_uow(request), challenge=body.challenge, code=body.code))


@router.post("/sign-in/link", summary="Sign in with the token of the link sent by email", response_model=SignedIn)
def sign_in_link(body: LinkSignIn, request: Request):
    return _signed_in(request, sign_in.sign_in_with_link(db_uow(request), token=body.token))


@router.post("/sign-out", status_code=204, summary="End the donor's session")
def sign_out(request: Request, caller: DonorCaller = Depends(signed_in_donor)) -> Response:
    sessions.sign_out(caller.donor.unit_of_work(caller.database), request.cookies.get(DONOR_COOKIE))
    response = Response(status_code=204)
    response.delete_cookie(DONOR_COOKIE, path="/")
    return response


@router.get("", summary="The donor's own record: number, group once confirmed, donations, next dates, bookings")
def me(caller: DonorCaller = Depends(signed_in_donor)) -> MyRecord:
    return my_record(caller.uow(), donor_id=caller.donor_id)


@router.get("/card.pdf", response_class=Response, summary="The donor's card, as a PDF, in their language",
            responses={200: {"content": {"application/pdf": {}}}})
def card(caller: DonorCaller = Depends(signed_in_donor)) -> Response:
    made = cards.donor_card(caller.uow(), caller.donor_id, language=languages.current(),
                            catalogue=languages.catalogue, qr=True)
    return Response(made.pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="donor-card-{made.donor_number}.pdf"'})


SiteId = Annotated[int, Query(ge=1, le=MAX_ID, description="The site's id.")]


@router.get("/slots", summary="A site's slots on a day, each with its free chairs")
def slots(site_id: SiteId, on: Annotated[SaneDate, Query()],
          caller: DonorCaller = Depends(signed_in_donor)) -> list[SlotView]:
    return bookings.slots(caller.uow(), site_id=site_id, on=on)


class Booking(BaseModel):
    model_config = ConfigDict(extra="forbid")

    site_id: RecordId
    starts_at: SaneDateTime = Field(description="The slot's start, e.g. 2026-03-02T09:15 (site's clock).")
    kind: Kind = "whole_blood"


@router.post("/appointments", status_code=201, summary="Book one's own appointment (the desk's checks)")
def book(body: Booking, caller: DonorCaller = Depends(signed_in_donor)) -> MyAppointment:
    return bookings.book(caller.uow(), donor_id=caller.donor_id, **body.model_dump())


@router.post("/appointments/{appointment_id}/move", summary="Move one's own appointment to another slot")
def move(body: Booking, appointment_id: int = record_id("appointment"),
         caller: DonorCaller = Depends(signed_in_donor)) -> MyAppointment:
    return bookings.move(caller.uow(), donor_id=caller.donor_id, appointment_id=appointment_id, **body.model_dump())


@router.post("/appointments/{appointment_id}/cancel", summary="Cancel one's own appointment")
def cancel(appointment_id: int = record_id("appointment"),
           caller: DonorCaller = Depends(signed_in_donor)) -> MyAppointment:
    return bookings.cancel(caller.uow(), donor_id=caller.donor_id, appointment_id=appointment_id)


class QuizQuestion(BaseModel):
    id: str
    text: str
    asks_date: bool


class QuizAnswers(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: dict[str, Any] = Field(description="question id → yes/no, or the date of a yes where one is asked")
    kind: Kind = "whole_blood"


@router.get("/quiz", summary="The questions of the eligibility quiz, in the donor's language")
def quiz_questions(caller: DonorCaller = Depends(signed_in_donor)) -> list[QuizQuestion]:
    return [QuizQuestion(id=q.id, text=languages.gettext(q.donor_text), asks_date=q.asks_date)
            for q in quiz.quiz_questions(caller.uow(), donor_id=caller.donor_id)]


@router.post("/quiz", summary="May I give? The desk's rules on one's answers; the answers are not kept")
def take_quiz(body: QuizAnswers, caller: DonorCaller = Depends(signed_in_donor)) -> QuizAnswer:
    return quiz.take_quiz(caller.uow(), donor_id=caller.donor_id, answers=body.answers, kind=body.kind)


class HomeAnswers(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: dict[str, Any] = Field(description="question id → yes/no, or the date of a yes where one is asked")


@router.post("/questionnaire", status_code=201,
             summary="Answer the pre-donation questionnaire at home on the day of one's appointment: a QR code for "
                     "the desk, good until the end of that day")
def answer_at_home(body: HomeAnswers, caller: DonorCaller = Depends(signed_in_donor)) -> HomeAnswersTicket:
    return home_answers.answer_at_home(caller.uow(), donor_id=caller.donor_id, answers=body.answers)


class Preferences(BaseModel):
    model_config = ConfigDict(extra="forbid")

    appeals_opt_in: bool
    contact_from_hour: int | None = Field(None, ge=0, le=23)
    contact_until_hour: int | None = Field(None, ge=1, le=24)
    monthly_limit: int | None = Field(None, ge=1, le=31)
    channels: list[Literal["sms", "email"]] | None = Field(None, max_length=2)
    blood_used_opt_in: bool = False
    available_now: bool = False


@router.get("/preferences", summary="The donor's contact preferences")
def get_preferences(caller: DonorCaller = Depends(signed_in_donor)) -> MyPreferences:
    return preferences.my_preferences(caller.uow(), donor_id=caller.donor_id)


@router.put("/preferences", summary="Set appeals, channels, quiet hours, monthly limit, 'blood used', 'I can come now'")
def set_preferences(body: Preferences, caller: DonorCaller = Depends(signed_in_donor)) -> MyPreferences:
    return preferences.set_my_preferences(caller.uow(), donor_id=caller.donor_id, **body.model_dump())


class PrivateAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    choice: Literal["use", "not"] = Field(description="'use' my blood, or do 'not' use it (my last donation)")


@router.post("/private-answer", status_code=204,
             summary="The confidential answer about one's last donation; the same answer whatever was chosen")
def answer_privately(body: PrivateAnswer, caller: DonorCaller = Depends(signed_in_donor)) -> Response:
    private_answer.answer_privately(caller.database, donor_id=caller.donor_id, choice=body.choice)
    return Response(status_code=204)


@router.get("/data", summary="Everything held about the donor, as data")
def data(caller: DonorCaller = Depends(signed_in_donor)) -> DataCopy:
    return my_data.my_data_copy(caller.uow(), donor_id=caller.donor_id)


@router.get("/data.pdf", response_class=Response, summary="Everything held about the donor, as a document",
            responses={200: {"content": {"application/pdf": {}}}})
def data_pdf(caller: DonorCaller = Depends(signed_in_donor)) -> Response:
    return Response(my_data.my_data_copy_pdf(caller.uow(), donor_id=caller.donor_id, language=languages.current(),
                                             catalogue=languages.catalogue), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="donor-{caller.donor.donor_number}-data.pdf"'})


@router.get("/erasure", summary="What an erasure would erase and keep, and why; whether it was asked")
def erasure(caller: DonorCaller = Depends(signed_in_donor)) -> MyErasure:
    return my_data.my_erasure(caller.uow(), donor_id=caller.donor_id)


@router.post("/erasure", summary="Ask for one's data to be erased: staff act on it, saying what is kept and why")
def request_erasure(caller: DonorCaller = Depends(signed_in_donor)) -> MyErasure:
    return my_data.request_erasure(caller.uow(), donor_id=caller.donor_id)
