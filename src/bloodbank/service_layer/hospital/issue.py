"""Handing a unit out for a patient: the scans, the last checks, the record.

Nothing leaves unless the unit scanned is the unit held and the identifier
scanned belongs to the patient it is held for (SHOT: wrong blood to the
wrong patient starts with a skipped check). Every refusal lists all its
reasons and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import (
    Hospital, Issue, Order, Patient, PatientSample, Reservation, Transfusion, Unit,
)
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.allocation import needs_o_negative
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.domain.issue import (
    COMPATIBLE, SAMPLE_VALIDITY, IssueRefused, Refusal, electronic_issue_allowed, issue_checks,
)
from bloodbank.domain.patient_profile import PatientProfile
from bloodbank.domain.patients import grouping_status
from bloodbank.domain.requirements import (
    RED_CELL_KINDS, compatible_with_patient, emergency_group, group_status, manual_checks,
)
from bloodbank.service_layer.shared import unit_moves
from bloodbank.service_layer.hospital.allocation import (
    CandidateUnit, ReservationView, held_count, hold_unit, ranked_candidates, reservation_view, unit_facts,
    update_order_status,
)
from bloodbank.service_layer.hospital.crossmatch import CrossmatchView, any_crossmatch, crossmatch_view, current_crossmatch
from bloodbank.service_layer.hospital.orders import OrderView, order_view
from bloodbank.service_layer.hospital.patient_lab import SampleView
from bloodbank.service_layer.hospital.patient_profile import load_profile, records_of_person
from bloodbank.service_layer.hospital.patients import PatientView, current_patient, find_patient_by_identifier, patient_view
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class IssueView:
    id: int
    unit_id: int
    din: str
    product_code: str
    kind: str
    blood_group: str | None
    patient_id: int
    order_id: int | None
    reservation_id: int | None
    crossmatch_id: int | None
    electronic: bool
    emergency: bool
    issued_at: datetime
    issued_by: str
    follow_up_done_at: datetime | None = None
    follow_up_note: str | None = None
    manual_checks: tuple[str, ...] = ()  # requirements whoever hands the unit over must check by hand


def issue_unit(uow: UnitOfWork, *, reservation_id: int, scanned_unit: str, scanned_patient: str,
               scanned_product: str | None = None) -> IssueView:
    """Issue a reserved unit after scanning its label and the patient's identifier."""
    with uow:
        session = uow.session
        reservation = session.get(Reservation, reservation_id, with_for_update=True)
        if reservation is None:
            raise NotFound(f"There is no reservation {reservation_id}.")
        if reservation.released_at is not None:
            raise Conflict(f"Reservation {reservation_id} is no longer held "
                           f"({reservation.release_reason or 'released'}): allocate again.")
        done = session.execute(select(Issue.id).where(Issue.reservation_id == reservation.id)).scalar()
        if done is not None:
            raise Conflict(f"The unit held by reservation {reservation_id} was already issued (issue {done}).")
        order = session.get(Order, reservation.order_id)
        if order.patient_id is None:
            raise InvalidInput(f"Order {order.id} is a stock order: its units are transferred, "
                               "not issued to a patient.")
        unit = unit_moves.load_unit(session, reservation.unit_id, lock=True)
        profile = load_profile(session, order.patient_id)
        now = utcnow()
        crossmatch = current_crossmatch(session, patient_ids=records_of_person(session, profile.patient_id),
                                        unit_id=unit.id, now=now)
        _refuse_if_any(session, issue_checks(
            unit_facts(unit), profile, now=now, scanned_unit_din=scanned_unit, scanned_patient_id=scanned_patient,
            crossmatch=crossmatch.result if crossmatch else None, emergency=False,
            reserved_for=profile.patient_id if unit.status == "reserved" else None, scanned_product=scanned_product,
        ), scanned_patient, profile)
        electronic = unit.kind in RED_CELL_KINDS and crossmatch is None
        issue = _issue(uow, unit=unit, reservation=reservation, order=order, profile=profile,
                       crossmatch_id=crossmatch.id if crossmatch else None, electronic=electronic, emergency=False,
                       scanned_unit=scanned_unit, scanned_patient=scanned_patient, reason=None)
        view = issue_view(session, issue, unit)
        uow.commit()
    return view


