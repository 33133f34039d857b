"""A donor's record at the desk: correcting their details (every change kept, with its reason) and their
deferrals (dates for the desk; codes and reasons only for those who may read them, each read audited)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request
from starlette.datastructures import FormData

from bloodbank.domain.access import Permission
from bloodbank.domain.eligibility import DEFERRAL_VOCABULARY
from bloodbank.domain.errors import DomainError
from bloodbank.domain.ids import MAX_ID
from bloodbank.domain.messages import N_
from bloodbank.entrypoints import languages
from bloodbank.entrypoints.web.errors import status_for
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.entrypoints.web.templating import render
from bloodbank.entrypoints.web.ui.donors.desk import (
    SEX_OPTIONS, _int_or_none, _see_other, _site_options, _text, form_of, parse_date, to_survivor,
)
from bloodbank.service_layer.donors import deferrals, registry as donors

router = APIRouter()

DETAILS = ("phone", "email", "address", "postcode", "preferred_site_id")
IDENTITY = ("given_name", "family_name", "date_of_birth", "sex")
NOTICES = {
    "updated": N_("Details saved. The change is kept in the record's history with its reason."),
    "deferred": N_("Deferral recorded."),
    "lifted": N_("Deferral lifted."),
}
DeferralKind = [("temporary", N_("Temporary (until a date)")), ("permanent", N_("Permanent"))]
KIND_WORDS = (N_("temporary"), N_("permanent"))  # a deferral's kind as its list shows it


def donor_id_path():
    return Path(..., ge=1, le=MAX_ID)


# ---------------------------------------------------------------- details


def _details_page(request: Request, caller: Caller, donor_id: int, values: dict | None = None, *,
                  status_code: int = 200, error: str | None = None, notice: str | None = None):
    donor = donors.get_donor(caller.uow(), donor_id)
    shown = values or {**{k: getattr(donor, k) for k in DETAILS + IDENTITY},
                       "appeals_opt_in": donor.appeals_opt_in, "language": donor.language or ""}
    return render(request, "desk/donor_details.html", status_code=status_code, error=error, notice=notice,
                  donor=donor, values=shown, sex_options=SEX_OPTIONS,
                  site_options=_site_options(caller, blank=N_("No preferred site")),
                  language_options=[("", N_("As their browser asks")), *languages.LANGUAGES.items()],
                  history=donors.record_history(caller.uow(), donor.id, role=caller.principal.role))


@router.get("/desk/donors/{donor_id}/details")
def details_form(request: Request, donor_id: int = donor_id_path(), notice: str | None = None,
                 caller: Caller = Depends(require(Permission.DONORS_WRITE))):
    moved = to_survivor(caller, donor_id, "/details")
    if moved is not None:
        return moved
    return _details_page(request, caller, donor_id, notice=NOTICES.get(notice or ""))


@router.post("/desk/donors/{donor_id}/details")
def save_details(request: Request, donor_id: int = donor_id_path(), form: FormData = Depends(form_of),
                 caller: Caller = Depends(require(Permission.DONORS_WRITE))):
    values = {name: _text(form, name) for name in DETAILS + IDENTITY}
    values["appeals_opt_in"] = form.get("appeals_opt_in") == "yes"
    values["language"] = _text(form, "language")
    try:
        fields = {name: values[name] or None for name in ("phone", "email")}
        fields.update(address=values["address"], postcode=values["postcode"],
                      preferred_site_id=_int_or_none(values["preferred_site_id"], N_("Preferred site")),
                      given_name=values["given_name"], family_name=values["family_name"],
                      date_of_birth=parse_date(values["date_of_birth"], N_("Date of birth")), sex=values["sex"])
        donors.update_donor(caller.uow(), donor_id, reason=_text(form, "reason"), **fields)
        if donors.get_donor(caller.uow(), donor_id).appeals_opt_in != values["appeals_opt_in"]:
            donors.set_appeals_opt_in(caller.uow(), donor_id, values["appeals_opt_in"])
        if (donors.get_donor(caller.uow(), donor_id).language or "") != values["language"]:
            donors.set_language(caller.uow(), donor_id, values["language"])
    except DomainError as error:
        return _details_page(request, caller, donor_id, {**values, "reason": _text(form, "reason")},
                             status_code=status_for(error), error=error)
    return _see_other(f"/desk/donors/{donor_id}/details", notice="updated")


# ---------------------------------------------------------------- deferrals


def _deferrals_page(request: Request, caller: Caller, donor_id: int, *, status_code: int = 200,
                    error: str | None = None, notice: str | None = None, values: dict | None = None):
    donor = donors.get_donor(caller.uow(), donor_id)
    reasons = caller.principal.may(Permission.DEFERRAL_REASONS)
    listed = (deferrals.list_deferrals(caller.uow(), donor.id, include_reasons=True) if reasons
              else deferrals.list_deferral_dates(caller.uow(), donor.id))
    return render(request, "desk/donor_deferrals.html", status_code=status_code, error=error, notice=notice,
                  donor=donor, deferrals=listed, reasons=reasons, status=deferrals.deferral_status(caller.uow(), donor.id),
                  codes=[("", "Choose…")] + [(code, text) for code, text in DEFERRAL_VOCABULARY.items()],
                  kinds=DeferralKind, values=values or {"kind": "temporary"})


@router.get("/desk/donors/{donor_id}/deferrals")
def deferrals_page(request: Request, donor_id: int = donor_id_path(), notice: str | None = None,
                   caller: Caller = Depends(require(Permission.DONORS_READ))):
    moved = to_survivor(caller, donor_id, "/deferrals")
    if moved is not None:
        return moved
    return _deferrals_page(request, caller, donor_id, notice=NOTICES.get(notice or ""))


@router.post("/desk/donors/{donor_id}/deferrals")
def add_deferral(request: Request, donor_id: int = donor_id_path(), form: FormData = Depends(form_of),
                 caller: Caller = Depends(require(Permission.DEFERRALS_WRITE))):
    values = {name: _text(form, name) for name in ("code", "kind", "ends_on", "reason")}
    try:
        deferrals.add_deferral(caller.uow(), donor_id=donor_id, code=values["code"], kind=values["kind"],
                               reason=values["reason"], ends_on=parse_date(values["ends_on"], "End date",
                                                                           required=False))
    except DomainError as error:
        return _deferrals_page(request, caller, donor_id, status_code=status_for(error), error=error,
                               values=values)
    return _see_other(f"/desk/donors/{donor_id}/deferrals", notice="deferred")


@router.post("/desk/donors/{donor_id}/deferrals/{deferral_id}/lift")
def lift_deferral(request: Request, donor_id: int = donor_id_path(), deferral_id: int = Path(..., ge=1, le=MAX_ID),
                  form: FormData = Depends(form_of), caller: Caller = Depends(require(Permission.DEFERRALS_WRITE))):
    try:
        deferrals.lift_deferral(caller.uow(), deferral_id=deferral_id, reason=_text(form, "reason"),
                                donor_id=donor_id)
    except DomainError as error:
        return _deferrals_page(request, caller, donor_id, status_code=status_for(error), error=error)
    return _see_other(f"/desk/donors/{donor_id}/deferrals", notice="lifted")
