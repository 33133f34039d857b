"""REST endpoint, no login: blood stock levels by group, nationally and at each blood bank (no counts of units,
no person, no casualty figure)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from bloodbank.entrypoints.web import public_figures
from bloodbank.service_layer.reporting.public_stock import PublicStock

router = APIRouter(prefix="/public", tags=["public"])


@router.get("/stock", summary="Blood stock levels by group, nationally and at each blood bank (no login)")
def public_stock(request: Request, response: Response) -> PublicStock:
    response.headers["Cache-Control"] = f"public, max-age={public_figures.KEPT_SECONDS}"
    return public_figures.current(request)
