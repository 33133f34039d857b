"""Signing in without a password: a link by email or a code by SMS, sent to the contact already on file.

The first step answers everyone the same way: the details are checked against
the record, a request row is written whether or not they match (so throttling
counts strangers as it counts donors, and the work done is the same), and only
a match puts a message in the outbox. The second step trades the link or the
code for a donor session, once.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, text, update

from bloodbank.adapters.db.models import Donor, DonorSession, DonorSignIn
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.adapters.passwords import new_token, token_digest
from bloodbank.config import get_settings
from bloodbank.domain import access, donor_portal as portal
from bloodbank.domain.digits import ascii_digits
from bloodbank.domain.errors import InvalidInput, LoginRefused, LoginThrottled
from bloodbank.domain.messages import N_
from bloodbank.service_layer.messaging.outbox import enqueue
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

LINK_PATH = "/my/link/"


@dataclass(frozen=True)
class SignInRequested:
    """What the person's browser keeps while they wait: the same for a donor and for anyone else."""

    challenge: str
    channel: str


@dataclass(frozen=True)
class DonorTicket:
    token: str  # for the cookie; only its digest is stored
    csrf_token: str
    donor_id: int


def link_base() -> str:
    s = get_settings()
    return (s.public_url or f"http://{s.host}:{s.port}").rstrip("/") + LINK_PATH


def _contact_hash(channel: str, contact: str) -> str:
    return token_digest(f"{channel}:{portal.contact_key(channel, contact)}")


def _throttled(uow: UnitOfWork, contact_hash: str, client: str, now: datetime) -> bool:
    since = now - access.LOGIN_WINDOW
    by_contact = uow.session.execute(select(func.count()).select_from(DonorSignIn).where(
        DonorSignIn.contact_hash == contact_hash, DonorSignIn.created_at > since)).scalar_one()
    by_client = uow.session.execute(select(func.count()).select_from(DonorSignIn).where(
        DonorSignIn.client == client[:64], DonorSignIn.created_at > since)).scalar_one() if client else 0
    return by_contact >= portal.SENDS_PER_CONTACT or by_client >= portal.SENDS_PER_CLIENT


def _matching_donor(uow: UnitOfWork, donor_number: str, date_of_birth: date, channel: str,
                    contact: str) -> Donor | None:
    number = ascii_digits(donor_number or "").strip().upper().replace(" ", "")
    row = uow.session.execute(select(Donor).where(Donor.donor_number == number)).scalar_one_or_none()
    if row is None or row.merged_into_id is not None or row.erasure is not None:
        return None
    on_file = row.email if channel == "email" else row.phone
    # Every comparison is made whatever the others gave, so a near miss takes as long as a stranger.
    same_birth = row.date_of_birth == date_of_birth
    same_contact = portal.contact_matches(channel, contact, on_file)
    return row if same_birth and same_contact else None


