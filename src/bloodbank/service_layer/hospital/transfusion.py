"""At the bedside: the final check, the transfusion, its vital signs and any reaction.

The bedside check is the last barrier against the wrong blood in the wrong
patient: the unit and the patient's identity band are scanned and must both
match the issue, or it is a hard stop and nothing is recorded. The unit stays
`issued` while it runs and becomes `transfused` when it ends, even if stopped:
blood that entered a vein is never restocked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import (
    Donation, DonorFollowUp, Issue, Order, Transfusion, TransfusionReaction, Unit, UnitReturn,
)
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import compatibility_tag as tag_rules, haemovigilance as hv
from bloodbank.domain.access import Permission
from bloodbank.domain.errors import Conflict, InvalidInput
from bloodbank.domain.isbt128 import parse_din
from bloodbank.service_layer.donors.person import find_person
from bloodbank.service_layer.hospital import scope
from bloodbank.service_layer.hospital.issue import IssueView, issue_view
from bloodbank.service_layer.hospital.second_person import check_second_person
from bloodbank.service_layer.hospital.patients import (
    PatientView, current_patient, find_patient_by_identifier, patient_view, records_of_person,
)
from bloodbank.service_layer.messaging.blood_used import note_blood_used
from bloodbank.service_layer.shared import unit_graph
from bloodbank.service_layer.shared.audit_snapshots import snapshot
from bloodbank.service_layer.shared.unit_moves import load_unit, move, record_event
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.staff.authentication import confirm_second_person

OUTCOMES = ("completed", "stopped_reaction", "stopped_other")
FOLLOW_UP_REASON = "transfusion_reaction"
WRONG_PATIENT = ("Stop: this unit was issued for another patient. Do not transfuse it: check the patient's "
                 "identity band and call the blood bank.")


@dataclass(frozen=True)
class ReactionView:
    reaction_id: int
    transfusion_id: int
    unit_id: int
    din: str
    category: str
    category_name: str
    severity: str
    imputability: str
    serious: bool
    description: str
    reported_at: datetime
    reported_by: str
    donation_dins: tuple[str, ...]
    donor_ids: tuple[int, ...]
    follow_up_ids: tuple[int, ...]


@dataclass(frozen=True)
class TransfusionView:
    transfusion_id: int
    issue_id: int
    unit_id: int
    din: str
    product_code: str
    unit_status: str
    patient_id: int
    started_at: datetime
    ended_at: datetime | None
    administered_by: str
    checked_by: str | None
    vitals: dict
    volume_given_ml: int | None
    outcome: str | None
    warnings: tuple[str, ...]
    reactions: tuple[ReactionView, ...]


def start_transfusion(uow: UnitOfWork, *, issue_id: int, scanned_unit: str, scanned_patient: str,
                      vitals_before: dict, checked_by: str | None = None,
                      checker_password: str | None = None, scanned_tag: str | None = None) -> TransfusionView:
    """`checked_by`: the second checker's user name, proved by `checker_password` (their own), when there is one.
    `scanned_tag`: the compatibility tag on the bag, when scanned: it must be this issue's."""
    checked_by = (checked_by or "").strip() or None
    if checked_by is not None and checked_by.lower() == (uow.actor or "").lower():
        raise InvalidInput("The second check must be made by another person than the one giving the blood.")
    before = hv.validate_vitals(vitals_before, required=hv.BASELINE_REQUIRED)
    if checked_by is not None:
        with uow.again() as first:
            _issue(first, issue_id)  # another hospital's issue is not found, before anyone's password is tried
        checked_by = confirm_second_person(uow, username=checked_by, password=checker_password,
                                           act="transfusion")
    with uow:
        session = uow.session
        issue = _issue(uow, issue_id)
        unit = load_unit(session, issue.unit_id, lock=True)
        if (scanned_tag or "").strip() and tag_rules.read_tag_code(scanned_tag) != issue.id:
            raise Conflict("Stop: the compatibility tag scanned belongs to another issue. Do not transfuse: the tag "
                           "and the bag must go together; call the blood bank.")
        _bedside_check(uow, issue, unit, scanned_unit, scanned_patient)
        if checked_by is not None:
            check_second_person(session, checked_by, permission=Permission.TRANSFUSION,
                                person=current_patient(session, issue.patient_id), act="transfusion")
        if session.execute(select(Transfusion.id).where(Transfusion.issue_id == issue.id)).first():
            raise Conflict("A transfusion was already started for this issue.")
        row = Transfusion(issue_id=issue.id, unit_id=unit.id, patient_id=issue.patient_id, started_at=utcnow(),
                          administered_by=uow.actor, checked_by=checked_by,
                          vitals={"before": _stamped(before, uow.actor), "during": [], "after": None})
        session.add(row)
        session.flush()
        record_event(uow, unit, "transfusion_started", detail={"transfusion_id": row.id, "issue_id": issue.id})
        uow.audit("create", "transfusion", row.id, new=snapshot(row), reason="bedside check passed")
        order = session.get(Order, issue.order_id) if issue.order_id else None
        note_blood_used(session, unit=unit, hospital_id=order.hospital_id if order else None, now=row.started_at)
        result = _view(session, row, unit)
        uow.commit()
        return result


