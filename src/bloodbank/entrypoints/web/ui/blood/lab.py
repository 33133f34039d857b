"""Pages: the lab technician's home. Results entered in batches (or a CSV file), the blind second entry of
results typed by hand, the quarantine board, release with scan-back and signature, a donation's results with
corrections, and donor follow-ups.

The table on the home page is typed by hand: each grouping and infection marker in it waits for a second entry
before it counts. A CSV file is an analyser's export and counts as it arrives.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from bloodbank.domain.access import Permission, signature_meaning
from bloodbank.domain.errors import DomainError, InvalidInput
from bloodbank.domain.lab_tests import GROUPING, TESTS
from bloodbank.domain.ids import MAX_ID
from bloodbank.domain.messages import N_
from bloodbank.domain.second_entry import AWAITING, MANUAL, SecondEntryDisagrees
from bloodbank.entrypoints import languages
from bloodbank.entrypoints.web.errors import status_for
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.entrypoints.web.signing import signed
from bloodbank.entrypoints.web.templating import render
from bloodbank.service_layer.blood import (
    follow_up, quarantine as quarantine_board, release, testing, tests_due as due_tests,
)
from bloodbank.service_layer.donors import sites
from bloodbank.service_layer.staff import signatures

router = APIRouter()
# A quarantined unit's state as the board names it, written out so the catalogues hold them.
QUARANTINE_STATES = (N_("ready for release"), N_("awaiting results"), N_("awaiting second entry"), N_("held"),
                     N_("blocked"))

TEST_OPTIONS = [(code, test.name) for code, test in TESTS.items()]
OUTCOME_OPTIONS = [("", N_("Choose…")), ("negative", N_("negative")), ("positive", N_("positive")),
                   ("reactive", N_("reactive")), ("indeterminate", N_("indeterminate")),
                   ("typed", N_("typed (ABO/RhD)"))]
# An outcome as a result shows it, written out so the catalogues hold it.
OUTCOME_WORDS = (N_("typed"),)
BLANK_ROWS = 8
# The board shows the units expiring soonest; the API pages through all of them.
BOARD_UNITS = 100
MAX_ROWS = 60
MAX_CSV_BYTES = 1_000_000
MAX_TEXT = 200


def _row(din: str = "", test: str = GROUPING, outcome: str = "", group: str = "", preliminary: bool = False,
         problem: str | None = None) -> dict:
    return {"din": din, "test": test, "outcome": outcome, "group": group, "preliminary": preliminary,
            "problem": problem}


def _site_options(caller: Caller) -> list[tuple[str, str]]:
    return [("", N_("All sites"))] + [(str(s.id), f"{s.code} · {s.name}") for s in sites.list_sites(caller.uow())]


def _home(request: Request, caller: Caller, *, rows: list[dict] | None = None, recorded=(), status_code: int = 200,
          error: str | None = None, notice: str | None = None, fill_din: str = "", site_id: int | None = None):
    quarantine = quarantine_board.quarantine_list(caller.uow(), site_id, limit=BOARD_UNITS)
    return render(request, "lab/home.html", status_code=status_code, error=error, notice=notice,
                  quarantine_total=quarantine_board.quarantine_count(caller.uow(), site_id),
                  awaiting_total=len(testing.awaiting_second_entry(caller.uow())),
                  rows=rows if rows is not None else [_row() for _ in range(BLANK_ROWS)], recorded=list(recorded),
                  test_options=TEST_OPTIONS, outcome_options=OUTCOME_OPTIONS, quarantine=quarantine,
                  site_options=_site_options(caller), site_id=site_id, fill_din=fill_din,
                  may_release=caller.principal.may(Permission.RELEASE),
                  may_read_results=caller.principal.may(Permission.RESULTS_READ),
                  may_follow_up=caller.principal.may(Permission.FOLLOW_UPS))


@router.get("/lab")
def lab_home(request: Request, fill_din: str = "", site_id: str = "",
             caller: Caller = Depends(require(Permission.RESULTS_WRITE))):
    fill_din = fill_din.strip()[:MAX_TEXT]
    site = int(site_id) if site_id.isdigit() and len(site_id) < 10 else None
    if not fill_din:
        return _home(request, caller, site_id=site)
    try:
        due = due_tests.tests_for_donation(caller.uow(), din=fill_din)
    except DomainError as error:
        return _home(request, caller, error=error, status_code=status_for(error), fill_din=fill_din,
                     site_id=site)
    rows = [_row(din=due.din_eye_readable, test=t.test) for t in due.tests if not t.has_final_result]
    notice = languages.gettext(N_("Rows filled in for donation %(din)s: choose each outcome, then record.")
                               if rows else N_("Every test of donation %(din)s already has a final result.")
                               ) % {"din": due.din_eye_readable}
    return _home(request, caller, rows=rows + [_row() for _ in range(2)], notice=notice, fill_din=fill_din,
                 site_id=site)


def _rows_from_form(form) -> tuple[list[dict], list[testing.BatchRow], list[testing.RefusedRow]]:
    """The table as typed (kept to show again) and the rows to record; blank rows are left out."""
    try:
        count = min(int(str(form.get("rows", BLANK_ROWS))), MAX_ROWS)
    except ValueError:
        count = BLANK_ROWS
    typed, batch, refused = [], [], []
    for i in range(1, count + 1):
        row = _row(din=str(form.get(f"din_{i}", "")).strip()[:MAX_TEXT],
                   test=str(form.get(f"test_{i}", GROUPING)).strip()[:40],
                   outcome=str(form.get(f"outcome_{i}", "")).strip()[:40],
                   group=str(form.get(f"group_{i}", "")).strip()[:MAX_TEXT],
                   preliminary=bool(form.get(f"preliminary_{i}")))
        if not (row["din"] or row["outcome"] or row["group"]):
            continue
        row["line"] = i
        typed.append(row)
        if row["group"] and row["test"] != GROUPING:
            refused.append(testing.RefusedRow(
                i, row["din"], row["test"], "A group is given only for ABO/RhD grouping: clear it or pick that test."))
            continue
        batch.append(testing.BatchRow(line=i, din=row["din"], test=row["test"], outcome=row["outcome"],
                                      value=row["group"] or None, final=not row["preliminary"]))
    return typed, batch, refused


def _after_batch(request: Request, caller: Caller, report: testing.BatchReport, typed: list[dict] | None):
    problems = {r.line: r.message for r in report.refused}
    if typed is None:  # a CSV file: its refused lines are listed, not put back in the table
        rows = [_row() for _ in range(BLANK_ROWS)]
    else:
        rows = [{**row, "problem": problems[row["line"]]} for row in typed if row["line"] in problems]
        rows += [_row() for _ in range(max(2, BLANK_ROWS - len(rows)))]
    accepted, refused = len(report.accepted), len(report.refused)
    waiting = sum(1 for _, view in report.accepted if view.check == AWAITING)
    gettext = languages.gettext
    notice = gettext(N_("%(count)s result(s) recorded.")) % {"count": accepted} if accepted else None
    if waiting:
        notice += " " + gettext(N_("%(count)s typed by hand wait for a second entry before they count for release: "
                                   "see Second entry.")) % {"count": waiting}
    error = (gettext(N_("%(count)s row(s) refused: each says why below; nothing else was lost.")) % {"count": refused}
             if refused else None)
    if typed is None and refused:
        error += "\n" + "\n".join(gettext(N_("line %(line)s: %(message)s")) % {"line": r.line, "message": r.message}
                                   for r in report.refused)
    if not accepted and not refused:
        error = gettext(N_("The file holds no results: one line per result, din,test,outcome[,value[,final]].")
                        if typed is None
                        else N_("The table is empty: scan a DIN and choose a test and outcome in at least one row."))
    return _home(request, caller, rows=rows, recorded=report.accepted, notice=notice, error=error,
                 status_code=422 if (refused or not accepted) else 200)


@router.post("/lab/results")
async def record_results(request: Request, caller: Caller = Depends(require(Permission.RESULTS_WRITE))):
    typed, batch, early = _rows_from_form(await request.form())
    report = await run_in_threadpool(lambda: testing.record_results_batch(caller.uow(), batch, source=MANUAL))
    report = testing.BatchReport(report.accepted, tuple(sorted((*early, *report.refused), key=lambda r: r.line)))
    return await run_in_threadpool(_after_batch, request, caller, report, typed)


@router.post("/lab/results/csv")
def upload_results(request: Request, file: UploadFile = File(...),
                   caller: Caller = Depends(require(Permission.RESULTS_WRITE))):
    data = file.file.read(MAX_CSV_BYTES + 1)
    try:
        if len(data) > MAX_CSV_BYTES:
            raise InvalidInput(N_("The file is larger than %(size)s kB: split it into smaller files."),
                               params={"size": MAX_CSV_BYTES // 1000})
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput(N_("The file is not UTF-8 text: save it as CSV (UTF-8) and upload it again.")) from None
        report = testing.record_results_csv(caller.uow(), text)
    except DomainError as error:
        return _home(request, caller, error=error, status_code=status_for(error))
    return _after_batch(request, caller, report, None)


# ---------------------------------------------------------------- second entry of results typed by hand


def _second_entry_page(request: Request, caller: Caller, *, item=None, error: str | None = None,
                       notice: str | None = None, status_code: int = 200, typed: dict | None = None):
    items = testing.awaiting_second_entry(caller.uow()) if item is None else []
    return render(request, "lab/second_entry.html", status_code=status_code, error=error, notice=notice,
                  items=items, item=item, outcome_options=[o for o in OUTCOME_OPTIONS if o[0] != "typed"],
                  grouping=GROUPING, typed=typed or {})


@router.get("/lab/second-entry")
def second_entries(request: Request, caller: Caller = Depends(require(Permission.RESULTS_WRITE))):
    return _second_entry_page(request, caller)


@router.get("/lab/second-entry/{result_id}")
def second_entry_form(request: Request, result_id: int = Path(..., ge=1, le=MAX_ID),
                      caller: Caller = Depends(require(Permission.RESULTS_WRITE))):
    try:
        item = testing.awaiting_result(caller.uow(), result_id)
    except DomainError as error:
        return _second_entry_page(request, caller, error=error, status_code=status_for(error))
    return _second_entry_page(request, caller, item=item)


@router.post("/lab/second-entry/{result_id}")
def give_second_entry(request: Request, result_id: int = Path(..., ge=1, le=MAX_ID),
                      outcome: str = Form("", max_length=40), group: str = Form("", max_length=MAX_TEXT),
                      caller: Caller = Depends(require(Permission.RESULTS_WRITE))):
    try:
        item = testing.awaiting_result(caller.uow(), result_id)
    except DomainError as error:
        return _second_entry_page(request, caller, error=error, status_code=status_for(error))
    try:
        view = testing.give_second_entry(caller.uow(), result_id=result_id,
                                         outcome="typed" if item.test == GROUPING else outcome, value=group or None)
    except SecondEntryDisagrees as error:
        return _second_entry_page(request, caller, error=error, status_code=status_for(error))
    except DomainError as error:
        # Refused before anything was stored (an outcome that cannot be read): the blind form again.
        return _second_entry_page(request, caller, item=item, error=error, status_code=status_for(error))
    done = "; ".join(languages.gettext(note) for note in view.consequences if note != "verified by a second entry")
    notice = languages.gettext(N_("%(test)s result %(result)s of donation %(din)s verified: both entries agree; "
                                  "it now counts for release.")) % {
        "test": languages.gettext(view.test_name), "result": view.id, "din": view.din}
    notice += f" {done}." if done else ""
    return _second_entry_page(request, caller, notice=notice)


# ---------------------------------------------------------------- release


def _release_page(request: Request, caller: Caller, *, check=None, scanned_din: str = "", scanned_product: str = "",
                  released=None, signature=None, error: str | None = None, reasons=(), status_code: int = 200,
                  notice: str | None = None):
    meaning = signature_meaning("release", check.signature_subject) if check is not None else None
    return render(request, "lab/release.html", status_code=status_code, error=error, notice=notice, check=check,
                  meaning=meaning, scanned_din=scanned_din, scanned_product=scanned_product, released=released,
                  signature=signature, reasons=list(reasons))


def _in_reader_words(signature: signatures.SignatureView, unit) -> signatures.SignatureView:
    """The signed meaning is stored in English; shown in the reader's language when it is word for word the
    statement this page asks to sign (the record itself is never rewritten)."""
    meaning = signature_meaning("release", unit.signature_subject)
    return replace(signature, meaning=meaning) if str(meaning) == signature.meaning else signature


@router.get("/lab/release")
def release_page(request: Request, din: str = "", product_code: str = "", unit_id: str = "", released: str = "",
                 caller: Caller = Depends(require(Permission.RELEASE))):
    din, product_code = din.strip()[:MAX_TEXT], product_code.strip()[:MAX_TEXT]
    try:
        if released.isdigit() and len(released) < 10:
            done = release.release_check(caller.uow(), unit_id=int(released))
            signed_by = [s for s in signatures.signatures_for(caller.uow(), entity="unit", entity_id=done.unit_id)
                         if s.action == "release"]
            return _release_page(request, caller, released=done,
                                 signature=_in_reader_words(signed_by[-1], done) if signed_by else None)
        if unit_id.isdigit() and len(unit_id) < 10:
            return _release_page(request, caller, check=release.release_check(caller.uow(), unit_id=int(unit_id)))
        if din or product_code:
            if not (din and product_code):
                raise InvalidInput(N_("Scan both the DIN and the product code of the bag."))
            check = release.release_check_by_scan(caller.uow(), scanned_din=din, scanned_product=product_code)
            return _release_page(request, caller, check=check, scanned_din=din, scanned_product=product_code)
    except DomainError as error:
        return _release_page(request, caller, error=error, status_code=status_for(error),
                             scanned_din=din, scanned_product=product_code)
    return _release_page(request, caller)


@router.post("/lab/release")
def release_unit(request: Request, unit_id: int = Form(..., ge=1, le=MAX_ID),
                 scanned_din: str = Form("", max_length=MAX_TEXT), scanned_product: str = Form("", max_length=MAX_TEXT),
                 signature_password: str = Form("", max_length=200),
                 caller: Caller = Depends(require(Permission.RELEASE))):
    try:
        if not (scanned_din.strip() and scanned_product.strip()):
            raise InvalidInput(N_("Scan the DIN and the product code of the bag in your hand before you sign."))
        view = signed(
            caller, password=signature_password, action="release",
            act=lambda: release.release_at_bench(caller.uow(), unit_id=unit_id, scanned_din=scanned_din,
                                                 scanned_product=scanned_product),
            record=lambda v: (release.unit_subject(v.din, v.product_code, v.division), "unit", v.unit_id),
        )
    except DomainError as error:
        try:
            check = release.release_check(caller.uow(), unit_id=unit_id)
        except DomainError:
            check = None
        return _release_page(request, caller, check=check, scanned_din=scanned_din, scanned_product=scanned_product,
                             error=error if not getattr(error, "reasons", None) else
                             N_("Release refused: nothing was changed. Every reason is listed below."),
                             reasons=getattr(error, "reasons", ()), status_code=status_for(error))
    return RedirectResponse(f"/lab/release?{urlencode({'released': view.unit_id})}", status_code=303)


# ---------------------------------------------------------------- a donation's results, corrections


def _donation_page(request: Request, caller: Caller, din: str, *, error: str | None = None,
                   notice: str | None = None, status_code: int = 200, typed: dict | None = None):
    results = []
    if din:
        try:
            results = testing.results_for_donation(caller.uow(), testing.donation_id_for_din(caller.uow(), din))
        except DomainError as failure:
            error, status_code = error or failure.message, status_code if error else status_for(failure)
    return render(request, "lab/donation.html", status_code=status_code, error=error, notice=notice, din=din,
                  results=results, outcome_options=OUTCOME_OPTIONS, typed=typed or {},
                  may_correct=caller.principal.may(Permission.RESULTS_WRITE))


@router.get("/lab/donation")
def donation_results(request: Request, din: str = "", caller: Caller = Depends(require(Permission.RESULTS_READ))):
    return _donation_page(request, caller, din.strip()[:MAX_TEXT])


@router.post("/lab/results/correct")
def correct_result(request: Request, result_id: int = Form(..., ge=1, le=MAX_ID),
                   din: str = Form("", max_length=MAX_TEXT),
                   outcome: str = Form("", max_length=40), group: str = Form("", max_length=MAX_TEXT),
                   reason: str = Form("", max_length=testing.MAX_REASON), preliminary: str = Form(""),
                   caller: Caller = Depends(require(Permission.RESULTS_READ, Permission.RESULTS_WRITE))):
    try:
        view = testing.correct_result(caller.uow(), result_id=result_id, outcome=outcome, value=group or None,
                                      reason=reason, final=not preliminary)
    except DomainError as error:
        return _donation_page(request, caller, din, error=error, status_code=status_for(error),
                              typed={"result_id": result_id, "outcome": outcome, "group": group, "reason": reason})
    done = "; ".join(languages.gettext(c) for c in view.consequences)
    now = " ".join(filter(None, (languages.gettext(view.test_name), languages.gettext(view.outcome), view.value)))
    notice = languages.gettext(N_("Result %(result)s corrected: now %(now)s.")) % {"result": result_id, "now": now}
    return _donation_page(request, caller, view.din, notice=notice + (f" {done}." if done else ""))


# ---------------------------------------------------------------- donor follow-ups


def _follow_ups_page(request: Request, caller: Caller, *, error: str | None = None, notice: str | None = None,
                     status_code: int = 200, typed: dict | None = None):
    items = follow_up.list_follow_ups(caller.uow(), open_only=True)
    return render(request, "lab/follow_ups.html", status_code=status_code, error=error, notice=notice, items=items,
                  typed=typed or {})


@router.get("/lab/follow-ups")
def follow_ups(request: Request, caller: Caller = Depends(require(Permission.FOLLOW_UPS))):
    return _follow_ups_page(request, caller)


@router.post("/lab/follow-ups/close")
def close_follow_up(request: Request, follow_up_id: int = Form(..., ge=1, le=MAX_ID),
                    outcome: str = Form("", max_length=follow_up.MAX_TEXT),
                    confirmed_group: str = Form("", max_length=MAX_TEXT),
                    signature_password: str = Form("", max_length=200),
                    caller: Caller = Depends(require(Permission.FOLLOW_UPS))):
    try:
        if confirmed_group.strip():
            view = signed(caller, password=signature_password, action="confirm_group",
                          act=lambda: follow_up.close_follow_up(caller.uow(), follow_up_id=follow_up_id,
                                                                outcome=outcome, confirmed_group=confirmed_group),
                          record=lambda v: (follow_up.group_subject(confirmed_group, v), "donor", v.donor_id))
        else:
            view = follow_up.close_follow_up(caller.uow(), follow_up_id=follow_up_id, outcome=outcome)
    except DomainError as error:
        return _follow_ups_page(request, caller, error=error, status_code=status_for(error),
                                typed={"id": follow_up_id, "outcome": outcome, "confirmed_group": confirmed_group})
    notice = languages.gettext(N_("Follow-up %(id)s for donor %(donor)s closed.")) % {
        "id": view.id, "donor": view.donor_number}
    return _follow_ups_page(request, caller, notice=notice)
