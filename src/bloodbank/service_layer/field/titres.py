"""Anti-A and anti-B titres of a donor, measured on a panel sample or on a donation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Donation, Donor, Titre
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import walking_blood_bank as wbb
from bloodbank.domain.errors import InvalidInput, NotFound
from bloodbank.domain.messages import N_
from bloodbank.service_layer.shared.audit_snapshots import snapshot
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class TitreView:
    id: int
    donor_id: int
    donation_id: int | None
    anti_a: int
    anti_b: int
    tested_at: datetime
    recorded_by: str


def _view(row: Titre) -> TitreView:
    return TitreView(id=row.id, donor_id=row.donor_id, donation_id=row.donation_id, anti_a=row.anti_a,
                     anti_b=row.anti_b, tested_at=row.tested_at, recorded_by=row.recorded_by)


def record_titre(uow: UnitOfWork, *, anti_a: int, anti_b: int, donor_id: int | None = None,
                 donation_id: int | None = None, tested_at: datetime | None = None) -> TitreView:
    """On a donor (a panel sample) or on a donation (its donor's titre at that collection)."""
    anti_a, anti_b = wbb.check_titre(anti_a, "anti-A"), wbb.check_titre(anti_b, "anti-B")
    now = utcnow()
    tested_at = tested_at or now
    if tested_at.tzinfo is None:
        raise InvalidInput(N_("Give the time the titre was measured with its time zone."))
    if tested_at > now:
        raise InvalidInput(N_("A titre cannot be measured in the future."))
    with uow:
        session = uow.session
        if donation_id is not None:
            donation = session.get(Donation, donation_id)
            if donation is None:
                raise NotFound(f"No donation with id {donation_id}.")
            if donor_id is not None and donor_id != donation.donor_id:
                raise InvalidInput(f"Donation {donation_id} is not the donor's.")
            donor_id = donation.donor_id
        if donor_id is None or session.get(Donor, donor_id) is None:
            raise NotFound(N_("Name the donor (or the donation) the titre was measured for."))
        row = Titre(donor_id=donor_id, donation_id=donation_id, anti_a=anti_a, anti_b=anti_b, tested_at=tested_at,
                    recorded_at=now, recorded_by=uow.actor)
        session.add(row)
        session.flush()
        uow.audit("create", "titre", row.id, new=snapshot(row))
        view = _view(row)
        uow.commit()
    return view


def latest_titre(session: Session, donor_id: int) -> wbb.Titre | None:
    row = session.execute(select(Titre).where(Titre.donor_id == donor_id)
                          .order_by(Titre.tested_at.desc(), Titre.id.desc())).scalars().first()
    return wbb.Titre(row.anti_a, row.anti_b, row.tested_at) if row else None


def titres_of(uow: UnitOfWork, *, donor_id: int) -> list[TitreView]:
    with uow:
        rows = uow.session.execute(select(Titre).where(Titre.donor_id == donor_id)
                                   .order_by(Titre.tested_at.desc(), Titre.id.desc())).scalars()
        return [_view(row) for row in rows]
