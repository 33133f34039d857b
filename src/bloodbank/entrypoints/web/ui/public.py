"""The public page of blood stocks: no login, no script needed to read it, small enough for a slow phone."""

from __future__ import annotations

from fastapi import APIRouter, Request

from bloodbank.domain.stock_levels import LABELS
from bloodbank.entrypoints.web import public_figures
from bloodbank.entrypoints.web.templating import render

router = APIRouter()


@router.get("/public")
def public_page(request: Request):
    response = render(request, "public/stock.html", stock=public_figures.current(request), labels=LABELS)
    response.headers["Cache-Control"] = f"public, max-age={public_figures.KEPT_SECONDS}"
    return response
