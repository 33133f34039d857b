"""Test results: recorded, corrected (never overwritten), read, and acted on at once.

What a result means for the blood is applied in the same transaction as the
result (`apply_consequences`): a reactive marker takes every unit holding
the donation's blood out of use before anyone could release it, and if that
cannot be done, the result is not stored either and the unit stays blocked
by its missing result.

A blood group or infection marker typed by hand (`source` "manual": one result
on the lab page, the single-result endpoint, the command line's `result`, a
correction) counts for release only once a blind second entry agrees
(`domain.second_entry`, `give_second_entry`); a file from an analyser (the
batch and CSV uploads) counts as it arrives. What stops blood never waits: a
reactive marker typed by hand withdraws the blood at once, a typing that
disagrees with the donor's history flags the donor at once. What lets blood
go waits: a typing typed by hand gives the units and the donor its group only
once its second entry agrees.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Donation, Donor, TestResult, Unit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import lab_tests, second_entry as entries
from bloodbank.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from bloodbank.domain.isbt128 import parse_din
from bloodbank.domain.messages import N_, Text
from bloodbank.domain.second_entry import ANALYSER, MANUAL, Entry, SecondEntryDisagrees
from bloodbank.service_layer.blood.follow_up import flag_group_discrepancy, follow_up_reactive
from bloodbank.service_layer.blood.release_facts import historical_groups
from bloodbank.service_layer.blood.retrospective import open_recipient_follow_ups
from bloodbank.service_layer.blood.withdrawal import units_holding, withdraw_reactive
from bloodbank.service_layer.shared.audit_snapshots import snapshot
from bloodbank.service_layer.shared.unit_moves import record_event
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

MAX_REASON = 2000


@dataclass(frozen=True)
class ResultView:
    id: int
    donation_id: int
    din: str
    test: str
    test_name: str
    outcome: str
    value: str | None
    final: bool
    recorded_at: datetime
    recorded_by: str
    current: bool
    superseded_by_id: int | None = None
    correction_reason: str | None = None
    # What the result set in motion (units discarded, donor follow-up opened...).
    consequences: tuple[str, ...] = ()
    # "analyser", "manual" (typed by hand) or "unrecorded"; whether it counts yet (`domain.second_entry`).
    source: str = entries.UNRECORDED
    check: str = entries.NOT_NEEDED
    second_entry_outcome: str | None = None
    second_entry_value: str | None = None
    second_entry_at: datetime | None = None
    second_entry_by: str | None = None
    # For a disputed result: the field the two entries disagree on, in words.
    disagreement: str | None = None


@dataclass(frozen=True)
class AwaitingSecondEntry:
    """A result typed by hand waiting for its second entry: which test to enter again, never what it said."""

    result_id: int
    donation_id: int
    din: str
    din_eye_readable: str  # as printed under the barcode, to compare with the tube or the card
    test: str
    test_name: str
    recorded_at: datetime
    recorded_by: str
    # A correction typed by hand waits for its own second entry.
    correction: bool = False


@dataclass(frozen=True)
class BatchRow:
    line: int
    din: str
    test: str
    outcome: str
    value: str | None = None
    final: bool = True


@dataclass(frozen=True)
class RefusedRow:
    line: int
    din: str
    test: str
    message: str


@dataclass(frozen=True)
class BatchReport:
    accepted: tuple[tuple[int, ResultView], ...]
    refused: tuple[RefusedRow, ...]


def entry_check(row: TestResult) -> entries.Check:
    second = Entry(row.second_entry_outcome, row.second_entry_value) if row.second_entry_at is not None else None
    return entries.check(row.test, row.source, row.final, Entry(row.outcome, row.value), second)


def result_view(row: TestResult, din: str, consequences: Iterable[str] = ()) -> ResultView:
    verdict = entry_check(row)
    return ResultView(
        id=row.id, donation_id=row.donation_id, din=din, test=row.test, test_name=lab_tests.name_of(row.test),
        outcome=row.outcome, value=row.value, final=row.final, recorded_at=row.recorded_at,
        recorded_by=row.recorded_by, current=row.superseded_by_id is None, superseded_by_id=row.superseded_by_id,
        correction_reason=row.correction_reason, consequences=tuple(consequences), source=row.source,
        check=verdict.state, second_entry_outcome=row.second_entry_outcome, second_entry_value=row.second_entry_value,
        second_entry_at=row.second_entry_at, second_entry_by=row.second_entry_by,
        disagreement=verdict.disagreement.message if verdict.disagreement else None,
    )


def _source(source: str) -> str:
    if source not in (ANALYSER, MANUAL):
        raise InvalidInput(f"A result comes from an analyser's file or is typed by hand; '{source}' is neither.")
    return source


def _donation(session: Session, *, donation_id: int | None = None, din: str | None = None) -> Donation:
    """The donation, locked: results for one donation, and its release, queue behind each other."""
    if din is not None:
        din = str(parse_din(din))
        query, missing = select(Donation).where(Donation.din == din), f"No donation with DIN {din}."
    else:
        query, missing = select(Donation).where(Donation.id == donation_id), f"No donation with id {donation_id}."
    donation = session.execute(query.with_for_update()).scalar_one_or_none()
    if donation is None:
        raise NotFound(missing)
    return donation


def _current(session: Session, donation_id: int, test: str) -> TestResult | None:
    return session.execute(select(TestResult).where(
        TestResult.donation_id == donation_id, TestResult.test == test, TestResult.superseded_by_id.is_(None),
    ).with_for_update()).scalars().first()


def record_result(uow: UnitOfWork, *, donation_id: int, test: str, outcome: str, value: str | None = None,
                  final: bool = True, source: str = MANUAL) -> ResultView:
    """The first result of a test on a donation; a change afterwards is a correction.

    `source` is "manual" (typed by hand) unless the result was read from an analyser's file.
    """
    return _record(uow, {"donation_id": donation_id}, test, outcome, value, final, source)


def record_result_by_din(uow: UnitOfWork, *, din: str, test: str, outcome: str, value: str | None = None,
                         final: bool = True, source: str = MANUAL) -> ResultView:
    return _record(uow, {"din": din}, test, outcome, value, final, source)


def _record(uow: UnitOfWork, which: dict, test: str, outcome: str, value: str | None, final: bool,
            source: str) -> ResultView:
    source = _source(source)
    checked = lab_tests.check_result(test, outcome, value)
    with uow:
        s = uow.session
        donation = _donation(s, **which)
        existing = _current(s, donation.id, checked.test)
        if existing is not None:
            raise Conflict(
                f"Donation {donation.din} already has a {lab_tests.name_of(checked.test)} result "
                f"(result {existing.id}, {existing.outcome}); to change it, correct that result with a reason."
            )
        row = TestResult(donation_id=donation.id, test=checked.test, outcome=checked.outcome, value=checked.value,
                         final=bool(final), recorded_at=utcnow(), recorded_by=uow.actor, source=source)
        s.add(row)
        s.flush()
        uow.audit("record", "test_result", row.id, new=snapshot(row))
        view = result_view(row, donation.din, apply_consequences(uow, donation, row) + _waits(row))
        uow.commit()
        return view


def correct_result(uow: UnitOfWork, *, result_id: int, outcome: str, value: str | None = None, reason: str,
                   final: bool = True, source: str = MANUAL) -> ResultView:
    """A new row replaces the current one; the old row and its value are kept, pointing at the new.

    A correction typed by hand waits for its own second entry, as any result typed by hand does.
    """
    source = _source(source)
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason:
        raise InvalidInput("A correction needs a reason: say why the result was wrong.")
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"The reason is too long ({len(reason)} characters; at most {MAX_REASON}).")
    with uow:
        s = uow.session
        donation_id = s.execute(select(TestResult.donation_id).where(TestResult.id == result_id)).scalar()
        if donation_id is None:
            raise NotFound(f"No test result with id {result_id}.")
        donation = _donation(s, donation_id=donation_id)
        old = s.execute(select(TestResult).where(TestResult.id == result_id).with_for_update()).scalar_one()
        if old.superseded_by_id is not None:
            raise Conflict(f"Result {old.id} was already corrected (by result {old.superseded_by_id}): "
                           "correct the current result instead.")
        checked = lab_tests.check_result(old.test, outcome, value)
        # A disputed result may be confirmed as first entered: the second entry was the wrong one.
        if (checked.outcome, checked.value, bool(final)) == (old.outcome, old.value, old.final) \
                and entry_check(old).state != entries.DISPUTED:
            raise InvalidInput(f"Result {old.id} already says that: there is nothing to correct.")
        new = TestResult(donation_id=old.donation_id, test=old.test, outcome=checked.outcome, value=checked.value,
                         final=bool(final), recorded_at=utcnow(), recorded_by=uow.actor, correction_reason=reason,
                         source=source)
        s.add(new)
        s.flush()
        old.superseded_by_id = new.id
        s.flush()
        uow.audit("correct", "test_result", new.id,
                  old={"result_id": old.id, "outcome": old.outcome, "value": old.value, "final": old.final},
                  new={"result_id": new.id, "outcome": new.outcome, "value": new.value, "final": new.final},
                  reason=reason)
        view = result_view(new, donation.din, apply_consequences(uow, donation, new) + _waits(new))
        uow.commit()
        return view


def awaiting_second_entry(uow: UnitOfWork, *, din: str | None = None,
                          site_id: int | None = None) -> list[AwaitingSecondEntry]:
    """Results typed by hand still waiting for their second entry, oldest first, without what they say.

    Not a read of results: nothing here tells an outcome or a group, so the list is not audited and the
    second entry made from it is blind.
    """
    with uow:
        s = uow.session
        query = (select(TestResult, Donation.din).join(Donation, Donation.id == TestResult.donation_id).where(
            TestResult.superseded_by_id.is_(None), TestResult.second_entry_at.is_(None),
            TestResult.source.not_in((ANALYSER, entries.UNRECORDED)), TestResult.final.is_(True),
            TestResult.test.in_(entries.SECOND_ENTRY_TESTS),
        ).order_by(TestResult.recorded_at, TestResult.id))
        if din is not None:
            query = query.where(Donation.din == str(parse_din(din)))
        if site_id is not None:
            query = query.where(Donation.site_id == site_id)
        rows = s.execute(query).all()
        return [_awaiting(row, din_text) for row, din_text in rows if entry_check(row).state == entries.AWAITING]


def awaiting_result(uow: UnitOfWork, result_id: int) -> AwaitingSecondEntry:
    """One result to enter again, without what it says; refused, in words, if it needs no second entry."""
    with uow:
        row, din = _result_and_din(uow.session, result_id)
        _refuse_second_entry(row)
        return _awaiting(row, din)


def _result_and_din(s: Session, result_id: int) -> tuple[TestResult, str]:
    row = s.get(TestResult, result_id)
    if row is None:
        raise NotFound(f"No test result with id {result_id}.")
    return row, s.execute(select(Donation.din).where(Donation.id == row.donation_id)).scalar_one()


def _awaiting(row: TestResult, din: str) -> AwaitingSecondEntry:
    return AwaitingSecondEntry(
        result_id=row.id, donation_id=row.donation_id, din=din, din_eye_readable=parse_din(din).eye_readable,
        test=row.test, test_name=lab_tests.name_of(row.test), recorded_at=row.recorded_at,
        recorded_by=row.recorded_by, correction=row.correction_reason is not None)


def give_second_entry(uow: UnitOfWork, *, result_id: int, outcome: str, value: str | None = None) -> ResultView:
    """The blind second entry of a result typed by hand: stored whatever it says.

    Agreeing, the result is verified and counts (a typing then gives the units and the donor its group);
    disagreeing, both entries are kept, the result stays blocked and `SecondEntryDisagrees` names the field.
    Anyone allowed to record results may give it, whoever typed the first entry included (see
    `domain.second_entry` for why).
    """
    with uow:
        s = uow.session
        donation_id = s.execute(select(TestResult.donation_id).where(TestResult.id == result_id)).scalar()
        if donation_id is None:
            raise NotFound(f"No test result with id {result_id}.")
        donation = _donation(s, donation_id=donation_id)
        row = s.execute(select(TestResult).where(TestResult.id == result_id).with_for_update()).scalar_one()
        _refuse_second_entry(row)
        checked = lab_tests.check_result(row.test, outcome, value)
        row.second_entry_outcome, row.second_entry_value = checked.outcome, checked.value
        row.second_entry_at, row.second_entry_by = utcnow(), uow.actor
        s.flush()
        verdict = entry_check(row)
        uow.audit("second_entry", "test_result", row.id,
                  old={"outcome": row.outcome, "value": row.value, "recorded_by": row.recorded_by},
                  new={"outcome": checked.outcome, "value": checked.value, "check": verdict.state,
                       "second_person": (uow.actor or "").lower() != (row.recorded_by or "").lower()},
                  reason=verdict.disagreement.message if verdict.disagreement else None)
        done = _apply_verified(uow, donation, row) if verdict.state == entries.VERIFIED else []
        view = result_view(row, donation.din, done)
        uow.commit()
    if verdict.disagreement is not None:
        raise SecondEntryDisagrees(verdict.disagreement, f"{view.test_name} result {view.id} of donation {view.din}")
    return view


def _refuse_second_entry(row: TestResult) -> None:
    """Why this result takes no second entry, in words; nothing when it is waiting for one."""
    name = lab_tests.name_of(row.test)
    if row.superseded_by_id is not None:
        raise Conflict(f"Result {row.id} ({name}) was replaced by result {row.superseded_by_id}: give the second "
                       "entry of the current result.")
    if row.second_entry_at is not None:
        raise Conflict(f"Result {row.id} ({name}) already has its second entry, given by {row.second_entry_by} at "
                       f"{row.second_entry_at:%Y-%m-%d %H:%M} UTC: a result takes one second entry. If the result "
                       "is wrong, correct it.")
    if row.test not in entries.SECOND_ENTRY_TESTS:
        raise InvalidInput(f"Result {row.id} is a {name} result: only ABO/RhD groupings, infection markers and CMV "
                           "results typed by hand need a second entry.")
    if row.source == ANALYSER:
        raise InvalidInput(f"Result {row.id} ({name}) came from an analyser's file: it needs no second entry.")
    if row.source == entries.UNRECORDED:
        raise InvalidInput(f"Result {row.id} ({name}) was recorded before results typed by hand needed a second "
                           "entry: it counts as it is.")
    if not row.final:
        raise InvalidInput(f"Result {row.id} ({name}) is preliminary and counts for nothing yet: the final result "
                           "takes the second entry.")


def _apply_verified(uow: UnitOfWork, donation: Donation, row: TestResult) -> list[str]:
    """What a result typed by hand does once its second entry agrees; what stops blood was done at once."""
    if row.test == lab_tests.GROUPING:
        return ["verified by a second entry", *_typing(uow, donation, row)]
    if row.test in entries.CLAIM_TESTS:
        return ["verified by a second entry", *_cmv(uow, donation, row)]
    return ["verified by a second entry"]


def _waits(row: TestResult) -> list[str]:
    if entry_check(row).state != entries.AWAITING:
        return []
    if row.test in entries.CLAIM_TESTS:
        return [Text(N_("typed by hand: the units are marked CMV-negative once a second entry agrees"))]
    return [Text(N_("typed by hand: it counts for release once a second entry agrees"))]


def record_results_batch(uow: UnitOfWork, rows: Iterable[BatchRow | Mapping], *, source: str) -> BatchReport:
    """Each row in its own transaction: a refused row is reported and the others are kept.

    `source` says whether the rows were typed by hand (a table on a page) or read from an analyser's file.
    """
    accepted, refused = [], []
    for number, raw in enumerate(rows, start=1):
        row = raw if isinstance(raw, BatchRow) else _batch_row(raw, number)
        try:
            view = record_result_by_din(uow, din=row.din, test=row.test, outcome=row.outcome, value=row.value,
                                        final=row.final, source=source)
        except DomainError as error:
            refused.append(RefusedRow(row.line, row.din, row.test, error.message))
        else:
            accepted.append((row.line, view))
    return BatchReport(tuple(accepted), tuple(refused))


def _batch_row(raw: Mapping, number: int) -> BatchRow:
    text = {key: str(raw.get(key) or "") for key in ("din", "test", "outcome")}
    return BatchRow(line=int(raw.get("line", number)), **text, value=raw.get("value") or None,
                    final=bool(raw.get("final", True)))


def results_for_donation(uow: UnitOfWork, donation_id: int) -> list[ResultView]:
    """Every result of a donation, corrections and replaced rows included. A sensitive read: audited."""
    with uow:
        s = uow.session
        donation = s.get(Donation, donation_id)
        if donation is None:
            raise NotFound(f"No donation with id {donation_id}.")
        rows = s.execute(select(TestResult).where(TestResult.donation_id == donation_id)
                         .order_by(TestResult.test, TestResult.id)).scalars().all()
        uow.audit("read", "test_result", None, new={"donation_id": donation_id, "result_ids": [r.id for r in rows]})
        views = [result_view(row, donation.din) for row in rows]
        uow.commit()
        return views


def donation_id_for_din(uow: UnitOfWork, din: str) -> int:
    with uow:
        donation = uow.session.execute(select(Donation).where(Donation.din == str(parse_din(din)))).scalar()
        if donation is None:
            raise NotFound(f"No donation with DIN {din}.")
        return donation.id


def apply_consequences(uow: UnitOfWork, donation: Donation, row: TestResult) -> list[str]:
    """What a new current result does, in the result's own transaction; what was done, in words."""
    if lab_tests.is_unsafe(row.test, row.outcome):
        return _reactive(uow, donation, row)
    if row.test == lab_tests.GROUPING:
        return _typing(uow, donation, row)
    if row.test == "cmv":
        return _cmv(uow, donation, row)
    return []


