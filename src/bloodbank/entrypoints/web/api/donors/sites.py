"""REST endpoints: sites, their opening hours, chairs, slot length, rule set and mandatory test panel.

Anyone logged in may read the sites (bookings and collections need them);
only SITES_WRITE changes them. Changing a site never moves an existing booking.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from bloodbank.domain.access import Permission
from bloodbank.entrypoints.web.api.common import Id, Page, PageParams, page_params
from bloodbank.entrypoints.web.security import Caller, logged_in, require
from bloodbank.service_layer.donors import sites
from bloodbank.service_layer.donors.sites import SiteDetail

router = APIRouter(tags=["sites"])

Kind = Literal["fixed", "mobile"]
HOURS_HELP = ('Per day, one interval or several: {"mon": ["08:00", "16:00"], "tue": [["08:00", "12:00"], '
              '["13:00", "17:00"]]}; a day left out is closed.')
RULES_HELP = "Eligibility rules applied at the site: who, eu, us-fda or uk."
Marker = Annotated[str, Field(min_length=1, max_length=40)]
ZONE_HELP = "IANA time zone of the site's clock, e.g. Asia/Damascus, Europe/Paris, America/New_York."
PANEL_HELP = "Mandatory infection markers (at least hiv, hbv, hcv, syphilis); e.g. add htlv, nat_hiv, bacterial."


class NewSite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=20, description="Short unique code, e.g. NORTH.")
    name: str = Field(min_length=1, max_length=200)
    kind: Kind = "fixed"
    facility_code: str = Field(min_length=1, max_length=10, description="ISBT 128 facility code (FIN), e.g. A9999.")
    rule_set: str = Field("who", min_length=1, max_length=20, description=RULES_HELP)
    time_zone: str = Field(min_length=1, max_length=64, description=ZONE_HELP)
    opening_hours: dict[str, Any] = Field(default_factory=dict, max_length=7, description=HOURS_HELP)
    chairs: int = Field(4, ge=1, le=sites.MAX_CHAIRS)
    slot_minutes: int = Field(15, ge=1, le=24 * 60)
    address: str = Field("", max_length=300)
    latitude: float | None = Field(None, ge=-90, le=90, allow_inf_nan=False)
    longitude: float | None = Field(None, ge=-180, le=180, allow_inf_nan=False)
    test_panel: list[Marker] | None = Field(None, max_length=20, description=PANEL_HELP)


class SiteChange(BaseModel):
    """Only the fields given are changed; the reason goes into the audit log."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)
    code: str | None = Field(None, min_length=1, max_length=20)
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: Kind | None = None
    facility_code: str | None = Field(None, min_length=1, max_length=10)
    rule_set: str | None = Field(None, min_length=1, max_length=20, description=RULES_HELP)
    time_zone: str | None = Field(None, min_length=1, max_length=64, description=ZONE_HELP)
    opening_hours: dict[str, Any] | None = Field(None, max_length=7, description=HOURS_HELP)
    chairs: int | None = Field(None, ge=1, le=sites.MAX_CHAIRS)
    slot_minutes: int | None = Field(None, ge=1, le=24 * 60)
    address: str | None = Field(None, max_length=300)
    latitude: float | None = Field(None, ge=-90, le=90, allow_inf_nan=False)
    longitude: float | None = Field(None, ge=-180, le=180, allow_inf_nan=False)
    test_panel: list[Marker] | None = Field(None, max_length=20, description=PANEL_HELP)


class ActiveChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    active: bool
    reason: str = Field(min_length=1, max_length=500)


@router.get("/sites", summary="Sites by code, with filters")
def list_sites(active_only: bool = Query(False, description="Leave out deactivated sites."),
               kind: Kind | None = Query(None), page: PageParams = Depends(page_params),
               caller: Caller = Depends(logged_in)) -> Page[SiteDetail]:
    items, total = sites.list_site_details(caller.uow(), active_only=active_only, kind=kind, limit=page.limit,
                                           offset=page.offset)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/sites/{site_id}")
def get_site(site_id: Id, caller: Caller = Depends(logged_in)) -> SiteDetail:
    return sites.get_site_detail(caller.uow(), site_id)


@router.post("/sites", status_code=201, summary="Create a site")
def create_site(body: NewSite, caller: Caller = Depends(require(Permission.SITES_WRITE))) -> SiteDetail:
    fields = body.model_dump(exclude={"test_panel"})
    return sites.create_site_with_panel(caller.uow(), **fields, test_panel=body.test_panel)


@router.patch("/sites/{site_id}", summary="Change a site: hours, chairs, slot length, rule set, test panel…")
def change_site(site_id: Id, body: SiteChange,
                caller: Caller = Depends(require(Permission.SITES_WRITE))) -> SiteDetail:
    given = body.model_dump(exclude_unset=True, exclude={"reason", "test_panel"})
    return sites.change_site(caller.uow(), site_id, reason=body.reason, test_panel=body.test_panel,
                             **given)


@router.put("/sites/{site_id}/active", summary="Deactivate (no new bookings; existing ones kept) or reactivate")
def set_active(site_id: Id, body: ActiveChange,
               caller: Caller = Depends(require(Permission.SITES_WRITE))) -> SiteDetail:
    return sites.set_site_active(caller.uow(), site_id, active=body.active, reason=body.reason)
