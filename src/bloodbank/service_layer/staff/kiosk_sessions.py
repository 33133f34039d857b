"""The donor's private screen on a handed-over tablet: a session of its own for one visit's question.

Opening it ends the clerk's browser session there, so the tablet reaches nothing
but that one question; answering ends it too. It lapses on its own after a few
minutes if the donor walks away.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from bloodbank.adapters.db.models import Donor, KioskSession, UserSession, Visit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.adapters.passwords import new_token, token_digest
from bloodbank.domain.consent import OPEN_STATUSES
from bloodbank.domain.errors import Conflict, NotFound
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

LIFETIME = timedelta(minutes=15)
# The visit is still at the desk or the chair: the question is asked before the blood leaves.
ASKABLE = frozenset({*OPEN_STATUSES, "collected"})


@dataclass(frozen=True)
class KioskTicket:
    token: str  # for the tablet's cookie; only its digest is stored
    csrf_token: str
    visit_id: int


def open_kiosk(uow: UnitOfWork, *, visit_id: int, staff_session_token: str | None) -> KioskTicket:
    """Hand the tablet over: a kiosk session for this visit, and the clerk's session on it ended."""
    with uow:
        visit = uow.session.get(Visit, visit_id)
        if visit is None:
            raise NotFound(f"No visit with id {visit_id}.")
        if visit.status not in ASKABLE:
            raise Conflict(f"Visit {visit_id} is {visit.status.replace('_', ' ')}: the private question is asked "
                           "while the donor is here.")
        now, token, csrf = utcnow(), new_token(), secrets.token_urlsafe(24)
        uow.session.add(KioskSession(token_hash=token_digest(token), csrf_token=csrf, visit_id=visit.id,
                                     opened_by=uow.actor, created_at=now))
        if staff_session_token:
            staff = uow.session.execute(select(UserSession).where(
                UserSession.token_hash == token_digest(staff_session_token))).scalar_one_or_none()
            if staff is not None and staff.ended_at is None:
                staff.ended_at = now
        # Which visit, never which donor: the entry says a tablet was handed over, nothing more.
        uow.audit("open_kiosk", "visit", visit.id)
        uow.commit()
        return KioskTicket(token=token, csrf_token=csrf, visit_id=visit.id)


@dataclass(frozen=True)
class KioskView:
    visit_id: int
    csrf_token: str
    # The donor's own language, if they chose one: the question is put to them in it.
    language: str | None = None


def resolve_kiosk(uow: UnitOfWork, token: str | None) -> KioskView | None:
    """The open kiosk session behind the tablet's cookie, or None (none, answered, or lapsed)."""
    if not token:
        return None
    with uow:
        row = uow.session.execute(select(KioskSession).where(
            KioskSession.token_hash == token_digest(token))).scalar_one_or_none()
        if row is None or row.ended_at is not None or utcnow() - row.created_at >= LIFETIME:
            return None
        language = uow.session.execute(select(Donor.language).join(Visit, Visit.donor_id == Donor.id)
                                       .where(Visit.id == row.visit_id)).scalar_one_or_none()
        return KioskView(visit_id=row.visit_id, csrf_token=row.csrf_token, language=language)


def close_kiosk(uow: UnitOfWork, token: str | None) -> None:
    if not token:
        return
    with uow:
        row = uow.session.execute(select(KioskSession).where(
            KioskSession.token_hash == token_digest(token))).scalar_one_or_none()
        if row is not None and row.ended_at is None:
            row.ended_at = utcnow()
            uow.commit()
