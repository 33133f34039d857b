"""What donors said on their page that staff act on: erasure requests (the medical director erases through
`/api/donors/{id}/erasure`, which closes the request, or declines it here with a reason the donor reads), and who
can come now in an emergency."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from bloodbank.domain.access import Permission
from bloodbank.domain.ids import MAX_ID
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.service_layer.donor_portal import my_data, preferences
from bloodbank.service_layer.donor_portal.my_data import DECLINE_REASON_LENGTH, ErasureRequestView
from bloodbank.service_layer.donor_portal.preferences import AvailableDonor

router = APIRouter(tags=["donors"])


@router.get("/erasure-requests", summary="Erasure requests donors filed from their page, not yet acted on")
def erasure_requests(caller: Caller = Depends(require(Permission.ERASURE))) -> list[ErasureRequestView]:
    return my_data.open_erasure_requests(caller.uow())


class DeclineErasure(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=DECLINE_REASON_LENGTH,
                        description="Why, in words the donor reads on their page.")


@router.post("/erasure-requests/{donor_id}/decline",
             summary="Decline a donor's erasure request, saying why; the donor reads the reason on their page")
def decline_erasure_request(body: DeclineErasure, donor_id: int = Path(..., ge=1, le=MAX_ID, description="The donor's id."),
                            caller: Caller = Depends(require(Permission.ERASURE))) -> ErasureRequestView:
    return my_data.decline_erasure_request(caller.uow(), donor_ref=donor_id, reason=body.reason)


@router.get("/available-donors", summary="Donors who said on their page they can come now, in an emergency")
def available_now(caller: Caller = Depends(require(Permission.DONORS_READ))) -> list[AvailableDonor]:
    return preferences.available_now(caller.uow())
