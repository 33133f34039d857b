"""A donor's session: resolved from its cookie, idle and maximum ages as a staff session's, ended on sign-out.

A donor session is its own kind: its table and cookie are not a staff
session's, so no staff page or API operation ever reads it as a person.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from bloodbank.adapters.db.models import Donor, DonorSession
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.adapters.passwords import token_digest
from bloodbank.domain import access, donor_portal as portal
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.staff.authentication import TOUCH_EVERY


@dataclass(frozen=True)
class DonorPrincipal:
    donor_id: int
    donor_number: str
    csrf_token: str
    language: str | None

    @property
    def actor(self) -> str:
        """The audit log's name for what the donor does themselves."""
        return f"donor:{self.donor_number}"

    def unit_of_work(self, database, *, read_only: bool = False) -> UnitOfWork:
        return UnitOfWork(database, actor=self.actor, read_only=read_only)


def resolve_donor_session(uow: UnitOfWork, token: str | None) -> DonorPrincipal | None:
    """The session's donor, or None when it is unknown, ended, idle too long, or its record was erased or merged."""
    if not token:
        return None
    now = utcnow()
    with uow:
        row = uow.session.execute(select(DonorSession).where(
            DonorSession.token_hash == token_digest(token))).scalar_one_or_none()
        if row is None or row.ended_at is not None:
            return None
        donor = uow.session.get(Donor, row.donor_id)
        expired = (donor.erasure is not None or donor.merged_into_id is not None
                   or access.session_expired(row.last_seen_at, now, portal.DONOR_SESSION_IDLE,
                                             created=row.created_at, max_age=portal.DONOR_SESSION_MAX_AGE))
        touch = now - row.last_seen_at >= TOUCH_EVERY
        principal = None if expired else DonorPrincipal(donor.id, donor.donor_number, row.csrf_token, donor.language)
        session_id = row.id
    if expired or touch:
        values = {"ended_at": now} if expired else {"last_seen_at": now}
        with uow.writer() as writer:
            writer.session.execute(update(DonorSession).where(DonorSession.id == session_id).values(**values))
            writer.commit()
    return principal


def sign_out(uow: UnitOfWork, token: str | None) -> None:
    if not token:
        return
    with uow:
        row = uow.session.execute(select(DonorSession).where(
            DonorSession.token_hash == token_digest(token))).scalar_one_or_none()
        if row is not None and row.ended_at is None:
            row.ended_at = utcnow()
            uow.audit("donor_sign_out", "donor", row.donor_id)
            uow.commit()