def request_sign_in(uow: UnitOfWork, *, donor_number: str, date_of_birth: date, channel: str, contact: str,
                    client: str = "", translate_for: Callable[[str | None], Callable[[str], str]] | None = None
                    ) -> SignInRequested:
    """Send a link or a code if the three details match one donor; answer the same whether they do or not.

    `translate_for(language)`: the catalogue the message is written in, given the donor's own language (None when
    they chose none); without it the message is in English.
    """
    if channel not in portal.CHANNELS:
        raise InvalidInput(N_("Choose email or SMS."))
    if not (donor_number or "").strip() or not (contact or "").strip() or not isinstance(date_of_birth, date):
        raise InvalidInput(N_("Give your donor number, your date of birth, and your email or phone number."))
    now, contact_hash = utcnow(), _contact_hash(channel, contact)
    challenge = new_token()
    secret = new_token() if channel == "email" else f"{secrets.randbelow(10 ** portal.CODE_DIGITS):0{portal.CODE_DIGITS}d}"
    with uow:
        s = uow.session
        if s.get_bind().dialect.name == "postgresql":
            # Two requests at once for one contact queue, so each counts the other.
            s.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"donor-sign-in:{contact_hash}"})
        if _throttled(uow, contact_hash, client, now):
            uow.audit("donor_sign_in_throttled", "donor_sign_in", None, new={"client": client[:64]})
            uow.commit()
            raise LoginThrottled(N_("Too many sign-in requests: wait a quarter of an hour and try again."))
        donor = _matching_donor(uow, donor_number, date_of_birth, channel, contact)
        row = DonorSignIn(challenge_hash=token_digest(challenge), secret_hash=token_digest(secret), channel=channel,
                          donor_id=donor.id if donor else None, contact_hash=contact_hash, client=client[:64],
                          created_at=now, attempts=0)
        s.add(row)
        s.flush()
        if donor is not None:
            translate = translate_for(donor.language) if translate_for else (lambda text: text)
            body = (portal.sign_in_email(link_base() + secret, translate) if channel == "email"
                    else portal.sign_in_sms(secret, translate))
            enqueue(s, channel=channel, donor_id=donor.id, body=body, key=portal.sign_in_key(row.id), now=now,
                    subject=translate(portal.SIGN_IN_SUBJECT) if channel == "email" else "")
        # Which request, never whose: the entry is the same for a donor and a stranger.
        uow.audit("donor_sign_in_requested", "donor_sign_in", row.id, new={"channel": channel})
        uow.commit()
        return SignInRequested(challenge=challenge, channel=channel)


REFUSED = N_("This sign-in link or code is wrong, used or out of date: ask for a new one.")


def _open_session(uow: UnitOfWork, request: DonorSignIn, now: datetime) -> DonorTicket:
    token, csrf = new_token(), secrets.token_urlsafe(24)
    request.used_at = now
    uow.session.add(DonorSession(token_hash=token_digest(token), csrf_token=csrf, donor_id=request.donor_id,
                                 created_at=now, last_seen_at=now))
    uow.audit("donor_sign_in", "donor", request.donor_id, new={"channel": request.channel})
    uow.commit()
    return DonorTicket(token=token, csrf_token=csrf, donor_id=request.donor_id)


def _live(request: DonorSignIn | None, now: datetime) -> bool:
    return (request is not None and request.used_at is None and request.donor_id is not None
            and now - request.created_at < portal.SIGN_IN_LIFETIME and request.attempts < portal.CODE_ATTEMPTS)


def sign_in_with_link(uow: UnitOfWork, *, token: str) -> DonorTicket:
    now = utcnow()
    with uow:
        row = uow.session.execute(select(DonorSignIn).where(
            DonorSignIn.secret_hash == token_digest(token or ""), DonorSignIn.channel == "email")
            .with_for_update()).scalar_one_or_none()
        if not _live(row, now):
            raise LoginRefused(REFUSED)
        return _open_session(uow, row, now)


def sign_in_with_code(uow: UnitOfWork, *, challenge: str, code: str) -> DonorTicket:
    """The code typed against the request this browser made; five wrong codes spend the request."""
    now = utcnow()
    typed = ascii_digits(code or "").strip()
    with uow:
        row = uow.session.execute(select(DonorSignIn).where(
            DonorSignIn.challenge_hash == token_digest(challenge or ""), DonorSignIn.channel == "sms")
            .with_for_update()).scalar_one_or_none()
        if row is None:
            raise LoginRefused(REFUSED)
        live = _live(row, now)
        right = secrets.compare_digest(token_digest(typed), row.secret_hash)
        if live and right:
            return _open_session(uow, row, now)
        # A stranger's request counts its guesses as a donor's does.
        uow.session.execute(update(DonorSignIn).where(DonorSignIn.id == row.id)
                            .values(attempts=DonorSignIn.attempts + 1))
        uow.audit("donor_sign_in_refused", "donor_sign_in", row.id)
        uow.commit()
        raise LoginRefused(REFUSED)
