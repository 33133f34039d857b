"""Pages: the inventory manager's home. Stock by group × component with days of supply, units expiring
in the next 48 hours, transfers (dispatch, receive), temperature excursions and the units they hold for
review (released or discarded after a signed review), discards and the waste report.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from bloodbank.domain.access import Permission, signature_meaning
from bloodbank.domain.components import ComponentKind, kind_name
from bloodbank.domain.errors import DomainError, InvalidInput
from bloodbank.domain.holds import MAX_REASON as MAX_HOLD_REASON
from bloodbank.domain.release import HELD, SENSITIVE
from bloodbank.domain.ids import MAX_ID
from bloodbank.domain.messages import N_
from bloodbank.entrypoints import languages
from bloodbank.entrypoints.web.errors import status_for
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.entrypoints.web.signing import signed
from bloodbank.entrypoints.web.templating import render, viewer_clock
from bloodbank.service_layer.blood import discards, excursions, holds, inventory, release, transfers
from bloodbank.service_layer.donors import sites
from bloodbank.service_layer.traceability import recall_follow_up

router = APIRouter()

EXPIRING_HOURS = 48
HELD_SHOWN = 50
ALWAYS_SHOWN = ("red_cells", "plasma", "platelets_pooled")
KIND_OPTIONS = [("", N_("Any component"))] + [(k.value, kind_name(k)) for k in ComponentKind]
MAX_TEXT = 200


def _id(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 and int(text) >= 1 else None


def _sites(caller: Caller):
    return sites.list_sites(caller.uow())


def _columns(grid) -> list[int]:
    """Kinds with something in them (or the everyday ones): a tablet has no room for seven empty columns."""
    shown = []
    for index, kind in enumerate(grid.kinds):
        cells = [row.cells[index] for row in grid.rows]
        used = any(c.available or c.reserved or c.quarantined or c.days_of_supply is not None for c in cells)
        if used or kind in ALWAYS_SHOWN:
            shown.append(index)
    return shown


def _home(request: Request, caller: Caller, *, site_id: int | None = None, since: date | None = None,
          error: str | None = None, notice: str | None = None, status_code: int = 200, typed: dict | None = None):
    uow = caller.uow
    since = since or (datetime.now(viewer_clock(request)).date() - timedelta(days=30))
    grid = inventory.stock_grid(uow(), site_id=site_id)
    expiring, expiring_total = inventory.expiring_within(uow(), hours=EXPIRING_HOURS, site_id=site_id)
    recent_excursions, _ = excursions.list_excursions(uow(), site_id=site_id, limit=10)
    all_sites = _sites(caller)
    return render(
        request, "inventory/home.html", status_code=status_code, error=error, notice=notice, grid=grid,
        columns=_columns(grid), expiring=expiring, expiring_total=expiring_total,
        in_transit=transfers.list_in_transit(uow()), excursions=recent_excursions,
        held=holds.held_units(uow(), site_id=site_id, limit=HELD_SHOWN), held_shown=HELD_SHOWN,
        recall_tasks=recall_follow_up.open_recall_tasks(uow(), side="stock", site_id=site_id),
        waste=discards.discards_report(uow(), since=since, site_id=site_id), since=since, site_id=site_id,
        site_options=[("", N_("All sites"))] + [(str(s.id), f"{s.code} · {s.name}") for s in all_sites],
        sites=all_sites, expiring_hours=EXPIRING_HOURS, typed=typed or {},
        discard_reasons=dict(discards.discard_reasons()),
        may_write=caller.principal.may(Permission.INVENTORY_WRITE),
        may_discard=caller.principal.may(Permission.DISCARD),
    )


@router.get("/inventory")
def inventory_home(request: Request, site_id: str = "", since: str = "", dispatched: str = "", received: str = "",
                   caller: Caller = Depends(require(Permission.UNITS_READ))):
    notice, error = None, None
    try:
        first_day = date.fromisoformat(since) if since else None
    except ValueError:
        first_day = None
        error = languages.gettext(N_("'%(text)s' is not a date: write it as 2026-01-31.")) % {"text": since[:20]}
    try:
        if _id(dispatched):
            view = transfers.get_transfer(caller.uow(), _id(dispatched))
            notice = languages.gettext(N_("Transfer %(transfer)s dispatched from %(from_site)s to %(to_site)s with "
                                          "%(count)s unit(s).")) % {
                "transfer": view.id, "from_site": view.from_site_code, "to_site": view.to_site_code,
                "count": len(view.units)}
        elif _id(received):
            view = transfers.get_transfer(caller.uow(), _id(received))
            arrived = len(view.units) - len(view.missing)
            notice = languages.gettext(N_("Transfer %(transfer)s booked in at %(site)s: %(count)s unit(s) "
                                          "received.")) % {"transfer": view.id, "site": view.to_site_code,
                                                           "count": arrived}
            if view.quarantined:
                notice += " " + languages.gettext(N_("%(count)s to quarantine (cold chain broken).")) % {
                    "count": len(view.quarantined)}
            if view.missing:
                notice += " " + languages.gettext(N_("%(count)s missing and still on the road.")) % {
                    "count": len(view.missing)}
        return _home(request, caller, site_id=_id(site_id), since=first_day, notice=notice, error=error,
                     status_code=422 if error else 200)
    except DomainError as failure:
        return _home(request, caller, error=failure, status_code=status_for(failure))


# ---------------------------------------------------------------- transfers


def _dispatch_page(request: Request, caller: Caller, *, from_site_id: int | None, kind: str = "",
                   blood_group: str = "", error: str | None = None, status_code: int = 200, typed: dict | None = None):
    units, total = [], 0
    if from_site_id is not None:
        try:
            units, total = inventory.stock_units(caller.uow(), site_id=from_site_id, kind=kind or None,
                                                 blood_group=blood_group or None, status="available", limit=200)
        except DomainError as failure:
            error, status_code = error or failure.message, status_code if error else status_for(failure)
    all_sites = _sites(caller)
    return render(request, "inventory/dispatch.html", status_code=status_code, error=error, units=units,
                  total=total, from_site_id=from_site_id, kind=kind, blood_group=blood_group,
                  site_options=[("", N_("Choose…"))] + [(str(s.id), f"{s.code} · {s.name}") for s in all_sites],
                  kind_options=KIND_OPTIONS, typed=typed or {})


@router.get("/inventory/dispatch")
def dispatch_page(request: Request, from_site_id: str = "", kind: str = "", blood_group: str = "",
                  caller: Caller = Depends(require(Permission.INVENTORY_WRITE))):
    return _dispatch_page(request, caller, from_site_id=_id(from_site_id), kind=kind.strip()[:40],
                          blood_group=blood_group.strip()[:20])


@router.post("/inventory/dispatch")
def dispatch(request: Request, from_site_id: int = Form(..., ge=1, le=MAX_ID), to_site_id: str = Form(""),
             unit_ids: list[int] = Form([]), note: str = Form("", max_length=transfers.MAX_NOTE),
             caller: Caller = Depends(require(Permission.INVENTORY_WRITE))):
    try:
        destination = _id(to_site_id)
        if destination is None:
            raise InvalidInput(N_("Choose the site the units go to."))
        if any(not 1 <= u <= MAX_ID for u in unit_ids):
            raise InvalidInput("A unit number is out of range.")
        view = transfers.dispatch(caller.uow(), from_site_id=from_site_id, to_site_id=destination,
                                  unit_ids=unit_ids, note=note)
    except DomainError as error:
        return _dispatch_page(request, caller, from_site_id=from_site_id, error=error,
                              status_code=status_for(error),
                              typed={"to_site_id": to_site_id, "unit_ids": set(unit_ids), "note": note})
    return RedirectResponse(f"/inventory?dispatched={view.id}", status_code=303)


@router.post("/inventory/transfers/{transfer_id}/receive")
def receive(request: Request, transfer_id: int, received_unit_ids: list[int] = Form([]),
            cold_chain: str = Form(""), storage_location: str = Form("", max_length=transfers.MAX_LOCATION),
            received_scans: str = Form("", max_length=20_000),
            caller: Caller = Depends(require(Permission.INVENTORY_WRITE))):
    try:
        if not 1 <= transfer_id <= MAX_ID or any(not 1 <= u <= MAX_ID for u in received_unit_ids):
            raise InvalidInput("A transfer or unit number is out of range.")
        if cold_chain not in ("yes", "no"):
            raise InvalidInput(N_("Say whether the cold chain was kept (the box's temperature on arrival)."))
        if received_scans.strip():
            # The bags scanned as they came out of the box are what arrived, whatever the ticks say.
            received_unit_ids = transfers.units_of_scans(caller.uow(), transfer_id=transfer_id,
                                                         scans=received_scans.splitlines())
        transfers.receive(caller.uow(), transfer_id=transfer_id, received_unit_ids=received_unit_ids,
                          cold_chain_ok=cold_chain == "yes", storage_location=storage_location)
    except DomainError as error:
        return _home(request, caller, error=error, status_code=status_for(error),
                     typed={"transfer_id": transfer_id, "received": set(received_unit_ids), "cold_chain": cold_chain,
                            "storage_location": storage_location, "received_scans": received_scans})
    return RedirectResponse(f"/inventory?received={transfer_id}", status_code=303)


# ---------------------------------------------------------------- temperature excursions


def _moment(text: str, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(N_("The %(what)s '%(text)s' is not a date and time (e.g. 2026-03-01 14:30)."),
                           params={"what": what, "text": text[:30]}) from None
    # As the monitor shows it: without an offset the use case reads it on the clock of the site chosen.
    return moment


def _number(text: str, what: str) -> float:
    try:
        value = float(text.replace(",", ".").strip())
    except ValueError:
        raise InvalidInput(N_("The %(what)s '%(text)s' is not a number of °C."),
                           params={"what": what, "text": text[:20]}) from None
    if not -200 <= value <= 200:
        raise InvalidInput(N_("The %(what)s %(value)s °C is not a possible storage reading."),
                           params={"what": what, "value": value})
    return value


@router.post("/inventory/excursions")
def record_excursion(request: Request, site_id: str = Form(""), storage_location: str = Form("", max_length=MAX_TEXT),
                     started_at: str = Form("", max_length=40), ended_at: str = Form("", max_length=40),
                     lowest_c: str = Form("", max_length=20), highest_c: str = Form("", max_length=20),
                     note: str = Form("", max_length=excursions.MAX_NOTE),
                     caller: Caller = Depends(require(Permission.INVENTORY_WRITE))):
    typed = {"site_id": site_id, "storage_location": storage_location, "started_at": started_at,
             "ended_at": ended_at, "lowest_c": lowest_c, "highest_c": highest_c, "note": note}
    try:
        site = _id(site_id)
        if site is None:
            raise InvalidInput(N_("Choose the site where the alarm went off."))
        view = excursions.record_excursion(
            caller.uow(), site_id=site, storage_location=storage_location, started_at=_moment(started_at, N_("start")),
            ended_at=_moment(ended_at, N_("end")), lowest_c=_number(lowest_c, N_("lowest temperature")),
            highest_c=_number(highest_c, N_("highest temperature")), note=note)
    except DomainError as error:
        return _home(request, caller, error=error, status_code=status_for(error), typed=typed)
    held = ", ".join(f"{u.din} {u.product_code}" for u in view.affected)
    notice = languages.gettext(N_("Excursion %(excursion)s recorded at %(location)s: %(count)s unit(s) held in "
                                  "quarantine for the lab to review.")) % {
        "excursion": view.id, "location": view.storage_location, "count": len(view.affected)}
    notice += f" ({held})" if held else ""
    if view.unaffected_unit_ids:
        notice += " " + languages.gettext(N_("%(count)s unit(s) there were within their storage range.")) % {
            "count": len(view.unaffected_unit_ids)}
    return _home(request, caller, notice=notice)


# ---------------------------------------------------------------- units held for review


def _hold_page(request: Request, caller: Caller, unit_id: int, *, error: str | None = None,
               notice: str | None = None, status_code: int = 200, typed: dict | None = None, reasons=()):
    held = holds.unit_holds(caller.uow(), unit_id=unit_id)
    check = release.release_check(caller.uow(), unit_id=unit_id) if held.awaiting_review else None
    # What else keeps it in quarantine; a reason about the donor (SENSITIVE) is the lab's own, only counted here.
    others = [b for b in check.blockers if b.code != HELD] if check is not None else []
    return render(request, "inventory/hold.html", status_code=status_code, error=error, notice=notice, held=held,
                  others=[b.message for b in others if b.code not in SENSITIVE],
                  others_unsaid=sum(b.code in SENSITIVE for b in others), reasons=list(reasons), typed=typed or {},
                  release_meaning=signature_meaning("review_release", held.signature_subject),
                  discard_meaning=signature_meaning("discard", held.signature_subject),
                  may_release=caller.principal.may(Permission.RELEASE),
                  may_discard=caller.principal.may(Permission.DISCARD))


@router.get("/inventory/holds/{unit_id}")
def hold_page(request: Request, unit_id: int, caller: Caller = Depends(require(Permission.UNITS_READ))):
    try:
        if not 1 <= unit_id <= MAX_ID:
            raise InvalidInput(N_("The unit number is out of range."))
        return _hold_page(request, caller, unit_id)
    except DomainError as error:
        return _home(request, caller, error=error, status_code=status_for(error))


@router.post("/inventory/holds/{unit_id}/release")
def release_after_review(request: Request, unit_id: int, reason: str = Form("", max_length=MAX_HOLD_REASON),
                         signature_password: str = Form("", max_length=200),
                         caller: Caller = Depends(require(Permission.RELEASE))):
    try:
        if not 1 <= unit_id <= MAX_ID:
            raise InvalidInput(N_("The unit number is out of range."))
        view = signed(
            caller, password=signature_password, action="review_release",
            act=lambda: holds.release_after_review(caller.uow(), unit_id=unit_id, reason=reason),
            record=lambda v: (discards.unit_subject(v.din, v.product_code, v.division), "unit", v.unit_id),
        )
    except DomainError as error:
        # A refused release lists one reason a line; say them apart, as the release bench does.
        reasons = [line[2:] for line in error.message.splitlines() if line.startswith("- ")]
        try:
            return _hold_page(request, caller, unit_id, status_code=status_for(error), reasons=reasons,
                              error=N_("Release refused: nothing was changed and the hold stays open. Every "
                                       "reason is listed below.") if reasons else error,
                              typed={"release_reason": reason})
        except DomainError as missing:
            return _home(request, caller, error=missing.message, status_code=status_for(missing))
    subject = discards.unit_subject(view.din, view.product_code, view.division)
    return _hold_page(request, caller, unit_id, notice=languages.gettext(
        N_("Unit %(unit)s released after review: it is now available. Your signature is recorded."))
        % {"unit": subject})


@router.post("/inventory/holds/{unit_id}/discard")
def discard_after_review(request: Request, unit_id: int, reason: str = Form("", max_length=MAX_HOLD_REASON),
                         signature_password: str = Form("", max_length=200),
                         caller: Caller = Depends(require(Permission.DISCARD))):
    try:
        if not 1 <= unit_id <= MAX_ID:
            raise InvalidInput(N_("The unit number is out of range."))
        view = signed(caller, password=signature_password, action="discard",
                      act=lambda: holds.discard_after_review(caller.uow(), unit_id=unit_id, reason=reason),
                      record=lambda v: (discards.unit_subject(v.din, v.product_code, v.division), "unit", v.unit_id))
    except DomainError as error:
        try:
            return _hold_page(request, caller, unit_id, error=error, status_code=status_for(error),
                              typed={"discard_reason": reason})
        except DomainError as missing:
            return _home(request, caller, error=missing.message, status_code=status_for(missing))
    label = dict(discards.discard_reasons()).get(view.discard_reason, view.discard_reason)
    subject = discards.unit_subject(view.din, view.product_code, view.division)
    return _hold_page(request, caller, unit_id, notice=languages.gettext(
        N_("Unit %(unit)s discarded after review: %(reason)s. Your signature is recorded."))
        % {"unit": subject, "reason": languages.gettext(label)})


# ---------------------------------------------------------------- discards


def _discard_page(request: Request, caller: Caller, *, candidate=None, din: str = "", product_code: str = "",
                  error: str | None = None, notice: str | None = None, status_code: int = 200,
                  typed: dict | None = None, done=None):
    meaning = signature_meaning("discard", candidate.signature_subject) if candidate is not None else None
    return render(request, "inventory/discard.html", status_code=status_code, error=error, notice=notice,
                  candidate=candidate, din=din, product_code=product_code, meaning=meaning, done=done,
                  reasons=discards.discard_reasons(), typed=typed or {})


@router.get("/inventory/discard")
def discard_page(request: Request, din: str = "", product_code: str = "",
                 caller: Caller = Depends(require(Permission.DISCARD))):
    din, product_code = din.strip()[:MAX_TEXT], product_code.strip()[:MAX_TEXT]
    if not (din or product_code):
        return _discard_page(request, caller)
    try:
        if not (din and product_code):
            raise InvalidInput(N_("Scan both the DIN and the product code of the bag."))
        candidate = discards.unit_for_discard(caller.uow(), scanned_din=din, scanned_product=product_code)
    except DomainError as error:
        return _discard_page(request, caller, din=din, product_code=product_code, error=error,
                             status_code=status_for(error))
    return _discard_page(request, caller, candidate=candidate, din=din, product_code=product_code)


@router.post("/inventory/discard")
def discard(request: Request, din: str = Form("", max_length=MAX_TEXT),
            product_code: str = Form("", max_length=MAX_TEXT),
            reason_code: str = Form("", max_length=40), note: str = Form("", max_length=discards.MAX_NOTE),
            signature_password: str = Form("", max_length=200),
            caller: Caller = Depends(require(Permission.DISCARD))):
    typed = {"reason_code": reason_code, "note": note}
    try:
        # The unit is found again from the bag's label: the one discarded is the one scanned.
        candidate = discards.unit_for_discard(caller.uow(), scanned_din=din, scanned_product=product_code)
    except DomainError as error:
        return _discard_page(request, caller, din=din, product_code=product_code, error=error,
                             status_code=status_for(error), typed=typed)
    try:
        if not reason_code:
            raise InvalidInput(N_("Choose why the unit is discarded."))
        view = signed(
            caller, password=signature_password, action="discard",
            act=lambda: discards.discard(caller.uow(), unit_id=candidate.unit_id, reason_code=reason_code, note=note),
            record=lambda v: (discards.unit_subject(v.din, v.product_code, v.division), "unit", v.unit_id),
        )
    except DomainError as error:
        return _discard_page(request, caller, candidate=candidate, din=din, product_code=product_code,
                             error=error, status_code=status_for(error), typed=typed)
    label = dict(discards.discard_reasons()).get(view.discard_reason, view.discard_reason)
    return _discard_page(request, caller, done=view,
                         notice=languages.gettext(
                             N_("Unit %(unit)s discarded: %(reason)s. Your signature is recorded."))
                         % {"unit": candidate.signature_subject, "reason": languages.gettext(label)})


@router.post("/inventory/recalls/handled")
def recall_handled(request: Request, recall_id: int = Form(..., ge=1, le=MAX_ID),
                   unit_id: int = Form(..., ge=1, le=MAX_ID), note: str = Form("", max_length=2000),
                   caller: Caller = Depends(require(Permission.INVENTORY_WRITE))):
    try:
        task = recall_follow_up.record_handling(caller.uow(), recall_id=recall_id, unit_id=unit_id, side="stock",
                                                note=note)
    except DomainError as error:
        return _home(request, caller, error=error, status_code=status_for(error))
    return _home(request, caller, notice=languages.gettext(
        N_("Recall %(recall)s: what was done with unit %(din)s is recorded.")) % {"recall": task.recall_id,
                                                                                 "din": task.din})


@router.post("/inventory/discard-expired")
def discard_expired(request: Request, signature_password: str = Form("", max_length=200),
                    caller: Caller = Depends(require(Permission.DISCARD))):
    try:
        ids = signed(caller, password=signature_password, action="discard",
                     act=lambda: discards.discard_expired(caller.uow()), record=discards.expiry_sweep_subject)
    except DomainError as error:
        return _home(request, caller, error=error, status_code=status_for(error))
    notice = (languages.gettext(N_("%(count)s expired unit(s) discarded.")) % {"count": len(ids)} if ids
              else N_("No unit in stock had expired: nothing discarded."))
    return _home(request, caller, notice=notice)
