"""Pages: an incident's live appeal dashboard (need, supply and the appeal's donors by group and window, the
chart of need against supply, refreshed by htmx) and, afterwards, its report with each table as CSV. INCIDENTS."""

from __future__ import annotations

import base64

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from bloodbank.domain.access import Permission
from bloodbank.domain.appeal_fates import FATE_LABELS, FATES
from bloodbank.domain.errors import DomainError
from bloodbank.domain.mass_casualty import KIND_LABELS as COMPONENT_LABELS
from bloodbank.entrypoints import languages
from bloodbank.entrypoints.web.errors import status_for
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.entrypoints.web.templating import render
from bloodbank.entrypoints.web.ui.crisis.incidents import NOTICES, _incident_id
from bloodbank.service_layer.crisis import appeal_chart
from bloodbank.service_layer.crisis.appeal_dashboard import dashboard
from bloodbank.service_layer.crisis.incident_report import SECTIONS, csv_text, incident_report

router = APIRouter()
INCIDENTS = Depends(require(Permission.INCIDENTS))


def _image(svg: str) -> str:
    """An SVG as an image the page's policy allows (no inline styles)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


@router.get("/incidents/{incident_id}/dashboard")
def dashboard_page(request: Request, incident_id: int, caller: Caller = INCIDENTS):
    board = dashboard(caller.uow(), incident_id=_incident_id(incident_id))
    svg, words = appeal_chart.need_and_supply(board, languages.gettext)
    return render(request, "crisis/dashboard.html", board=board, chart=(_image(svg), words),
                  appeal_lines={line.group: line for line in board.appeal.groups},
                  notice=NOTICES.get(request.query_params.get("saved", "")), incident_id=board.incident_id)


@router.get("/incidents/{incident_id}/report")
def report_page(request: Request, incident_id: int, caller: Caller = INCIDENTS):
    report = incident_report(caller.uow(), incident_id=_incident_id(incident_id))
    return render(request, "crisis/report.html", report=report, fates=FATES, fate_labels=FATE_LABELS,
                  component_labels=COMPONENT_LABELS, sections=SECTIONS)


@router.get("/incidents/{incident_id}/report/{section}.csv")
def report_csv(incident_id: int, section: str, caller: Caller = INCIDENTS):
    if section not in SECTIONS:
        return Response(f"There is no section '{section[:40]}' in the incident report: use one of "
                        f"{', '.join(SECTIONS)}.\n", status_code=404, media_type="text/plain; charset=utf-8")
    try:
        report = incident_report(caller.uow(), incident_id=_incident_id(incident_id))
    except DomainError as error:
        return Response(f"{languages.error_message(error)}\n", status_code=status_for(error),
                        media_type="text/plain; charset=utf-8")
    return Response(csv_text(report, section), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="bloodbank-incident-{report.incident.id}-{section}.csv"'})
