"""Donor follow-ups: opened by the lab's findings, closed by whoever saw the donor.

A follow-up says something about a donor's health (a reactive marker, a
grouping that disagrees with history): listing them is a sensitive read and
is audited. Closing one needs the outcome in words. Closing the last open
grouping follow-up lifts the donor's discrepancy flag; release still compares
every typing with history, so a disagreement left uncorrected keeps blocking.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from bloodbank.adapters.db.models import Donation, Donor, DonorFollowUp, TestResult, Unit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.blood_groups import parse_group
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.domain.second_entry import Entry, check
from bloodbank.service_layer.blood.units import update_unit
from bloodbank.service_layer.shared.audit_snapshots import snapshot
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

REASONS = ("reactive_marker", "group_discrepancy", "other")
MAX_TEXT = 4000


@dataclass(frozen=True)
class FollowUpView:
    id: int
    donor_id: int
    donor_number: str
    donation_id: int | None
    din: str | None
    reason: str
    detail: str
    opened_at: datetime
    opened_by: str
    closed_at: datetime | None
    closed_by: str | None
    outcome: str | None


def _view(session, row: DonorFollowUp) -> FollowUpView:
    return _views(session, [row])[0]


def _views(session, rows: list[DonorFollowUp]) -> list[FollowUpView]:
    """Views of many follow-ups in two queries, however many there are."""
    numbers = dict(session.execute(select(Donor.id, Donor.donor_number).where(
        Donor.id.in_({r.donor_id for r in rows}))).all()) if rows else {}
    donation_ids = {r.donation_id for r in rows if r.donation_id}
    dins = dict(session.execute(select(Donation.id, Donation.din).where(
        Donation.id.in_(donation_ids))).all()) if donation_ids else {}
    return [FollowUpView(
        id=row.id, donor_id=row.donor_id, donor_number=numbers[row.donor_id], donation_id=row.donation_id,
        din=dins.get(row.donation_id), reason=row.reason, detail=row.detail, opened_at=row.opened_at,
        opened_by=row.opened_by, closed_at=row.closed_at, closed_by=row.closed_by, outcome=row.outcome,
    ) for row in rows]


def _text(value: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(f"{what} is required.")
    if len(value) > MAX_TEXT:
        raise InvalidInput(f"{what} is too long ({len(value)} characters; at most {MAX_TEXT}).")
    return value


def ensure_follow_up(uow: UnitOfWork, *, donor_id: int, donation_id: int | None, reason: str,
                     detail: str) -> DonorFollowUp:
    """Inside the caller's transaction: the open follow-up for this donor, donation and reason.

    A second finding on the same donation adds to the open follow-up instead
    of opening another, so the donor is called once.
    """
    s = uow.session
    # The reason is sealed: the donor's open follow-ups are read by donor and donation, and sorted out here.
    row = next((r for r in s.execute(select(DonorFollowUp).where(
        DonorFollowUp.donor_id == donor_id, DonorFollowUp.donation_id == donation_id,
        DonorFollowUp.closed_at.is_(None),
    ).order_by(DonorFollowUp.id).with_for_update()).scalars() if r.reason == reason), None)
    if row is None:
        row = DonorFollowUp(donor_id=donor_id, donation_id=donation_id, reason=reason, detail=detail,
                            opened_at=utcnow(), opened_by=uow.actor)
        s.add(row)
        s.flush()
        uow.audit("open", "donor_follow_up", row.id, new=snapshot(row), reason=reason)
    elif detail not in row.detail:
        old = row.detail
        row.detail = f"{old}\n{detail}" if old else detail
        s.flush()
        uow.audit("update", "donor_follow_up", row.id, old={"detail": old}, new={"detail": row.detail},
                  reason=reason)
    return row


def open_follow_up(uow: UnitOfWork, *, donor_id: int, reason: str, detail: str,
                   donation_id: int | None = None) -> FollowUpView:
    if reason not in REASONS:
        raise InvalidInput(f"Unknown follow-up reason '{reason}'; use one of: {', '.join(REASONS)}.")
    detail = _text(detail, "What needs following up")
    with uow:
        s = uow.session
        if s.get(Donor, donor_id) is None:
            raise NotFound(f"No donor with id {donor_id}.")
        if donation_id is not None:
            donation = s.get(Donation, donation_id)
            if donation is None or donation.donor_id != donor_id:
                raise NotFound(f"Donor {donor_id} has no donation with id {donation_id}.")
        view = _view(s, ensure_follow_up(uow, donor_id=donor_id, donation_id=donation_id, reason=reason,
                                         detail=detail))
        uow.commit()
        return view


def list_follow_ups(uow: UnitOfWork, *, open_only: bool = True, donor_id: int | None = None) -> list[FollowUpView]:
    """Sensitive read: the audit log records who looked."""
    return follow_ups_page(uow, open_only=open_only, donor_id=donor_id)[0]


def follow_ups_page(uow: UnitOfWork, *, open_only: bool = True, donor_id: int | None = None,
                    limit: int | None = None, offset: int = 0) -> tuple[list[FollowUpView], int]:
    """A page of follow-ups, oldest first, and how many there are: cut by the database, read in a fixed number
    of queries. Sensitive read: the audit log records who looked and which ones they saw."""
    with uow:
        s = uow.session
        query = select(DonorFollowUp)
        if open_only:
            query = query.where(DonorFollowUp.closed_at.is_(None))
        if donor_id is not None:
            query = query.where(DonorFollowUp.donor_id == donor_id)
        total = s.scalar(select(func.count()).select_from(query.subquery()))
        page = query.order_by(DonorFollowUp.opened_at, DonorFollowUp.id).offset(offset)
        views = _views(s, list(s.execute(page if limit is None else page.limit(limit)).scalars()))
        uow.audit("read", "donor_follow_up", None,
                  new={"open_only": open_only, "donor_id": donor_id, "ids": [v.id for v in views]})
        uow.commit()
        return views, total


def close_follow_up(uow: UnitOfWork, *, follow_up_id: int, outcome: str,
                    confirmed_group: str | None = None) -> FollowUpView:
    """Close with the outcome; for a grouping follow-up, optionally record the confirmed group."""
    outcome = _text(outcome, "The outcome of the follow-up")
    group = _confirmed(confirmed_group)
    with uow:
        s = uow.session
        donor_id = s.execute(select(DonorFollowUp.donor_id).where(DonorFollowUp.id == follow_up_id)).scalar()
        if donor_id is None:
            raise NotFound(f"No donor follow-up with id {follow_up_id}.")
        # Donor first, then the follow-up: the order a new lab finding takes them in.
        s.execute(select(Donor.id).where(Donor.id == donor_id).with_for_update()).all()
        row = s.execute(select(DonorFollowUp).where(DonorFollowUp.id == follow_up_id)
                        .with_for_update()).scalar_one()
        if row.closed_at is not None:
            raise Conflict(f"Follow-up {follow_up_id} was already closed by {row.closed_by}.")
        if group is not None and row.reason != "group_discrepancy":
            raise InvalidInput("A confirmed blood group can only be recorded when closing a grouping follow-up.")
        row.closed_at, row.closed_by, row.outcome = utcnow(), uow.actor, outcome
        s.flush()
        uow.audit("close", "donor_follow_up", row.id, old={"closed_at": None},
                  new={"closed_at": row.closed_at, "closed_by": uow.actor, "outcome": outcome}, reason=outcome)
        if row.reason == "group_discrepancy":
            _settle_group(uow, row, group, outcome)
        view = _view(s, row)
        uow.commit()
        return view


def group_subject(confirmed_group: str, view: FollowUpView) -> str:
    """What the signature of a confirmed group names: the group and the donor."""
    return f"{_confirmed(confirmed_group)} for donor {view.donor_number}"


def _confirmed(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    try:
        return str(parse_group(text))
    except ValueError as error:
        raise InvalidInput(str(error)) from None


def _settle_group(uow: UnitOfWork, row: DonorFollowUp, group: str | None, outcome: str) -> None:
    s = uow.session
    donor = s.execute(select(Donor).where(Donor.id == row.donor_id).with_for_update()).scalar_one()
    before = {"blood_group": donor.blood_group, "blood_group_confirmed": donor.blood_group_confirmed,
              "group_discrepancy": donor.group_discrepancy}
    if group is not None:
        _refuse_unless_typed(s, row, group)
        donor.blood_group, donor.blood_group_confirmed = group, True
        _regroup_held_units(uow, row, group)
    still_open = any(reason == "group_discrepancy" for reason in s.execute(select(DonorFollowUp.reason).where(
        DonorFollowUp.donor_id == donor.id, DonorFollowUp.closed_at.is_(None),
    )).scalars())
    if not still_open:
        donor.group_discrepancy = False
    after = {"blood_group": donor.blood_group, "blood_group_confirmed": donor.blood_group_confirmed,
             "group_discrepancy": donor.group_discrepancy}
    if after != before:
        s.flush()
        changed = [k for k in after if after[k] != before[k]]
        uow.audit("update", "donor", donor.id, old={k: before[k] for k in changed},
                  new={k: after[k] for k in changed}, reason=f"grouping follow-up {row.id} closed: {outcome}")


def _refuse_unless_typed(s, row: DonorFollowUp, group: str) -> None:
    """The confirmed group is the repeat typing's: a resolution that disagrees with it is refused."""
    if row.donation_id is None:
        return
    typing = s.execute(select(TestResult).where(
        TestResult.donation_id == row.donation_id, TestResult.test == "abo_rh",
        TestResult.superseded_by_id.is_(None), TestResult.final.is_(True),
    ).order_by(TestResult.id.desc()).limit(1)).scalar()
    typed = typing.value if typing is not None else None
    if typed != group:
        raise InvalidInput(
            f"The donation's current typing is {typed or 'missing'}, not {group}: record the repeat typing first "
            "(correct the result), then confirm the group it gives."
        )
    second = (Entry(typing.second_entry_outcome, typing.second_entry_value)
              if typing.second_entry_at is not None else None)
    if not check(typing.test, typing.source, typing.final, Entry(typing.outcome, typing.value), second).counts:
        raise InvalidInput(
            f"The repeat typing {typed} was typed by hand and its second entry has not agreed with it yet: "
            "give the second entry (or correct the typing), then confirm the group."
        )


