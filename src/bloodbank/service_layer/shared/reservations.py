"""Ending a reservation: the one way a hold on a unit ends, audited alike whatever ends it.

An allocation released by hand, an order cancelled, a unit discarded, returned
from the ward or recalled all end the hold here, so each leaves the same trail.
"""

from __future__ import annotations

from sqlalchemy import select

from bloodbank.adapters.db.models import Reservation
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


def end_reservation(uow: UnitOfWork, reservation: Reservation, reason: str, *, audit: bool = True) -> None:
    """End a live reservation inside the caller's transaction; the unit's own move is the caller's.

    `audit=False` only where the caller writes one entry naming every reservation it ended
    (a cancelled order lists the units it let go).
    """
    reservation.released_at, reservation.released_by, reservation.release_reason = utcnow(), uow.actor, reason
    uow.session.flush()
    if audit:
        uow.audit("release_reservation", "reservation", reservation.id, old={"released_at": None},
                  new={"released_at": reservation.released_at, "released_by": uow.actor,
                       "unit_id": reservation.unit_id, "order_id": reservation.order_id}, reason=reason)


def end_live_reservation(uow: UnitOfWork, unit_id: int, reason: str) -> int | None:
    """End the unit's live reservation, if it has one; that reservation's id."""
    ended = None
    for reservation in uow.session.execute(select(Reservation).where(
            Reservation.unit_id == unit_id, Reservation.released_at.is_(None)
    ).order_by(Reservation.id).with_for_update()).scalars().all():
        end_reservation(uow, reservation, reason)
        ended = reservation.id
    return ended
