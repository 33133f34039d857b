"""REST endpoints: at the bedside. Start (after the bedside scans), vital signs, end, reactions, returns.

Times are the server's: a time typed at the bedside is not evidence.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from bloodbank.domain import haemovigilance as hv
from bloodbank.domain.access import Permission
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.ids import MAX_ID
from bloodbank.entrypoints.web.api.common import Page, PageParams, page_params
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.service_layer.hospital import returns, transfusion

router = APIRouter(tags=["transfusion"])

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
OptionalId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Category = Literal[tuple(hv.REACTION_CATEGORIES)]  # type: ignore[valid-type]
Severity = Literal[tuple(hv.SEVERITIES)]  # type: ignore[valid-type]
Imputability = Literal[tuple(hv.IMPUTABILITY)]  # type: ignore[valid-type]
Outcome = Literal[transfusion.OUTCOMES]  # type: ignore[valid-type]

TRANSFUSION = Depends(require(Permission.TRANSFUSION))


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Vitals(Strict):
    """Bounds here only keep nonsense out; the plausible ranges and their messages are the domain's."""

    temperature_c: float | None = Field(None, ge=0, le=100)
    pulse: int | None = Field(None, ge=0, le=1000)
    systolic: int | None = Field(None, ge=0, le=1000)
    diastolic: int | None = Field(None, ge=0, le=1000)
    respiratory_rate: int | None = Field(None, ge=0, le=1000)
    spo2: int | None = Field(None, ge=0, le=1000)

    def given(self) -> dict:
        return self.model_dump(exclude_none=True)


class Start(Strict):
    issue_id: int = Field(ge=1, le=MAX_ID)
    scanned_unit: str = Field(min_length=1, max_length=60, description="The unit's DIN, scanned at the bedside.")
    scanned_patient: str = Field(min_length=1, max_length=200, description="The identity band, scanned.")
    vitals_before: Vitals
    checked_by: str | None = Field(None, max_length=100, description="The second person checking, if any: their "
                                                                      "user name.")
    scanned_tag: str | None = Field(None, max_length=40, description="The compatibility tag on the bag, scanned: "
                                                                      "it must be this issue's.")
    checker_password: str | None = Field(None, max_length=1000, description="The second checker's own password, "
                                                                            "typed by them: it proves they checked.")


class During(Strict):
    vitals: Vitals


class End(Strict):
    volume_given_ml: int = Field(ge=0, le=10_000)
    outcome: Outcome
    vitals_after: Vitals


class Reaction(Strict):
    category: Category
    severity: Severity
    imputability: Imputability
    description: str = Field(min_length=1, max_length=4000)


class Return(Strict):
    issue_id: int | None = Field(None, ge=1, le=MAX_ID, description="The issue; or leave it out and scan the bag.")
    scanned_unit: str | None = Field(None, max_length=60, description="The DIN scanned from the bag brought back "
                                                                      "(its product code may follow).")
    scanned_product: str | None = Field(None, max_length=20)
    minutes_out_of_storage: int = Field(ge=0, le=100_000)
    kept_in_cold_chain: bool
    note: str = Field("", max_length=1000)


class Choice(BaseModel):
    code: str
    name: str
    meaning: str


class Vocabulary(BaseModel):
    categories: list[Choice]
    severities: list[Choice]
    imputability: list[Choice]
    outcomes: list[str]


@router.get("/transfusion-vocabulary", summary="Reaction categories (ISBT), severity and imputability grades")
def vocabulary(_caller: Caller = TRANSFUSION) -> Vocabulary:
    return Vocabulary(
        categories=[Choice(code=c.code, name=c.name, meaning=f"{c.onset}: {c.summary}")
                    for c in hv.REACTION_CATEGORIES.values()],
        severities=[Choice(code=g.code, name=g.name, meaning=g.meaning) for g in hv.SEVERITIES.values()],
        imputability=[Choice(code=g.code, name=g.name, meaning=g.meaning) for g in hv.IMPUTABILITY.values()],
        outcomes=list(transfusion.OUTCOMES),
    )


@router.post("/transfusions", status_code=201,
             summary="Start at the bedside: the unit and the identity band are scanned and must match the issue")
def start_transfusion(body: Start, caller: Caller = TRANSFUSION) -> transfusion.TransfusionView:
    return transfusion.start_transfusion(caller.uow(), issue_id=body.issue_id, scanned_unit=body.scanned_unit,
                                         scanned_patient=body.scanned_patient,
                                         vitals_before=body.vitals_before.given(), checked_by=body.checked_by,
                                         checker_password=body.checker_password, scanned_tag=body.scanned_tag)


@router.get("/transfusions", summary="Transfusions, newest first: of a patient, of an issue, or all")
def list_transfusions(patient_id: OptionalId = None, issue_id: OptionalId = None,
                      page: PageParams = Depends(page_params),
                      caller: Caller = TRANSFUSION) -> Page[transfusion.TransfusionView]:
    items, total = transfusion.list_transfusions(caller.uow(), patient_id=patient_id, issue_id=issue_id,
                                                 limit=page.limit, offset=page.offset)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/transfusions/{transfusion_id}")
def get_transfusion(transfusion_id: Id, caller: Caller = TRANSFUSION) -> transfusion.TransfusionView:
    return transfusion.get_transfusion(caller.uow(), transfusion_id)


@router.post("/transfusions/{transfusion_id}/vitals", summary="Observations during the transfusion")
def record_vitals(body: During, transfusion_id: Id, caller: Caller = TRANSFUSION) -> transfusion.TransfusionView:
    return transfusion.record_vitals(caller.uow(), transfusion_id=transfusion_id, vitals=body.vitals.given())


@router.post("/transfusions/{transfusion_id}/end", summary="End: the volume given, the outcome, vital signs after")
def end_transfusion(body: End, transfusion_id: Id, caller: Caller = TRANSFUSION) -> transfusion.TransfusionView:
    return transfusion.end_transfusion(caller.uow(), transfusion_id=transfusion_id,
                                       volume_given_ml=body.volume_given_ml, outcome=body.outcome,
                                       vitals_after=body.vitals_after.given())


@router.post("/transfusions/{transfusion_id}/reactions", status_code=201,
             summary="Report an adverse reaction; a serious one opens a follow-up of every donor behind the unit")
def report_reaction(body: Reaction, transfusion_id: Id,
                    caller: Caller = TRANSFUSION) -> transfusion.ReactionView:
    return transfusion.report_reaction(caller.uow(), transfusion_id=transfusion_id, **body.model_dump())


@router.get("/issues/{issue_id}/bedside", summary="An issued unit at the bedside: its transfusion or its return")
def bedside(issue_id: Id, caller: Caller = TRANSFUSION) -> transfusion.BedsideRecord:
    return transfusion.bedside_record(caller.uow(), issue_id=issue_id)


@router.post("/returns", status_code=201,
             summary="A unit sent back unused: restocked if its time and temperature allow, else discarded")
def return_unit(body: Return, caller: Caller = TRANSFUSION) -> returns.ReturnView:
    if (body.issue_id is None) == (body.scanned_unit is None):
        raise InvalidInput("Give either the issue or the scanned DIN of the bag brought back, not both and not "
                           "neither.")
    issue_id = body.issue_id or returns.issue_of_scanned_unit(caller.uow(), scanned_unit=body.scanned_unit,
                                                              scanned_product=body.scanned_product)
    return returns.return_unit(caller.uow(), issue_id=issue_id, minutes_out_of_storage=body.minutes_out_of_storage,
                               kept_in_cold_chain=body.kept_in_cold_chain, note=body.note)
