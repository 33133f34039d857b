"""The donor portal's own rows: sign-in requests, donor sessions, portal choices, erasure requests, answers from home.

A donor's session is a kind apart from staff sessions: another table, another
cookie, so nothing a donor holds is ever read as a staff person's.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bloodbank.adapters.db.models.base import Base
from bloodbank.adapters.db.sealed_types import SealedJSON, SealedText


class DonorSignIn(Base):
    """One request to sign in. A request about nobody on file is written all the same (`donor_id` empty), so
    throttling and the answer are the same for everyone. Only digests of the link's token and of the code are kept.
    """

    __tablename__ = "donor_sign_in"
    __table_args__ = (
        CheckConstraint("channel IN ('email', 'sms')", name="channel_known"),
        Index("ix_donor_sign_in_contact", "contact_hash", "created_at"),
        Index("ix_donor_sign_in_client", "client", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The reference the person's browser holds while they type the code (its digest).
    challenge_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The link's token (email) or the code (SMS), as its digest.
    secret_hash: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(5))
    donor_id: Mapped[int | None] = mapped_column(ForeignKey("donor.id"), index=True)
    # A keyed digest of the contact typed: counts requests per contact without keeping it.
    contact_hash: Mapped[str] = mapped_column(String(64))
    client: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None]


class DonorSession(Base):
    """A donor's browser session: their own record and nothing else. Only a hash of the cookie's token is kept."""

    __tablename__ = "donor_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    donor_id: Mapped[int] = mapped_column(ForeignKey("donor.id"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class DonorPortalChoice(Base):
    """What a donor chose on their page that the desk's record does not hold."""

    __tablename__ = "donor_portal_choice"

    donor_id: Mapped[int] = mapped_column(ForeignKey("donor.id"), primary_key=True)
    # "Your blood was used": off unless the donor asks for it.
    blood_used_opt_in: Mapped[bool] = mapped_column(default=False)
    # "I can come now", for an emergency's call list; it lapses on its own. Indexed: an appeal reads who said it.
    available_until: Mapped[datetime | None] = mapped_column(index=True)


class DonorErasureRequest(Base):
    """A donor asked, from their page, for their data to be erased: staff act on it through the erasure, which
    closes it, or decline it with a reason the donor reads on their page. Asking again after a decline reopens it.
    """

    __tablename__ = "donor_erasure_request"
    __table_args__ = (
        CheckConstraint("outcome IS NULL OR outcome IN ('erased', 'declined')", name="outcome_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donor.id"), unique=True)
    requested_at: Mapped[datetime]
    # None while open.
    outcome: Mapped[str | None] = mapped_column(String(10))
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(100))
    # Why staff declined, in their words to the donor: it may touch on the donor's health, so it is sealed.
    decline_reason: Mapped[str | None] = mapped_column(SealedText("donor_erasure_request.decline_reason"))


class HomeQuestionnaire(Base):
    """The pre-donation questionnaire answered at home on the day of an appointment, sealed, for the desk to scan.

    The answers are the donor's confidences as at the desk, sealed the same way; they lapse at the end of the
    appointment's day on its site's clock. The desk still confirms them with the donor, who still consents.
    """

    __tablename__ = "home_questionnaire"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donor.id"), index=True)
    answers: Mapped[dict] = mapped_column(SealedJSON("home_questionnaire.answers"), default=dict)
    filled_at: Mapped[datetime]
    expires_at: Mapped[datetime]
