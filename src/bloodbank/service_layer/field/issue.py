"""Issuing blood not fully tested for infection: a physician's signature, the bedside scans, an emergency in force.

The rule is `domain.field_issue` (with `domain.issue.bedside_checks`); the
clearance it allows is the only thing `unit_moves.move` accepts for
quarantined → issued. The signature is written in the issue's own
transaction: there is no issue without it, and no signature of an issue
that did not happen.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Donation, Hospital, Issue, Signature, Unit, User
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import access
from bloodbank.domain.errors import InvalidInput, NotFound
from bloodbank.domain.field_issue import FieldIssueFacts, field_issue_refusals
from bloodbank.domain.issue import Refusal, bedside_checks
from bloodbank.domain.messages import N_
from bloodbank.domain.text import clean_text
from bloodbank.service_layer.field.emergencies import still_in_force
from bloodbank.service_layer.hospital import scope
from bloodbank.service_layer.hospital.allocation import unit_facts
from bloodbank.service_layer.hospital.issue import IssueView, issue_view, refuse_if_any
from bloodbank.service_layer.hospital.patient_profile import load_profile
from bloodbank.service_layer.shared import unit_moves
from bloodbank.service_layer.shared.field_issue_clearance import clearance_for
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.staff.signatures import check_signer

ACTION = "not_fully_tested"


def issue_not_fully_tested(uow: UnitOfWork, *, signer_id: int, password: str, unit_id: int, patient_id: int,
                           scanned_unit: str, scanned_patient: str, reason: str,
                           scanned_product: str | None = None) -> IssueView:
    reason = clean_text(reason or "", "reason", 500).strip().rstrip(".")
    if not reason:
        raise InvalidInput(N_("Say why you accept the risk of blood not fully tested (\"because …\")."))
    # A wrong password is logged and stops here, before anything is read for the issue.
    check_signer(uow.again(), user_id=signer_id, password=password, action=ACTION)
    with uow:
        session = uow.session
        signer = session.get(User, signer_id)
        person = scope.patient(uow, patient_id)
        profile = load_profile(session, person.id)
        unit = unit_moves.load_unit(session, unit_id, lock=True)
        now = utcnow()
        donation = session.get(Donation, unit.donation_id) if unit.donation_id is not None else None
        emergency = still_in_force(session, donation.activation_id if donation else None)
        refusals = field_issue_refusals(FieldIssueFacts(
            not_fully_tested=unit.emergency_use, emergency_active=emergency is not None,
            signer_is_physician=signer is not None and access.may(signer.role, access.Permission.ISSUE_NOT_FULLY_TESTED),
            signed=True, reason=reason))
        refusals += bedside_checks(unit_facts(unit), profile, now=now, scanned_unit_din=scanned_unit,
                                   scanned_patient_id=scanned_patient, scanned_product=scanned_product)
        if unit.status != "quarantined":
            refusals.append(_not_on_shelf(unit))
        refusals += _hospital_refusals(session, person.hospital_id, unit)
        refuse_if_any(session, refusals, scanned_patient, profile, uow)
        meaning = access.signature_meaning(ACTION, f"{unit.din} {unit.product_code}", reason=reason)
        signature = Signature(user_id=signer.id, signer_name=signer.full_name, signed_at=now, action=ACTION,
                              meaning=meaning, entity="unit", entity_id=str(unit.id))
        session.add(signature)
        session.flush()
        issue = Issue(unit_id=unit.id, patient_id=profile.patient_id, order_id=None, reservation_id=None,
                      electronic=False, emergency=True, issued_at=now, issued_by=uow.actor,
                      scanned_unit=scanned_unit.strip()[:40], scanned_patient=scanned_patient.strip()[:60],
                      incident_id=emergency.incident_id, cut_off_id=emergency.cut_off_id, signature_id=signature.id)
        session.add(issue)
        session.flush()
        unit_moves.move(uow, unit, "issued", event="issued", reason=reason,
                        clearance=clearance_for(unit.id, refusals), detail={
                            "issue_id": issue.id, "patient_id": profile.patient_id, "not_fully_tested": True,
                            "signature_id": signature.id})
        uow.audit("sign", "unit", unit.id, new={"action": ACTION, "meaning": meaning, "signer": signer.username})
        uow.audit("issue", "issue", issue.id, new={
            "unit_id": unit.id, "din": unit.din, "patient_id": profile.patient_id, "emergency": True,
            "not_fully_tested": True, "signature_id": signature.id, "incident_id": issue.incident_id,
            "cut_off_id": issue.cut_off_id, "scanned_unit": issue.scanned_unit,
            "scanned_patient": issue.scanned_patient}, reason=reason)
        view = issue_view(session, issue, unit)
        uow.commit()
    return view


def _not_on_shelf(unit: Unit) -> Refusal:
    return Refusal("not_on_shelf", f"Unit {unit.din} {unit.product_code} is {unit.status.replace('_', ' ')}: "
                                   "only a unit on the emergency shelf is issued.", hard_stop=True)


def _hospital_refusals(session: Session, hospital_id: int | None, unit: Unit) -> list[Refusal]:
    hospital = session.get(Hospital, hospital_id) if hospital_id is not None else None
    if hospital is None or hospital.site_id != unit.site_id:
        return [Refusal("other_site", f"Unit {unit.din} {unit.product_code} is not in the stock of the blood bank "
                                      "serving the patient's hospital.", hard_stop=True)]
    return []


def signed_issues(uow: UnitOfWork, *, unit_id: int) -> list[tuple[int, str, str]]:
    """(issue id, signer, meaning) of a unit issued not fully tested."""
    with uow:
        rows = uow.session.execute(
            select(Issue.id, Signature.signer_name, Signature.meaning).join(Signature, Signature.id == Issue.signature_id)
            .where(Issue.unit_id == unit_id)).all()
        if not rows and uow.session.get(Unit, unit_id) is None:
            raise NotFound(N_("No unit with id %(unit_id)s."), params={"unit_id": unit_id})
        return [tuple(r) for r in rows]