def emergency_issue(uow: UnitOfWork, *, patient_id: int, unit_id: int, scanned_unit: str, scanned_patient: str,
                    reason: str, order_id: int | None = None, scanned_product: str | None = None) -> IssueView:
    """Uncrossmatched group O red cells or AB plasma for a bleeding patient; followed up later."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why blood is released before testing (e.g. 'major haemorrhage, trauma bay 2').")
    with uow:
        session = uow.session
        person = current_patient(session, patient_id)
        profile = load_profile(session, person.id)
        unit = unit_moves.load_unit(session, unit_id, lock=True)
        held = _live_reservation(session, unit.id)
        held_for = current_patient(session, held[1].patient_id).id if held and held[1].patient_id else None
        now = utcnow()
        crossmatch = current_crossmatch(session, patient_ids=records_of_person(session, person.id),
                                        unit_id=unit.id, now=now)
        _refuse_if_any(session, issue_checks(
            unit_facts(unit), profile, now=now, scanned_unit_din=scanned_unit, scanned_patient_id=scanned_patient,
            crossmatch=crossmatch.result if crossmatch else None, emergency=True, reserved_for=held_for,
            scanned_product=scanned_product,
        ), scanned_patient, profile)
        if held is not None:
            reservation, order = held
        else:
            order = _emergency_order(uow, person, unit, order_id, reason)
            reservation = hold_unit(uow, order, unit, f"emergency release: {reason}")
        issue = _issue(uow, unit=unit, reservation=reservation, order=order, profile=profile,
                       crossmatch_id=crossmatch.id if crossmatch else None, electronic=False, emergency=True,
                       scanned_unit=scanned_unit, scanned_patient=scanned_patient, reason=reason)
        view = issue_view(session, issue, unit)
        uow.commit()
    return view


def get_issue(uow: UnitOfWork, *, issue_id: int) -> IssueView:
    with uow:
        issue = uow.session.get(Issue, issue_id)
        if issue is None:
            raise NotFound(f"There is no issue record {issue_id}.")
        return issue_view(uow.session, issue, uow.session.get(Unit, issue.unit_id))


# ---------------------------------------------------------------- helpers

def _refuse_if_any(session: Session, refusals: list[Refusal], scanned_patient: str, profile: PatientProfile) -> None:
    if not any(r.code == "wrong_patient" for r in refusals):
        refusals = [*refusals, *_scanned_owner(session, scanned_patient, profile)]
    if refusals:
        raise IssueRefused(refusals)


def _scanned_owner(session: Session, scanned: str, profile: PatientProfile) -> list[Refusal]:
    """A bare number may belong to another patient under another system: the whole database decides."""
    try:
        owner = find_patient_by_identifier(session, scanned)
    except InvalidInput as error:
        return [Refusal("wrong_patient", f"Wrong patient? {error.message}", hard_stop=True)]
    if owner is not None and owner.id != profile.patient_id:
        return [Refusal("wrong_patient", f"Wrong patient: '{scanned}' belongs to another patient record.",
                        hard_stop=True)]
    return []


def _live_reservation(session: Session, unit_id: int) -> tuple[Reservation, Order] | None:
    row = session.execute(
        select(Reservation, Order).join(Order, Order.id == Reservation.order_id)
        .where(Reservation.unit_id == unit_id, Reservation.released_at.is_(None))
    ).first()
    return (row[0], row[1]) if row else None


def _emergency_order(uow: UnitOfWork, person: Patient, unit: Unit, order_id: int | None, reason: str) -> Order:
    session = uow.session
    if order_id is not None:
        order = session.get(Order, order_id, with_for_update=True)
        if order is None:
            raise NotFound(f"There is no order {order_id}.")
        if order.patient_id is None or current_patient(session, order.patient_id).id != person.id:
            raise InvalidInput(f"Order {order_id} is not for this patient.")
        if order.status != "open" or held_count(session, order.id) >= order.quantity:
            raise Conflict(f"Order {order_id} is {order.status} and holds all the units it asked for: "
                           "release one, or release this unit without naming the order.")
    else:
        if person.hospital_id is None:
            raise InvalidInput("The patient has no hospital on record: give the order the unit is for (--order).")
        order = Order(hospital_id=person.hospital_id, patient_id=person.id, kind=unit.kind, quantity=1,
                      needed_by=utcnow(), urgency="emergency", status="open", ordered_by=uow.actor, note=reason)
        session.add(order)
        session.flush()
        uow.audit("place", "order", order.id, new={
            "hospital_id": order.hospital_id, "patient_id": person.id, "kind": unit.kind, "quantity": 1,
            "needed_by": order.needed_by.isoformat(), "urgency": "emergency", "status": "open", "note": reason,
        }, reason="emergency release")
    hospital = session.get(Hospital, order.hospital_id)
    if hospital is None or hospital.site_id != unit.site_id:
        raise InvalidInput(f"Unit {unit.din} {unit.product_code} is not in the stock of the blood bank serving "
                           "the patient's hospital.")
    return order


def _issue(uow: UnitOfWork, *, unit: Unit, reservation: Reservation, order: Order, profile: PatientProfile,
           crossmatch_id: int | None, electronic: bool, emergency: bool, scanned_unit: str, scanned_patient: str,
           reason: str | None) -> Issue:
    session, now = uow.session, utcnow()
    issue = Issue(unit_id=unit.id, patient_id=profile.patient_id, order_id=order.id, reservation_id=reservation.id,
                  crossmatch_id=crossmatch_id, electronic=electronic, emergency=emergency, issued_at=now,
                  issued_by=uow.actor, scanned_unit=scanned_unit.strip()[:40],
                  scanned_patient=scanned_patient.strip()[:60])
    # The reservation stays live as the record of why the unit went (a return ends it).
    session.add(issue)
    session.flush()
    unit_moves.move(uow, unit, "issued", event="issued", reason=reason, detail={
        "issue_id": issue.id, "patient_id": profile.patient_id, "order_id": order.id, "emergency": emergency,
        "electronic": electronic})
    uow.audit("issue", "issue", issue.id, new={
        "unit_id": unit.id, "din": unit.din, "patient_id": profile.patient_id, "order_id": order.id,
        "reservation_id": reservation.id, "crossmatch_id": crossmatch_id, "electronic": electronic,
        "emergency": emergency, "scanned_unit": issue.scanned_unit, "scanned_patient": issue.scanned_patient,
    }, reason=reason)
    update_order_status(uow, order)
    return issue


def issue_view(session: Session, issue: Issue, unit: Unit) -> IssueView:
    return IssueView(
        id=issue.id, unit_id=unit.id, din=unit.din, product_code=unit.product_code, kind=unit.kind,
        blood_group=unit.blood_group, patient_id=issue.patient_id, order_id=issue.order_id,
        reservation_id=issue.reservation_id, crossmatch_id=issue.crossmatch_id, electronic=issue.electronic,
        emergency=issue.emergency, issued_at=issue.issued_at, issued_by=issue.issued_by,
        follow_up_done_at=issue.follow_up_done_at, follow_up_note=issue.follow_up_note,
        manual_checks=manual_checks(load_profile(session, issue.patient_id)),
    )


def electronic_issue_status(uow: UnitOfWork, *, patient_id: int) -> tuple[bool, tuple[str, ...]]:
    """Whether this patient's red cells may be issued without a serological crossmatch, and why not."""
    with uow:
        profile = load_profile(uow.session, patient_id)
        return electronic_issue_allowed(profile, now=utcnow())



