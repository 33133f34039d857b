from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bloodbank.adapters.db.models.base import Base
from bloodbank.adapters.db.sealed_types import SealedText

APPEAL_STATUSES = ("running", "paused", "stopped")
INVITATION_STATUSES = ("invited", "accepted", "declined", "expired")
CHANNELS = ("sms", "email")
OUTBOX_STATUSES = ("pending", "sent", "failed", "cancelled")


class Appeal(Base):
    """An incident's call to opted-in donors: started, paused and resumed by a person, topped up as it runs."""

    __tablename__ = "appeal"
    __table_args__ = (CheckConstraint("status IN " + str(APPEAL_STATUSES), name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), unique=True)
    status: Mapped[str] = mapped_column(String(10))
    started_at: Mapped[datetime]
    started_by: Mapped[str] = mapped_column(String(100))
    changed_at: Mapped[datetime]
    changed_by: Mapped[str] = mapped_column(String(100))
    sized_at: Mapped[datetime | None]  # the last time invitations were topped up


class AppealInvitation(Base):
    """One donor asked once by one appeal, with the reason they were chosen."""

    __tablename__ = "appeal_invitation"
    __table_args__ = (
        CheckConstraint("status IN " + str(INVITATION_STATUSES), name="status_known"),
        CheckConstraint("channel IN " + str(CHANNELS), name="channel_known"),
        # One invitation per donor per appeal: a top-up never asks the same person again.
        UniqueConstraint("appeal_id", "donor_id"),
        # A donor's monthly limit counts their invitations of the last 30 days.
        Index("ix_appeal_invitation_donor_created", "donor_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeal.id"), index=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donor.id"))
    blood_group: Mapped[str] = mapped_column(String(3))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    slot_day: Mapped[date]  # the day on the site's clock the donor is asked to come
    channel: Mapped[str] = mapped_column(String(5))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="invited")
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    responded_at: Mapped[datetime | None]
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"))


class OutboxMessage(Base):
    """A message to send, written in the same transaction as what it tells; the dispatcher sends it once.

    The address is read from the donor's record when sending, so the outbox holds no copy of a phone or email.
    A claim is a lease: a sender that dies mid-send leaves the row to be claimed again when the lease ends,
    and the gateway is given the idempotency key, so the second attempt is not a second message.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint("status IN " + str(OUTBOX_STATUSES), name="status_known"),
        CheckConstraint("channel IN " + str(CHANNELS), name="channel_known"),
        Index("ix_outbox_message_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(5))
    donor_id: Mapped[int] = mapped_column(ForeignKey("donor.id"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("appeal_invitation.id"), index=True)
    subject: Mapped[str] = mapped_column(String(200), default="")
    # Sealed: a sign-in message holds a live link or code, an appeal a personal link, and every one says to whom
    # it goes; a copy of the database, or anyone reading the table, reads none of them.
    body: Mapped[str] = mapped_column(SealedText("outbox_message.body"))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
