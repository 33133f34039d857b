"""REST endpoints: a site's free slots, booking, cancelling, no-shows, the day's list, a donor's upcoming ones.

Times are the site's wall clock: a `starts_at` without a zone is read on it,
one with a zone is converted to it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from bloodbank.domain.access import Permission
from bloodbank.entrypoints.web.api.common import Page, PageParams, page_params, paginate
from bloodbank.entrypoints.web.api.donors.donors import MAX_ID, RecordId, SaneDate, SaneDateTime, record_id
from bloodbank.entrypoints.web.api.donors.visits import Kind
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.service_layer.donors import appointments
from bloodbank.service_layer.donors.appointments import AppointmentView, SlotView

router = APIRouter(tags=["appointments"])


class Book(BaseModel):
    model_config = ConfigDict(extra="forbid")

    donor_id: RecordId
    site_id: RecordId
    starts_at: SaneDateTime = Field(description="The slot's start, e.g. 2026-03-02T09:15 (site's clock).")
    kind: Kind = "whole_blood"


class Cancel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field("", max_length=500)


SiteId = Annotated[int, Query(ge=1, le=MAX_ID, description="The site's id.")]
Day = Annotated[SaneDate, Query(description="The day, YYYY-MM-DD.")]


@router.get("/appointments/slots", summary="A site's slots on a day, each with its free chairs")
def slots(site_id: SiteId, on: Day, caller: Caller = Depends(require(Permission.APPOINTMENTS))) -> list[SlotView]:
    return appointments.available_slots(caller.uow(), site_id=site_id, on=on)


@router.get("/appointments", summary="Every appointment at a site on a day, in slot order")
def day_list(site_id: SiteId, on: Day, page: PageParams = Depends(page_params),
             caller: Caller = Depends(require(Permission.APPOINTMENTS))) -> Page[AppointmentView]:
    return paginate(appointments.list_for_site_day(caller.uow(), site_id=site_id, on=on), page)


@router.post("/appointments", status_code=201, summary="Book a donor into a slot")
def book(body: Book, caller: Caller = Depends(require(Permission.APPOINTMENTS))) -> AppointmentView:
    return appointments.book(caller.uow(), **body.model_dump())


@router.post("/appointments/{appointment_id}/cancel", summary="Cancel a booked appointment; its chair is freed")
def cancel(body: Cancel, appointment_id: int = record_id("appointment"),
           caller: Caller = Depends(require(Permission.APPOINTMENTS))) -> AppointmentView:
    return appointments.cancel(caller.uow(), appointment_id=appointment_id, reason=body.reason)


@router.post("/appointments/{appointment_id}/no-show", summary="The donor did not come")
def no_show(appointment_id: int = record_id("appointment"),
            caller: Caller = Depends(require(Permission.APPOINTMENTS))) -> AppointmentView:
    return appointments.mark_no_show(caller.uow(), appointment_id=appointment_id)


@router.get("/donors/{donor_id}/appointments", summary="A donor's booked appointments from today on")
def upcoming(donor_id: int = record_id("donor"),
             caller: Caller = Depends(require(Permission.APPOINTMENTS))) -> list[AppointmentView]:
    return appointments.upcoming_for_donor(caller.uow(), donor_id)