# ---------------------------------------------------------------- emergency follow-up

@dataclass(frozen=True)
class FollowUpView:
    issue: IssueView
    missing: tuple[str, ...]  # what must still be done before the follow-up can be closed
    findings: tuple[str, ...]  # what the tests found that someone must act on


def pending_emergency_follow_ups(uow: UnitOfWork) -> list[FollowUpView]:
    """Emergency issues not yet followed up by grouping (and crossmatch, for red cells)."""
    with uow:
        session = uow.session
        rows = session.execute(
            select(Issue, Unit).join(Unit, Unit.id == Issue.unit_id)
            .where(Issue.emergency.is_(True), Issue.follow_up_done_at.is_(None)).order_by(Issue.issued_at, Issue.id)
        ).all()
        return [_follow_up(session, issue, unit) for issue, unit in rows]


def complete_emergency_follow_up(uow: UnitOfWork, *, issue_id: int, note: str) -> IssueView:
    note = (note or "").strip()
    if not note:
        raise InvalidInput("Write what the follow-up found (e.g. 'grouped A+, crossmatch compatible, no reaction').")
    with uow:
        session = uow.session
        issue = session.get(Issue, issue_id, with_for_update=True)
        if issue is None:
            raise NotFound(f"There is no issue record {issue_id}.")
        if not issue.emergency:
            raise InvalidInput(f"Issue {issue_id} was not an emergency release: it has no follow-up.")
        if issue.follow_up_done_at is not None:
            raise Conflict(f"The follow-up of issue {issue_id} was already recorded "
                           f"on {issue.follow_up_done_at:%Y-%m-%d %H:%M} UTC.")
        unit = session.get(Unit, issue.unit_id)
        follow_up = _follow_up(session, issue, unit)
        if follow_up.missing:
            raise Conflict("The follow-up cannot be closed yet: " + " ".join(follow_up.missing))
        issue.follow_up_done_at, issue.follow_up_note = utcnow(), note
        session.flush()
        uow.audit("emergency_follow_up", "issue", issue.id, old={"follow_up_done_at": None},
                  new={"follow_up_done_at": issue.follow_up_done_at, "findings": list(follow_up.findings)},
                  reason=note)
        view = issue_view(session, issue, unit)
        uow.commit()
    return view