def _reactive(uow: UnitOfWork, donation: Donation, row: TestResult) -> list[str]:
    # Even a preliminary reactive takes the blood out of use: a later negative does not bring it back.
    done = withdraw_reactive(uow, [donation.id])
    follow_up_reactive(uow, donation, lab_tests.name_of(row.test), row.outcome,
                       sorted(done.recalled + done.transfused))
    notes = [Text(N_("%(count)s unit(s) discarded"), count=len(done.discarded))]
    if donation.emergency:
        # Given on bedside tests alone: every patient who received it is followed up, whatever became of the unit.
        recipients = open_recipient_follow_ups(uow, donation)
        if recipients:
            notes.append(Text(N_("%(count)s recipient follow-up(s) opened"), count=len(recipients)))
    if done.recalled:
        notes.append(Text(N_("%(count)s issued unit(s) recalled"), count=len(done.recalled)))
    if done.transfused:
        notes.append(Text(N_("%(count)s unit(s) already transfused: lookback needed"), count=len(done.transfused)))
    return notes + [Text(N_("donor follow-up opened"))]


def _typing(uow: UnitOfWork, donation: Donation, row: TestResult) -> list[str]:
    s = uow.session
    units = list(s.execute(select(Unit).where(Unit.donation_id == donation.id).order_by(Unit.id)
                           .with_for_update()).scalars())
    history, _ = historical_groups(s, donation)
    on_record = sorted((history | {u.blood_group for u in units if u.blood_group}) - {row.value})
    if on_record:
        flag_group_discrepancy(uow, donation, row.value, on_record)
        return [Text(N_("grouping disagrees with the donor's record: donor flagged, follow-up opened, release "
                        "blocked"))]
    if not row.final:
        return []
    if not entry_check(row).counts:
        # Typed by hand: the group goes on the units and the donor once a second entry agrees (give_second_entry).
        return []
    notes = _set_donor_group(uow, donation, row.value)
    for unit in units:
        if unit.blood_group is None:
            _update_unit(uow, unit, {"blood_group": row.value, "label_verified_at": None, "label_verified_by": None},
                         f"ABO/RhD typed {row.value} on donation {donation.din}")
            notes.append(Text(N_("unit %(unit)s grouped %(group)s"), unit=unit.id, group=row.value))
    return notes


