"""The donor's confidential "do not use my blood", and taking that blood out of use at once.

The answer is kept where no ordinary screen looks (`self_exclusion`), and its
audit entry names neither visit nor donor, because administrators can read the
audit log. Blood already taken at the visit is withdrawn in the same
transaction, discarded as "not suitable for transfusion" without saying why.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bloodbank.adapters.db.models import Donation, SelfExclusion
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.errors import InvalidInput
from bloodbank.service_layer.blood.withdrawal import withdraw_not_suitable
from bloodbank.service_layer.donors.consent import is_self_excluded, load_visit
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


def record_self_exclusion(uow: UnitOfWork, *, visit_id: int) -> None:
    """Idempotent on purpose: a repeat looks exactly like the first time to whoever asks."""
    with uow:
        s = uow.session
        load_visit(s, visit_id)
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
        load_visit(s, visit_id)
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
