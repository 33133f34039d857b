"""REST endpoints: an incident's live appeal dashboard and its report afterwards, as JSON and each table as
CSV (INCIDENTS)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from bloodbank.domain.access import Permission
from bloodbank.entrypoints.web.api.common import Id
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.service_layer.crisis.appeal_dashboard import Dashboard, dashboard
from bloodbank.service_layer.crisis.incident_report import IncidentReport, csv_text, incident_report

router = APIRouter(tags=["appeals"])
INCIDENTS = Depends(require(Permission.INCIDENTS))


@router.get("/incidents/{incident_id}/appeal/dashboard",
            summary="The appeal's dashboard: need, on hand, gap and the appeal's donors by window and group, and "
                    "red cells needed against supply at the end of each window")
def get_dashboard(incident_id: Id, caller: Caller = INCIDENTS) -> Dashboard:
    return dashboard(caller.uow(), incident_id=incident_id)


@router.get("/incidents/{incident_id}/report",
            summary="The incident's report: forecast against issued, invitations against donations, the fate of "
                    "every appeal unit and the unused share")
def get_report(incident_id: Id, caller: Caller = INCIDENTS) -> IncidentReport:
    return incident_report(caller.uow(), incident_id=incident_id)


@router.get("/incidents/{incident_id}/report/{section}.csv", response_class=Response,
            summary="One table of the incident's report as CSV",
            responses={200: {"content": {"text/csv": {}}}})
def get_report_csv(incident_id: Id, section: Literal["forecast", "invitations", "fates"],
                   caller: Caller = INCIDENTS) -> Response:
    report = incident_report(caller.uow(), incident_id=incident_id)
    return Response(csv_text(report, section), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="bloodbank-incident-{report.incident.id}-{section}.csv"'})