def _set_donor_group(uow: UnitOfWork, donation: Donation, group: str) -> list[str]:
    s = uow.session
    donor = s.execute(select(Donor).where(Donor.id == donation.donor_id).with_for_update()).scalar_one()
    if donor.blood_group_confirmed and donor.blood_group is not None:
        return []
    declared = donor.blood_group
    donor.blood_group, donor.blood_group_confirmed = group, True
    s.flush()
    uow.audit("update", "donor", donor.id, old={"blood_group": declared, "blood_group_confirmed": False},
              new={"blood_group": group, "blood_group_confirmed": True},
              reason=f"first ABO/RhD typing, donation {donation.din}")
    if declared is not None and declared != group:
        return [Text(N_("donor's blood group confirmed as %(group)s (the donor had declared %(declared)s)"),
                     group=group, declared=declared)]
    return [Text(N_("donor's blood group confirmed as %(group)s"), group=group)]


def _cmv(uow: UnitOfWork, donation: Donation, row: TestResult) -> list[str]:
    s = uow.session
    if row.outcome == "negative":
        if not row.final or not entry_check(row).counts:
            # Typed by hand, "CMV-negative" is promised to a patient only once a second entry agrees.
            return []
        # A pool is CMV-negative only if every source is: left to whoever makes the pool.
        units = s.execute(select(Unit).where(Unit.donation_id == donation.id, Unit.cmv_negative.is_(False))
                          .order_by(Unit.id).with_for_update()).scalars()
        value = True
    else:
        units = [u for u in units_holding(s, [donation.id]) if u.cmv_negative]
        value = False
    changed = 0
    for unit in units:
        if unit.status in ("discarded", "processed", "transfused") and value:
            continue
        _update_unit(uow, unit, {"cmv_negative": value}, f"CMV {row.outcome} on donation {donation.din}")
        changed += 1
    if not changed:
        return []
    if value:
        return [Text(N_("%(count)s unit(s) marked CMV-negative"), count=changed)]
    return [Text(N_("%(count)s unit(s) marked not CMV-negative"), count=changed)]


