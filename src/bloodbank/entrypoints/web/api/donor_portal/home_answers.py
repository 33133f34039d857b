"""The desk reads a donor's answers from home by the code on the donor's phone, for the visit in front of it."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from bloodbank.domain.access import Permission
from bloodbank.entrypoints.web.api.donors.donors import record_id
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.service_layer.donor_portal import home_answers

router = APIRouter(tags=["visits"])


@router.get("/visits/{visit_id}/home-answers",
            summary="The answers the visit's donor gave at home, by the scanned code, as the screening form's values")
def answers_from_home(code: str = Query(..., max_length=100, description="What the donor's QR code holds."),
                      visit_id: int = record_id("visit"),
                      caller: Caller = Depends(require(Permission.VISITS))) -> dict[str, str]:
    return home_answers.answers_for_visit(caller.uow(), visit_id=visit_id, scanned=code)
