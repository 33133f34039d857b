"""REST endpoints: the lab. Test results (one, a batch, a CSV file), corrections, the quarantine board,
release with an electronic signature, and donor follow-ups.

Results are a sensitive read (RESULTS_READ, audited by the use case). Release needs RELEASE and the
signer's password; a refusal lists every blocker in `reasons`.

One result posted alone is typed by hand: a grouping or an infection marker then counts for release once a
blind second entry agrees (`GET /lab/second-entries` lists them without their values, `POST
/lab/results/{id}/second-entry` gives it). A batch or a CSV file is an analyser's output and counts as it
arrives.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, File, Query, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from bloodbank.domain.access import Permission
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.ids import MAX_ID
from bloodbank.domain.second_entry import ANALYSER, MANUAL
from bloodbank.entrypoints.web.api.common import Id, IdField, Page, PageParams, page_params, paginate
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.entrypoints.web.signing import signed
from bloodbank.service_layer.blood import (
    follow_up, quarantine as quarantine_board, release, testing, tests_due as due_tests,
)
from bloodbank.service_layer.blood.follow_up import FollowUpView
from bloodbank.service_layer.blood.quarantine import QuarantineItem
from bloodbank.service_layer.blood.release import ReleaseCheck, ReleasedUnitView
from bloodbank.service_layer.blood.testing import AwaitingSecondEntry, RefusedRow, ResultView
from bloodbank.service_layer.blood.tests_due import DonationTests
from bloodbank.service_layer.staff import signatures
from bloodbank.service_layer.staff.signatures import SignatureView

router = APIRouter(prefix="/lab", tags=["lab"])

MAX_BATCH = 500
MAX_CSV_BYTES = 1_000_000


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewResult(Strict):
    donation_id: IdField | None = Field(None, description="The donation; or give its `din` instead.")
    din: str | None = Field(None, min_length=1, max_length=40, description="The donation's DIN, in any form.")
    test: str = Field(min_length=1, max_length=40, description="abo_rh, antibody_screen, hiv, hbv, hcv, …")
    outcome: str = Field(max_length=40, description="negative, positive, reactive, indeterminate; "
                                                   "for abo_rh 'typed' (the group in `value`) or the group.")
    value: str | None = Field(None, max_length=40, description="For abo_rh the group (O-, AB+…); else a reading.")
    final: bool = Field(True, description="False for a preliminary result: the unit stays in quarantine.")


class BatchLine(Strict):
    din: str = Field(min_length=1, max_length=40, description="The DIN as scanned, eye-readable or bare.")
    test: str = Field(min_length=1, max_length=40)
    outcome: str = Field(max_length=40)
    value: str | None = Field(None, max_length=40)
    final: bool = True


class NewBatch(Strict):
    rows: list[BatchLine] = Field(min_length=1, max_length=MAX_BATCH)


class AcceptedRow(BaseModel):
    line: int
    result: ResultView


class BatchAnswer(BaseModel):
    """Each row stands alone: the accepted ones are stored, the refused ones say why (line numbers from 1)."""

    accepted: list[AcceptedRow]
    refused: list[RefusedRow]


class SecondEntry(Strict):
    outcome: str = Field(max_length=40, description="The outcome read again; for abo_rh 'typed' (the group in "
                                                   "`value`) or the group.")
    value: str | None = Field(None, max_length=40, description="For abo_rh the group read again.")


class Correction(Strict):
    outcome: str = Field(max_length=40)
    value: str | None = Field(None, max_length=40)
    reason: str = Field(min_length=1, max_length=testing.MAX_REASON, description="Why the result was wrong.")
    final: bool = True


class ReleaseRequest(Strict):
    signature_password: str = Field(min_length=1, max_length=200, description="Your own password, to sign.")
    scanned_din: str | None = Field(None, min_length=1, max_length=40,
                                    description="Scan-back: the DIN on the bag; then `scanned_product_code` too.")
    scanned_product_code: str | None = Field(None, min_length=1, max_length=40,
                                             description="Scan-back: the product code on the bag.")


class Released(BaseModel):
    unit: ReleasedUnitView
    signature: SignatureView | None


class NewFollowUp(Strict):
    donor_id: IdField
    reason: Literal[follow_up.REASONS]  # type: ignore[valid-type]
    detail: str = Field(min_length=1, max_length=follow_up.MAX_TEXT)
    donation_id: IdField | None = None


class FollowUpClosing(Strict):
    outcome: str = Field(min_length=1, max_length=follow_up.MAX_TEXT)
    confirmed_group: str | None = Field(None, max_length=20, description="For a grouping follow-up: the group "
                                                                         "confirmed, recorded on the donor.")
    signature_password: str | None = Field(None, max_length=200, description="Your own password: confirming a "
                                                                              "group is signed.")


def _batch_answer(report: testing.BatchReport) -> BatchAnswer:
    return BatchAnswer(accepted=[AcceptedRow(line=line, result=view) for line, view in report.accepted],
                       refused=list(report.refused))


@router.post("/results", status_code=201,
             summary="Record a test result typed by hand, by donation id or DIN; a grouping or a marker counts once "
                     "a second entry agrees")
def record_result(body: NewResult, caller: Caller = Depends(require(Permission.RESULTS_WRITE))) -> ResultView:
    if (body.donation_id is None) == (body.din is None):
        raise InvalidInput("Name the donation by its id or by its DIN (one of the two).")
    fields = dict(test=body.test, outcome=body.outcome, value=body.value, final=body.final, source=MANUAL)
    if body.din is not None:
        return testing.record_result_by_din(caller.uow(), din=body.din, **fields)
    return testing.record_result(caller.uow(), donation_id=body.donation_id, **fields)


@router.post("/results/batch", summary="Record many results from an analyser; each row stands alone")
def record_batch(body: NewBatch, caller: Caller = Depends(require(Permission.RESULTS_WRITE))) -> BatchAnswer:
    rows = [testing.BatchRow(line=n, din=r.din, test=r.test, outcome=r.outcome, value=r.value, final=r.final)
            for n, r in enumerate(body.rows, start=1)]
    return _batch_answer(testing.record_results_batch(caller.uow(), rows, source=ANALYSER))


@router.post("/results/csv", summary="Upload an analyser's CSV file of results: din,test,outcome[,value[,final]]")
def record_csv(file: UploadFile = File(..., description="UTF-8 CSV; an optional header line starting 'din'."),
               caller: Caller = Depends(require(Permission.RESULTS_WRITE))) -> BatchAnswer:
    data = file.file.read(MAX_CSV_BYTES + 1)
    if len(data) > MAX_CSV_BYTES:
        raise InvalidInput(f"The file is larger than {MAX_CSV_BYTES // 1000} kB: split it into smaller files.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("The file is not UTF-8 text: save it as CSV (UTF-8) and upload it again.") from None
    return _batch_answer(testing.record_results_csv(caller.uow(), text))


@router.post("/results/{result_id}/correction", status_code=201,
             summary="Correct a result with a reason; the old result is kept, marked as replaced")
def correct_result(result_id: Id, body: Correction,
                   caller: Caller = Depends(require(Permission.RESULTS_WRITE))) -> ResultView:
    return testing.correct_result(caller.uow(), result_id=result_id, outcome=body.outcome, value=body.value,
                                  reason=body.reason, final=body.final)


@router.get("/second-entries",
            summary="Results typed by hand waiting for their second entry, oldest first, without their values")
def second_entries(din: str | None = Query(None, min_length=1, max_length=40),
                   site_id: int | None = Query(None, ge=1, le=MAX_ID), page: PageParams = Depends(page_params),
                   caller: Caller = Depends(require(Permission.RESULTS_WRITE))) -> Page[AwaitingSecondEntry]:
    return paginate(testing.awaiting_second_entry(caller.uow(), din=din, site_id=site_id), page)


@router.post("/results/{result_id}/second-entry", status_code=201,
             summary="The blind second entry of a result typed by hand: agreeing, the result counts; disagreeing "
                     "(409, naming the field), both entries are kept and the result stays blocked")
def give_second_entry(result_id: Id, body: SecondEntry,
                      caller: Caller = Depends(require(Permission.RESULTS_WRITE))) -> ResultView:
    return testing.give_second_entry(caller.uow(), result_id=result_id, outcome=body.outcome, value=body.value)


@router.get("/results/{result_id}", summary="One result (a sensitive read, logged)")
def get_result(result_id: Id, caller: Caller = Depends(require(Permission.RESULTS_READ))) -> ResultView:
    return testing.result_by_id(caller.uow(), result_id)


@router.get("/results", summary="Every result of a donation found by its DIN, corrections included (logged)")
def results_by_din(din: str = Query(..., min_length=1, max_length=40),
                   caller: Caller = Depends(require(Permission.RESULTS_READ))) -> list[ResultView]:
    return testing.results_for_donation(caller.uow(), testing.donation_id_for_din(caller.uow(), din))


@router.get("/donations/{donation_id}/results",
            summary="Every result of a donation, corrections and replaced results included (logged)")
def donation_results(donation_id: Id, caller: Caller = Depends(require(Permission.RESULTS_READ))) -> list[ResultView]:
    return testing.results_for_donation(caller.uow(), donation_id)


@router.get("/tests-due", summary="Which tests a donation needs and which already have a final result")
def tests_due(din: str = Query(..., min_length=1, max_length=40),
              caller: Caller = Depends(require(Permission.RESULTS_WRITE))) -> DonationTests:
    return due_tests.tests_for_donation(caller.uow(), din=din)


@router.get("/quarantine", summary="Units in quarantine and what each still lacks")
def quarantine(site_id: int | None = Query(None, ge=1, le=MAX_ID),
               state: Literal["ready for release", "awaiting results", "awaiting second entry", "held",
                              "blocked"] | None = None,
               page: PageParams = Depends(page_params),
               caller: Caller = Depends(require(Permission.UNITS_READ))) -> Page[QuarantineItem]:
    if state is not None:
        return paginate(quarantine_board.quarantine_in_state(caller.uow(), site_id, state), page)
    items = quarantine_board.quarantine_list(caller.uow(), site_id, limit=page.limit, offset=page.offset)
    return Page(items=items, total=quarantine_board.quarantine_count(caller.uow(), site_id), limit=page.limit,
                offset=page.offset)


@router.get("/units/{unit_id}/release-check", summary="The unit and every reason it may not be released yet")
def release_check(unit_id: Id, caller: Caller = Depends(require(Permission.RELEASE))) -> ReleaseCheck:
    return release.release_check(caller.uow(), unit_id=unit_id)


@router.get("/release-check", summary="The unit whose label was scanned, and every reason it may not be released")
def release_check_by_scan(din: str = Query(..., min_length=1, max_length=40),
                          product_code: str = Query(..., min_length=1, max_length=40),
                          caller: Caller = Depends(require(Permission.RELEASE))) -> ReleaseCheck:
    return release.release_check_by_scan(caller.uow(), scanned_din=din, scanned_product=product_code)


@router.post("/units/{unit_id}/release",
             summary="Release a quarantined unit to stock, under your electronic signature")
def release_unit(unit_id: Id, body: ReleaseRequest,
                 caller: Caller = Depends(require(Permission.RELEASE))) -> Released:
    view = signed(
        caller, password=body.signature_password, action="release",
        act=lambda: release.release_at_bench(caller.uow(), unit_id=unit_id, scanned_din=body.scanned_din,
                                             scanned_product=body.scanned_product_code),
        record=lambda v: (release.unit_subject(v.din, v.product_code, v.division), "unit", v.unit_id),
    )
    signed_by = signatures.signatures_for(caller.uow(), entity="unit", entity_id=view.unit_id)
    mine = [s for s in signed_by if s.action == "release"]
    return Released(unit=view, signature=mine[-1] if mine else None)


@router.get("/follow-ups", summary="Donor follow-ups opened by the lab's findings (a sensitive read, logged)")
def list_follow_ups(open_only: bool = True, donor_id: int | None = Query(None, ge=1, le=MAX_ID),
                    page: PageParams = Depends(page_params),
                    caller: Caller = Depends(require(Permission.FOLLOW_UPS))) -> Page[FollowUpView]:
    items, total = follow_up.follow_ups_page(caller.uow(), open_only=open_only, donor_id=donor_id,
                                             limit=page.limit, offset=page.offset)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post("/follow-ups", status_code=201, summary="Open a donor follow-up")
def open_follow_up(body: NewFollowUp, caller: Caller = Depends(require(Permission.FOLLOW_UPS))) -> FollowUpView:
    return follow_up.open_follow_up(caller.uow(), donor_id=body.donor_id, reason=body.reason, detail=body.detail,
                                    donation_id=body.donation_id)


@router.post("/follow-ups/{follow_up_id}/close", summary="Close a follow-up with its outcome")
def close_follow_up(follow_up_id: Id, body: FollowUpClosing,
                    caller: Caller = Depends(require(Permission.FOLLOW_UPS))) -> FollowUpView:
    if not body.confirmed_group:
        return follow_up.close_follow_up(caller.uow(), follow_up_id=follow_up_id, outcome=body.outcome)
    return signed(caller, password=body.signature_password or "", action="confirm_group",
                  act=lambda: follow_up.close_follow_up(caller.uow(), follow_up_id=follow_up_id, outcome=body.outcome,
                                                        confirmed_group=body.confirmed_group),
                  record=lambda v: (follow_up.group_subject(body.confirmed_group, v), "donor", v.donor_id))
