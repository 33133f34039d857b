"""The donor's consent, their withdrawal, and their confidential self-exclusion.

The clerk records consent; only the donor gives it. A withdrawal is recorded
neutrally, with no reason asked. A self-exclusion ("do not use my blood") is
kept where no ordinary screen looks: its audit entry names neither visit nor
donor, because administrators can read the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Consent, Donation, SelfExclusion, Visit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.config import get_settings
from bloodbank.domain import consent as rules
from bloodbank.domain.errors import ConsentMissing, Conflict, InvalidInput, NotFound
from bloodbank.service_layer.blood.withdrawal import withdraw_not_suitable
from bloodbank.service_layer.donors.deferral_lookup import ensure_not_deferred
from bloodbank.service_layer.shared.audit_snapshots import snapshot
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

NEUTRAL_WITHDRAWAL = "The donor chose not to continue."


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


def _visit(session: Session, visit_id: int, *, lock: bool = False) -> Visit:
    stmt = select(Visit).where(Visit.id == visit_id)
    visit = session.execute(stmt.with_for_update() if lock else stmt).scalar_one_or_none()
    if visit is None:
        raise NotFound(f"No visit with id {visit_id}.")
    return visit


def consent_of(session: Session, visit_id: int) -> Consent | None:
    return session.execute(select(Consent).where(Consent.visit_id == visit_id)).scalar_one_or_none()


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
        visit = _visit(s, visit_id, lock=True)
        refusal = rules.consent_refusal(visit.status, eligible=visit.eligible)
        if refusal:
            raise refusal
        if consent_of(s, visit_id) is not None:
            raise Conflict("Consent is already recorded for this visit.")
        # A deferral may have been added since screening: check again before the donor signs.
        now = utcnow()
        ensure_not_deferred(s, visit.donor_id, now.date())
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
        visit = _visit(s, visit_id, lock=True)
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


def record_self_exclusion(uow: UnitOfWork, *, visit_id: int) -> None:
    """Idempotent on purpose: a repeat looks exactly like the first time to whoever asks."""
    with uow:
        s = uow.session
        _visit(s, visit_id)
        if is_self_excluded(s, visit_id):
            return
        try:
            with s.begin_nested():
                s.add(SelfExclusion(visit_id=visit_id, recorded_at=utcnow()))
        except IntegrityError:
            return  # recorded at the same moment by another request: already done
        # Entity "confidential" and no id: the link lives only in self_exclusion.
        uow.audit("record", "confidential", None, new={"recorded": True})
        # Blood already taken at this visit goes out of use in the same transaction.
        donation_ids = list(s.execute(select(Donation.id).where(Donation.visit_id == visit_id)).scalars())
        withdraw_not_suitable(uow, donation_ids)
        uow.commit()


def is_self_excluded(session: Session, visit_id: int) -> bool:
    """For the system (unit release), never for a screen."""
    return session.execute(
        select(SelfExclusion.id).where(SelfExclusion.visit_id == visit_id)
    ).first() is not None


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


CONFIDENTIAL_CHOICES = ("use", "not")  # the same length, so not even the size of a request tells them apart


def record_confidential_choice(uow: UnitOfWork, *, visit_id: int, choice: str) -> None:
    """The donor's private answer at the kiosk: "use" my blood, or do "not" use it.

    Only a "not" is stored (as a self-exclusion). Both answers read the same rows and
    write the same audit entry, naming neither donor nor visit, so neither the audit log
    nor the time the request takes tells an onlooker which one the donor chose. A later
    "use" never undoes a "not": the donor who doubted their blood is believed the first time.
    """
    if choice not in CONFIDENTIAL_CHOICES:
        raise InvalidInput("Choose one of the two answers on the screen.")
    with uow:
        s = uow.session
        _visit(s, visit_id)
        already = is_self_excluded(s, visit_id)
        donation_ids = list(s.execute(select(Donation.id).where(Donation.visit_id == visit_id)).scalars())
        if choice == "not" and not already:
            try:
                with s.begin_nested():
                    s.add(SelfExclusion(visit_id=visit_id, recorded_at=utcnow()))
            except IntegrityError:
                pass  # recorded at the same moment by another request: already done
            else:
                # Blood already taken at this visit goes out of use in the same transaction.
                withdraw_not_suitable(uow, donation_ids)
        uow.audit("record", "confidential", None, new={"recorded": True})
        uow.commit()


def apply_self_exclusion(uow: UnitOfWork, *, visit_id: int) -> None:
    """Take the blood of a self-excluded visit out of use (own transaction).

    Returns nothing on purpose: whoever calls it learns nothing they could show.
    """
    with uow:
        s = uow.session
        if not is_self_excluded(s, visit_id):
            return
        donation_ids = list(s.execute(select(Donation.id).where(Donation.visit_id == visit_id)).scalars())
        withdraw_not_suitable(uow, donation_ids)
        uow.commit()
