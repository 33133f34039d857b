"""REST endpoints: orders, allocation, crossmatch and issue of units for patients.

Every refusal comes back with its reasons: an issue refused (409
`issue_refused`) lists each one in `refusals`, hard stops marked.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from bloodbank.domain.access import Permission
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.patients import ORDER_KINDS, ORDER_TRANSITIONS, URGENCIES
from bloodbank.domain.ids import MAX_ID
from bloodbank.entrypoints import languages
from bloodbank.entrypoints.web.api.common import Page, PageParams, page_params
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.entrypoints.web.signing import signed
from bloodbank.service_layer.hospital import (
    allocation, compatibility_tag, crossmatch, emergency as emergencies, issue, orders, workup as order_workups,
)

router = APIRouter(tags=["orders"])

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
OptionalId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Kind = Literal[ORDER_KINDS]  # type: ignore[valid-type]
Urgency = Literal[tuple(URGENCIES)]  # type: ignore[valid-type]
Status = Literal[tuple(ORDER_TRANSITIONS)]  # type: ignore[valid-type]

ORDERS = Depends(require(Permission.ORDERS))
ISSUE = Depends(require(Permission.ISSUE))


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewOrder(Strict):
    hospital_id: int = Field(ge=1, le=MAX_ID)
    patient_id: int | None = Field(None, ge=1, le=MAX_ID, description="The patient's record id, or…")
    patient: str | None = Field(None, max_length=200,
                                description="…an identifier of theirs (mrn:RXH:123456, EM-2026-0001).")
    for_stock: bool = Field(False, description="For the hospital's own fridge: no patient.")
    kind: Kind
    blood_group: str | None = Field(None, max_length=20,
                                    description="The group written on the request: refused if the patient is "
                                                "grouped otherwise on record. Units follow the record.")
    quantity: int = Field(ge=1, le=50)
    needed_by: AwareDatetime = Field(description="With its time zone, e.g. 2026-05-01T14:00:00+01:00.")
    urgency: Urgency = "routine"
    note: str = Field("", max_length=1000)
    incident_id: int | None = Field(None, ge=1, le=MAX_ID, description="The mass-casualty incident whose "
                                                                          "casualty (or stock) it is for.")


class Reason(Strict):
    reason: str = Field(min_length=1, max_length=500)


class Reserve(Strict):
    """The unit chosen from the list (`unit_id`), or the one in hand, by its label's scans."""

    unit_id: int | None = Field(None, ge=1, le=MAX_ID)
    scanned_unit: str | None = Field(None, max_length=60, description="The DIN scanned from the bag in hand "
                                                                      "(its product code may follow).")
    scanned_product: str | None = Field(None, max_length=20, description="The product code scanned, when the "
                                                                         "DIN names more than one component.")


class NewCrossmatch(Strict):
    patient_id: int = Field(ge=1, le=MAX_ID)
    unit_id: int = Field(ge=1, le=MAX_ID)
    sample_id: int = Field(ge=1, le=MAX_ID)
    result: Literal["compatible", "incompatible"]
    method: Literal[crossmatch.METHODS] = "serological"  # type: ignore[valid-type]


class Scans(Strict):
    scanned_unit: str = Field(min_length=1, max_length=60, description="The DIN as scanned or typed.")
    scanned_patient: str = Field(min_length=1, max_length=200,
                                 description="The identifier scanned from the patient's wristband.")
    scanned_product: str | None = Field(None, max_length=40, description="The product code barcode (optional).")


class NewIssue(Scans):
    reservation_id: int = Field(ge=1, le=MAX_ID)


class EmergencyRelease(Scans):
    patient_id: int = Field(ge=1, le=MAX_ID)
    unit_id: int | None = Field(None, ge=1, le=MAX_ID, description="A group O red cell or group AB plasma unit; "
                                                                     "left out, the scanned bag is the choice.")
    reason: str = Field(min_length=1, max_length=500)
    order_id: int | None = Field(None, ge=1, le=MAX_ID)
    incident_id: int | None = Field(None, ge=1, le=MAX_ID, description="The mass-casualty incident, when no order "
                                                                          "is named (an order's incident is kept).")
    signature_password: str = Field(min_length=1, max_length=200, description="Your password, to sign.")


class FollowUp(Strict):
    note: str = Field(min_length=1, max_length=1000)


class ElectronicIssue(BaseModel):
    allowed: bool
    reasons: list[str]


