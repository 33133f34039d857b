"""What donors said on their page that staff act on: erasure requests (the medical director erases through
`/api/donors/{id}/erasure`), and who can come now in an emergency."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from bloodbank.domain.access import Permission
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.service_layer.donor_portal import my_data, preferences
from bloodbank.service_layer.donor_portal.my_data import ErasureRequestView
from bloodbank.service_layer.donor_portal.preferences import AvailableDonor

router = APIRouter(tags=["donors"])


@router.get("/erasure-requests", summary="Erasure requests donors filed from their page, not yet acted on")
def erasure_requests(caller: Caller = Depends(require(Permission.ERASURE))) -> list[ErasureRequestView]:
    return my_data.open_erasure_requests(caller.uow())


@router.get("/available-donors", summary="Donors who said on their page they can come now, in an emergency")
def available_now(caller: Caller = Depends(require(Permission.DONORS_READ))) -> list[AvailableDonor]:
    return preferences.available_now(caller.uow())