def record_vitals(uow: UnitOfWork, *, transfusion_id: int, vitals: dict) -> TransfusionView:
    values = hv.validate_vitals(vitals)
    with uow:
        row = _running(uow, transfusion_id)
        row.vitals = {**row.vitals, "during": [*row.vitals.get("during", []), _stamped(values, uow.actor)]}
        uow.session.flush()
        uow.audit("vitals", "transfusion", row.id, new=values, reason="observations during the transfusion")
        result = _view(uow.session, row, load_unit(uow.session, row.unit_id))
        uow.commit()
        return result


def end_transfusion(uow: UnitOfWork, *, transfusion_id: int, volume_given_ml: int, outcome: str,
                    vitals_after: dict) -> TransfusionView:
    if outcome not in OUTCOMES:
        raise InvalidInput(f"'{outcome}' is not an outcome: use one of {', '.join(OUTCOMES)}.")
    after = hv.validate_vitals(vitals_after, required=hv.AFTER_REQUIRED)
    with uow:
        row = _running(uow, transfusion_id)
        unit = load_unit(uow.session, row.unit_id, lock=True)
        _check_volume(volume_given_ml, unit)
        row.ended_at, row.outcome, row.volume_given_ml = utcnow(), outcome, volume_given_ml
        row.vitals = {**row.vitals, "after": _stamped(after, uow.actor)}
        uow.session.flush()
        uow.audit("end", "transfusion", row.id, old={"ended_at": None},
                  new={"ended_at": row.ended_at, "outcome": outcome, "volume_given_ml": volume_given_ml},
                  reason="transfusion ended")
        move(uow, unit, "transfused", event="transfused", reason=f"transfusion {row.id} {outcome}",
             detail={"transfusion_id": row.id, "outcome": outcome, "volume_given_ml": volume_given_ml})
        result = _view(uow.session, row, unit)
        uow.commit()
        return result


def report_reaction(uow: UnitOfWork, *, transfusion_id: int, category: str, severity: str,
                    imputability: str, description: str) -> ReactionView:
    kind, grade, cause = hv.category(category), hv.severity(severity), hv.imputability(imputability)
    description = (description or "").strip()
    if not description:
        raise InvalidInput("Describe the reaction: signs, times, what was done.")
    with uow:
        session = uow.session
        transfusion = scope.transfusion(uow, transfusion_id)
        unit = load_unit(session, transfusion.unit_id)
        row = TransfusionReaction(transfusion_id=transfusion.id, category=kind.code, severity=grade.code,
                                  imputability=cause.code, description=description, reported_at=utcnow(),
                                  reported_by=uow.actor)
        session.add(row)
        session.flush()
        uow.audit("create", "transfusion_reaction", row.id, new=snapshot(row), reason="transfusion reaction reported")
        record_event(uow, unit, "reaction_reported",
                     detail={"reaction_id": row.id, "category": kind.code, "severity": grade.code})
        if hv.needs_donor_follow_up(kind.code, grade.code, cause.code):
            _open_follow_ups(uow, row, unit)
        result = _reaction_view(session, row, unit)
        uow.commit()
        return result


def get_transfusion(uow: UnitOfWork, transfusion_id: int) -> TransfusionView:
    with uow:
        row = scope.transfusion(uow, transfusion_id)
        return _view(uow.session, row, load_unit(uow.session, row.unit_id))


# ---------------------------------------------------------------- checks


def _issue(uow: UnitOfWork, issue_id: int) -> Issue:
    return scope.issue(uow, issue_id,
                       missing=f"No issue {issue_id}: the unit must be issued by the blood bank before it is given.")