# ---------------------------------------------------------------- orders


@router.post("/orders", status_code=201, summary="Place an order for a patient, or for a hospital's stock")
def place_order(body: NewOrder, caller: Caller = ORDERS) -> orders.OrderView:
    return orders.place_requested_order(
        caller.uow(), hospital_id=body.hospital_id, kind=body.kind, quantity=body.quantity,
        needed_by=body.needed_by, urgency=body.urgency, patient_id=body.patient_id,
        patient_identifier=body.patient, for_stock=body.for_stock, blood_group=body.blood_group, note=body.note,
        incident_id=body.incident_id)


@router.get("/orders", summary="Orders, soonest needed first")
def list_orders(hospital_id: OptionalId = None, patient_id: OptionalId = None,
                status: Annotated[list[Status] | None, Query(max_length=5)] = None,
                urgency: Urgency | None = None, kind: Kind | None = None,
                page: PageParams = Depends(page_params), caller: Caller = ORDERS) -> Page[orders.OrderSummary]:
    found = orders.find_orders(caller.uow(), hospital_id=hospital_id, patient_id=patient_id,
                               statuses=tuple(status) if status else None, urgency=urgency, kind=kind,
                               limit=page.limit, offset=page.offset)
    return Page(items=list(found.items), total=found.total, limit=page.limit, offset=page.offset)


@router.get("/orders/{order_id}")
def get_order(order_id: Id, caller: Caller = ORDERS) -> orders.OrderView:
    return orders.get_order(caller.uow(), order_id)


@router.post("/orders/{order_id}/cancel", summary="Cancel an order; units still reserved for it go back to stock")
def cancel_order(body: Reason, order_id: Id, caller: Caller = ORDERS) -> orders.OrderView:
    return orders.cancel_order(caller.uow(), order_id=order_id, reason=body.reason)


# ---------------------------------------------------------------- allocation


@router.post("/orders/{order_id}/allocate",
             summary="Reserve the best units in stock for the order (a shortfall leaves it open)")
def allocate(order_id: Id, caller: Caller = ORDERS) -> allocation.AllocationView:
    return allocation.allocate(caller.uow(), order_id=order_id)


@router.get("/orders/{order_id}/allocation",
            summary="The units held for the order; a reservation's note says when O-negative went to someone "
                    "who does not need it, and why")
def get_allocation(order_id: Id, caller: Caller = ORDERS) -> allocation.AllocationView:
    return allocation.get_allocation(caller.uow(), order_id=order_id)


@router.get("/orders/{order_id}/candidates",
            summary="Units in stock that could be reserved by hand, each with every reason it may not")
def reservation_candidates(order_id: Id, limit: Annotated[int, Query(ge=1, le=100)] = 30,
                           caller: Caller = ORDERS) -> list[allocation.CandidateUnit]:
    return allocation.reservation_candidates(caller.uow(), order_id=order_id, limit=limit)


@router.post("/orders/{order_id}/reservations", status_code=201,
             summary="Reserve one unit chosen by hand or scanned in hand, under the same rules as allocation")
def reserve_unit(body: Reserve, order_id: Id, caller: Caller = ORDERS) -> allocation.AllocationView:
    if (body.unit_id is None) == (body.scanned_unit is None):
        raise InvalidInput("Give either the unit's id or its scanned DIN, not both and not neither.")
    if body.unit_id is not None:
        return allocation.reserve_unit(caller.uow(), order_id=order_id, unit_id=body.unit_id)
    return allocation.reserve_scanned_unit(caller.uow(), order_id=order_id, scanned_unit=body.scanned_unit,
                                           scanned_product=body.scanned_product)


@router.post("/reservations/{reservation_id}/release", summary="Give a reserved unit back to stock, with the reason")
def release_reservation(body: Reason, reservation_id: Id, caller: Caller = ORDERS) -> allocation.ReservationView:
    return allocation.release_reservation(caller.uow(), reservation_id=reservation_id, reason=body.reason)


@router.get("/orders/{order_id}/workup",
            summary="The order with its patient's group, requirements, electronic issue status, held units, "
                    "their crossmatches and issues")
def order_workup(order_id: Id, caller: Caller = ORDERS) -> order_workups.OrderWorkup:
    return order_workups.order_workup(caller.uow(), order_id=order_id)


# ---------------------------------------------------------------- crossmatch


