"""Patients who received an emergency donation's blood whose full tests came back reactive: listed by hospital
(the blood service sees all), open on the director's home until a clinician records what was done."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Donation, RecipientFollowUp
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.domain.messages import N_
from bloodbank.domain.text import clean_text
from bloodbank.service_layer.hospital.scope import hospitals_visible
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class RecipientFollowUpView:
    id: int
    donation_id: int
    din: str
    unit_id: int
    issue_id: int
    patient_id: int
    hospital_id: int | None
    opened_at: datetime
    closed_at: datetime | None
    closed_by: str | None
    outcome: str | None


def open_count(session: Session, scope) -> int:
    return session.execute(select(func.count()).select_from(RecipientFollowUp).where(
        RecipientFollowUp.closed_at.is_(None), hospitals_visible(scope, RecipientFollowUp.hospital_id))).scalar_one()


def _view(s: Session, row: RecipientFollowUp) -> RecipientFollowUpView:
    return RecipientFollowUpView(
        id=row.id, donation_id=row.donation_id, din=s.get(Donation, row.donation_id).din, unit_id=row.unit_id,
        issue_id=row.issue_id, patient_id=row.patient_id, hospital_id=row.hospital_id, opened_at=row.opened_at,
        closed_at=row.closed_at, closed_by=row.closed_by, outcome=row.outcome)


def recipient_follow_ups(uow: UnitOfWork, *, open_only: bool = True) -> list[RecipientFollowUpView]:
    """The caller's hospitals' follow-ups (the blood service sees all); a sensitive read, audited."""
    with uow:
        s = uow.session
        statement = select(RecipientFollowUp).where(hospitals_visible(uow.scope, RecipientFollowUp.hospital_id))
        if open_only:
            statement = statement.where(RecipientFollowUp.closed_at.is_(None))
        views = [_view(s, r) for r in s.execute(statement.order_by(RecipientFollowUp.id)).scalars()]
        uow.audit("read", "recipient_follow_up", None, new={"count": len(views), "open_only": open_only})
        uow.commit()
        return views


def close_recipient_follow_up(uow: UnitOfWork, *, follow_up_id: int, outcome: str) -> RecipientFollowUpView:
    outcome = clean_text(outcome, "outcome", 2000, multiline=True)
    if not outcome:
        raise InvalidInput(N_("Write what was done for the patient (tested, treated, told)."))
    with uow:
        s = uow.session
        row = s.execute(select(RecipientFollowUp).where(RecipientFollowUp.id == follow_up_id,
                                                        hospitals_visible(uow.scope, RecipientFollowUp.hospital_id))
                        .with_for_update()).scalar_one_or_none()
        if row is None:
            raise NotFound(N_("No recipient follow-up %(follow_up)s."), params={"follow_up": follow_up_id})
        if row.closed_at is not None:
            raise Conflict(N_("Recipient follow-up %(follow_up)s is already closed."), params={"follow_up": follow_up_id})
        row.closed_at, row.closed_by, row.outcome = utcnow(), uow.actor, outcome
        s.flush()
        uow.audit("close", "recipient_follow_up", row.id, old={"closed_at": None},
                  new={"closed_at": row.closed_at}, reason="recipient followed up")
        view = _view(s, row)
        uow.commit()
        return view