def _update_unit(uow: UnitOfWork, unit: Unit, values: dict, reason: str) -> None:
    """A column other than status: the row, the unit's history line and the audit entry."""
    values = {key: value for key, value in values.items() if getattr(unit, key) != value}
    old = {key: getattr(unit, key) for key in values}
    for key, value in values.items():
        setattr(unit, key, value)
    uow.session.flush()
    record_event(uow, unit, "lab_update", detail=values)
    uow.audit("update", "unit", unit.id, old=old, new=values, reason=reason)


MAX_CSV_ROWS = 2000
MAX_CSV_CHARACTERS = 500_000
CSV_COLUMNS = "din,test,outcome[,value[,final]]"


def read_results_csv(text: str) -> tuple[list[BatchRow], list[RefusedRow]]:
    """Rows `din,test,outcome[,value[,final]]` with an optional header; a malformed line is refused with its number.

    `final` is "yes"/"no" (or true/false, 1/0, final/preliminary); left out, the result is final.
    """
    if not isinstance(text, str):
        raise InvalidInput("The results file must be text (CSV).")
    if len(text) > MAX_CSV_CHARACTERS:
        raise InvalidInput(f"The results file is too large ({len(text)} characters; at most {MAX_CSV_CHARACTERS}): "
                           "split it into smaller files.")
    rows: list[BatchRow] = []
    problems: list[RefusedRow] = []
    try:
        lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    except csv.Error as error:
        raise InvalidInput(f"The results file is not readable CSV: {error}.") from None
    for line, fields in enumerate(lines, start=1):
        cells = [f.strip() for f in fields]
        if not any(cells) or (line == 1 and cells[0].lower() == "din"):
            continue
        din, test = (cells[0] if cells else ""), (cells[1] if len(cells) > 1 else "")
        if len(rows) + len(problems) >= MAX_CSV_ROWS:
            raise InvalidInput(f"The results file has more than {MAX_CSV_ROWS} rows: split it into smaller files.")
        if len(cells) not in (3, 4, 5) or not all(cells[:3]):
            problems.append(RefusedRow(line, din[:40], test[:40], f"expected {CSV_COLUMNS}"))
            continue
        final = _final_cell(cells[4]) if len(cells) == 5 and cells[4] else True
        if final is None:
            problems.append(RefusedRow(line, din[:40], test[:40],
                                       f"'{cells[4][:20]}' in the final column: write yes or no"))
            continue
        rows.append(BatchRow(line=line, din=din, test=test, outcome=cells[2],
                             value=cells[3] if len(cells) >= 4 and cells[3] else None, final=final))
    return rows, problems


def _final_cell(text: str) -> bool | None:
    word = text.strip().lower()
    if word in ("yes", "y", "true", "1", "final"):
        return True
    if word in ("no", "n", "false", "0", "preliminary", "prelim"):
        return False
    return None


def record_results_csv(uow: UnitOfWork, text: str) -> BatchReport:
    """A CSV file of results: malformed lines and refused results reported by line, every other row kept.

    The file is an analyser's export: its results need no second entry.
    """
    rows, malformed = read_results_csv(text)
    report = record_results_batch(uow, rows, source=ANALYSER)
    refused = tuple(sorted((*malformed, *report.refused), key=lambda r: r.line))
    return BatchReport(report.accepted, refused)


def result_by_id(uow: UnitOfWork, result_id: int) -> ResultView:
    """One result, whichever its state. A sensitive read: audited."""
    with uow:
        row, din = _result_and_din(uow.session, result_id)
        uow.audit("read", "test_result", row.id, new={"donation_id": row.donation_id, "result_ids": [row.id]})
        view = result_view(row, din)
        uow.commit()
        return view
