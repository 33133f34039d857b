"""What a donor record may hold: each field checked and cleaned before it is stored, with a message a clerk can act on."""

from __future__ import annotations

import math
import re
from datetime import date, datetime

from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Donor
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.blood_groups import parse_group
from bloodbank.domain.errors import InvalidInput, NotFound
from bloodbank.domain.messages import N_
from bloodbank.domain.text import clean_name, clean_text
from bloodbank.service_layer.shared.sites import load_site


# Registration, not eligibility: the rule set decides the age to donate (16 to 18 by country);
# outside these bounds the date of birth is almost certainly mistyped.
MIN_REGISTRATION_AGE = 16


MAX_PLAUSIBLE_AGE = 100


PHONE_DIGITS = (6, 15)  # 15 is the E.164 maximum


_PHONE_CHARS = re.compile(r"^\+?[\d\s().\-/]+$")


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def clean_date(value: object, what: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidInput(f"The {what} must be a calendar date (year, month, day).")
    return value


def clean_date_of_birth(value: object, today: date) -> date:
    born = clean_date(value, "date of birth")
    if born > today:
        raise InvalidInput(N_("The date of birth %(date)s is in the future."), params={"date": born.isoformat()})
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if age < MIN_REGISTRATION_AGE:
        raise InvalidInput(N_("A date of birth of %(date)s makes the donor %(age)s: donors are registered "
                              "from age %(minimum)s. Check the year."),
                           params={"date": born.isoformat(), "age": age, "minimum": MIN_REGISTRATION_AGE})
    if age > MAX_PLAUSIBLE_AGE:
        raise InvalidInput(N_("A date of birth of %(date)s makes the donor %(age)s: check the year."),
                           params={"date": born.isoformat(), "age": age})
    return born


def clean_sex(value: object) -> str:
    sex = value.strip().upper() if isinstance(value, str) else value
    if sex not in ("F", "M"):
        raise InvalidInput(f"Sex must be F or M, not {value!r}.")
    return sex


def clean_phone(value: object) -> str | None:
    text = clean_text(value, "phone number", 40)
    if not text:
        return None
    digits = "".join(c for c in text if c.isdigit())
    if not _PHONE_CHARS.match(text) or not PHONE_DIGITS[0] <= len(digits) <= PHONE_DIGITS[1]:
        raise InvalidInput(N_("'%(text)s' is not a phone number: give %(fewest)s to %(most)s digits, "
                              "optionally starting with + and the country code."),
                           params={"text": text, "fewest": PHONE_DIGITS[0], "most": PHONE_DIGITS[1]})
    # Stored compact so the same number always looks the same to search and duplicate checks.
    return ("+" if text.startswith("+") else "") + digits


def clean_email(value: object) -> str | None:
    text = clean_text(value, "email address", 200)
    if not text:
        return None
    if not _EMAIL.match(text):
        raise InvalidInput(N_("'%(text)s' is not an email address (expected name@example.org)."), params={"text": text})
    return text


def clean_blood_group(value: object) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return str(parse_group(value))
    except ValueError as error:
        raise InvalidInput(str(error)) from None


def clean_flag(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"The {what} must be yes or no (true or false).")
    return value


def clean_coordinates(latitude: object, longitude: object) -> dict:
    if latitude is None and longitude is None:
        return {"latitude": None, "longitude": None}
    if latitude is None or longitude is None:
        raise InvalidInput("Give both latitude and longitude, or neither.")
    for value, what, bound in ((latitude, "latitude", 90), (longitude, "longitude", 180)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or not -bound <= value <= bound:
            raise InvalidInput(f"The {what} must be a number between -{bound} and {bound}, not {value!r}.")
    return {"latitude": float(latitude), "longitude": float(longitude)}


def clean_donor_id(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"A donor record is identified by a whole number, not {value!r}.")
    return value


def clean_donor_ids(values: object) -> tuple[int, ...]:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise InvalidInput("The records confirmed not to be this person must be a list of donor record ids.")
    return tuple(clean_donor_id(v) for v in values)


def clean_site_id(session: Session, site_id: object) -> int | None:
    if site_id is None:
        return None
    # A site is named by its id alone: a name or a code typed where the id goes names no site.
    if isinstance(site_id, bool) or not isinstance(site_id, int):
        raise NotFound(N_("No site with id %(site_id)s."), params={"site_id": repr(site_id)})
    load_site(session, site_id)
    return site_id


UPDATABLE = {
    "given_name": lambda v: clean_name(v, "given name"), "family_name": lambda v: clean_name(v, "family name"),
    "date_of_birth": lambda v: clean_date_of_birth(v, utcnow().date()), "sex": clean_sex, "phone": clean_phone,
    "email": clean_email, "address": lambda v: clean_text(v, "address", 300, multiline=True),
    "postcode": lambda v: clean_text(v, "postcode", 20), "blood_group": clean_blood_group,
    "notes": lambda v: clean_text(v, "notes", 5000, multiline=True),
}


def cleaned_updates(session: Session, donor: Donor, fields: dict) -> dict:
    unknown = sorted(set(fields) - set(UPDATABLE) - {"latitude", "longitude", "preferred_site_id"})
    if unknown:
        raise InvalidInput(
            f"These cannot be changed here: {', '.join(unknown)}. The donor number never changes; "
            "records are combined with a merge; appeals follow the donor's own opt-in."
        )
    cleaned = {key: check(fields[key]) for key, check in UPDATABLE.items() if key in fields}
    if "latitude" in fields or "longitude" in fields:
        cleaned.update(clean_coordinates(fields.get("latitude", donor.latitude), fields.get("longitude", donor.longitude)))
    if "preferred_site_id" in fields:
        cleaned["preferred_site_id"] = clean_site_id(session, fields["preferred_site_id"])
    return cleaned
