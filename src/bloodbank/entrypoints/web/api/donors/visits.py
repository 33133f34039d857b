"""REST endpoints: the visit, from check-in to consent, and the donor's private answer.

The donor may withdraw at any step and owes no reason, so no withdrawal body
has a reason field. The confidential "do not use my blood" answers the same
whichever choice was made: nothing in the reply, its status or its size tells.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from bloodbank.config import get_settings
from bloodbank.domain import questionnaire
from bloodbank.domain.access import Permission
from bloodbank.entrypoints.web.api.common import Page, PageParams, page_params, paginate
from bloodbank.entrypoints.web.api.donors.donors import MAX_ID, RecordId, record_id
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.entrypoints.web.signing import signed
from bloodbank.service_layer.blood import self_exclusion
from bloodbank.service_layer.donors import consent, same_day, screening, visits
from bloodbank.service_layer.donors.consent import ConsentView, WithdrawalView
from bloodbank.service_layer.donors.screening import ScreeningView
from bloodbank.service_layer.donors.visits import VisitDetail, VisitHistoryItem, VisitView

router = APIRouter(tags=["visits"])

Step = Literal["check_in", "questionnaire", "screening", "consent", "collection"]
Kind = Annotated[str, Field(max_length=30, description="whole_blood, double_red_cells, plasma or platelets")]


class CheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    donor_id: RecordId
    site_id: RecordId
    appointment_id: RecordId | None = None
    kind: Kind = "whole_blood"


class Screening(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: dict[Annotated[str, Field(max_length=40)], bool | Annotated[str, Field(max_length=20)]] = Field(
        max_length=60,
        description="Question id → answer: true/false or yes/no; a dated question takes no or the date "
                    "(YYYY-MM-DD). See GET /api/questionnaire.",
    )
    weight_kg: float | None = Field(None, ge=0, le=1000)
    hemoglobin_g_dl: float | None = Field(None, ge=0, le=100)
    systolic: int | None = Field(None, ge=0, le=1000)
    diastolic: int | None = Field(None, ge=0, le=1000)
    pulse: int | None = Field(None, ge=0, le=1000)
    temperature_c: float | None = Field(None, ge=0, le=100)


class GiveConsent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    confirmed_by_donor: bool = Field(description="The donor read the text and confirmed their consent themselves.")
    text_version: str | None = Field(None, max_length=20, description="The consent text shown; default: current.")


class Withdraw(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step: Step


class ConfidentialChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    choice: Literal["use", "not"] = Field(description='"use": use my blood; "not": do not use my blood.')


class ConfidentialAnswer(BaseModel):
    message: str


class QuestionOut(BaseModel):
    id: str
    text: str
    clerk_text: str
    asks_date: bool
    date_meaning: str | None
    defers_on: bool
    only_for_sex: str | None


class Questionnaire(BaseModel):
    version: str
    questions: list[QuestionOut]


class ConsentText(BaseModel):
    version: str


THANK_YOU = "Thank you. Your answer has been recorded."


@router.get("/questionnaire", summary="The pre-donation questions of the current version")
def get_questionnaire(_caller: Caller = Depends(require(Permission.VISITS))) -> Questionnaire:
    return Questionnaire(version=questionnaire.CURRENT_VERSION, questions=[
        QuestionOut(id=q.id, text=q.donor_text, clerk_text=q.clerk_text, asks_date=q.asks_date,
                    date_meaning=q.since, defers_on=q.defers_on, only_for_sex=q.only_for_sex)
        for q in questionnaire.questions()
    ])


@router.get("/consent-text", summary="The version of the consent text donors confirm now")
def consent_text(_caller: Caller = Depends(require(Permission.VISITS))) -> ConsentText:
    return ConsentText(version=get_settings().consent_text_version)


@router.post("/visits", status_code=201, summary="Check a donor in (a deferred donor is refused here)")
def check_in(body: CheckIn, caller: Caller = Depends(require(Permission.VISITS))) -> VisitView:
    return visits.check_in(caller.uow(), **body.model_dump())


@router.get("/visits", summary="Today's open visits at a site, in order of arrival")
def open_visits(site_id: int = Query(..., ge=1, le=MAX_ID), page: PageParams = Depends(page_params),
                caller: Caller = Depends(require(Permission.VISITS))) -> Page[VisitView]:
    return paginate(visits.list_open_visits(caller.uow(), site_id), page)


@router.get("/visits/{visit_id}",
            summary="A visit: state, decision (its reasons only for those granted deferral reasons), consent, donation")
def get_visit(visit_id: int = record_id("visit"), caller: Caller = Depends(require(Permission.VISITS))) -> VisitDetail:
    return visits.visit_detail(caller.uow(), visit_id, reasons=caller.principal.may(Permission.DEFERRAL_REASONS))


@router.get("/donors/{donor_id}/visits", summary="A donor's visits, newest first, with their donations")
def donor_visits(donor_id: int = record_id("donor"), page: PageParams = Depends(page_params),
                 caller: Caller = Depends(require(Permission.DONORS_READ))) -> Page[VisitHistoryItem]:
    return paginate(visits.donor_history(caller.uow(), donor_id), page)


@router.post("/visits/{visit_id}/screening",
             summary="Questionnaire and measurements: the eligibility decision, every reason, next eligible date")
def screen(body: Screening, visit_id: int = record_id("visit"),
           caller: Caller = Depends(require(Permission.VISITS))) -> ScreeningView:
    return screening.record_screening(caller.uow(), visit_id=visit_id, **body.model_dump(),
                                      reasons=caller.principal.may(Permission.DEFERRAL_REASONS))


class AllowRescreen(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000, description="Why the donor may be screened again today.")
    signature_password: str = Field(min_length=1, max_length=200,
                                    description="Your own password: you sign the override.")


@router.post("/visits/{visit_id}/rescreen-override",
             summary="A medical director's signed override: a donor found not eligible today may be screened again")
def allow_rescreen(body: AllowRescreen, visit_id: int = record_id("visit"),
                   caller: Caller = Depends(require(Permission.DEFERRALS_WRITE))) -> VisitView:
    return signed(caller, password=body.signature_password, action="override",
                  act=lambda: same_day.allow_rescreen(caller.uow(), visit_id=visit_id, reason=body.reason),
                  record=lambda view: (same_day.override_subject(view), "visit", view.id))


@router.post("/visits/{visit_id}/consent", status_code=201, summary="Record the donor's own consent")
def give_consent(body: GiveConsent, visit_id: int = record_id("visit"),
                 caller: Caller = Depends(require(Permission.VISITS))) -> ConsentView:
    version = body.text_version or get_settings().consent_text_version
    return consent.give_consent(caller.uow(), visit_id=visit_id, text_version=version,
                                confirmed_by_donor=body.confirmed_by_donor)


@router.post("/visits/{visit_id}/withdrawal", summary="The donor withdraws, at any step; no reason is asked")
def withdraw(body: Withdraw, visit_id: int = record_id("visit"),
             caller: Caller = Depends(require(Permission.VISITS))) -> WithdrawalView:
    return consent.withdraw(caller.uow(), visit_id=visit_id, step=body.step)


@router.post("/visits/{visit_id}/confidential",
             summary="The donor's private answer: use my blood, or do not (the reply is the same for both)")
def confidential(body: ConfidentialChoice, visit_id: int = record_id("visit"),
                 caller: Caller = Depends(require(Permission.VISITS))) -> ConfidentialAnswer:
    self_exclusion.record_confidential_choice(caller.uow(), visit_id=visit_id, choice=body.choice)
    return ConfidentialAnswer(message=THANK_YOU)