def _bedside_check(uow: UnitOfWork, issue: Issue, unit: Unit, scanned_unit: str, scanned_patient: str) -> None:
    session = uow.session
    din_text, _, product = (scanned_unit or "").strip().partition("=<")
    try:
        din = str(parse_din(din_text.strip()))
    except InvalidInput as error:
        raise InvalidInput(f"Stop: the unit's DIN could not be read ({error.message}). Scan it again.") from None
    if din != unit.din or (product and not _same_product(product, unit)):
        if _issued_elsewhere(session, din, issue):
            raise Conflict(WRONG_PATIENT)
        raise Conflict(f"Stop: the unit scanned is not the unit of this issue (DIN {unit.din}, product "
                       f"{unit.product_code}). Do not transfuse it: call the blood bank.")
    patient = find_patient_by_identifier(session, scanned_patient)
    # Whether the band belongs to nobody or to a patient of another hospital, it is a stop, in the same words.
    if patient is None or not scope.sees_person(uow.session, uow.scope, patient):
        raise Conflict("Stop: no patient has the identifier scanned. Do not transfuse: check the identity band.")
    if patient.id != current_patient(session, issue.patient_id).id:
        raise Conflict(WRONG_PATIENT)
    if unit.status == "recalled":
        raise Conflict("Stop: this unit was recalled after it was issued. Do not transfuse it; "
                       "send it back to the blood bank.")
    if unit.status != "issued":
        raise Conflict(f"Stop: this unit is {unit.status.replace('_', ' ')}, not issued. Call the blood bank.")
    if unit.expires_at <= utcnow():
        raise Conflict(f"Stop: this unit expired on {unit.expires_at:%Y-%m-%d %H:%M} UTC. Do not transfuse it.")


def _same_product(scanned: str, unit: Unit) -> bool:
    code = scanned.strip().upper()
    # Description code (5), collection type (1), division (2): the division tells split units apart.
    return code[:5] == unit.product_code.upper() and (len(code) < 8 or code[6:8] == unit.division.upper())


def _issued_elsewhere(session: Session, din: str, issue: Issue) -> bool:
    patients = session.execute(
        select(Issue.patient_id).join(Unit, Unit.id == Issue.unit_id)
        .where(Unit.din == din, Unit.status == "issued", Issue.id != issue.id)
    ).scalars().all()
    mine = current_patient(session, issue.patient_id).id
    return any(current_patient(session, p).id != mine for p in patients)


def _running(uow: UnitOfWork, transfusion_id: int) -> Transfusion:
    row = scope.transfusion(uow, transfusion_id, lock=True)
    if row.ended_at is not None:
        raise Conflict(f"Transfusion {transfusion_id} already ended at {row.ended_at:%Y-%m-%d %H:%M} UTC.")
    return row


def _check_volume(volume_ml: int, unit: Unit) -> None:
    if isinstance(volume_ml, bool) or not isinstance(volume_ml, int):
        raise InvalidInput("The volume given is a whole number of millilitres.")
    if volume_ml < 1:
        raise InvalidInput("The volume given must be at least 1 mL; if none was given, return the unit instead.")
    if unit.volume_ml is not None and volume_ml > unit.volume_ml:
        raise InvalidInput(f"{volume_ml} mL is more than the unit held ({unit.volume_ml} mL): check the figure.")


def _stamped(values: dict, actor: str) -> dict:
    # The time is the server's: a time typed at the bedside is not evidence.
    return {**values, "recorded_at": utcnow().isoformat(), "recorded_by": actor}


# ---------------------------------------------------------------- donor side and views


def _open_follow_ups(uow: UnitOfWork, reaction: TransfusionReaction, unit: Unit) -> list[int]:
    opened = []
    donation_ids = sorted(unit_graph.donations_of_unit(uow.session, unit.id))
    for donation in uow.session.execute(select(Donation).where(Donation.id.in_(donation_ids))
                                        .order_by(Donation.id)).scalars():
        # On the record that now holds the person, so the donor side sees it whichever record gave.
        donor_id = find_person(uow.session, donation.donor_id).id
        row = DonorFollowUp(donor_id=donor_id, donation_id=donation.id, reason=FOLLOW_UP_REASON,
                            detail=_follow_up_detail(reaction, unit), opened_at=utcnow(), opened_by=uow.actor)
        uow.session.add(row)
        uow.session.flush()
        uow.audit("create", "donor_follow_up", row.id, new=snapshot(row), reason="transfusion reaction reported")
        opened.append(row.id)
    return opened


def _follow_up_detail(reaction: TransfusionReaction, unit: Unit) -> str:
    # The prefix links the follow-up back to its reaction (the table has no reaction column).
    return (f"transfusion reaction #{reaction.id}: {hv.category(reaction.category).name}, {reaction.severity}, "
            f"imputability {reaction.imputability}; unit {unit.din} {unit.product_code}")


