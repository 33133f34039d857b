"""A donor at home: signing in without a password, and the messages the portal sends.

A donor proves who they are by something sent to the contact already on file: a
link by email, a code by SMS. The answer to a request never says whether the
person is a donor: an unknown person is answered, and throttled, exactly as a
known one, and only the known one is sent anything.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
from datetime import date, timedelta

from bloodbank.domain.digits import ascii_digits
from bloodbank.domain.messages import N_

CHANNELS = ("email", "sms")
# A link or code is good for a quarter of an hour, and once.
SIGN_IN_LIFETIME = timedelta(minutes=15)
CODE_DIGITS = 6
# Six digits guessed five times: one chance in 200,000 per code before it is spent.
CODE_ATTEMPTS = 5
# Requests within the staff login's window: a few per contact (a lost message), more per address (a family).
SENDS_PER_CONTACT = 3
SENDS_PER_CLIENT = 10
# As strict as a staff session: idle half an hour, and never longer than the staff maximum.
DONOR_SESSION_IDLE = timedelta(minutes=30)
DONOR_SESSION_MAX_AGE = timedelta(hours=12)
# "I can come now": an emergency call list needs it fresh; it lapses on its own.
AVAILABLE_FOR = timedelta(hours=24)

SIGN_IN_SUBJECT = N_("Your bloodbank sign-in link")
BLOOD_USED_SUBJECT = N_("Your blood was used")
SENT = N_("If these details match a donor on file, a sign-in message is on its way to the contact we hold. "
          "It is valid for 15 minutes.")


def contact_key(channel: str, contact: str) -> str:
    """The form a contact is compared and counted in: an email in lower case, a phone as its digits."""
    if channel == "email":
        return (contact or "").strip().lower()
    return re.sub(r"\D", "", ascii_digits(contact or ""))[-9:]


def contact_matches(channel: str, given: str, on_file: str | None) -> bool:
    """Does the contact the person typed match the one on file (a phone by its last nine digits)?"""
    mine, theirs = contact_key(channel, given), contact_key(channel, on_file or "")
    if not mine or not theirs or (channel == "sms" and len(mine) < 6):
        return False
    return hmac.compare_digest(mine.encode(), theirs.encode())


SIGN_IN_EMAIL = N_("Hello,\n\nOpen this link within 15 minutes to sign in to your donor page:\n%(link)s\n\n"
                   "If you did not ask for it, ignore this message: nothing happens without the link.\n")
SIGN_IN_SMS = N_("Your bloodbank sign-in code is %(code)s. It is valid for 15 minutes. Never share it.")


def _same(text: str) -> str:
    return text


def sign_in_email(link: str, translate: Callable[[str], str] = _same) -> str:
    """`translate`: the catalogue of the donor's language (English when none is given)."""
    return translate(SIGN_IN_EMAIL) % {"link": link}


def sign_in_sms(code: str, translate: Callable[[str], str] = _same) -> str:
    return translate(SIGN_IN_SMS) % {"code": code}


BLOOD_USED = N_("Thank you. Blood you gave on %(donated_on)s was used: it went to %(where)s on %(on)s. "
                "You can stop these messages on your donor page.")
A_HOSPITAL = N_("a hospital")


def blood_used_text(*, where: str | None, on: date, donated_on: date, translate: Callable[[str], str] = _same,
                    day: Callable[[date], str] = date.isoformat) -> str:
    """Where and when, never whom: no patient, ward, diagnosis or outcome is ever written here.

    `translate` and `day`: the donor's language's catalogue and way of writing a day (English and ISO when none
    is given); `where` is the hospital's name as it is on file, or None when none is known.
    """
    return translate(BLOOD_USED) % {"donated_on": day(donated_on), "where": where or translate(A_HOSPITAL),
                                    "on": day(on)}


SIGN_IN_KEY = "sign-in:"


def sign_in_key(request_id: int) -> str:
    return f"{SIGN_IN_KEY}{request_id}"


def is_sign_in_key(key: str) -> bool:
    """A sign-in message's: its body holds a live link or code, blanked once the message is sent or given up."""
    return key.startswith(SIGN_IN_KEY)


def blood_used_key(donation_id: int) -> str:
    """One message per donation, however many of its components are issued or transfused."""
    return f"blood-used:{donation_id}"



# What the QR code of the questionnaire answered at home holds: a prefix the desk's scan field knows, and a token.
HOME_ANSWERS_PREFIX = "HQ-"


def home_answers_token(scanned: str) -> str | None:
    """The token in a scanned or typed code, or None when it is not one."""
    text = (scanned or "").strip()
    if not text.upper().startswith(HOME_ANSWERS_PREFIX) or len(text) > 100:
        return None
    return text[len(HOME_ANSWERS_PREFIX):] or None


def answers_as_form(answers: dict) -> dict[str, str]:
    """Stored answers (question id → True, False, or the date of a "yes") as the desk's screening form's values."""
    values = {}
    for key, value in answers.items():
        if isinstance(value, bool):
            values[f"q_{key}"] = "yes" if value else "no"
        else:
            values[f"q_{key}"], values[f"d_{key}"] = "yes", str(value)
    return values