def _follow_up(session: Session, issue: Issue, unit: Unit) -> FollowUpView:
    profile = load_profile(session, issue.patient_id)
    status = group_status(profile)
    missing, findings = [], []
    if not status.confirmed:
        missing.append(f"The patient's group is not confirmed yet: {status.message}")
    elif not compatible_with_patient(unit_facts(unit), profile, now=issue.issued_at):
        findings.append(f"Unit {unit.din} ({unit.blood_group}) is not compatible with the confirmed group "
                        f"{status.group}: report it as a transfusion incident.")
    if unit.kind in RED_CELL_KINDS:
        crossmatch = any_crossmatch(session, patient_ids=records_of_person(session, profile.patient_id),
                                    unit_id=unit.id)
        if crossmatch is None:
            missing.append(f"Unit {unit.din} has not been crossmatched retrospectively.")
        elif crossmatch.result != COMPATIBLE:
            findings.append(f"The retrospective crossmatch of unit {unit.din} is INCOMPATIBLE: "
                            "report it as a transfusion incident and check the patient.")
    return FollowUpView(issue_view(session, issue, unit), tuple(missing), tuple(findings))


# ---------------------------------------------------------------- the order page and the emergency screen

@dataclass(frozen=True)
class HeldUnit:
    """A unit held for an order, and how far it has gone: crossmatched, issued, transfused."""

    reservation: ReservationView
    unit_status: str
    crossmatch: CrossmatchView | None  # the one that decides issue now (an incompatible one always wins)
    crossmatch_needed: bool  # red cells for a patient not cleared for electronic issue, no compatible crossmatch
    issue_id: int | None
    transfusion_id: int | None


@dataclass(frozen=True)
class OrderWorkup:
    """Everything the hospital's order page shows, read in one transaction."""

    order: OrderView
    hospital_code: str
    hospital_name: str
    patient: PatientView | None
    grouping_status: str  # none / single / confirmed / discrepant
    group_message: str
    confirmed_group: str | None
    emergency_group: str  # the group O red cells they would get before their group is known
    antibodies: tuple[str, ...]
    requirements: tuple[str, ...]
    manual_checks: tuple[str, ...]
    electronic_allowed: bool
    electronic_reasons: tuple[str, ...]
    held: tuple[HeldUnit, ...]
    shortfall: int
    samples: tuple[SampleView, ...]  # the patient's samples still valid for a crossmatch, newest first


def order_workup(uow: UnitOfWork, *, order_id: int) -> OrderWorkup:
    with uow:
        session = uow.session
        order = session.get(Order, order_id)
        if order is None:
            raise NotFound(f"There is no order {order_id}.")
        hospital = session.get(Hospital, order.hospital_id)
        now = utcnow()
        profile = load_profile(session, order.patient_id) if order.patient_id is not None else None
        person_ids = records_of_person(session, profile.patient_id) if profile else []
        status = group_status(profile)
        allowed, reasons = electronic_issue_allowed(profile, now=now) if profile else (False, ())
        rows = session.execute(
            select(Reservation, Unit).join(Unit, Unit.id == Reservation.unit_id)
            .where(Reservation.order_id == order.id, Reservation.released_at.is_(None)).order_by(Reservation.id)
        ).all()
        held = [_held(session, reservation, unit, person_ids, allowed, now) for reservation, unit in rows]
        samples = session.execute(
            select(PatientSample).where(PatientSample.patient_id.in_(person_ids),
                                        PatientSample.taken_at >= now - SAMPLE_VALIDITY)
            .order_by(PatientSample.taken_at.desc(), PatientSample.id.desc())
        ).scalars().all() if person_ids else []
        return OrderWorkup(
            order=order_view(session, order), hospital_code=hospital.code, hospital_name=hospital.name,
            patient=patient_view(session, current_patient(session, order.patient_id)) if profile else None,
            grouping_status=grouping_status(profile) if profile else "none", group_message=status.message,
            confirmed_group=str(status.group) if status.confirmed else None,
            emergency_group=str(emergency_group(profile, now=now)),
            antibodies=profile.antibodies if profile else (), requirements=tuple(sorted(profile.requirements))
            if profile else (), manual_checks=manual_checks(profile), electronic_allowed=allowed,
            electronic_reasons=reasons, held=tuple(held), shortfall=max(order.quantity - len(held), 0),
            samples=tuple(SampleView(s.id, s.patient_id, s.sample_number, s.taken_at, s.taken_by) for s in samples),
        )


