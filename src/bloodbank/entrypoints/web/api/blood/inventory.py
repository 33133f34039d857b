"""REST endpoints: inventory. Stock by site, component, group and age; days of supply; what expires
soon; transfers between sites; temperature excursions; discards and the waste report.

Reading needs UNITS_READ, changing stock INVENTORY_WRITE; a discard needs DISCARD and the signer's
password (`signature_password`). A unit held for review (an excursion, a broken cold chain) leaves its
hold only by a signed review: release after review needs RELEASE, discard after review DISCARD.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from bloodbank.domain.access import Permission
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.components import ComponentKind
from bloodbank.domain.holds import MAX_REASON
from bloodbank.domain.unit_status import IN_STOCK
from bloodbank.entrypoints.web.api.common import Id, IdField, MAX_ID, Page, PageParams, page_params
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.entrypoints.web.signing import signed
from bloodbank.service_layer.blood import discards, excursions, holds, inventory, transfers
from bloodbank.service_layer.blood.discards import DiscardCandidate, DiscardView
from bloodbank.service_layer.blood.excursions import ExcursionSummary, ExcursionView
from bloodbank.service_layer.blood.holds import HeldUnit
from bloodbank.service_layer.blood.release import ReleasedUnitView
from bloodbank.service_layer.blood.inventory import (
    ExpiringUnit, GroupSupply, StockGrid, StockReport, StockUnit, UnitLocation,
)
from bloodbank.service_layer.blood.transfers import TransferUnitView, TransferView

router = APIRouter(prefix="/inventory", tags=["inventory"])

Kind = Literal[tuple(k.value for k in ComponentKind)]  # type: ignore[valid-type]
StockStatus = Literal[tuple(sorted(s.value for s in IN_STOCK))]  # type: ignore[valid-type]
DiscardReason = Literal[tuple(code for code, _ in discards.discard_reasons())]  # type: ignore[valid-type]
MAX_UNITS = 500
SiteQuery = Query(None, ge=1, le=MAX_ID, description="Only this site.")
GroupQuery = Query(None, max_length=20, description="A blood group: O-, O+, A-, … AB+.")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Dispatch(Strict):
    from_site_id: IdField
    to_site_id: IdField
    unit_ids: list[IdField] = Field(min_length=1, max_length=MAX_UNITS)
    note: str = Field("", max_length=transfers.MAX_NOTE)


class Receipt(Strict):
    received_unit_ids: list[IdField] = Field([], max_length=MAX_UNITS, description="The units found in the box.")
    received_scans: list[Annotated[str, Field(max_length=60)]] = Field([], max_length=MAX_UNITS, description="Or the DIN (and product code) scanned "
                                                                            "from each bag found in the box.")
    cold_chain_ok: bool = Field(description="False when the box arrived too warm or too cold: the units go to "
                                            "quarantine for the lab.")
    storage_location: str = Field("", max_length=transfers.MAX_LOCATION)


class TransferOut(BaseModel):
    id: int
    from_site_id: int
    from_site_code: str
    to_site_id: int
    to_site_code: str
    status: str
    dispatched_at: datetime
    dispatched_by: str
    received_at: datetime | None
    received_by: str | None
    note: str
    units: list[TransferUnitView]
    in_transit: list[int]
    missing: list[int]
    quarantined: list[int]


class NewExcursion(Strict):
    site_id: IdField
    storage_location: str = Field(min_length=1, max_length=excursions.MAX_LOCATION)
    started_at: AwareDatetime = Field(description="From the monitor, with its time zone.")
    ended_at: AwareDatetime
    lowest_c: float = Field(ge=-200, le=200, allow_inf_nan=False)
    highest_c: float = Field(ge=-200, le=200, allow_inf_nan=False)
    note: str = Field("", max_length=excursions.MAX_NOTE)


class SignedNote(Strict):
    note: str = Field("", max_length=discards.MAX_NOTE)
    signature_password: str = Field(min_length=1, max_length=200, description="Your own password, to sign.")


class DiscardRequest(SignedNote):
    reason_code: DiscardReason = Field(description="Why the unit is discarded; 'other' needs a note.")


class ReviewDecision(Strict):
    reason: str = Field(min_length=1, max_length=MAX_REASON, description="The review's conclusion, kept with "
                                                                           "each hold it decides.")
    signature_password: str = Field(min_length=1, max_length=200, description="Your own password, to sign.")


class Swept(BaseModel):
    discarded: list[int]
    count: int


def _transfer(view: TransferView) -> TransferOut:
    return TransferOut(
        id=view.id, from_site_id=view.from_site_id, from_site_code=view.from_site_code, to_site_id=view.to_site_id,
        to_site_code=view.to_site_code, status=view.status, dispatched_at=view.dispatched_at,
        dispatched_by=view.dispatched_by, received_at=view.received_at, received_by=view.received_by,
        note=view.note, units=list(view.units), in_transit=list(view.in_transit), missing=list(view.missing),
        quarantined=list(view.quarantined),
    )


def _discard_subject(view: DiscardView) -> tuple[str, str, int]:
    return discards.unit_subject(view.din, view.product_code, view.division), "unit", view.unit_id


@router.get("/stock", summary="Stock by site, component kind and blood group, with age bands and days of supply")
def stock(site_id: int | None = SiteQuery, kind: Kind | None = None, blood_group: str | None = GroupQuery,
          caller: Caller = Depends(require(Permission.UNITS_READ))) -> StockReport:
    return inventory.stock(caller.uow(), site_id=site_id, kind=kind, blood_group=blood_group)


@router.get("/stock/grid", summary="Blood group × component kind: units available and days of supply")
def stock_grid(site_id: int | None = SiteQuery,
               caller: Caller = Depends(require(Permission.UNITS_READ))) -> StockGrid:
    return inventory.stock_grid(caller.uow(), site_id=site_id)


@router.get("/units", summary="Units in stock, soonest expiry first, by site, kind, group, status and age")
def stock_units(site_id: int | None = SiteQuery, kind: Kind | None = None, blood_group: str | None = GroupQuery,
                status: StockStatus | None = None,
                min_age_days: int | None = Query(None, ge=0, le=3650, description="Days since collection, at least"),
                max_age_days: int | None = Query(None, ge=0, le=3650, description="Days since collection, at most"),
                page: PageParams = Depends(page_params),
                caller: Caller = Depends(require(Permission.UNITS_READ))) -> Page[StockUnit]:
    items, total = inventory.stock_units(caller.uow(), site_id=site_id, kind=kind, blood_group=blood_group,
                                         status=status, min_age_days=min_age_days, max_age_days=max_age_days,
                                         limit=page.limit, offset=page.offset)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/days-of-supply", summary="Days of supply of one component kind for every blood group")
def days_of_supply(site_id: int | None = SiteQuery, kind: Kind = "red_cells",
                   caller: Caller = Depends(require(Permission.UNITS_READ))) -> list[GroupSupply]:
    return list(inventory.supply_by_group(caller.uow(), site_id=site_id, kind=kind))


@router.get("/expiring", summary="Units still to be used that expire within the next hours (or already have)")
def expiring(hours: int = Query(48, ge=1, le=inventory.MAX_EXPIRY_HOURS), site_id: int | None = SiteQuery,
             kind: Kind | None = None, page: PageParams = Depends(page_params),
             caller: Caller = Depends(require(Permission.UNITS_READ))) -> Page[ExpiringUnit]:
    items, total = inventory.expiring_within(caller.uow(), hours=hours, site_id=site_id, kind=kind,
                                             limit=page.limit, offset=page.offset)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/where", summary="Every unit made under a DIN and where it is now")
def where(din: str = Query(..., min_length=1, max_length=40),
          caller: Caller = Depends(require(Permission.UNITS_READ))) -> list[UnitLocation]:
    return inventory.unit_locations(caller.uow(), din)


@router.post("/transfers", status_code=201, summary="Dispatch available units to another site (all or none)")
def dispatch(body: Dispatch, caller: Caller = Depends(require(Permission.INVENTORY_WRITE))) -> TransferOut:
    return _transfer(transfers.dispatch(caller.uow(), from_site_id=body.from_site_id, to_site_id=body.to_site_id,
                                        unit_ids=body.unit_ids, note=body.note))


@router.get("/transfers/in-transit", summary="Transfers with units still on the road, oldest first")
def in_transit(page: PageParams = Depends(page_params),
               caller: Caller = Depends(require(Permission.UNITS_READ))) -> Page[TransferOut]:
    found, total = transfers.in_transit_page(caller.uow(), limit=page.limit, offset=page.offset)
    return Page(items=[_transfer(v) for v in found], total=total, limit=page.limit, offset=page.offset)


@router.get("/transfers/{transfer_id}", summary="One transfer and its units")
def get_transfer(transfer_id: Id, caller: Caller = Depends(require(Permission.UNITS_READ))) -> TransferOut:
    return _transfer(transfers.get_transfer(caller.uow(), transfer_id))


@router.post("/transfers/{transfer_id}/receive", summary="Book in the units that arrived; the rest are missing")
def receive(transfer_id: Id, body: Receipt,
            caller: Caller = Depends(require(Permission.INVENTORY_WRITE))) -> TransferOut:
    received = body.received_unit_ids
    if not body.received_scans and "received_unit_ids" not in body.model_fields_set:
        raise InvalidInput("List the units found in the box, by id or by their scans (an empty list says none "
                           "arrived).")
    if body.received_scans:
        if received:
            raise InvalidInput("List the units received by id or by their scans, not both.")
        received = transfers.units_of_scans(caller.uow(), transfer_id=transfer_id, scans=body.received_scans)
    return _transfer(transfers.receive(caller.uow(), transfer_id=transfer_id,
                                       received_unit_ids=received, cold_chain_ok=body.cold_chain_ok,
                                       storage_location=body.storage_location))


@router.post("/excursions", status_code=201,
             summary="Record a temperature excursion: every unit at that location it touched goes to quarantine")
def record_excursion(body: NewExcursion,
                     caller: Caller = Depends(require(Permission.INVENTORY_WRITE))) -> ExcursionView:
    return excursions.record_excursion(caller.uow(), **body.model_dump())


@router.get("/excursions", summary="Recorded temperature excursions, newest first")
def list_excursions(site_id: int | None = SiteQuery, page: PageParams = Depends(page_params),
                    caller: Caller = Depends(require(Permission.UNITS_READ))) -> Page[ExcursionSummary]:
    items, total = excursions.list_excursions(caller.uow(), site_id=site_id, limit=page.limit, offset=page.offset)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post("/excursions/{excursion_id}/units/{unit_id}/discard",
             summary="Discard a unit the lab judged unfit after an excursion, under your signature")
def discard_after_excursion(excursion_id: Id, unit_id: Id, body: SignedNote,
                            caller: Caller = Depends(require(Permission.DISCARD))) -> DiscardView:
    return signed(caller, password=body.signature_password, action="discard",
                  act=lambda: excursions.discard_after_review(caller.uow(), excursion_id=excursion_id,
                                                              unit_id=unit_id, note=body.note),
                  record=_discard_subject)


@router.get("/holds", summary="Units held in quarantine for a review decision, oldest hold first")
def held_units(site_id: int | None = SiteQuery, page: PageParams = Depends(page_params),
               caller: Caller = Depends(require(Permission.UNITS_READ))) -> Page[HeldUnit]:
    items, total = holds.held_page(caller.uow(), site_id=site_id, limit=page.limit, offset=page.offset)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/units/{unit_id}/holds", summary="A unit's holds, open and decided")
def unit_holds(unit_id: Id, caller: Caller = Depends(require(Permission.UNITS_READ))) -> HeldUnit:
    return holds.unit_holds(caller.uow(), unit_id=unit_id)


@router.post("/units/{unit_id}/review-release",
             summary="Release a held unit after review, under your signature: every other release check still "
                     "applies")
def release_after_review(unit_id: Id, body: ReviewDecision,
                         caller: Caller = Depends(require(Permission.RELEASE))) -> ReleasedUnitView:
    return signed(caller, password=body.signature_password, action="review_release",
                  act=lambda: holds.release_after_review(caller.uow(), unit_id=unit_id, reason=body.reason),
                  record=lambda v: (discards.unit_subject(v.din, v.product_code, v.division), "unit", v.unit_id))


@router.post("/units/{unit_id}/review-discard",
             summary="Discard a held unit the review judged unfit, under your signature")
def discard_after_review(unit_id: Id, body: ReviewDecision,
                         caller: Caller = Depends(require(Permission.DISCARD))) -> DiscardView:
    return signed(caller, password=body.signature_password, action="discard",
                  act=lambda: holds.discard_after_review(caller.uow(), unit_id=unit_id, reason=body.reason),
                  record=_discard_subject)


@router.get("/discard-check", summary="The unit whose label was scanned, and whether it can be discarded")
def discard_check(din: str = Query(..., min_length=1, max_length=40),
                  product_code: str = Query(..., min_length=1, max_length=40),
                  caller: Caller = Depends(require(Permission.DISCARD))) -> DiscardCandidate:
    return discards.unit_for_discard(caller.uow(), scanned_din=din, scanned_product=product_code)


@router.post("/units/{unit_id}/discard", summary="Discard a unit with a reason, under your signature")
def discard_unit(unit_id: Id, body: DiscardRequest,
                 caller: Caller = Depends(require(Permission.DISCARD))) -> DiscardView:
    return signed(caller, password=body.signature_password, action="discard",
                  act=lambda: discards.discard(caller.uow(), unit_id=unit_id, reason_code=body.reason_code,
                                               note=body.note),
                  record=_discard_subject)


class SignedSweep(Strict):
    signature_password: str = Field(min_length=1, max_length=200, description="Your own password, to sign.")


@router.post("/discards/expired", summary="Discard every unit in stock whose expiry has passed (server time)")
def discard_expired(body: SignedSweep, caller: Caller = Depends(require(Permission.DISCARD))) -> Swept:
    """Signed like a single discard: a wrong password is refused and nothing is discarded."""
    ids = signed(caller, password=body.signature_password, action="discard",
                 act=lambda: discards.discard_expired(caller.uow()), record=discards.expiry_sweep_subject)
    return Swept(discarded=ids, count=len(ids))


@router.get("/discards/report", summary="Units discarded since a day: reason → component kind → count")
def discards_report(since: date = Query(..., description="First day, on the site's clock (UTC's for every site), e.g. 2026-01-01."),
                    site_id: int | None = SiteQuery,
                    caller: Caller = Depends(require(Permission.UNITS_READ))) -> dict[str, dict[str, int]]:
    return discards.discards_report(caller.uow(), since=since, site_id=site_id)