def _regroup_held_units(uow: UnitOfWork, row: DonorFollowUp, group: str) -> None:
    """Units of the donation still in quarantine take the confirmed group; each label must be printed anew
    and scanned back before release, so a label with the old group cannot pass."""
    if row.donation_id is None:
        return
    units = uow.session.execute(select(Unit).where(
        Unit.donation_id == row.donation_id, Unit.status == "quarantined",
    ).order_by(Unit.id).with_for_update()).scalars().all()
    for unit in units:
        if unit.blood_group != group:
            update_unit(uow, unit, event="regrouped", reason=f"grouping follow-up {row.id}: confirmed {group}",
                        detail={"from": unit.blood_group, "to": group}, blood_group=group,
                        label_printed_at=None, label_verified_at=None, label_verified_by=None)


def follow_up_reactive(uow: UnitOfWork, donation: Donation, test_name: str, outcome: str,
                       lookback_units: list[int]) -> None:
    """Inside the caller's transaction. A physician confirms before any deferral is made."""
    detail = f"{test_name} {outcome} on donation {donation.din}."
    if lookback_units:
        detail += f" lookback_needed: units {', '.join(map(str, lookback_units))} were issued or transfused."
    ensure_follow_up(uow, donor_id=donation.donor_id, donation_id=donation.id, reason="reactive_marker",
                     detail=detail)


def flag_group_discrepancy(uow: UnitOfWork, donation: Donation, typed: str, on_record: list[str]) -> None:
    """Inside the caller's transaction: the donor is flagged (release blocked) and a follow-up opened."""
    s = uow.session
    donor = s.execute(select(Donor).where(Donor.id == donation.donor_id).with_for_update()).scalar_one()
    reason = f"donation {donation.din} typed {typed}; on record: {', '.join(on_record)}"
    if not donor.group_discrepancy:
        donor.group_discrepancy = True
        s.flush()
        uow.audit("update", "donor", donor.id, old={"group_discrepancy": False}, new={"group_discrepancy": True},
                  reason=f"blood group discrepancy: {reason}")
    ensure_follow_up(uow, donor_id=donor.id, donation_id=donation.id, reason="group_discrepancy",
                     detail=f"{reason[:1].upper()}{reason[1:]}.")
