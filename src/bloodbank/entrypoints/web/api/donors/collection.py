"""REST endpoints: collection. The DIN is assigned here, at the needle, and every time is the server's."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from bloodbank.domain.access import Permission
from bloodbank.domain.ids import MAX_ID
from bloodbank.entrypoints.web.api.common import Page, PageParams, page_params, paginate
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.service_layer.donors import chair, collection, din_labels as din_sheets
from bloodbank.service_layer.donors.chair import CollectionVisitView, ReadyVisitView
from bloodbank.service_layer.donors.collection import CollectionView, ReactionView

router = APIRouter(tags=["collection"])

# Wide enough that the use case, not the validator, explains a wrong volume in the clerk's words.
VOLUME = dict(ge=-100_000, le=100_000)
DonationStatus = Literal["in_progress", "complete", "aborted"]
PDF = {200: {"content": {"application/pdf": {}}, "description": "The PDF to print."}}


def _id(what: str):
    return Path(..., ge=1, le=MAX_ID, description=f"The {what}'s id.")


class StartCollection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    visit_id: int = Field(ge=1, le=MAX_ID)
    bag_type: str = Field(min_length=1, max_length=40, description="single, low_volume, double, triple, "
                                                                  "quadruple, top_and_bottom or apheresis")
    bag_lot: str = Field(min_length=1, max_length=80, description="The lot number printed on the bag.")
    planned_volume_ml: int | None = Field(
        None, **VOLUME,
        description="mL; refused above the donor's weight-based maximum. Default: the bag's nominal volume.")


class FinishCollection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    volume_ml: int = Field(**VOLUME, description="Collected volume in mL, anticoagulant excluded.")


class AbortCollection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500, description="For example: vein lost, donor withdrew.")
    volume_ml: int | None = Field(None, **VOLUME, description="What is in the bag, if anything, in mL.")


class NewReaction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(min_length=1, max_length=40, description="vasovagal, haematoma, arterial_puncture, "
                                                             "nerve_injury, citrate_reaction or other")
    severity: str = Field(min_length=1, max_length=20, description="mild, moderate or severe")
    outcome: str = Field(min_length=1, max_length=2000, description="What was done and how the donor left.")


@router.get("/collection/ready-visits",
            summary="Today's visits at a site that are screened eligible and consented, first consented first")
def ready_visits(site_id: int = Query(..., ge=1, le=MAX_ID), page: PageParams = Depends(page_params),
                 caller: Caller = Depends(require(Permission.COLLECTION))) -> Page[ReadyVisitView]:
    return paginate(chair.ready_for_collection(caller.uow(), site_id=site_id), page)


@router.get("/collection/visits/{visit_id}",
            summary="One visit at the chair: donor, consent, eligibility, safe volume, and its donation if any")
def collection_visit(visit_id: int = _id("visit"),
                     caller: Caller = Depends(require(Permission.COLLECTION))) -> CollectionVisitView:
    return chair.collection_visit(caller.uow(), visit_id=visit_id)


@router.post("/donations", status_code=201,
             summary="Start a collection: checks deferral, consent, eligibility and safe volume, then assigns the DIN")
def start_collection(body: StartCollection,
                     caller: Caller = Depends(require(Permission.COLLECTION))) -> CollectionView:
    return collection.start_collection(caller.uow(), visit_id=body.visit_id, bag_type=body.bag_type,
                                       bag_lot=body.bag_lot, planned_volume_ml=body.planned_volume_ml)


@router.get("/donations", summary="Donations, newest first; filter by site, status or DIN (any form)")
def list_donations(site_id: int | None = Query(None, ge=1, le=MAX_ID), status: DonationStatus | None = None,
                   din: str | None = Query(None, max_length=40, description="Scanned or typed, check character "
                                                                            "optional."),
                   page: PageParams = Depends(page_params),
                   caller: Caller = Depends(require(Permission.COLLECTION))) -> Page[CollectionView]:
    items, total = collection.list_donations(caller.uow(), site_id=site_id, status=status, din=din,
                                             limit=page.limit, offset=page.offset)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/donations/by-din", summary="The donation with this DIN: scanned, eye-readable or bare")
def donation_by_din(din: str = Query(..., min_length=1, max_length=40),
                    caller: Caller = Depends(require(Permission.COLLECTION))) -> CollectionView:
    return collection.find_by_din(caller.uow(), din)


@router.get("/donations/{donation_id}")
def get_donation(donation_id: int = _id("donation"),
                 caller: Caller = Depends(require(Permission.COLLECTION))) -> CollectionView:
    return collection.get_donation(caller.uow(), donation_id)


@router.post("/donations/{donation_id}/finish",
             summary="The bag is off the donor: record the volume; the end time is the server's")
def finish_collection(body: FinishCollection, donation_id: int = _id("donation"),
                      caller: Caller = Depends(require(Permission.COLLECTION))) -> CollectionView:
    return collection.finish_collection(caller.uow(), donation_id=donation_id, volume_ml=body.volume_ml)


@router.post("/donations/{donation_id}/abort",
             summary="Stop a collection before a full bag; the DIN stays used and is never given again")
def abort_collection(body: AbortCollection, donation_id: int = _id("donation"),
                     caller: Caller = Depends(require(Permission.COLLECTION))) -> CollectionView:
    return collection.abort_collection(caller.uow(), donation_id=donation_id, reason=body.reason,
                                       volume_ml=body.volume_ml)


@router.post("/donations/{donation_id}/reactions", status_code=201,
             summary="Record an adverse reaction to a donation (ISBT 2014 categories)")
def record_reaction(body: NewReaction, donation_id: int = _id("donation"),
                    caller: Caller = Depends(require(Permission.COLLECTION))) -> ReactionView:
    return collection.record_adverse_reaction(caller.uow(), donation_id=donation_id, kind=body.kind,
                                              severity=body.severity, outcome=body.outcome)


@router.get("/donations/{donation_id}/reactions")
def list_reactions(donation_id: int = _id("donation"),
                   caller: Caller = Depends(require(Permission.COLLECTION))) -> list[ReactionView]:
    return collection.reactions_of(caller.uow(), donation_id=donation_id)


@router.get("/donations/{donation_id}/din-labels.pdf", response_class=Response, responses=PDF,
            summary="The DIN labels for the bag, the sample tubes and the donor record")
def din_labels(donation_id: int = _id("donation"), tubes: int = Query(din_sheets.SAMPLE_TUBES, ge=1, le=6),
               caller: Caller = Depends(require(Permission.COLLECTION))) -> Response:
    pdf = din_sheets.din_labels_pdf(caller.uow(), donation_id=donation_id, tubes=tubes)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="din-labels-{donation_id}.pdf"'})