def _held(session: Session, reservation: Reservation, unit: Unit, person_ids: list[int], allowed: bool,
          now: datetime) -> HeldUnit:
    crossmatch = current_crossmatch(session, patient_ids=person_ids, unit_id=unit.id, now=now) \
        if person_ids else None
    issue = session.execute(select(Issue.id).where(Issue.reservation_id == reservation.id)).scalar()
    transfusion = session.execute(select(Transfusion.id).where(Transfusion.issue_id == issue)).scalar() \
        if issue is not None else None
    needed = (unit.kind in RED_CELL_KINDS and not allowed
              and (crossmatch is None or crossmatch.result != COMPATIBLE))
    return HeldUnit(reservation=reservation_view(reservation, unit), unit_status=unit.status,
                    crossmatch=crossmatch_view(crossmatch, unit.din) if crossmatch else None,
                    crossmatch_needed=needed, issue_id=issue, transfusion_id=transfusion)


EMERGENCY_KINDS = {"red_cells": ("O+", "O-"), "plasma": ("AB+", "AB-")}
MAX_EMERGENCY_UNITS = 50


def emergency_units(uow: UnitOfWork, *, patient_id: int, kind: str = "red_cells",
                    limit: int = 20) -> list[CandidateUnit]:
    """Group O red cells (or AB plasma) in the stock serving the patient's hospital, the usable ones first.

    Each carries every reason it may not go to this patient uncrossmatched
    (RhD for a girl or woman who may become pregnant, a special requirement,
    expiry); `emergency_issue` asks the same rules again at the moment of issue.
    """
    if kind not in EMERGENCY_KINDS:
        raise InvalidInput("Emergency release is of group O red cells or group AB plasma: "
                           "choose red_cells or plasma.")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_EMERGENCY_UNITS:
        raise InvalidInput(f"Show between 1 and {MAX_EMERGENCY_UNITS} units.")
    with uow:
        session = uow.session
        person = current_patient(session, patient_id)
        hospital = session.get(Hospital, person.hospital_id) if person.hospital_id is not None else None
        if hospital is None or hospital.site_id is None:
            raise InvalidInput("The patient has no hospital with a blood bank on record: "
                               "no stock can be offered for emergency release.")
        profile = load_profile(session, person.id)
        now = utcnow()
        # O-negative kept back for those whose emergency group it is: offered after O-positive to anyone else.
        spare = kind == "red_cells" and not needs_o_negative(profile, now=now)
        rows = session.execute(
            select(Unit).where(Unit.site_id == hospital.site_id, Unit.status == "available", Unit.kind == kind,
                               Unit.blood_group.in_(EMERGENCY_KINDS[kind]), Unit.expires_at > now)
            .order_by(Unit.expires_at, Unit.id).limit(limit * 4)
        ).scalars().all()
        return ranked_candidates(rows, kind=kind, profile=profile, needed_by=now, now=now, spare_o_negative=spare,
                                 limit=limit)


def issues_of_order(uow: UnitOfWork, *, order_id: int) -> list[IssueView]:
    with uow:
        session = uow.session
        if session.get(Order, order_id) is None:
            raise NotFound(f"There is no order {order_id}.")
        rows = session.execute(select(Issue, Unit).join(Unit, Unit.id == Issue.unit_id)
                               .where(Issue.order_id == order_id).order_by(Issue.issued_at, Issue.id)).all()
        return [issue_view(session, issue, unit) for issue, unit in rows]
