"""The donor's own pages: their record and card, bookings, the quiz, preferences, the private answer, their data.

Each calls the same use case as the donor's API (`api/donor_portal/my`); the
donor's id comes from their session, never from the address or the form.
"""

from __future__ import annotations

import base64
import json
from datetime import date, datetime, timezone

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from bloodbank.domain.errors import DomainError, InvalidInput
from bloodbank.domain.ids import MAX_ID
from bloodbank.domain.messages import N_
from bloodbank.entrypoints import languages
from bloodbank.entrypoints.web.donor_security import DonorCaller, signed_in_donor
from bloodbank.entrypoints.web.errors import status_for
from bloodbank.entrypoints.web.ui.donor_portal.pages import donor_page
from bloodbank.entrypoints.web.ui.donors.desk import form_of
from bloodbank.service_layer.donor_portal import bookings, home_answers, my_data, preferences, private_answer, quiz
from bloodbank.service_layer.donor_portal.my_record import my_record
from bloodbank.service_layer.donors import card as cards
from bloodbank.service_layer.shared.clocks import today_on

router = APIRouter()
KINDS = ("whole_blood", "double_red_cells", "plasma", "platelets")


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _home(request: Request, caller: DonorCaller, status_code: int = 200, **context):
    record = my_record(caller.uow(), donor_id=caller.donor_id)
    return donor_page(request, "my/home.html", caller, status_code=status_code, record=record, **context)


@router.get("/my")
def home(request: Request, caller: DonorCaller = Depends(signed_in_donor)):
    return _home(request, caller)


