"""REST endpoint: the monthly report (REPORTS). Counts only; deferral reasons only for a reader who may see them."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from bloodbank.domain.access import Permission
from bloodbank.domain.ids import MAX_ID
from bloodbank.domain.monthly_report import parse_month
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.service_layer.reporting.monthly import MonthlyReport, monthly_report

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/monthly", summary="Collections, deferrals, discards, hospital use, stock and days of supply, and "
                                "donors' adverse events for one month")
def get_monthly(month: str = Query(max_length=20, description="The month, as YYYY-MM."),
                site_id: int | None = Query(None, ge=1, le=MAX_ID, description="Only this site and the hospitals "
                                                                               "it serves."),
                caller: Caller = Depends(require(Permission.REPORTS))) -> MonthlyReport:
    return monthly_report(caller.uow(), parse_month(month), site_id=site_id,
                          deferral_reasons=caller.principal.may(Permission.DEFERRAL_REASONS))