def _reaction_view(session: Session, row: TransfusionReaction, unit: Unit) -> ReactionView:
    donations = session.execute(select(Donation).where(
        Donation.id.in_(unit_graph.donations_of_unit(session, unit.id))).order_by(Donation.id)).scalars().all()
    # Reason and detail are sealed: the follow-ups of these donations are read, and this reaction's picked here.
    follow_ups = [f.id for f in session.execute(select(DonorFollowUp).where(
        DonorFollowUp.donation_id.in_([d.id for d in donations])).order_by(DonorFollowUp.id)).scalars()
        if f.reason == FOLLOW_UP_REASON and f.detail.startswith(f"transfusion reaction #{row.id}:")]
    return ReactionView(
        reaction_id=row.id, transfusion_id=row.transfusion_id, unit_id=unit.id, din=unit.din,
        category=row.category, category_name=hv.category(row.category).name, severity=row.severity,
        imputability=row.imputability, serious=hv.is_serious(row.severity), description=row.description,
        reported_at=row.reported_at, reported_by=row.reported_by,
        donation_dins=tuple(d.din for d in donations),
        donor_ids=tuple(sorted({find_person(session, d.donor_id).id for d in donations})),
        follow_up_ids=tuple(follow_ups),
    )


def _view(session: Session, row: Transfusion, unit: Unit) -> TransfusionView:
    vitals = row.vitals or {}
    latest = vitals.get("after") or (vitals.get("during") or [None])[-1] or {}
    reactions = session.execute(select(TransfusionReaction).where(TransfusionReaction.transfusion_id == row.id)
                                .order_by(TransfusionReaction.id)).scalars()
    return TransfusionView(
        transfusion_id=row.id, issue_id=row.issue_id, unit_id=unit.id, din=unit.din,
        product_code=unit.product_code, unit_status=unit.status, patient_id=row.patient_id,
        started_at=row.started_at, ended_at=row.ended_at, administered_by=row.administered_by,
        checked_by=row.checked_by, vitals=vitals, volume_given_ml=row.volume_given_ml, outcome=row.outcome,
        warnings=hv.warning_signs(vitals.get("before") or {}, latest),
        reactions=tuple(_reaction_view(session, r, unit) for r in reactions),
    )


# ---------------------------------------------------------------- the bedside page


@dataclass(frozen=True)
class ReturnNote:
    returned_at: datetime
    received_by: str
    minutes_out_of_storage: int
    kept_in_cold_chain: bool
    restocked: bool


@dataclass(frozen=True)
class BedsideRecord:
    """One issued unit at the bedside: the issue, its transfusion if started, its return if sent back."""

    issue: IssueView
    patient: PatientView
    unit_status: str
    transfusion: TransfusionView | None
    returned: ReturnNote | None


def bedside_record(uow: UnitOfWork, *, issue_id: int) -> BedsideRecord:
    with uow:
        session = uow.session
        issue = _issue(uow, issue_id)
        unit = load_unit(session, issue.unit_id)
        row = session.execute(select(Transfusion).where(Transfusion.issue_id == issue.id)
                              .order_by(Transfusion.id).limit(1)).scalar_one_or_none()
        back = session.execute(select(UnitReturn).where(UnitReturn.issue_id == issue.id)
                               .order_by(UnitReturn.id).limit(1)).scalar_one_or_none()
        return BedsideRecord(
            issue=issue_view(session, issue, unit),
            patient=patient_view(session, current_patient(session, issue.patient_id)), unit_status=unit.status,
            transfusion=_view(session, row, unit) if row is not None else None,
            returned=ReturnNote(back.returned_at, back.received_by, back.minutes_out_of_storage,
                                back.kept_in_cold_chain, back.restocked) if back is not None else None,
        )


def list_transfusions(uow: UnitOfWork, *, patient_id: int | None = None, issue_id: int | None = None,
                      limit: int = 50, offset: int = 0) -> tuple[list[TransfusionView], int]:
    """Transfusions, newest first: of one person (every record of theirs), of one issue, or all."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 200:
        raise InvalidInput("Show between 1 and 200 transfusions at a time.")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidInput("The offset is a whole number, 0 or more.")
    with uow:
        session = uow.session
        conditions = [scope.issues_visible(uow.scope, Transfusion.issue_id)]
        if patient_id is not None:
            conditions.append(Transfusion.patient_id.in_(
                records_of_person(session, scope.patient(uow, patient_id).id)))
        if issue_id is not None:
            conditions.append(Transfusion.issue_id == issue_id)
        total = session.scalar(select(func.count()).select_from(Transfusion).where(*conditions))
        rows = session.execute(select(Transfusion).where(*conditions)
                               .order_by(Transfusion.started_at.desc(), Transfusion.id.desc())
                               .limit(limit).offset(offset)).scalars().all()
        return [_view(session, row, load_unit(session, row.unit_id)) for row in rows], total
