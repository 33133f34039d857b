"""Pages: the monthly report, with its charts, and each of its tables as a CSV file."""

from __future__ import annotations

import base64
from datetime import datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from bloodbank.domain.access import Permission
from bloodbank.domain.errors import DomainError
from bloodbank.domain.messages import N_
from bloodbank.domain.monthly_report import Month, month_of, parse_month
from bloodbank.entrypoints.web.errors import status_for
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.entrypoints.web.templating import render, viewer_clock
from bloodbank.service_layer.donors import sites
from bloodbank.service_layer.reporting.monthly import SECTIONS, MonthlyReport, csv_text, monthly_report
from bloodbank.service_layer.reporting.monthly_charts import charts

router = APIRouter()
REPORTS = Depends(require(Permission.REPORTS))


def _site_id(text: str) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 and int(text) >= 1 else None


def _month(request: Request, text: str) -> Month:
    """The month asked for; the last complete month when none is."""
    if (text or "").strip():
        return parse_month(text)
    return month_of(datetime.now(viewer_clock(request)).date()).previous()


def _report(request: Request, caller: Caller, month: str, site_id: str) -> MonthlyReport:
    return monthly_report(caller.uow(), _month(request, month), site_id=_site_id(site_id),
                          deferral_reasons=caller.principal.may(Permission.DEFERRAL_REASONS))


def _neighbour(step) -> str | None:
    """The month before or after, when there is one to show."""
    try:
        return str(step())
    except DomainError:
        return None


def _image(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _charts(report: MonthlyReport) -> dict[str, tuple[str, str]]:
    """Each chart as an image the page's policy allows (no inline styles), with its words for screen readers."""
    return {name: (_image(chart.svg), chart.description) for name, chart in charts(report).items()}


@router.get("/reports/monthly")
def monthly_page(request: Request, month: str = "", site_id: str = "", caller: Caller = REPORTS):
    options = [("", N_("All sites"))] + [(str(s.id), f"{s.code} · {s.name}") for s in sites.list_sites(caller.uow())]
    try:
        report = _report(request, caller, month, site_id)
    except DomainError as error:
        return render(request, "reports/monthly.html", status_code=status_for(error), error=str(error),
                      report=None, charts={}, site_options=options, typed={"month": month, "site_id": site_id})
    shown = parse_month(report.month)
    return render(request, "reports/monthly.html", report=report, charts=_charts(report), site_options=options,
                  sections=SECTIONS, previous=_neighbour(shown.previous), following=_neighbour(shown.next),
                  typed={"month": report.month, "site_id": site_id})


@router.get("/reports/monthly/{section}.csv")
def monthly_csv(request: Request, section: str, month: str = "", site_id: str = "", caller: Caller = REPORTS):
    if section not in SECTIONS:
        return Response(f"There is no section '{section[:40]}' in the monthly report: use one of "
                        f"{', '.join(SECTIONS)}.\n", status_code=404, media_type="text/plain; charset=utf-8")
    try:
        report = _report(request, caller, month, site_id)
    except DomainError as error:
        return Response(f"{error}\n", status_code=status_for(error), media_type="text/plain; charset=utf-8")
    where = f"-{report.site_code}" if report.site_code else ""
    return Response(csv_text(report, section), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="bloodbank-{report.month}{where}-{section}.csv"'})
