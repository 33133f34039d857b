"""Erasure requests donors filed from their page, for the medical director who erases (`/api/donors/{id}/erasure`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from bloodbank.domain.access import Permission
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.service_layer.donor_portal import my_data
from bloodbank.service_layer.donor_portal.my_data import ErasureRequestView

router = APIRouter(tags=["donors"])


@router.get("/erasure-requests", summary="Erasure requests donors filed from their page, not yet acted on")
def erasure_requests(caller: Caller = Depends(require(Permission.ERASURE))) -> list[ErasureRequestView]:
    return my_data.open_erasure_requests(caller.uow())