@router.get("/my/card.pdf")
def card(caller: DonorCaller = Depends(signed_in_donor)):
    made = cards.donor_card(caller.uow(), caller.donor_id, language=languages.current(),
                            catalogue=languages.catalogue, qr=True)
    return Response(made.pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="donor-card-{made.donor_number}.pdf"'})


@router.get("/my/book")
def book_page(request: Request, site_id: int = Query(0, ge=0, le=MAX_ID), on: date | None = Query(None),
              move: int = Query(0, ge=0, le=MAX_ID), caller: DonorCaller = Depends(signed_in_donor)):
    sites = bookings.open_sites(caller.uow())
    site_id = site_id or (sites[0][0] if sites else 0)
    day = on or today_on(timezone.utc)
    slots, error = [], None
    if site_id:
        try:
            slots = bookings.slots(caller.uow(), site_id=site_id, on=day)
        except DomainError as refused:
            error = refused
    return donor_page(request, "my/book.html", caller, sites=sites, site_id=site_id, day=day, slots=slots,
                      move=move, kinds=KINDS, error=error)


@router.post("/my/book")
def book(request: Request, form: FormData = Depends(form_of), caller: DonorCaller = Depends(signed_in_donor)):
    try:
        try:
            site_id, starts_at = int(_text(form, "site_id")), datetime.fromisoformat(_text(form, "starts_at"))
            move = int(_text(form, "move") or 0)
        except ValueError:
            raise InvalidInput(N_("Choose a time from the list.")) from None
        kind = _text(form, "kind") or "whole_blood"
        if move:
            bookings.move(caller.uow(), donor_id=caller.donor_id, appointment_id=move, site_id=site_id,
                          starts_at=starts_at, kind=kind)
        else:
            bookings.book(caller.uow(), donor_id=caller.donor_id, site_id=site_id, starts_at=starts_at, kind=kind)
    except DomainError as error:
        return _home(request, caller, status_code=status_for(error), error=error)
    return RedirectResponse("/my", status_code=303)


@router.post("/my/appointments/{appointment_id}/cancel")
def cancel(request: Request, appointment_id: int = Path(..., ge=1, le=MAX_ID),
           caller: DonorCaller = Depends(signed_in_donor)):
    try:
        bookings.cancel(caller.uow(), donor_id=caller.donor_id, appointment_id=appointment_id)
    except DomainError as error:
        return _home(request, caller, status_code=status_for(error), error=error)
    return RedirectResponse("/my", status_code=303)


@router.get("/my/quiz")
def quiz_page(request: Request, caller: DonorCaller = Depends(signed_in_donor)):
    return donor_page(request, "my/quiz.html", caller, questions=quiz.quiz_questions(caller.uow(),
                                                                                     donor_id=caller.donor_id))


@router.post("/my/quiz")
def take_quiz(request: Request, form: FormData = Depends(form_of), caller: DonorCaller = Depends(signed_in_donor)):
    asked = quiz.quiz_questions(caller.uow(), donor_id=caller.donor_id)
    try:
        result = quiz.take_quiz(caller.uow(), donor_id=caller.donor_id, answers=_answers_of(form, asked))
    except DomainError as error:
        return donor_page(request, "my/quiz.html", caller, status_code=status_for(error), error=error,
                          questions=asked)
    return donor_page(request, "my/quiz.html", caller, questions=asked, result=result)


def _answers_of(form: FormData, asked) -> dict[str, object]:
    answers: dict[str, object] = {}
    for question in asked:
        said = _text(form, question.id)
        if said == "yes" and question.asks_date:
            answers[question.id] = _text(form, f"{question.id}_date") or None
        elif said:
            answers[question.id] = said
    return answers


@router.get("/my/questionnaire")
def questionnaire_page(request: Request, caller: DonorCaller = Depends(signed_in_donor)):
    return donor_page(request, "my/questionnaire.html", caller,
                      questions=quiz.quiz_questions(caller.uow(), donor_id=caller.donor_id))


@router.post("/my/questionnaire")
def answer_at_home(request: Request, form: FormData = Depends(form_of),
                   caller: DonorCaller = Depends(signed_in_donor)):
    asked = quiz.quiz_questions(caller.uow(), donor_id=caller.donor_id)
    try:
        ticket = home_answers.answer_at_home(caller.uow(), donor_id=caller.donor_id, answers=_answers_of(form, asked))
    except DomainError as error:
        return donor_page(request, "my/questionnaire.html", caller, status_code=status_for(error), error=error,
                          questions=asked)
    image = "data:image/svg+xml;base64," + base64.b64encode(ticket.qr_svg.encode("utf-8")).decode("ascii")
    return donor_page(request, "my/questionnaire_code.html", caller, ticket=ticket, image=image)


@router.get("/my/preferences")
def preferences_page(request: Request, caller: DonorCaller = Depends(signed_in_donor)):
    return donor_page(request, "my/preferences.html", caller,
                      prefs=preferences.my_preferences(caller.uow(), donor_id=caller.donor_id))


def _hour(form: FormData, name: str) -> int | None:
    value = _text(form, name)
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(N_("Contact hours are whole hours, from 0 to 24.")) from None


@router.post("/my/preferences")
def set_preferences(request: Request, form: FormData = Depends(form_of),
                    caller: DonorCaller = Depends(signed_in_donor)):
    try:
        limit = _text(form, "monthly_limit")
        if limit and not limit.isdigit():
            raise InvalidInput(N_("The monthly limit is a whole number, from 1 to 31."))
        prefs = preferences.set_my_preferences(
            caller.uow(), donor_id=caller.donor_id, appeals_opt_in=form.get("appeals_opt_in") == "yes",
            contact_from_hour=_hour(form, "contact_from_hour"), contact_until_hour=_hour(form, "contact_until_hour"),
            monthly_limit=int(limit) if limit else None,
            channels=[c for c in form.getlist("channels") if isinstance(c, str)] or None,
            blood_used_opt_in=form.get("blood_used_opt_in") == "yes", available_now=form.get("available_now") == "yes")
    except DomainError as error:
        return donor_page(request, "my/preferences.html", caller, status_code=status_for(error), error=error,
                          prefs=preferences.my_preferences(caller.uow(), donor_id=caller.donor_id))
    return donor_page(request, "my/preferences.html", caller, prefs=prefs, notice=N_("Your choices are saved."))


@router.get("/my/private")
def private_page(request: Request, caller: DonorCaller = Depends(signed_in_donor)):
    return donor_page(request, "my/private.html", caller)


@router.post("/my/private")
def answer_privately(request: Request, form: FormData = Depends(form_of),
                     caller: DonorCaller = Depends(signed_in_donor)):
    try:
        private_answer.answer_privately(caller.database, donor_id=caller.donor_id, choice=_text(form, "choice"))
    except DomainError as error:
        return donor_page(request, "my/private.html", caller, status_code=status_for(error), error=error)
    # Both answers lead to the same page, by the same address.
    return RedirectResponse("/my/private/thanks", status_code=303)


@router.get("/my/private/thanks")
def private_thanks(request: Request, caller: DonorCaller = Depends(signed_in_donor)):
    return donor_page(request, "my/private_thanks.html", caller)


@router.get("/my/data")
def data_page(request: Request, caller: DonorCaller = Depends(signed_in_donor)):
    return donor_page(request, "my/data.html", caller, erasure=my_data.my_erasure(caller.uow(),
                                                                                  donor_id=caller.donor_id))


@router.get("/my/data.json")
def data_json(caller: DonorCaller = Depends(signed_in_donor)):
    copy = my_data.my_data_copy(caller.uow(), donor_id=caller.donor_id)
    return Response(json.dumps(jsonable_encoder(copy), ensure_ascii=False, indent=1), media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="donor-{copy.donor_number}-data.json"'})


@router.get("/my/data.pdf")
def data_pdf(caller: DonorCaller = Depends(signed_in_donor)):
    return Response(my_data.my_data_copy_pdf(caller.uow(), donor_id=caller.donor_id, language=languages.current(),
                                             catalogue=languages.catalogue), media_type="application/pdf",
                    headers={"Content-Disposition":
                             f'attachment; filename="donor-{caller.donor.donor_number}-data.pdf"'})


@router.post("/my/erasure")
def request_erasure(request: Request, form: FormData = Depends(form_of),
                    caller: DonorCaller = Depends(signed_in_donor)):
    if form.get("understood") != "yes":
        return donor_page(request, "my/data.html", caller, status_code=422,
                          error=N_("Tick the box to say you have read what is kept and why."),
                          erasure=my_data.my_erasure(caller.uow(), donor_id=caller.donor_id))
    erasure = my_data.request_erasure(caller.uow(), donor_id=caller.donor_id)
    return donor_page(request, "my/data.html", caller, erasure=erasure,
                      notice=N_("Your request is filed. Staff will act on it and write to you."))