@router.post("/crossmatches", status_code=201, summary="Record a serological crossmatch of a unit with a sample")
def record_crossmatch(body: NewCrossmatch, caller: Caller = ORDERS) -> crossmatch.CrossmatchView:
    return crossmatch.record_crossmatch(caller.uow(), **body.model_dump())


@router.get("/patients/{patient_id}/crossmatches")
def list_crossmatches(patient_id: Id, caller: Caller = ORDERS) -> list[crossmatch.CrossmatchView]:
    return crossmatch.list_crossmatches(caller.uow(), patient_id=patient_id)


# ---------------------------------------------------------------- issue


@router.get("/patients/{patient_id}/electronic-issue",
            summary="Whether red cells may go without a serological crossmatch, and every reason why not")
def electronic_issue(patient_id: Id, caller: Caller = ISSUE) -> ElectronicIssue:
    allowed, reasons = issue.electronic_issue_status(caller.uow(), patient_id=patient_id)
    return ElectronicIssue(allowed=allowed, reasons=list(reasons))


@router.post("/issues", status_code=201,
             summary="Issue a reserved unit: the scanned DIN and patient identifier must both match")
def issue_unit(body: NewIssue, caller: Caller = ISSUE) -> issue.IssueView:
    return issue.issue_unit(caller.uow(), reservation_id=body.reservation_id, scanned_unit=body.scanned_unit,
                            scanned_patient=body.scanned_patient, scanned_product=body.scanned_product)


@router.get("/patients/{patient_id}/emergency-units",
            summary="Group O red cells (or AB plasma) that could be released uncrossmatched for this patient")
def emergency_units(patient_id: Id, kind: Literal["red_cells", "plasma"] = "red_cells",
                    limit: Annotated[int, Query(ge=1, le=50)] = 20,
                    caller: Caller = Depends(require(Permission.EMERGENCY_RELEASE))) -> list[allocation.CandidateUnit]:
    return emergencies.emergency_units(caller.uow(), patient_id=patient_id, kind=kind, limit=limit)


@router.post("/issues/emergency", status_code=201,
             summary="Emergency release of uncrossmatched group O red cells or AB plasma, signed by the releaser")
def emergency_release(body: EmergencyRelease,
                      caller: Caller = Depends(require(Permission.ISSUE, Permission.EMERGENCY_RELEASE))
                      ) -> issue.IssueView:
    return signed(
        caller, password=body.signature_password, action="emergency_release",
        act=lambda: emergencies.emergency_issue(
            caller.uow(), patient_id=body.patient_id, unit_id=body.unit_id, scanned_unit=body.scanned_unit,
            scanned_patient=body.scanned_patient, reason=body.reason, order_id=body.order_id,
            scanned_product=body.scanned_product, incident_id=body.incident_id),
        record=lambda view: (f"{view.din} {view.product_code}", "issue", view.id),
    )


@router.get("/issues/emergency-follow-ups",
            summary="Emergency releases still waiting for the patient's grouping and a retrospective crossmatch")
def pending_follow_ups(caller: Caller = ISSUE) -> list[emergencies.FollowUpView]:
    return emergencies.pending_emergency_follow_ups(caller.uow())


@router.post("/issues/{issue_id}/follow-up", summary="Close the follow-up of an emergency release")
def complete_follow_up(body: FollowUp, issue_id: Id, caller: Caller = ISSUE) -> issue.IssueView:
    return emergencies.complete_emergency_follow_up(caller.uow(), issue_id=issue_id, note=body.note)


@router.get("/issues/{issue_id}/tag.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}, "description": "The tag to tie to the bag."}},
            summary="The compatibility tag: patient, unit, basis of the match, and the barcodes the bedside scans")
def compatibility_tag_pdf(issue_id: Id, caller: Caller = ISSUE) -> Response:
    pdf = compatibility_tag.print_tag(caller.uow(), issue_id=issue_id, language=languages.current(),
                                     catalogue=languages.catalogue)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="issue-{issue_id}-tag.pdf"'})


@router.get("/issues/{issue_id}")
def get_issue(issue_id: Id, caller: Caller = ISSUE) -> issue.IssueView:
    return issue.get_issue(caller.uow(), issue_id=issue_id)


@router.get("/orders/{order_id}/issues", summary="Units issued against the order")
def issues_of_order(order_id: Id, caller: Caller = ISSUE) -> list[issue.IssueView]:
    return issue.issues_of_order(caller.uow(), order_id=order_id)
