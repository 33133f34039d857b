"""The donor's confidential "do not use my blood", and taking that blood out of use at once.

Every answer the donor gives ("use" or "not") is kept, sealed, where no
ordinary screen looks (`confidential_answer`): the two seal to values of the
same length, so not even a copy of the database tells who excluded
themselves. The audit entry names neither visit nor donor, because
administrators can read the audit log. Blood already taken at the visit is
withdrawn in the same transaction, discarded as "not suitable for
transfusion" without saying why.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from bloodbank.adapters.db.models import ConfidentialAnswer, Donation
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.errors import InvalidInput
from bloodbank.service_layer.blood.withdrawal import withdraw_not_suitable
from bloodbank.service_layer.donors.consent import NOT_MY_BLOOD, is_self_excluded, load_visit
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

USE_MY_BLOOD = "use"
# The same length, so not even the size of a request (or of a sealed answer) tells them apart.
CONFIDENTIAL_CHOICES = (USE_MY_BLOOD, NOT_MY_BLOOD)


def record_self_exclusion(uow: UnitOfWork, *, visit_id: int) -> None:
    """Idempotent on purpose: a repeat looks exactly like the first time to whoever asks."""
    with uow:
        s = uow.session
        load_visit(s, visit_id)
        if is_self_excluded(s, visit_id):
            return
        if not _store(s, visit_id, NOT_MY_BLOOD):
            return  # recorded at the same moment by another request: already done
        # Entity "confidential" and no id: the link lives only in confidential_answer.
        uow.audit("record", "confidential", None, new={"recorded": True})
        # Blood already taken at this visit goes out of use in the same transaction.
        withdraw_not_suitable(uow, _donations_of(s, visit_id))
        uow.commit()


def record_confidential_choice(uow: UnitOfWork, *, visit_id: int, choice: str) -> None:
    """The donor's private answer at the kiosk: "use" my blood, or do "not" use it.

    Both answers are stored, read the same rows and write the same audit entry,
    naming neither donor nor visit, so neither the audit log, a copy of the
    database nor the time the request takes tells an onlooker which one the
    donor chose. A later "use" never undoes a "not": the donor who doubted
    their blood is believed the first time.
    """
    if choice not in CONFIDENTIAL_CHOICES:
        raise InvalidInput("Choose one of the two answers on the screen.")
    with uow:
        s = uow.session
        load_visit(s, visit_id)
        donation_ids = _donations_of(s, visit_id)
        if _store(s, visit_id, choice):
            # Blood already taken at this visit goes out of use in the same transaction.
            withdraw_not_suitable(uow, donation_ids)
        uow.audit("record", "confidential", None, new={"recorded": True})
        uow.commit()


def _store(s: Session, visit_id: int, choice: str) -> bool:
    """Keep the visit's answer; True when it has just become "not". A "not" once given stays."""
    row = _answer_of(s, visit_id)
    if row is None:
        try:
            with s.begin_nested():
                s.add(ConfidentialAnswer(visit_id=visit_id, recorded_at=utcnow(), answer=choice))
        except IntegrityError:
            row = _answer_of(s, visit_id)  # answered at the same moment by another request
        else:
            return choice == NOT_MY_BLOOD
    already = row.answer == NOT_MY_BLOOD
    # Sealed afresh even when it does not change, so an answer changed and one repeated look alike.
    row.answer = NOT_MY_BLOOD if already else choice
    flag_modified(row, "answer")
    s.flush()
    return not already and choice == NOT_MY_BLOOD


def _answer_of(s: Session, visit_id: int) -> ConfidentialAnswer | None:
    return s.execute(select(ConfidentialAnswer).where(ConfidentialAnswer.visit_id == visit_id)
                     .with_for_update()).scalar_one_or_none()


def _donations_of(s: Session, visit_id: int) -> list[int]:
    return list(s.execute(select(Donation.id).where(Donation.visit_id == visit_id)).scalars())


def apply_self_exclusion(uow: UnitOfWork, *, visit_id: int) -> None:
    """Take the blood of a self-excluded visit out of use (own transaction).

    Returns nothing on purpose: whoever calls it learns nothing they could show.
    """
    with uow:
        s = uow.session
        if not is_self_excluded(s, visit_id):
            return
        withdraw_not_suitable(uow, _donations_of(s, visit_id))
        uow.commit()
