"""Pages: massive transfusion (the protocols, one protocol's screen with its coolers, its report) and the packs of
emergency identities printed for a trauma bay.

The same use cases as the API and the command line; a refusal is shown on the page it came from, with what the
person typed.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from bloodbank.domain.access import Permission, signature_meaning
from bloodbank.domain.errors import DomainError, InvalidInput, NotFound
from bloodbank.domain.ids import MAX_ID
from bloodbank.domain.issue import IssueRefused
from bloodbank.domain.massive_transfusion import rules
from bloodbank.domain.messages import N_
from bloodbank.entrypoints import languages
from bloodbank.entrypoints.web.errors import status_for
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.entrypoints.web.templating import render
from bloodbank.service_layer.crisis import incidents as crisis_incidents
from bloodbank.service_layer.hospital import hospitals, identity_packs, massive_transfusion, mtp_rounds, patients

router = APIRouter(prefix="/hospital")

MTP = Depends(require(Permission.MASSIVE_TRANSFUSION))
REGISTER = Depends(require(Permission.PATIENTS_WRITE))
NOT_SAVED = ("csrf_token", "signature_password")
NOTICES = {
    "activated": N_("Massive transfusion activated. Pack the first cooler."),
    "prepared": N_("Cooler packed: scan each unit into it and the patient's wristband to issue it."),
    "issued": N_("Cooler issued: every unit is recorded against the patient."),
    "returned": N_("Cooler taken back: unused units went back to stock or were discarded by the return rule."),
    "ended": N_("Massive transfusion ended under your signature."),
    "ratio": N_("The hospital's ratio is saved: protocols activated from now on use it."),
    "pack": N_("Identity pack reserved: print it now."),
}


def _id(text: object, what: str) -> int:
    try:
        number = int(str(text or "").strip())
    except ValueError:
        raise InvalidInput(N_("Choose the %(what)s."), params={"what": what}) from None
    if not 1 <= number <= MAX_ID:
        raise NotFound(N_("There is no %(what)s %(number)s."), params={"what": what, "number": number})
    return number


async def _form(request: Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.form()).items() if k not in NOT_SAVED}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").replace(",", "\n").splitlines() if line.strip()]


def _hospital_options(caller: Caller) -> list[tuple[str, str]]:
    return [(str(h.id), f"{h.name} ({h.code})") for h in hospitals.list_hospitals(caller.uow())]


# ---------------------------------------------------------------- the protocols


def _list_page(request: Request, caller: Caller, *, status_code: int = 200, error=None, typed: dict | None = None):
    views, total = massive_transfusion.list_protocols(caller.uow(), limit=50)
    options = _hospital_options(caller)
    ratios = [(h, massive_transfusion.hospital_ratio(caller.uow(), hospital_id=int(h)), name) for h, name in options]
    open_incidents = []
    if caller.principal.may(Permission.CASUALTY_COUNTS):
        open_incidents = [(str(i.id), f"{i.id} · {i.place}")
                          for i in crisis_incidents.list_incidents(caller.uow(), status="declared", limit=50)[0]]
    return render(request, "hospital/mtp_list.html", status_code=status_code, error=error,
                  notice=NOTICES.get(request.query_params.get("saved", "")), protocols=views, total=total,
                  ratios=ratios, protocols_known=list(rules().protocols.values()), typed=typed or {},
                  hospitals=options, incidents=[("", N_("None"))] + open_incidents,
                  may_set_ratio=caller.principal.may(Permission.MTP_RATIO))


@router.get("/mtp")
def list_page(request: Request, caller: Caller = MTP):
    return _list_page(request, caller)


@router.post("/mtp")
async def activate(request: Request, caller: Caller = MTP):
    form = await _form(request)
    try:
        patient = patients.lookup_patient(caller.uow(), form.get("patient", ""))
        incident = form.get("incident_id", "").strip()
        view = massive_transfusion.activate(caller.uow(), patient_id=patient.id, reason=form.get("reason", ""),
                                            incident_id=_id(incident, "incident") if incident else None)
    except DomainError as failure:
        return _list_page(request, caller, status_code=status_for(failure), error=failure, typed=form)
    return RedirectResponse(f"/hospital/mtp/{view.id}?saved=activated", status_code=303)


@router.post("/mtp/ratio")
async def set_ratio(request: Request, caller: Caller = Depends(require(Permission.MTP_RATIO))):
    form = await _form(request)
    try:
        massive_transfusion.set_hospital_ratio(caller.uow(), hospital_id=_id(form.get("hospital_id"), "hospital"),
                                               ratio=form.get("ratio", ""), reason=form.get("reason", ""))
    except DomainError as failure:
        return _list_page(request, caller, status_code=status_for(failure), error=failure, typed=form)
    return RedirectResponse("/hospital/mtp?saved=ratio", status_code=303)


# ---------------------------------------------------------------- one protocol


def _screen(request: Request, caller: Caller, mtp_id: int, *, status_code: int = 200, error=None,
            refusals=(), typed: dict | None = None, template: str = "hospital/mtp.html"):
    view = massive_transfusion.get(caller.uow(), mtp_id=mtp_id)
    subject = view.patient.identifier("emergency") or view.patient.display_name
    return render(request, template, status_code=status_code, error=error, refusals=refusals,
                  notice=NOTICES.get(request.query_params.get("saved", "")), mtp=view, typed=typed or {},
                  end_meaning=signature_meaning(massive_transfusion.END_ACTION, subject))


@router.get("/mtp/{mtp_id}")
def screen(request: Request, mtp_id: int, caller: Caller = MTP):
    return _screen(request, caller, _id(mtp_id, "protocol"))


@router.get("/mtp/{mtp_id}/report")
def report(request: Request, mtp_id: int, caller: Caller = MTP):
    return _screen(request, caller, _id(mtp_id, "protocol"), template="hospital/mtp_report.html")


async def _act(request: Request, caller: Caller, mtp_id: int, saved: str, act):
    mtp_id = _id(mtp_id, "protocol")
    form = await _form(request)
    password = str((await request.form()).get("signature_password", ""))
    try:
        act(form, password)
    except IssueRefused as refused:
        return _screen(request, caller, mtp_id, status_code=status_for(refused), refusals=refused.refusals,
                       typed=form)
    except DomainError as failure:
        return _screen(request, caller, mtp_id, status_code=status_for(failure), error=failure, typed=form)
    return RedirectResponse(f"/hospital/mtp/{mtp_id}?saved={saved}", status_code=303)


@router.post("/mtp/{mtp_id}/rounds")
async def prepare(request: Request, mtp_id: int, caller: Caller = MTP):
    return await _act(request, caller, mtp_id, "prepared",
                      lambda form, _: mtp_rounds.prepare_round(caller.uow(), mtp_id=mtp_id))


@router.post("/mtp/{mtp_id}/rounds/{round_id}/issue")
async def issue(request: Request, mtp_id: int, round_id: int, caller: Caller = MTP):
    return await _act(request, caller, mtp_id, "issued", lambda form, _: mtp_rounds.issue_round(
        caller.uow(), round_id=_id(round_id, "round"), scanned_units=_lines(form.get("scanned_units", "")),
        scanned_patient=form.get("scanned_patient", "")))


def _minutes(text: str) -> int:
    value = (text or "").strip()
    if not value.isascii() or not value.isdigit() or len(value) > 6:
        raise InvalidInput(N_("The time out of storage is a whole number of minutes, 0 or more."))
    return int(value)


@router.post("/mtp/{mtp_id}/rounds/{round_id}/return")
async def take_back(request: Request, mtp_id: int, round_id: int, caller: Caller = MTP):
    return await _act(request, caller, mtp_id, "returned", lambda form, _: mtp_rounds.return_round(
        caller.uow(), round_id=_id(round_id, "round"), minutes_out_of_storage=_minutes(form.get("minutes", "")),
        kept_in_cold_chain=form.get("kept_in_cold_chain") == "on", note=form.get("note", ""),
        given=_lines(form.get("given", ""))))


@router.post("/mtp/{mtp_id}/end")
async def end(request: Request, mtp_id: int, caller: Caller = MTP):
    return await _act(request, caller, mtp_id, "ended", lambda form, password: massive_transfusion.deactivate(
        caller.uow(), mtp_id=mtp_id, signer_id=caller.user_id, password=password, note=form.get("note", "")))


# ---------------------------------------------------------------- identity packs


def _packs_page(request: Request, caller: Caller, *, status_code: int = 200, error=None, typed: dict | None = None):
    return render(request, "hospital/identity_packs.html", status_code=status_code, error=error,
                  notice=NOTICES.get(request.query_params.get("saved", "")),
                  packs=identity_packs.list_packs(caller.uow()), hospitals=_hospital_options(caller),
                  typed=typed or {}, tubes=identity_packs.DEFAULT_TUBES)


@router.get("/identity-packs")
def packs_page(request: Request, caller: Caller = REGISTER):
    return _packs_page(request, caller)


@router.post("/identity-packs")
async def print_pack(request: Request, caller: Caller = REGISTER):
    form = await _form(request)
    try:
        count = form.get("count", "").strip()
        if not count.isascii() or not count.isdigit() or len(count) > 3:
            raise InvalidInput(N_("A pack holds 1 to %(most)s identities."), params={"most": identity_packs.MAX_PACK})
        identity_packs.print_pack(caller.uow(), hospital_id=_id(form.get("hospital_id"), "hospital"),
                                  count=int(count), place=form.get("place", ""))
    except DomainError as failure:
        return _packs_page(request, caller, status_code=status_for(failure), error=failure, typed=form)
    return RedirectResponse("/hospital/identity-packs?saved=pack", status_code=303)


@router.post("/identity-packs/{pack_id}/pack.pdf")
def pack_pdf(request: Request, pack_id: int, caller: Caller = REGISTER):
    pdf = identity_packs.pack_pdf(caller.uow(), pack_id=_id(pack_id, "identity pack"), language=languages.current(),
                                  catalogue=languages.catalogue)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="identity-pack-{pack_id}.pdf"'})


@router.post("/identity-packs/scan")
async def scan(request: Request, caller: Caller = REGISTER):
    form = await _form(request)
    try:
        age = form.get("approximate_age", "").strip()
        if age and (not age.isascii() or not age.isdigit() or len(age) > 3):
            raise InvalidInput(N_("The approximate age is a whole number of years."))
        view = identity_packs.register_scanned(caller.uow(), scanned=form.get("scanned", ""),
                                               sex=form.get("sex") or None, approximate_age=int(age) if age else None)
    except DomainError as failure:
        return _packs_page(request, caller, status_code=status_for(failure), error=failure, typed=form)
    return RedirectResponse(f"/hospital/patients/{view.patient.id}?saved=patient", status_code=303)
