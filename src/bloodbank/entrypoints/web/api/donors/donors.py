"""REST endpoints: donors, their deferrals, their donor card, the merge of duplicate records and erasure.

A registration that may be a person already on file answers 409 with the
candidates and writes nothing: the client then merges, or sends the
registration again naming the records the person is confirmed not to be.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from bloodbank.domain.access import Permission
from bloodbank.domain.erasure import REQUEST_CHANNELS
from bloodbank.entrypoints import languages
from bloodbank.entrypoints.web.api.common import MAX_ID, IdField, Page, PageParams, page_params, paginate
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.entrypoints.web.signing import signed
from bloodbank.service_layer.blood import donor_results
from bloodbank.service_layer.blood.testing import ResultView
from bloodbank.service_layer.donors import (
    deferrals, merge as donor_merge, registry as donors, search as donor_search,
)
from bloodbank.service_layer.donors import appeal_preferences, card as card_pdfs, data_copy as data_copies, erasure
from bloodbank.service_layer.donors.appeal_preferences import AppealPreferences
from bloodbank.service_layer.donors.deferrals import DeferralStatus, DeferralSummary, DeferralView
from bloodbank.service_layer.donors.erasure import ErasureStatement
from bloodbank.service_layer.donors.registry import DonorView

router = APIRouter(tags=["donors"])

# Years outside these are typing errors, and date arithmetic near year 1 or 9999 overflows.
FIRST_YEAR, LAST_YEAR = 1900, 2200


def _sane_date(value: date) -> date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"the year must be between {FIRST_YEAR} and {LAST_YEAR}")
    return value


def _sane_datetime(value: datetime) -> datetime:
    _sane_date(value.date())
    return value


SaneDate = Annotated[date, AfterValidator(_sane_date)]
SaneDateTime = Annotated[datetime, AfterValidator(_sane_datetime)]
RecordId = IdField


def record_id(what: str):
    return Path(..., ge=1, le=MAX_ID, description=f"The {what}'s id.")


class RegisterDonor(BaseModel):
    model_config = ConfigDict(extra="forbid")

    given_name: str = Field(max_length=100)
    family_name: str = Field(max_length=100)
    date_of_birth: SaneDate
    sex: str = Field(max_length=1, description="F or M")
    phone: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=200)
    address: str = Field("", max_length=300)
    postcode: str = Field("", max_length=20)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    blood_group: str | None = Field(None, max_length=10)
    preferred_site_id: RecordId | None = None
    appeals_opt_in: bool = False
    language: str | None = Field(None, max_length=8, description="The language the donor reads: en, fr or ar "
                                                                 "(none: their browser's).")
    not_duplicate_of: list[RecordId] = Field(
        default_factory=list, max_length=50,
        description="Ids of records a 409 named that the person is confirmed NOT to be (checked with the donor).",
    )


class MergeDonors(BaseModel):
    model_config = ConfigDict(extra="forbid")

    duplicate_id: RecordId = Field(description="The second record of the same person, merged into this one.")
    reason: str = Field(min_length=1, max_length=500, description="How you know the records are one person.")


class AddDeferral(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(max_length=60, description="A code of the deferral vocabulary.")
    kind: str = Field(max_length=20, description="temporary or permanent")
    reason: str = Field(max_length=2000, description="Shown only to staff allowed to read deferral reasons.")
    starts_on: SaneDate | None = None
    ends_on: SaneDate | None = None


class LiftDeferral(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(max_length=2000)


@router.post("/donors", status_code=201, summary="Register a donor (409 with candidates if possibly on file)",
             responses={409: {"description": "Possibly a person already on file: `candidates` lists them; "
                                             "nothing was saved."}})
def register(body: RegisterDonor, caller: Caller = Depends(require(Permission.DONORS_WRITE))) -> DonorView:
    fields = body.model_dump(exclude={"not_duplicate_of"})
    return donors.register_donor(caller.uow(), **fields, confirm_new_person_despite=tuple(body.not_duplicate_of))


@router.get("/donors", summary="Search donors by name words, date of birth, phone or donor number")
def search(
    q: str = Query("", max_length=200, description="Words matching name parts, the donor number or the phone."),
    date_of_birth: Annotated[SaneDate | None, Query()] = None,
    phone: str | None = Query(None, max_length=40),
    donor_number: str | None = Query(None, max_length=20),
    page: PageParams = Depends(page_params),
    caller: Caller = Depends(require(Permission.DONORS_READ)),
) -> Page[DonorView]:
    found = donor_search.find_donors(caller.uow(), text=q, date_of_birth=date_of_birth, phone=phone,
                               donor_number=donor_number, limit=page.limit, offset=page.offset)
    return Page(items=found.items, total=found.total, limit=page.limit, offset=page.offset,
                total_capped=found.capped)


@router.get("/donors/{donor_id}/data-copy",
            summary="Everything held about the donor, for the donor (their right of access), as data")
def data_copy_json(donor_id: int = record_id("donor"),
                   caller: Caller = Depends(require(Permission.DATA_COPY))) -> data_copies.DataCopy:
    return data_copies.data_copy(caller.uow(), donor_id=donor_id)


@router.get("/donors/{donor_id}/data-copy.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}, "description": "The copy as a document."}},
            summary="Everything held about the donor, for the donor, as a document")
def data_copy_pdf(donor_id: int = record_id("donor"),
                  caller: Caller = Depends(require(Permission.DATA_COPY))) -> Response:
    copy = data_copies.data_copy(caller.uow(), donor_id=donor_id)
    return Response(data_copies.data_copy_document(copy, language=languages.current(),
                                                                   catalogue=languages.catalogue), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="donor-{copy.donor_number}-data.pdf"'})


@router.get("/donors/{donor_id}", summary="A donor's record (a merged record gives its survivor)")
def get(donor_id: int = record_id("donor"), caller: Caller = Depends(require(Permission.DONORS_READ))) -> DonorView:
    return donors.get_donor(caller.uow(), donor_id)


class AppealTerms(BaseModel):
    model_config = ConfigDict(extra="forbid")
    appeals_opt_in: bool
    contact_from_hour: int | None = Field(None, ge=0, le=23, description="Contact from this hour, site clock.")
    contact_until_hour: int | None = Field(None, ge=1, le=24, description="Contact until this hour.")
    monthly_limit: int | None = Field(None, ge=1, le=31, description="Appeals in 30 days at most.")
    channels: list[Literal["sms", "email"]] = Field(default_factory=list, max_length=2,
                                                    description="In the donor's order of preference.")


@router.put("/donors/{donor_id}/appeal-preferences",
            summary="The donor's own terms for appeals: yes or no, contact hours, monthly limit, channels")
def set_appeal_terms(body: AppealTerms, donor_id: int = record_id("donor"),
                     caller: Caller = Depends(require(Permission.DONORS_WRITE))) -> AppealPreferences:
    return appeal_preferences.set_appeal_preferences(
        caller.uow(), donor_id, appeals_opt_in=body.appeals_opt_in, contact_from_hour=body.contact_from_hour,
        contact_until_hour=body.contact_until_hour, monthly_limit=body.monthly_limit, channels=body.channels)


@router.get("/donors/{donor_id}/card.pdf", response_class=Response, summary="The donor card, as a PDF",
            responses={200: {"content": {"application/pdf": {}}}})
def card(donor_id: int = record_id("donor"), caller: Caller = Depends(require(Permission.DONORS_READ))) -> Response:
    made = card_pdfs.donor_card(caller.uow(), donor_id, language=languages.current(), catalogue=languages.catalogue)
    return Response(made.pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="donor-card-{made.donor_number}.pdf"'})


@router.post("/donors/{donor_id}/merge", summary="Merge a duplicate record of the same person into this one")
def merge(body: MergeDonors, donor_id: int = record_id("record to keep"),
          caller: Caller = Depends(require(Permission.DONORS_MERGE))) -> DonorView:
    return donor_merge.merge_donors(caller.uow(), survivor_id=donor_id, duplicate_id=body.duplicate_id,
                                    reason=body.reason)


@router.get("/donors/{donor_id}/results", summary="Test results of the donor's donations (a sensitive read)")
def results(donor_id: int = record_id("donor"),
            caller: Caller = Depends(require(Permission.RESULTS_READ))) -> list[ResultView]:
    return donor_results.donor_test_results(caller.uow(), donor_id)


# ---------------------------------------------------------------- deferrals


@router.get("/donors/{donor_id}/deferrals", summary="The donor's deferrals: dates only, no code, no reason")
def list_deferrals(donor_id: int = record_id("donor"), page: PageParams = Depends(page_params),
                   caller: Caller = Depends(require(Permission.DONORS_READ))) -> Page[DeferralSummary]:
    return paginate(deferrals.list_deferral_dates(caller.uow(), donor_id), page)


@router.get("/donors/{donor_id}/deferrals/reasons",
            summary="The donor's deferrals with codes and reasons (a sensitive read: logged)")
def list_deferral_reasons(donor_id: int = record_id("donor"), page: PageParams = Depends(page_params),
                          caller: Caller = Depends(require(Permission.DEFERRAL_REASONS))) -> Page[DeferralView]:
    return paginate(deferrals.list_deferrals(caller.uow(), donor_id, include_reasons=True), page)


@router.get("/donors/{donor_id}/deferral-status", summary="Deferred or not, and until when (no reasons)")
def deferral_status(donor_id: int = record_id("donor"),
                    on: Annotated[SaneDate | None, Query(description="Default: today.")] = None,
                    caller: Caller = Depends(require(Permission.DONORS_READ))) -> DeferralStatus:
    return deferrals.deferral_status(caller.uow(), donor_id, on)


@router.post("/donors/{donor_id}/deferrals", status_code=201, summary="Defer a donor")
def add_deferral(body: AddDeferral, donor_id: int = record_id("donor"),
                 caller: Caller = Depends(require(Permission.DEFERRALS_WRITE))) -> DeferralView:
    return deferrals.add_deferral(caller.uow(), donor_id=donor_id, **body.model_dump())


@router.post("/deferrals/{deferral_id}/lift", summary="Lift a deferral (the record is kept)")
def lift_deferral(body: LiftDeferral, deferral_id: int = record_id("deferral"),
                  caller: Caller = Depends(require(Permission.DEFERRALS_WRITE))) -> DeferralView:
    return deferrals.lift_deferral(caller.uow(), deferral_id=deferral_id, reason=body.reason)


# ---------------------------------------------------------------- erasure at the donor's request


class EraseDonor(BaseModel):
    model_config = ConfigDict(extra="forbid")

    requested_on: SaneDate = Field(description="The day the donor asked for their data to be erased.")
    channel: Literal[REQUEST_CHANNELS] = Field(description="How they asked.")
    signature_password: str = Field(min_length=1, max_length=200,
                                    description="Your own password: you sign the erasure, which cannot be undone.")


@router.get("/donors/{donor_id}/erasure",
            summary="What an erasure of the person erases and keeps, and why; once erased, its statement")
def erasure_statement(donor_id: int = record_id("donor"),
                      caller: Caller = Depends(require(Permission.ERASURE))) -> ErasureStatement:
    return erasure.statement_or_preview(caller.uow(), donor_id)


@router.post("/donors/{donor_id}/erasure", status_code=201,
             summary="Erase the person's personal data at their request (every record of theirs; signed; cannot "
                     "be undone): the statement of what was erased and kept")
def erase(body: EraseDonor, donor_id: int = record_id("donor"),
          caller: Caller = Depends(require(Permission.ERASURE))) -> ErasureStatement:
    return signed(caller, password=body.signature_password, action="erase",
                  act=lambda: erasure.erase_donor(caller.uow(), donor_ref=donor_id, requested_on=body.requested_on,
                                                  channel=body.channel),
                  record=lambda statement: (statement.donor_number, "donor", statement.donor_id))
