"""The donor's consent and its withdrawal.

The clerk records consent; only the donor gives it. A withdrawal is recorded
neutrally, with no reason asked. The confidential self-exclusion ("do not use
my blood") is `blood.self_exclusion`'s: it takes units out of use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import ConfidentialAnswer, Consent, Donation, Visit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.config import get_settings
from bloodbank.domain import consent as rules
from bloodbank.domain.errors import ConsentMissing, Conflict, InvalidInput, NotFound
from bloodbank.service_layer.donors.deferral_lookup import ensure_not_deferred
from bloodbank.service_layer.shared.audit_snapshots import snapshot
from bloodbank.service_layer.shared.clocks import clock_of_site, today_on
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

NEUTRAL_WITHDRAWAL = "The donor chose not to continue."
# The donor's private "do not use my blood", as `blood.self_exclusion` stores it.
NOT_MY_BLOOD = "not"


@dataclass(frozen=True)
class ConsentView:
    id: int
    visit_id: int
    donor_id: int
    text_version: str
    given_at: datetime
    recorded_by: str
    withdrawn_at: datetime | None


@dataclass(frozen=True)
class WithdrawalView:
    visit_id: int
    step: str
    withdrawn_at: datetime
    consent_withdrawn: bool


def _view(row: Consent) -> ConsentView:
    return ConsentView(id=row.id, visit_id=row.visit_id, donor_id=row.donor_id, text_version=row.text_version,
                       given_at=row.given_at, recorded_by=row.recorded_by, withdrawn_at=row.withdrawn_at)


def load_visit(session: Session, visit_id: int, *, lock: bool = False) -> Visit:
    stmt = select(Visit).where(Visit.id == visit_id)
    visit = session.execute(stmt.with_for_update() if lock else stmt).scalar_one_or_none()
    if visit is None:
        raise NotFound(f"No visit with id {visit_id}.")
    return visit


def consent_of(session: Session, visit_id: int) -> Consent | None:
    return session.execute(select(Consent).where(Consent.visit_id == visit_id)).scalar_one_or_none()


def consents_of(session: Session, visit_ids: list[int]) -> dict[int, Consent]:
    """The consent of each visit that has one: one query for a page of units."""
    if not visit_ids:
        return {}
    return {c.visit_id: c for c in session.execute(select(Consent).where(Consent.visit_id.in_(visit_ids))).scalars()}


def give_consent(uow: UnitOfWork, *, visit_id: int, text_version: str, confirmed_by_donor: bool) -> ConsentView:
    if confirmed_by_donor is not True:
        raise ConsentMissing(
            "Consent can only be recorded once the donor has confirmed it themselves."
        )
    current = get_settings().consent_text_version
    if text_version != current:
        raise InvalidInput(
            f"Consent text version {text_version!r} is not the current one ({current}): "
            "show the donor the current text."
        )
    with uow:
        s = uow.session
        visit = load_visit(s, visit_id, lock=True)
        refusal = rules.consent_refusal(visit.status, eligible=visit.eligible)
        if refusal:
            raise refusal
        if consent_of(s, visit_id) is not None:
            raise Conflict("Consent is already recorded for this visit.")
        # A deferral may have been added since screening: check again before the donor signs.
        now = utcnow()
        ensure_not_deferred(s, visit.donor_id, today_on(clock_of_site(s, visit.site_id), now))
        row = Consent(visit_id=visit.id, donor_id=visit.donor_id, text_version=text_version,
                      given_at=now, recorded_by=uow.actor)
        s.add(row)
        visit.status = "consented"
        s.flush()
        uow.audit("create", "consent", row.id, new=snapshot(row), reason="consent given by the donor")
        uow.audit("update", "visit", visit.id, old={"status": "screened"}, new={"status": "consented"},
                  reason="consent given by the donor")
        result = _view(row)
        uow.commit()
        return result


def withdraw(uow: UnitOfWork, *, visit_id: int, step: str) -> WithdrawalView:
    """The donor stops. No reason is asked or stored: the donor owes none.

    With the needle in, the bag itself is ended by the collection's own abort step
    (it records the volume drawn); this records that the donor withdrew.
    """
    with uow:
        s = uow.session
        visit = load_visit(s, visit_id, lock=True)
        refusal = rules.withdrawal_refusal(visit.status, step,
                                           collection_in_progress=_collection_in_progress(s, visit_id))
        if refusal:
            raise refusal
        now, old_status = utcnow(), visit.status
        visit.status, visit.withdrawn_at, visit.withdrawn_step = "withdrawn", now, step
        consent = consent_of(s, visit_id)
        if consent is not None and consent.withdrawn_at is None:
            consent.withdrawn_at = now
        s.flush()
        uow.audit("withdraw", "visit", visit.id, old={"status": old_status},
                  new={"status": "withdrawn", "withdrawn_at": now, "withdrawn_step": step},
                  reason=NEUTRAL_WITHDRAWAL)
        if consent is not None:
            uow.audit("withdraw", "consent", consent.id, old={"withdrawn_at": None},
                      new={"withdrawn_at": consent.withdrawn_at}, reason=NEUTRAL_WITHDRAWAL)
        result = WithdrawalView(visit_id=visit.id, step=step, withdrawn_at=now,
                                consent_withdrawn=consent is not None)
        uow.commit()
        return result


def _collection_in_progress(session: Session, visit_id: int) -> bool:
    return session.execute(
        select(Donation.id).where(Donation.visit_id == visit_id, Donation.status == "in_progress")
    ).first() is not None


def is_self_excluded(session: Session, visit_id: int) -> bool:
    """For the system (unit release), never for a screen."""
    return visit_id in self_excluded_visits(session, [visit_id])


def self_excluded_visits(session: Session, visit_ids: list[int]) -> set[int]:
    """Which of these visits' donors said "do not use my blood": for the system, never for a screen. The
    answers are sealed: read, then compared here."""
    if not visit_ids:
        return set()
    return {visit_id for visit_id, answer in session.execute(
        select(ConfidentialAnswer.visit_id, ConfidentialAnswer.answer).where(ConfidentialAnswer.visit_id.in_(visit_ids))
    ) if answer == NOT_MY_BLOOD}


def ensure_consent_for_collection(session: Session, visit: Visit) -> None:
    """Called by the collection step before a needle goes in; raises the clerk's reason to stop."""
    consent = consent_of(session, visit.id)
    refusal = rules.collection_refusal(
        consent_given=consent is not None,
        withdrawn=consent is not None and consent.withdrawn_at is not None,
        visit_status=visit.status,
    )
    if refusal:
        raise refusal
