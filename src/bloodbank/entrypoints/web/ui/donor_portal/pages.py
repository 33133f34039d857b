"""Rendering a donor's page: in the donor's language, with the donor's CSRF token, never a staff person's menu."""

from __future__ import annotations

from fastapi import Request

from bloodbank.domain.messages import N_
from bloodbank.entrypoints.web.donor_security import DonorCaller
from bloodbank.entrypoints.web.templating import render


# Donation kinds as a donor reads them.
KIND_NAMES = {"whole_blood": N_("Whole blood"), "double_red_cells": N_("Double red cells"), "plasma": N_("Plasma"),
              "platelets": N_("Platelets")}


def public_page(request: Request, template: str, status_code: int = 200, **context):
    """A page read before signing in: no staff person, whatever cookie the browser also holds."""
    request.state.principal = None
    return render(request, template, status_code=status_code, donor=None, donor_csrf="", **context)


def donor_page(request: Request, template: str, caller: DonorCaller, status_code: int = 200, **context):
    request.state.principal = None
    return render(request, template, status_code=status_code, language=caller.donor.language, donor=caller.donor,
                  donor_csrf=caller.donor.csrf_token, kind_names=KIND_NAMES, **context)
