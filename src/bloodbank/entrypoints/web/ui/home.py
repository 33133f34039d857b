"""The overview: live figures for everyone logged in, the medical director's home."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from bloodbank.domain.access import Permission
from bloodbank.domain.blood_groups import ALL_GROUPS
from bloodbank.entrypoints.web.security import Caller, logged_in
from bloodbank.entrypoints.web.templating import render
from bloodbank.service_layer.reporting.overview import overview

router = APIRouter()


@router.get("/")
def home(request: Request, caller: Caller = Depends(logged_in)):
    figures = overview(caller.uow())
    groups = [(str(g), figures.donors_by_group.get(str(g), 0)) for g in ALL_GROUPS]
    return render(request, "home.html", figures=figures, groups=groups,
                  may_follow_up=caller.principal.may(Permission.TRACE))
