"""The outbox: messages written in the same transaction as what they tell, sent once by a dispatcher.

A sender claims a due message by a conditional UPDATE that sets a lease and
counts the attempt; only the claim that changed the row owns it, on any
database. It then reads the donor's address (none is copied into the outbox),
hands the message over with its idempotency key, and marks it sent only if its
claim still stands. A gateway that fails or times out leaves the message
pending with a later attempt (backing off); a sender killed mid-send leaves it
to be claimed again when the lease ends, and the gateway, given the same key,
does not send it twice. After the last attempt a message is failed, and shown.

A body is sealed at rest (it holds personal links, and a sign-in's live link or
code); once a sign-in message's fate is settled its body is blanked, since it
is worth nothing to anyone but an intruder. What staff see of a message (its
state, its last error) never holds its body: an error that echoes it is
redacted before it is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update

from bloodbank.adapters.db.models import AppealInvitation, Donor, OutboxMessage
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.adapters.messaging.errors import SendFailed
from bloodbank.config import get_settings
from bloodbank.domain import donor_portal as portal
from bloodbank.service_layer.messaging.senders import Sender, configured_senders
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

BATCH = 50
FIRST_RETRY_SECONDS = 30
LONGEST_RETRY_SECONDS = 3600


def enqueue(session, *, channel: str, donor_id: int, body: str, key: str, now: datetime, subject: str = "",
            invitation_id: int | None = None) -> OutboxMessage:
    """Write a message in the caller's transaction: it leaves only if that transaction commits."""
    row = OutboxMessage(idempotency_key=key, channel=channel, donor_id=donor_id, invitation_id=invitation_id,
                        subject=subject, body=body, status="pending", attempts=0, next_attempt_at=now,
                        last_error="", created_at=now)
    session.add(row)
    return row


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), LONGEST_RETRY_SECONDS))


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Claim:
    id: int
    attempts: int


def send_pending(uow: UnitOfWork, *, senders: Mapping[str, Sender] | None = None, limit: int = 1000,
                 now: datetime | None = None) -> SendReport:
    """Send what is due, up to `limit` messages, and say what became of them."""
    senders = configured_senders() if senders is None else senders
    report = SendReport()
    done = 0
    while done < limit:
        claims = _claim(uow.writer(), min(BATCH, limit - done), now or utcnow())
        if not claims:
            break
        done += len(claims)
        for claim in claims:
            _send_one(uow.writer(), claim, senders, report)
    return report


def _claim(uow: UnitOfWork, size: int, now: datetime) -> list[Claim]:
    lease = timedelta(seconds=get_settings().outbox_lease_seconds)
    free = or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until <= now)
    with uow:
        s = uow.session
        ids = s.execute(select(OutboxMessage.id).where(OutboxMessage.status == "pending",
                                                       OutboxMessage.next_attempt_at <= now, free)
                        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(size)).scalars().all()
        claims = []
        for message_id in ids:
            took = s.execute(update(OutboxMessage)
                             .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending", free)
                             .values(lease_until=now + lease, attempts=OutboxMessage.attempts + 1)
                             .returning(OutboxMessage.attempts)
                             .execution_options(synchronize_session=False)).scalar_one_or_none()
            if took is not None:
                claims.append(Claim(message_id, took))
        uow.commit()
        return claims


def _send_one(uow: UnitOfWork, claim: Claim, senders: Mapping[str, Sender], report: SendReport) -> None:
    with uow:
        s = uow.session
        message = s.get(OutboxMessage, claim.id)
        donor = s.get(Donor, message.donor_id)
        invitation = s.get(AppealInvitation, message.invitation_id) if message.invitation_id else None
        address = (donor.phone if message.channel == "sms" else donor.email) if donor else None
        channel, subject, body, key = message.channel, message.subject, message.body, message.idempotency_key
        withdrawn = _withdrawn(donor, invitation, address)
    if withdrawn:
        _finish(uow, claim, status="cancelled", error=withdrawn, key=key)
        report.cancelled += 1
        return
    sender = senders.get(channel)
    try:
        if sender is None:
            raise SendFailed(f"no {channel} sender is configured")
        sender.send(to=address, subject=subject, body=body, key=key)
    except SendFailed as error:
        last = error.permanent or claim.attempts >= get_settings().outbox_max_attempts
        said = redacted(str(error), body, address)
        _finish(uow, claim, status="failed" if last else "pending", error=said,
                retry_at=None if last else utcnow() + backoff(claim.attempts), key=key)
        report.errors.append(f"message {claim.id}: {said}")
        if last:
            report.failed += 1
        else:
            report.retrying += 1
        return
    _finish(uow, claim, status="sent", key=key)
    report.sent += 1


def _withdrawn(donor: Donor | None, invitation: AppealInvitation | None, address: str | None) -> str:
    """Why a message written earlier must not leave now (empty: it may)."""
    if donor is None or donor.erasure is not None:
        return "the donor's record was erased"
    if invitation is not None and not donor.appeals_opt_in:
        return "the donor stopped appeals"
    if invitation is not None and invitation.status != "invited":
        return f"the invitation is {invitation.status}"
    if not address:
        return "no address on file for this channel"
    return ""


def redacted(error: str, body: str, address: str | None = None) -> str:
    """A gateway's error with the address and any link, code or token of the message's body taken out: a
    gateway that echoes what it was sent must not put a sign-in code, or a copy of a phone or email, where
    staff read errors."""
    if address:
        error = error.replace(address, "[…]")
    for word in sorted(set(body.split()), key=len, reverse=True):
        if len(word) >= 6 and any(c.isdigit() or c == "/" for c in word):
            error = error.replace(word, "[…]")
    return error


def _finish(uow: UnitOfWork, claim: Claim, *, status: str, error: str = "", retry_at: datetime | None = None,
            key: str = "") -> None:
    """Record the outcome, if this claim still owns the message (its attempt is the last one counted)."""
    values: dict = {"status": status, "lease_until": None, "last_error": error[:500]}
    if status == "sent":
        values["sent_at"] = utcnow()
    if status != "pending" and portal.is_sign_in_key(key):
        values["body"] = ""
    if retry_at is not None:
        values["next_attempt_at"] = retry_at
    with uow:
        uow.session.execute(update(OutboxMessage)
                            .where(OutboxMessage.id == claim.id, OutboxMessage.attempts == claim.attempts,
                                   OutboxMessage.status == "pending")
                            .values(**values).execution_options(synchronize_session=False))
        uow.commit()


@dataclass(frozen=True)
class FailedMessage:
    id: int
    channel: str
    attempts: int
    last_error: str
    created_at: datetime


@dataclass(frozen=True)
class OutboxStatus:
    counts: dict[str, int]
    retrying: int  # pending messages that failed at least once
    failed: tuple[FailedMessage, ...]


def outbox_status(uow: UnitOfWork, *, limit: int = 50) -> OutboxStatus:
    with uow:
        s = uow.session
        counts = dict(s.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())
        retrying = s.execute(select(func.count()).where(OutboxMessage.status == "pending",
                                                        OutboxMessage.last_error != "")).scalar_one()
        failed = s.execute(select(OutboxMessage).where(OutboxMessage.status == "failed")
                           .order_by(OutboxMessage.id.desc()).limit(limit)).scalars().all()
        return OutboxStatus(counts={k: counts.get(k, 0) for k in ("pending", "sent", "failed", "cancelled")},
                            retrying=retrying,
                            failed=tuple(FailedMessage(m.id, m.channel, m.attempts, m.last_error, m.created_at)
                                         for m in failed))
