"""Pages: the lab technician's processing bench. Find a donation by the DIN on its bag, make its components,
print each unit's label and verify it by scanning it back; pool buffy coats, split, irradiate, make cryo.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from bloodbank.domain.access import Permission
from bloodbank.domain.errors import DomainError, InvalidInput
from bloodbank.domain.ids import MAX_ID
from bloodbank.domain.messages import N_
from bloodbank.entrypoints.web.errors import status_for
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.entrypoints.web.templating import render
from bloodbank.service_layer.blood import aliquots, irradiation, labels, pooling, processing
from bloodbank.service_layer.donors import sites

router = APIRouter()

MAX_SCAN = 60  # a scanned barcode is 16 characters or fewer; more is not a scan
POOL_FIELDS = tuple(f"din_{n}" for n in range(1, 7))
PROCESS = require(Permission.PROCESSING)

METHOD_OPTIONS = [
    ("buffy_coat", N_("Buffy coat: red cells, plasma, and a buffy coat for pooling")),
    ("prp", N_("Platelet-rich plasma: red cells, plasma, a platelet concentrate to pool")),
    ("whole_blood", N_("Kept as whole blood")),
]
LEUCO_OPTIONS = [("", N_("The method's usual (filtered unless kept whole)")), ("yes", N_("Leucocyte-reduced")),
                 ("no", N_("Not leucocyte-reduced"))]
PARTS_OPTIONS = [("2", "2"), ("3", "3"), ("4", "4")]
DONE = {
    "processed": N_("Components made, in quarantine. Print each unit's label, stick it on the bag, then scan it "
                    "back."),
    "printed": N_("Label printed. Stick it on the bag, then scan its four barcodes back: DIN, blood group, "
                  "product code, expiry."),
    "verified": N_("Label verified: its DIN, blood group, product code and expiry are this unit's."),
    "irradiated": N_("Irradiated: the product code and expiry changed. Print the new label and verify it."),
    "split": N_("Aliquots made, in quarantine. Each one needs its own label."),
    "cryo": N_("Cryoprecipitate made, in quarantine. Print its label and verify it."),
    "pooled": N_("Pool made under its own DIN, in quarantine. Print its label and verify it."),
}


def _id(what: str):
    return Path(..., ge=1, le=MAX_ID, description=f"The {what}'s id.")


def _scan(text: str) -> str:
    value = (text or "").strip()
    if len(value) > MAX_SCAN:
        raise InvalidInput(N_("This is not a barcode (%(length)s characters): scan the label again."),
                           params={"length": len(value)})
    return value


def _whole(text: str, what: str) -> int | None:
    value = (text or "").strip()
    if not value:
        return None
    if not (value.isascii() and value.lstrip("-").isdigit()) or len(value) > 7:
        raise InvalidInput(N_("The %(what)s must be a whole number; got '%(text)s'."),
                           params={"what": what, "text": value[:20]})
    return int(value)


def _bench(request: Request, caller: Caller, *, work=None, din: str = "", typed: dict | None = None,
           error: str | None = None, notice: str | None = None, status_code: int = 200):
    """The bench: the donation looked up (if any) above the work lists of the whole service."""
    awaiting, awaiting_total = processing.awaiting_processing(caller.uow(), limit=30)
    to_label, to_label_total = labels.units_awaiting_label(caller.uow(), limit=30)
    candidates = pooling.pool_candidates(caller.uow(), limit=60)
    site_list = sites.list_sites(caller.uow())
    site_options = [(s.id, f"{s.code} · {s.name}") for s in site_list]
    typed = typed or {}
    # Pools are made at a centre, not at a mobile session: offer the first fixed site.
    fixed = [s.id for s in site_list if s.kind == "fixed"]
    pool_site = typed.get("site_id") or (fixed[0] if fixed else "")
    return render(request, "processing/home.html", status_code=status_code, error=error, notice=notice,
                  work=work, din_typed=din, typed=typed, awaiting=awaiting, awaiting_total=awaiting_total,
                  to_label=to_label, to_label_total=to_label_total, candidates=candidates,
                  site_options=site_options, pool_site=pool_site, pool_fields=POOL_FIELDS,
                  method_options=METHOD_OPTIONS, leuco_options=LEUCO_OPTIONS)


@router.get("/processing")
def processing_home(request: Request, din: str = "", done: str = "", caller: Caller = Depends(PROCESS)):
    din = din[:MAX_SCAN * 2]
    if not din.strip():
        return _bench(request, caller, notice=DONE.get(done))
    try:
        work = processing.donation_work(caller.uow(), din=_scan(din))
    except DomainError as error:
        return _bench(request, caller, din=din, error=error, status_code=status_for(error))
    return _bench(request, caller, work=work, din=din, notice=DONE.get(done))


@router.post("/processing/process")
def process_donation(request: Request, din: str = Form(""), method: str = Form(""), leucoreduced: str = Form(""),
                     caller: Caller = Depends(PROCESS)):
    typed = {"method": method[:40], "leucoreduced": leucoreduced[:5]}
    try:
        filtered = {"": None, "yes": True, "no": False}.get(leucoreduced.strip())
        if leucoreduced.strip() not in ("", "yes", "no"):
            raise InvalidInput(N_("Choose whether the components are leucocyte-reduced."))
        made = processing.process_donation_by_din(caller.uow(), din=_scan(din), method=method.strip(),
                                                  leucoreduced=filtered)
    except DomainError as error:
        try:
            work = processing.donation_work(caller.uow(), din=_scan(din))
        except DomainError:
            work = None
        return _bench(request, caller, work=work, din=din[:MAX_SCAN], typed=typed, error=error,
                      status_code=status_for(error))
    return RedirectResponse("/processing?" + urlencode({"din": made[0].din, "done": "processed"}), status_code=303)


@router.post("/processing/pool")
async def pool(request: Request, caller: Caller = Depends(PROCESS)):
    form = await request.form()
    scanned = [str(form.get(name, ""))[:MAX_SCAN * 2] for name in POOL_FIELDS]
    site_text = str(form.get("site_id", "")).strip()[:12]
    typed = {"site_id": site_text, **dict(zip(POOL_FIELDS, scanned))}
    try:
        if not (site_text.isdigit() and 1 <= int(site_text) <= MAX_ID):
            raise InvalidInput(N_("Choose the site making the pool: its facility code goes in the new DIN."))
        made = pooling.pool_platelets_by_din(caller.uow(), dins=[_scan(text) for text in scanned],
                                             site_id=int(site_text))
    except DomainError as error:
        return _bench(request, caller, typed=typed, error=error, status_code=status_for(error))
    return RedirectResponse(f"/processing/units/{made.id}?done=pooled", status_code=303)


def _unit_page(request: Request, caller: Caller, unit_id: int, *, typed: dict | None = None,
               error: str | None = None, notice: str | None = None, status_code: int = 200):
    work = processing.unit_work(caller.uow(), unit_id=unit_id)
    unit = work.unit
    attributes = [name for name, present in ((N_("irradiated"), unit.irradiated),
                                             (N_("leucocyte-reduced"), unit.leucoreduced),
                                             (N_("CMV negative"), unit.cmv_negative),
                                             (N_("low titer"), unit.low_titer))
                  if present]
    return render(request, "processing/unit.html", status_code=status_code, error=error, notice=notice,
                  work=work, unit=unit, attributes=attributes, typed=typed or {}, parts_options=PARTS_OPTIONS)


@router.get("/processing/units/{unit_id}")
def unit_page(request: Request, unit_id: int = _id("unit"), done: str = "", caller: Caller = Depends(PROCESS)):
    return _unit_page(request, caller, unit_id, notice=DONE.get(done))


def _to_unit(unit_id: int, done: str) -> RedirectResponse:
    return RedirectResponse(f"/processing/units/{unit_id}?done={done}", status_code=303)


@router.post("/processing/units/{unit_id}/label.pdf")
def print_label(request: Request, unit_id: int = _id("unit"), caller: Caller = Depends(PROCESS)):
    # A POST with the form's token: printing clears an earlier verification, so no link from elsewhere may do it.
    try:
        pdf = labels.print_label(caller.uow(), unit_id=unit_id)
    except DomainError as error:
        return _unit_page(request, caller, unit_id, error=error, status_code=status_for(error))
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="unit-{unit_id}-label.pdf"'})


@router.post("/processing/units/{unit_id}/verify-label")
def verify_label(request: Request, unit_id: int = _id("unit"), scanned_din: str = Form(""),
                 scanned_group: str = Form(""), scanned_product: str = Form(""), scanned_expiry: str = Form(""),
                 caller: Caller = Depends(PROCESS)):
    scans = {"scanned_din": scanned_din, "scanned_group": scanned_group, "scanned_product": scanned_product,
             "scanned_expiry": scanned_expiry}
    typed = {name: text[:MAX_SCAN * 2] for name, text in scans.items()}
    try:
        labels.verify_label(caller.uow(), unit_id=unit_id, **{name: _scan(text) for name, text in scans.items()})
    except DomainError as error:
        return _unit_page(request, caller, unit_id, typed=typed, error=error, status_code=status_for(error))
    return _to_unit(unit_id, "verified")


@router.post("/processing/units/{unit_id}/irradiate")
def irradiate(request: Request, unit_id: int = _id("unit"), caller: Caller = Depends(PROCESS)):
    try:
        irradiation.irradiate(caller.uow(), unit_id=unit_id)
    except DomainError as error:
        return _unit_page(request, caller, unit_id, error=error, status_code=status_for(error))
    return _to_unit(unit_id, "irradiated")


@router.post("/processing/units/{unit_id}/split")
def split(request: Request, unit_id: int = _id("unit"), parts: str = Form(""), volume_each_ml: str = Form(""),
          caller: Caller = Depends(PROCESS)):
    typed = {"parts": parts[:4], "volume_each_ml": volume_each_ml[:20]}
    try:
        count = _whole(parts, N_("number of aliquots"))
        if count is None:
            raise InvalidInput(N_("Choose how many aliquots to make (2 to 4)."))
        aliquots.split_unit(caller.uow(), unit_id=unit_id, parts=count,
                            volume_each_ml=_whole(volume_each_ml, N_("volume of each aliquot")))
    except DomainError as error:
        return _unit_page(request, caller, unit_id, typed=typed, error=error, status_code=status_for(error))
    return _to_unit(unit_id, "split")


@router.post("/processing/units/{unit_id}/cryo")
def make_cryo(request: Request, unit_id: int = _id("unit"), caller: Caller = Depends(PROCESS)):
    try:
        cryo = aliquots.make_cryo(caller.uow(), plasma_unit_id=unit_id)
    except DomainError as error:
        return _unit_page(request, caller, unit_id, error=error, status_code=status_for(error))
    return _to_unit(cryo.id, "cryo")
