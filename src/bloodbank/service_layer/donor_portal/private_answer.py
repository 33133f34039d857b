"""The confidential "do not use my blood from my last donation", from the donor's own screen.

The kiosk's use case records it: both answers are stored, sealed to the same
length, and written to the audit log the same way, naming neither donor nor
visit. A donor with no donation yet gets the same answer, and nothing is kept.
"""

from __future__ import annotations

from sqlalchemy import select

from bloodbank.adapters.db.models import Donation
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.messages import N_
from bloodbank.service_layer.blood.self_exclusion import CONFIDENTIAL_CHOICES, record_confidential_choice
from bloodbank.service_layer.donor_portal.my_record import own_donor
from bloodbank.service_layer.donors.deferral_lookup import donor_ids_of_person
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

# The audit log names what the donor does by their number; this answer must not, so it is given as the kiosk's.
PRIVATE_ACTOR = "kiosk"


def answer_privately(database, *, donor_id: int, choice: str) -> None:
    if choice not in CONFIDENTIAL_CHOICES:
        raise InvalidInput(N_("Choose one of the two answers on the screen."))
    with UnitOfWork(database, actor=PRIVATE_ACTOR, read_only=True) as uow:
        own_donor(uow.session, donor_id)
        visit_id = uow.session.execute(
            select(Donation.visit_id).where(Donation.donor_id.in_(donor_ids_of_person(uow.session, donor_id)))
            .order_by(Donation.started_at.desc()).limit(1)).scalar()
    if visit_id is not None:
        record_confidential_choice(UnitOfWork(database, actor=PRIVATE_ACTOR), visit_id=visit_id, choice=choice)
