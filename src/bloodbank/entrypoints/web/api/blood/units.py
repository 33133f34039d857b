"""REST endpoints: units. Components from donations, pools, aliquots, cryo, irradiation, labels and their scan-back.

Every unit made here starts in quarantine; release (elsewhere) needs the label printed here and
verified by scanning its four barcodes back: DIN, blood group, product code and expiry.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from bloodbank.domain.access import Permission
from bloodbank.domain.components import ComponentKind
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.unit_status import UnitStatus
from bloodbank.domain.ids import MAX_ID
from bloodbank.entrypoints.web.api.common import Page, PageParams, page_params
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.service_layer.blood import aliquots, irradiation, labels, pooling, processing
from bloodbank.service_layer.blood.pooling import PoolCandidate
from bloodbank.service_layer.blood.processing import AwaitingDonation, DonationWork, UnitWork
from bloodbank.service_layer.blood.units import UnitView

router = APIRouter(tags=["units"])

Method = Literal["buffy_coat", "prp", "whole_blood"]
Status = Literal[tuple(s.value for s in UnitStatus)]  # type: ignore[valid-type]
Kind = Literal[tuple(k.value for k in ComponentKind)]  # type: ignore[valid-type]
Din = Field(min_length=1, max_length=40, description="Scanned (=G123498654321 00) or typed, check character optional.")
PDF = {200: {"content": {"application/pdf": {}}, "description": "The label to print."}}


def _id(what: str):
    return Path(..., ge=1, le=MAX_ID, description=f"The {what}'s id.")


class Process(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Method
    leucoreduced: bool | None = Field(None, description="Default: the method's usual (filtered unless kept whole).")
    low_titer: bool = Field(False, description="Low-titer group O whole blood (method whole_blood).")


class ProcessByDin(Process):
    din: str = Din


class Pool(BaseModel):
    model_config = ConfigDict(extra="forbid")

    site_id: int = Field(ge=1, le=MAX_ID,
                         description="The site making the pool: its facility code goes in the new DIN.")
    donation_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(
        None, max_length=12, description="4 to 6 donations processed by the buffy-coat method, or 4 to 6 by the "
                                         "platelet-rich plasma method...")
    dins: list[Annotated[str, Field(max_length=40)]] | None = Field(
        None, max_length=12, description="...or their DINs, scanned or typed.")


class Split(BaseModel):
    model_config = ConfigDict(extra="forbid")

    parts: int = Field(ge=-100, le=100, description="2 to 4 aliquots (divisions A0, B0...).")
    volume_each_ml: int | None = Field(None, ge=-100_000, le=100_000, description="Default: an equal share.")


class LabelScan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scanned_din: str = Field(min_length=1, max_length=40, description="The label's DIN barcode as scanned "
                                                                     "(or the eye-readable DIN typed).")
    scanned_group: str = Field(min_length=1, max_length=40, description="The label's ABO/RhD barcode as scanned "
                                                                       "(=%1700; =%Mq00 on a unit not grouped).")
    scanned_product: str = Field(min_length=1, max_length=40, description="The label's product code barcode "
                                                                         "as scanned (=<X0003V00).")
    scanned_expiry: str = Field(min_length=1, max_length=40, description="The label's expiry date and time "
                                                                        "barcode as scanned (&>0260732359).")


# ---------------------------------------------------------------- reading units


@router.get("/units", summary="Units, newest first; filter by DIN, donation, status, kind, site, label verified")
def list_units(din: str | None = Query(None, max_length=40), donation_id: int | None = Query(None, ge=1, le=MAX_ID),
               status: Status | None = None, kind: Kind | None = None,
               site_id: int | None = Query(None, ge=1, le=MAX_ID), label_verified: bool | None = None,
               page: PageParams = Depends(page_params),
               caller: Caller = Depends(require(Permission.UNITS_READ))) -> Page[UnitView]:
    items, total = processing.list_units(caller.uow(), din=din, donation_id=donation_id, status=status, kind=kind,
                                         site_id=site_id, label_verified=label_verified, limit=page.limit,
                                         offset=page.offset)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/units/awaiting-label",
            summary="Units in quarantine whose label is not verified: printed-but-unchecked first")
def awaiting_label(site_id: int | None = Query(None, ge=1, le=MAX_ID), page: PageParams = Depends(page_params),
                   caller: Caller = Depends(require(Permission.PROCESSING))) -> Page[labels.LabelWork]:
    items, total = labels.units_awaiting_label(caller.uow(), site_id=site_id, limit=page.limit, offset=page.offset)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/units/{unit_id}")
def get_unit(unit_id: int = _id("unit"), caller: Caller = Depends(require(Permission.UNITS_READ))) -> UnitView:
    return processing.get_unit(caller.uow(), unit_id)


@router.get("/units/{unit_id}/work", summary="A unit with its label's state and the steps it can still take")
def unit_work(unit_id: int = _id("unit"), caller: Caller = Depends(require(Permission.PROCESSING))) -> UnitWork:
    return processing.unit_work(caller.uow(), unit_id=unit_id)


@router.get("/donations/{donation_id}/units", summary="Every unit made from a donation, aliquots and cryo included")
def units_of_donation(donation_id: int = _id("donation"),
                      caller: Caller = Depends(require(Permission.UNITS_READ))) -> list[UnitView]:
    return processing.units_of_donation(caller.uow(), donation_id=donation_id)


# ---------------------------------------------------------------- processing donations


@router.get("/processing/donations", summary="Finished whole blood donations with no components yet, oldest first")
def awaiting_processing(site_id: int | None = Query(None, ge=1, le=MAX_ID),
                        days: int = Query(processing.AWAITING_DAYS, ge=1, le=60),
                        page: PageParams = Depends(page_params),
                        caller: Caller = Depends(require(Permission.PROCESSING))) -> Page[AwaitingDonation]:
    items, total = processing.awaiting_processing(caller.uow(), site_id=site_id, days=days, limit=page.limit,
                                                  offset=page.offset)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/processing/donations/by-din",
            summary="The donation behind a DIN as the bench sees it: its state and its units")
def donation_work(din: str = Query(..., min_length=1, max_length=40),
                  caller: Caller = Depends(require(Permission.PROCESSING))) -> DonationWork:
    return processing.donation_work(caller.uow(), din=din)


@router.post("/processing/donations/by-din/process", status_code=201,
             summary="Make the components of the donation with this DIN; every unit starts in quarantine")
def process_by_din(body: ProcessByDin, caller: Caller = Depends(require(Permission.PROCESSING))) -> list[UnitView]:
    return processing.process_donation_by_din(caller.uow(), din=body.din, method=body.method,
                                              leucoreduced=body.leucoreduced, low_titer=body.low_titer)


@router.post("/donations/{donation_id}/process", status_code=201,
             summary="Make a donation's components by a method; every unit starts in quarantine")
def process_donation(body: Process, donation_id: int = _id("donation"),
                     caller: Caller = Depends(require(Permission.PROCESSING))) -> list[UnitView]:
    return processing.process_donation(caller.uow(), donation_id=donation_id, method=body.method,
                                       leucoreduced=body.leucoreduced, low_titer=body.low_titer)


# ---------------------------------------------------------------- pools, aliquots, cryo, irradiation


@router.get("/processing/pool-candidates", summary="Buffy coats free for a pool, by group, oldest first")
def pool_candidates(site_id: int | None = Query(None, ge=1, le=MAX_ID),
                    caller: Caller = Depends(require(Permission.PROCESSING))) -> list[PoolCandidate]:
    return pooling.pool_candidates(caller.uow(), site_id=site_id)


@router.post("/units/pools", status_code=201,
             summary="Pool 4 to 6 buffy coats, or 4 to 6 platelet concentrates, of one group into one platelet "
                     "unit with a new DIN")
def pool(body: Pool, caller: Caller = Depends(require(Permission.PROCESSING))) -> UnitView:
    if (body.donation_ids is None) == (body.dins is None):
        raise InvalidInput("Give the buffy coats either as donation_ids or as dins, not both and not neither.")
    if body.dins is not None:
        return pooling.pool_platelets_by_din(caller.uow(), dins=body.dins, site_id=body.site_id)
    return pooling.pool_platelets(caller.uow(), donation_ids=body.donation_ids, site_id=body.site_id)


@router.post("/units/{unit_id}/split", status_code=201,
             summary="Split an undivided unit into 2 to 4 aliquots (paediatric packs), divisions A0, B0...")
def split(body: Split, unit_id: int = _id("unit"),
          caller: Caller = Depends(require(Permission.PROCESSING))) -> list[UnitView]:
    return aliquots.split_unit(caller.uow(), unit_id=unit_id, parts=body.parts, volume_each_ml=body.volume_each_ml)


@router.post("/units/{unit_id}/cryo", status_code=201,
             summary="Make cryoprecipitate from a plasma unit; the plasma becomes processed")
def cryo(unit_id: int = _id("unit"), caller: Caller = Depends(require(Permission.PROCESSING))) -> UnitView:
    return aliquots.make_cryo(caller.uow(), plasma_unit_id=unit_id)


@router.post("/units/{unit_id}/irradiate",
             summary="Record irradiation now: new product code and expiry; the label must be printed again")
def irradiate(unit_id: int = _id("unit"), caller: Caller = Depends(require(Permission.PROCESSING))) -> UnitView:
    return irradiation.irradiate(caller.uow(), unit_id=unit_id)


# ---------------------------------------------------------------- labels


@router.post("/units/{unit_id}/label.pdf", response_class=Response, responses=PDF,
             summary="Print the unit's label (records the printing; any earlier verification is cleared)")
def label_pdf(unit_id: int = _id("unit"), caller: Caller = Depends(require(Permission.PROCESSING))) -> Response:
    pdf = labels.print_label(caller.uow(), unit_id=unit_id)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="unit-{unit_id}-label.pdf"'})


@router.post("/units/{unit_id}/label-verification",
             summary="Scan the printed label back: verified only if its DIN, blood group, product code and expiry "
                     "are what this unit's label must carry now")
def verify_label(body: LabelScan, unit_id: int = _id("unit"),
                 caller: Caller = Depends(require(Permission.PROCESSING))) -> UnitView:
    return labels.verify_label(caller.uow(), unit_id=unit_id, scanned_din=body.scanned_din,
                               scanned_product=body.scanned_product, scanned_group=body.scanned_group,
                               scanned_expiry=body.scanned_expiry)
