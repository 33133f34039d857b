"""Staff accounts, their sessions and API tokens, login attempts and electronic signatures."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bloodbank.adapters.db.models.base import Base, Timestamped


class User(Timestamped, Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(30))
    # argon2id, in the PHC string format (the parameters travel with the hash).
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    # Set by an administrator's reset: the person chooses their own before doing or signing anything.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    # A machine client's account (a hospital's LIS): tokens only, never a browser login, never a signature.
    service_account: Mapped[bool] = mapped_column(default=False)
    # Made by `bloodbank demo`: a database holding these never serves real donors.
    demo: Mapped[bool] = mapped_column(default=False)
    # The language the person reads the pages in ("en", "fr", "ar"); none follows their browser.
    language: Mapped[str | None] = mapped_column(String(8))


class UserSession(Base):
    """A browser session. Only a hash of the cookie's token is stored: a copy of this table opens nothing."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]


class LoginAttempt(Base):
    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_name_at", "username", "at"),
                      # The throttle per computer counts one address's recent failures.
                      Index("ix_login_attempt_client_at", "client", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60))
    at: Mapped[datetime]
    succeeded: Mapped[bool]
    client: Mapped[str] = mapped_column(String(64), default="")


class Signature(Base):
    """An electronic signature (21 CFR 11.50): who signed, when, and what the signature means."""

    __tablename__ = "signature"
    __table_args__ = (Index("ix_signature_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    signer_name: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(30))
    meaning: Mapped[str] = mapped_column(Text)
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(40))


class KioskSession(Base):
    """The donor's private screen on a tablet the clerk handed over: it reaches one visit's question, once.

    Opening it ends the clerk's session on that browser, so the donor holding the tablet is not one address
    away from other people's records. Only a hash of the cookie's token is stored.
    """

    __tablename__ = "kiosk_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id"))
    opened_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class HospitalMembership(Base):
    """A hospital staff account belongs to a hospital: it sees that hospital's patients, orders and transfusions."""

    __tablename__ = "hospital_membership"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospital.id"), primary_key=True, index=True)
    added_at: Mapped[datetime]
    added_by: Mapped[str] = mapped_column(String(100))
