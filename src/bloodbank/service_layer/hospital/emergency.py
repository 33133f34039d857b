"""Emergency release: uncrossmatched group O red cells or AB plasma for a bleeding patient, and the follow-up that must close each one."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import (
    Hospital, Issue, Order, Patient, Unit,
)
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.allocation import needs_o_negative
from bloodbank.domain.errors import Conflict, InvalidInput
from bloodbank.domain.issue import (
    COMPATIBLE, issue_checks,
)
from bloodbank.domain.requirements import (
    RED_CELL_KINDS, compatible_with_patient, group_status,
)
from bloodbank.service_layer.hospital.allocation import (
    CandidateUnit, held_count, hold_unit, ranked_candidates, unit_facts,
)
from bloodbank.service_layer.blood.unit_lookup import unit_by_scan
from bloodbank.service_layer.hospital import scope
from bloodbank.service_layer.hospital.crossmatch import any_crossmatch, current_crossmatch
from bloodbank.service_layer.hospital.issue import IssueView, issue_view, live_reservation, record_issue, refuse_if_any
from bloodbank.service_layer.hospital.patient_profile import load_profile, records_of_person
from bloodbank.service_layer.hospital.patients import current_patient
from bloodbank.service_layer.shared import unit_moves
from bloodbank.service_layer.shared.incident_tags import open_incident
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


def emergency_issue(uow: UnitOfWork, *, patient_id: int, scanned_unit: str, scanned_patient: str,
                    reason: str, unit_id: int | None = None, order_id: int | None = None,
                    scanned_product: str | None = None, incident_id: int | None = None) -> IssueView:
    """Uncrossmatched group O red cells or AB plasma for a bleeding patient; followed up later.

    The unit in hand is picked by its scan (`unit_id` is only the list's choice, checked against the scan): a
    compatible one is issued, any other is refused with why, and nobody chooses a second time from a list.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why blood is released before testing (e.g. 'major haemorrhage, trauma bay 2').")
    with uow:
        session = uow.session
        person = scope.patient(uow, patient_id)
        profile = load_profile(session, person.id)
        if unit_id is None:
            unit = unit_by_scan(session, scanned_unit, scanned_product, lock=True,
                                fits=lambda u: u.status in ("available", "reserved"))
        else:
            unit = unit_moves.load_unit(session, unit_id, lock=True)
        held = live_reservation(session, unit.id)
        held_for = current_patient(session, held[1].patient_id).id if held and held[1].patient_id else None
        now = utcnow()
        crossmatch = current_crossmatch(session, patient_ids=records_of_person(session, person.id),
                                        unit_id=unit.id, now=now)
        refuse_if_any(session, issue_checks(
            unit_facts(unit), profile, now=now, scanned_unit_din=scanned_unit, scanned_patient_id=scanned_patient,
            crossmatch=crossmatch.result if crossmatch else None, emergency=True, reserved_for=held_for,
            scanned_product=scanned_product,
        ), scanned_patient, profile, uow)
        if held is not None:
            reservation, order = held
        else:
            order = _emergency_order(uow, person, unit, order_id, reason, open_incident(session, incident_id))
            reservation = hold_unit(uow, order, unit, f"emergency release: {reason}")
        issue = record_issue(uow, unit=unit, reservation=reservation, order=order, profile=profile,
                       crossmatch_id=crossmatch.id if crossmatch else None, electronic=False, emergency=True,
                       scanned_unit=scanned_unit, scanned_patient=scanned_patient, reason=reason)
        view = issue_view(session, issue, unit)
        uow.commit()
    return view


def _emergency_order(uow: UnitOfWork, person: Patient, unit: Unit, order_id: int | None, reason: str,
                     incident_id: int | None = None) -> Order:
    session = uow.session
    if order_id is not None:
        order = scope.order(uow, order_id, lock=True)
        if order.patient_id is None or current_patient(session, order.patient_id).id != person.id:
            raise InvalidInput(f"Order {order_id} is not for this patient.")
        if order.status != "open" or held_count(session, order.id) >= order.quantity:
            raise Conflict(f"Order {order_id} is {order.status} and holds all the units it asked for: "
                           "release one, or release this unit without naming the order.")
    else:
        if person.hospital_id is None:
            raise InvalidInput("The patient has no hospital on record: give the order the unit is for (--order).")
        if not uow.scope.includes(person.hospital_id):
            # An order is placed only for one's own hospital: this patient is seen here through an order of it.
            raise InvalidInput("The patient is registered at another hospital: give your hospital's order the unit "
                               "is for (--order).")
        order = Order(hospital_id=person.hospital_id, patient_id=person.id, kind=unit.kind, quantity=1,
                      needed_by=utcnow(), urgency="emergency", status="open", ordered_by=uow.actor, note=reason,
                      incident_id=incident_id)
        session.add(order)
        session.flush()
        uow.audit("place", "order", order.id, new={
            "hospital_id": order.hospital_id, "patient_id": person.id, "kind": unit.kind, "quantity": 1,
            "needed_by": order.needed_by.isoformat(), "urgency": "emergency", "status": "open", "note": reason,
            "incident_id": incident_id,
        }, reason="emergency release")
    hospital = session.get(Hospital, order.hospital_id)
    if hospital is None or hospital.site_id != unit.site_id:
        raise InvalidInput(f"Unit {unit.din} {unit.product_code} is not in the stock of the blood bank serving "
                           "the patient's hospital.")
    return order


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
            .where(Issue.emergency.is_(True), Issue.follow_up_done_at.is_(None),
                   scope.issues_visible(uow.scope, Issue.id)).order_by(Issue.issued_at, Issue.id)
        ).all()
        return [_follow_up(session, issue, unit) for issue, unit in rows]


def complete_emergency_follow_up(uow: UnitOfWork, *, issue_id: int, note: str) -> IssueView:
    note = (note or "").strip()
    if not note:
        raise InvalidInput("Write what the follow-up found (e.g. 'grouped A+, crossmatch compatible, no reaction').")
    with uow:
        session = uow.session
        issue = scope.issue(uow, issue_id, lock=True)
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
        person = scope.patient(uow, patient_id)
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
