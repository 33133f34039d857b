"""REST endpoints: trace a DIN, look back from a donor, recall units.

Trace and lookback name donors and recipients: the use cases write a "read"
entry in the audit log for each one shown, in the name of the caller.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from bloodbank.domain.access import Permission
from bloodbank.entrypoints.web.api.common import MAX_ID, Id, IdField, Page, PageParams, page_params
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.entrypoints.web.signing import signed
from bloodbank.service_layer.traceability import recall as recalls, recall_follow_up, trace as tracing
from bloodbank.service_layer.traceability.recall_follow_up import RecallTask
from bloodbank.service_layer.traceability.recall import RecallView
from bloodbank.service_layer.traceability.trace_views import Lookback, RecentIssue, Trace, TraceSearch

router = APIRouter(tags=["trace"])

DinText = Path(..., min_length=1, max_length=40,
               description="Scanned (`=G123498654321 00`), eye-readable (`G1234 98 654321 H`) or bare.")


class NewRecall(BaseModel):
    """Recall by exactly one of: a donor (id or number), a DIN, or a list of donations."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500,
                        description="Why: it goes to every site holding the units.")
    din: str | None = Field(None, max_length=40)
    donor_number: str | None = Field(None, max_length=20)
    donor_id: IdField | None = None
    donation_ids: list[IdField] | None = Field(None, min_length=1, max_length=500)
    signature_password: str = Field(min_length=1, max_length=200,
                                    description="Your own password: you sign the recall.")


@router.get("/trace", summary="Recently issued units: where a trace usually starts (no patient is shown)")
def recent(limit: int = Query(10, ge=1, le=100),
           caller: Caller = Depends(require(Permission.TRACE))) -> list[RecentIssue]:
    return tracing.recent_issues(caller.uow(), limit=limit)


@router.get("/trace/search", summary="One search box: a DIN gives its trace, a donor number its lookback")
def search(q: str = Query(..., min_length=1, max_length=40),
           caller: Caller = Depends(require(Permission.TRACE))) -> TraceSearch:
    return tracing.search_as(caller.uow(), q, role=caller.principal.role)


@router.get("/trace/{din}", summary="Vein to vein from a DIN: donor, donation, every component and its fate")
def trace(din: str = DinText, caller: Caller = Depends(require(Permission.TRACE))) -> Trace:
    """Every unit holding this DIN's blood, across splits and pools: product, status, current tests,
    movements, fate and each recipient. A pool's DIN leads up to every source donation and its donor.
    Test results are given only to roles that may read results (`tests` is empty otherwise)."""
    return tracing.trace_din_as(caller.uow(), din, role=caller.principal.role)


@router.get("/lookback/{donor_ref}", summary="Every recipient of one donor's blood")
def lookback(donor_ref: str = Path(..., min_length=1, max_length=20,
                                   description="Donor number (e.g. D00004213) or donor id."),
             caller: Caller = Depends(require(Permission.TRACE))) -> Lookback:
    """Across every donation of the person (merged records included), through splits and pools."""
    ref: str | int = donor_ref
    if donor_ref.isascii() and donor_ref.isdigit() and int(donor_ref) <= MAX_ID:
        ref = int(donor_ref)
    return tracing.lookback_as(caller.uow(), ref, role=caller.principal.role)


@router.post("/recalls", status_code=201, summary="Open a recall (signed): every unit holding the blood")
def open_recall(body: NewRecall, caller: Caller = Depends(require(Permission.RECALL))) -> RecallView:
    """Units in stock or on the road are recalled, issued ones called back from the ward, running
    transfusions flagged for an urgent call, transfused ones listed for a lookback. Needs your signature:
    a wrong password is refused and nothing is recalled."""
    fields = body.model_dump(exclude={"signature_password"})
    return signed(caller, password=body.signature_password, action="recall",
                  act=lambda: recalls.recall(caller.uow(), **fields),
                  record=lambda result: (recalls.recall_subject(result), "recall", result.recall_id))


@router.get("/recalls", summary="Recalls, newest first, each with the units it reached")
def list_recalls(page: PageParams = Depends(page_params),
                 caller: Caller = Depends(require(Permission.TRACE))) -> Page[RecallView]:
    items, total = recalls.recalls_page(caller.uow(), limit=page.limit, offset=page.offset)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


class Handling(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=1, max_length=recall_follow_up.MAX_NOTE,
                      description="What was done with the unit: returned, destroyed, the recipient's doctor told…")


@router.get("/recalls/open", summary="Units recalled that the stock or the wards must still act on")
def open_recall_tasks(side: recall_follow_up.Side = Query(..., description="stock or ward"),
                      site_id: int | None = Query(None, ge=1, le=MAX_ID),
                      hospital_id: int | None = Query(None, ge=1, le=MAX_ID,
                                                      description="Only units issued to this hospital."),
                      caller: Caller = Depends(require(Permission.UNITS_READ))) -> list[RecallTask]:
    return recall_follow_up.open_recall_tasks(caller.uow(), side=side, site_id=site_id, hospital_id=hospital_id)


@router.post("/recalls/{recall_id}/units/{unit_id}/handled-in-stock",
             summary="What the blood bank did with a unit the recall took out of its stock")
def handled_in_stock(body: Handling, recall_id: Id, unit_id: Id,
                     caller: Caller = Depends(require(Permission.INVENTORY_WRITE))) -> RecallTask:
    return recall_follow_up.record_handling(caller.uow(), recall_id=recall_id, unit_id=unit_id, side="stock",
                                            note=body.note)


@router.post("/recalls/{recall_id}/units/{unit_id}/handled-on-ward",
             summary="What the ward did with an issued or transfused unit the recall reached")
def handled_on_ward(body: Handling, recall_id: Id, unit_id: Id,
                    caller: Caller = Depends(require(Permission.TRANSFUSION))) -> RecallTask:
    return recall_follow_up.record_handling(caller.uow(), recall_id=recall_id, unit_id=unit_id, side="ward",
                                            note=body.note)


@router.get("/recalls/{recall_id}", summary="One recall and its units: status then and now, what to do")
def get_recall(recall_id: Id, caller: Caller = Depends(require(Permission.TRACE))) -> RecallView:
    return recalls.get_recall(caller.uow(), recall_id)
