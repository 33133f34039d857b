"""REST endpoints: mass-casualty incidents, their casualty counts and the time-phased shortfall.

Declaring, reading every count, the shortfall and closing (signed) need INCIDENTS;
adding casualties admitted, listing incidents (without counts) and reading
one's own entries need CASUALTY_COUNTS. Counts are never public.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from bloodbank.domain.access import Permission
from bloodbank.domain.incidents import MAX_COUNT_STEP, MAX_PLACE, MAX_REASON, Basis, IncidentKind, Severity
from bloodbank.entrypoints.web.api.common import Id, IdField, Page, PageParams, page_params
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.entrypoints.web.signing import signed
from bloodbank.service_layer.crisis import incidents
from bloodbank.service_layer.crisis.incidents import CountEntryView, IncidentSummary, IncidentView
from bloodbank.service_layer.crisis.shortfall import ShortfallView, shortfall

router = APIRouter(prefix="/incidents", tags=["incidents"])

INCIDENTS = Depends(require(Permission.INCIDENTS))
COUNTS = Depends(require(Permission.CASUALTY_COUNTS))
Kind = Literal[tuple(k.value for k in IncidentKind)]  # type: ignore[valid-type]
SeverityName = Literal[tuple(s.value for s in Severity)]  # type: ignore[valid-type]
BasisName = Literal[tuple(b.value for b in Basis)]  # type: ignore[valid-type]
Count = Field(0, ge=0, le=MAX_COUNT_STEP)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Expected(Strict):
    severe: int = Count
    moderate: int = Count
    minor: int = Count


class NewIncident(Strict):
    place: str = Field(min_length=1, max_length=MAX_PLACE, description="Where: a district, a street, a landmark.")
    kind: Kind
    occurred_at: AwareDatetime | None = Field(None, description="When it happened, with its time zone; now if "
                                                                "left out.")
    site_id: IdField | None = Field(None, description="The site whose clock the incident is read on.")
    note: str = Field("", max_length=incidents.MAX_NOTE)
    expected: Expected = Field(default_factory=Expected, description="Casualties expected, by severity.")


class Casualties(Strict):
    severity: SeverityName
    change: int = Field(ge=-MAX_COUNT_STEP, le=MAX_COUNT_STEP, description="How many arrived; negative only in a "
                                                                           "correction.")
    basis: BasisName = "admitted"
    hospital_id: IdField | None = Field(None, description="The hospital that admitted them (needed for "
                                                          "'admitted').")
    correction: bool = Field(False, description="Corrects an earlier count; needs the reason.")
    reason: str = Field("", max_length=MAX_REASON)


class Closing(Strict):
    note: str = Field("", max_length=incidents.MAX_NOTE)
    signature_password: str = Field(min_length=1, max_length=200, description="Your own password, to sign.")


class MyEntries(BaseModel):
    incident: IncidentSummary
    entries: list[CountEntryView]


@router.post("", status_code=201, summary="Declare a mass-casualty incident, with the casualties expected")
def declare(body: NewIncident, caller: Caller = INCIDENTS) -> IncidentView:
    return incidents.declare(caller.uow(), place=body.place, kind=body.kind, occurred_at=body.occurred_at,
                             site_id=body.site_id, note=body.note, expected=body.expected.model_dump())


@router.get("", summary="Incidents, newest first, without their counts")
def list_incidents(status: Literal["declared", "closed"] | None = None, page: PageParams = Depends(page_params),
                   caller: Caller = COUNTS) -> Page[IncidentSummary]:
    items, total = incidents.list_incidents(caller.uow(), status=status, limit=page.limit, offset=page.offset)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/{incident_id}", summary="One incident with every casualty count and what was ordered for it")
def get_incident(incident_id: Id, caller: Caller = INCIDENTS) -> IncidentView:
    return incidents.get_incident(caller.uow(), incident_id)


@router.post("/{incident_id}/casualties", status_code=201,
             summary="Add casualties of one severity, or correct a count with its reason")
def add_casualties(incident_id: Id, body: Casualties, caller: Caller = COUNTS) -> CountEntryView:
    return incidents.add_casualties(caller.uow(), incident_id=incident_id, severity=body.severity,
                                    change=body.change, basis=body.basis, hospital_id=body.hospital_id,
                                    correction=body.correction, reason=body.reason)


@router.get("/{incident_id}/casualties/mine", summary="The casualty counts you entered for this incident")
def my_casualties(incident_id: Id, caller: Caller = COUNTS) -> MyEntries:
    incident, entries = incidents.my_entries(caller.uow(), incident_id)
    return MyEntries(incident=incident, entries=list(entries))


@router.post("/{incident_id}/close", summary="Close the incident, under your signature")
def close(incident_id: Id, body: Closing, caller: Caller = INCIDENTS) -> IncidentView:
    return signed(caller, password=body.signature_password, action="close_incident",
                  act=lambda: incidents.close(caller.uow(), incident_id=incident_id, note=body.note),
                  record=incidents.close_subject)


@router.get("/{incident_id}/shortfall",
            summary="Need by window, component and group against stock, quarantine and transfers; what an appeal "
                    "can and cannot cover")
def get_shortfall(incident_id: Id, caller: Caller = INCIDENTS) -> ShortfallView:
    return shortfall(caller.uow(), incident_id=incident_id)
