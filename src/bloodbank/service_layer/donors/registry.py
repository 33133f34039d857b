"""Donor records: registration (never a silent second record), look-up, search, corrections.

A merged record stays in the table pointing at its survivor (see donor_merge):
searches skip it and look-ups follow it, so the clerk always lands on the one
record that holds the person's whole history.
"""

from __future__ import annotations

import math
import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Donor, Site
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.blood_groups import parse_group
from bloodbank.domain.donor_numbers import new_donor_number, validate_donor_number
from bloodbank.domain.duplicates import (
    MatchCandidate, Person, blocking_keys, family_name_spellings, find_candidates, phone_key,
)
from bloodbank.domain.errors import InvalidInput, NotFound, PossibleDuplicate
from bloodbank.service_layer.shared.audit_snapshots import changes, snapshot
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

MAX_SEARCH_RESULTS = 200


@dataclass(frozen=True)
class DonorView:
    id: int
    donor_number: str
    given_name: str
    family_name: str
    date_of_birth: date
    sex: str
    phone: str | None
    email: str | None
    address: str
    postcode: str
    latitude: float | None
    longitude: float | None
    blood_group: str | None
    preferred_site_id: int | None
    appeals_opt_in: bool
    group_discrepancy: bool
    notes: str

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


@dataclass(frozen=True)
class DuplicateCandidate:
    """A record already on file that may be the person being registered, and why."""

    donor: DonorView
    score: float
    reasons: tuple[str, ...]
    likely: bool


def donor_view(row: Donor) -> DonorView:
    return DonorView(
        id=row.id, donor_number=row.donor_number, given_name=row.given_name, family_name=row.family_name,
        date_of_birth=row.date_of_birth, sex=row.sex, phone=row.phone, email=row.email, address=row.address,
        postcode=row.postcode, latitude=row.latitude, longitude=row.longitude, blood_group=row.blood_group,
        preferred_site_id=row.preferred_site_id, appeals_opt_in=row.appeals_opt_in,
        group_discrepancy=row.group_discrepancy, notes=row.notes,
    )


# ---------------------------------------------------------------- registration


def register_donor(
    uow: UnitOfWork, *, given_name: str, family_name: str, date_of_birth: date, sex: str,
    phone: str | None = None, email: str | None = None, address: str = "", postcode: str = "",
    latitude: float | None = None, longitude: float | None = None, blood_group: str | None = None,
    preferred_site_id: int | None = None, appeals_opt_in: bool = False,
    confirm_new_person_despite: tuple[int, ...] = (),
) -> DonorView:
    """Register a new donor, unless they may already be on file.

    Possible duplicates raise PossibleDuplicate and write nothing: the clerk
    merges, or calls again listing the records the person is confirmed not to be.
    """
    fields = dict(
        given_name=_name(given_name, "given name"), family_name=_name(family_name, "family name"),
        date_of_birth=_date_of_birth(date_of_birth, utcnow().date()), sex=_sex(sex),
        phone=_phone(phone), email=_email(email), address=_text(address, "address", 300, multiline=True),
        postcode=_text(postcode, "postcode", 20), blood_group=_blood_group(blood_group),
        appeals_opt_in=_flag(appeals_opt_in, "appeals opt-in"),
        **_coordinates(latitude, longitude),
    )
    confirmed = set(_donor_ids(confirm_new_person_despite))
    with uow:
        session = uow.session
        fields["preferred_site_id"] = _site(session, preferred_site_id)
        candidates = possible_duplicates(session, Person(
            fields["given_name"], fields["family_name"], fields["date_of_birth"], fields["sex"],
            fields["phone"], fields["email"]))
        unconfirmed = [c for c in candidates if c.donor.id not in confirmed]
        if unconfirmed:
            raise PossibleDuplicate(_duplicate_message(len(unconfirmed)), candidates=candidates)
        donor = Donor(donor_number=f"new-{uuid.uuid4().hex[:16]}", **fields)
        session.add(donor)
        # The number is derived from the row's own id: the database hands out ids without
        # collisions under any concurrency, so no counter, no max()+1 race, no retry loop.
        # The placeholder is unique too, and is replaced before anything can commit.
        session.flush()
        donor.donor_number = new_donor_number(donor.id)
        session.flush()
        uow.audit("register", "donor", donor.id, new=snapshot(donor), reason=_registration_reason(candidates))
        uow.commit()
        return donor_view(donor)


def _duplicate_message(count: int) -> str:
    records = "record looks" if count == 1 else "records look"
    return (
        f"This person may already be registered: {count} existing {records} like them. "
        "Nothing was saved. Check with the donor: if they are on file, use that record "
        "(and merge any second record of theirs into it); if not, confirm that this is a new person."
    )


def _registration_reason(candidates: list[DuplicateCandidate]) -> str:
    if not candidates:
        return "new donor registered"
    listed = "; ".join(f"{c.donor.donor_number} ({', '.join(c.reasons)})" for c in candidates)
    return f"confirmed new person despite possible duplicates: {listed}"


def possible_duplicates(session: Session, person: Person) -> list[DuplicateCandidate]:
    """Records on file that may be this person, each reported once, as its surviving record."""
    keys = blocking_keys(person)
    year = keys.birth_year
    # SQL cannot strip accents, so the family-name block asks for the usual stored spellings
    # (exact, so the name+birth-date index serves it); the domain then re-checks every block.
    blocks = [
        Donor.date_of_birth.in_(keys.dates_of_birth),
        and_(Donor.family_name.in_(family_name_spellings(person.family_name)),
             Donor.date_of_birth.between(date(year, 1, 1), date(year, 12, 31))),
    ]
    if keys.phone_key:
        blocks.append(Donor.phone.endswith(keys.phone_key, autoescape=True))
    rows = session.execute(select(Donor).where(or_(*blocks))).scalars().all()
    matches = find_candidates(person, [(row.id, _person(row)) for row in rows])
    best: dict[int, tuple[MatchCandidate, Donor]] = {}
    for match in matches:
        survivor = _survivor(session, session.get(Donor, match.donor_id))
        if survivor.id not in best or best[survivor.id][0].score < match.score:
            best[survivor.id] = (match, survivor)
    return [DuplicateCandidate(donor_view(row), m.score, m.reasons, m.likely)
            for m, row in sorted(best.values(), key=lambda pair: (-pair[0].score, pair[1].id))]


def _person(row: Donor) -> Person:
    return Person(row.given_name, row.family_name, row.date_of_birth, row.sex, row.phone, row.email)


# ---------------------------------------------------------------- look-up


def _survivor(session: Session, row: Donor) -> Donor:
    seen = {row.id}
    while row.merged_into_id is not None:
        row = session.get(Donor, row.merged_into_id)
        if row.id in seen:  # a cycle would be a data fault; stop rather than loop forever
            break
        seen.add(row.id)
    return row


def load_donor(session: Session, donor_id: int) -> Donor:
    row = session.get(Donor, _donor_id(donor_id))
    if row is None:
        raise NotFound(f"There is no donor record {donor_id}.")
    return row


def get_donor(uow: UnitOfWork, donor_id: int) -> DonorView:
    """The donor's record; a merged record gives the record it was merged into."""
    with uow:
        return donor_view(_survivor(uow.session, load_donor(uow.session, donor_id)))


def find_donor_by_number(uow: UnitOfWork, number: str) -> DonorView:
    number = validate_donor_number(number)
    with uow:
        row = uow.session.execute(select(Donor).where(Donor.donor_number == number)).scalar_one_or_none()
        if row is None:
            raise NotFound(f"No donor has the number {number}.")
        return donor_view(_survivor(uow.session, row))


def search_donors(uow: UnitOfWork, *, text: str = "", date_of_birth: date | None = None,
                  phone: str | None = None, limit: int = 50, offset: int = 0) -> list[DonorView]:
    """Every word of `text` must match a name part, the donor number or the phone."""
    text = _text(text, "search text", 200)
    if not 1 <= limit <= MAX_SEARCH_RESULTS or offset < 0:
        raise InvalidInput(f"Ask for between 1 and {MAX_SEARCH_RESULTS} results, from position 0 on.")
    stmt = select(Donor).where(Donor.merged_into_id.is_(None))
    for word in text.split():
        stmt = stmt.where(or_(*_word_matches(word)))
    if date_of_birth is not None:
        stmt = stmt.where(Donor.date_of_birth == _date_value(date_of_birth, "date of birth"))
    if phone:
        key = phone_key(phone)
        if key is None:
            raise InvalidInput(f"'{phone}' has too few digits to search by phone number.")
        stmt = stmt.where(Donor.phone.endswith(key, autoescape=True))
    stmt = stmt.order_by(Donor.family_name, Donor.given_name, Donor.id).limit(limit).offset(offset)
    with uow:
        return [donor_view(row) for row in uow.session.execute(stmt).scalars()]


def _word_matches(word: str) -> list:
    matches = [Donor.given_name.icontains(word, autoescape=True),
               Donor.family_name.icontains(word, autoescape=True),
               Donor.donor_number.startswith(word.replace("-", "").upper(), autoescape=True)]
    digits = "".join(char for char in word if char.isdigit())
    if len(digits) >= 4 and len(digits) >= len(word) - 1:  # a number, not a name with a digit in it
        matches.append(Donor.phone.contains(digits, autoescape=True))
    return matches


# ---------------------------------------------------------------- corrections

# Fields that decide who the person is, or how much blood may be taken and to whom it can go:
# changing one without saying why would leave an audit trail nobody can judge.
NEEDS_REASON = {"given_name", "family_name", "date_of_birth", "sex", "blood_group"}


def update_donor(uow: UnitOfWork, donor_id: int, *, reason: str, **fields) -> DonorView:
    reason = _text(reason, "reason", 500)
    with uow:
        donor = _live(uow.session, donor_id)
        cleaned = _updates(uow.session, donor, fields)
        before = snapshot(donor)
        for key, value in cleaned.items():
            setattr(donor, key, value)
        old, new = changes(before, snapshot(donor))
        if not new:
            return donor_view(donor)
        if NEEDS_REASON & new.keys() and not reason:
            named = ", ".join(sorted(k.replace("_", " ") for k in NEEDS_REASON & new.keys()))
            raise InvalidInput(f"Changing the {named} needs a reason: say why the record was wrong.")
        if "blood_group" in new and old["blood_group"] is not None:
            reason = f"blood group changed from {old['blood_group']} to {new['blood_group']}: {reason}"
        uow.session.flush()
        uow.audit("update", "donor", donor.id, old=old, new=new, reason=reason or "details updated")
        uow.commit()
        return donor_view(donor)


def set_appeals_opt_in(uow: UnitOfWork, donor_id: int, opt_in: bool) -> DonorView:
    """Record the donor's own choice to receive (or stop receiving) appeals for blood."""
    opt_in = _flag(opt_in, "appeals opt-in")
    with uow:
        donor = _live(uow.session, donor_id)
        if donor.appeals_opt_in != opt_in:
            uow.audit("appeals_opt_in", "donor", donor.id, old={"appeals_opt_in": donor.appeals_opt_in},
                      new={"appeals_opt_in": opt_in},
                      reason="donor asked to receive appeals" if opt_in else "donor asked to receive no appeals")
            donor.appeals_opt_in = opt_in
            uow.commit()
        return donor_view(donor)


def _live(session: Session, donor_id: int) -> Donor:
    """A record that can still be changed: a merged one is history, its survivor is the record."""
    donor = load_donor(session, donor_id)
    if donor.merged_into_id is not None:
        survivor = _survivor(session, donor)
        raise InvalidInput(
            f"Record {donor.donor_number} was merged into {survivor.donor_number}: change that record instead."
        )
    return donor


# ---------------------------------------------------------------- validation

# Registration, not eligibility: the rule set decides the age to donate (16 to 18 by country);
# outside these bounds the date of birth is almost certainly mistyped.
MIN_REGISTRATION_AGE = 16
MAX_PLAUSIBLE_AGE = 100
PHONE_DIGITS = (6, 15)  # 15 is the E.164 maximum
_PHONE_CHARS = re.compile(r"^\+?[\d\s().\-/]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def _text(value: object, what: str, max_length: int, *, multiline: bool = False) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"The {what} must be text.")
    stripped = value.strip()
    allowed = "\n" if multiline else ""
    if any(unicodedata.category(c).startswith("C") and c not in allowed for c in stripped):
        raise InvalidInput(f"The {what} contains an invisible control character: type it again.")
    if len(stripped) > max_length:
        raise InvalidInput(f"The {what} is {len(stripped)} characters long; at most {max_length} fit.")
    return stripped


def _name(value: object, what: str) -> str:
    name = " ".join(_text(value, what, 100).split())
    if not any(c.isalpha() for c in name):
        raise InvalidInput(f"The {what} is missing: it must contain at least one letter.")
    return name


def _date_value(value: object, what: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidInput(f"The {what} must be a calendar date (year, month, day).")
    return value


def _date_of_birth(value: object, today: date) -> date:
    born = _date_value(value, "date of birth")
    if born > today:
        raise InvalidInput(f"The date of birth {born.isoformat()} is in the future.")
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if age < MIN_REGISTRATION_AGE:
        raise InvalidInput(f"A date of birth of {born.isoformat()} makes the donor {age}: donors are registered "
                           f"from age {MIN_REGISTRATION_AGE}. Check the year.")
    if age > MAX_PLAUSIBLE_AGE:
        raise InvalidInput(f"A date of birth of {born.isoformat()} makes the donor {age}: check the year.")
    return born


def _sex(value: object) -> str:
    sex = value.strip().upper() if isinstance(value, str) else value
    if sex not in ("F", "M"):
        raise InvalidInput(f"Sex must be F or M, not {value!r}.")
    return sex


def _phone(value: object) -> str | None:
    text = _text(value, "phone number", 40)
    if not text:
        return None
    digits = "".join(c for c in text if c.isdigit())
    if not _PHONE_CHARS.match(text) or not PHONE_DIGITS[0] <= len(digits) <= PHONE_DIGITS[1]:
        raise InvalidInput(f"'{text}' is not a phone number: give {PHONE_DIGITS[0]} to {PHONE_DIGITS[1]} digits, "
                           "optionally starting with + and the country code.")
    # Stored compact so the same number always looks the same to search and duplicate checks.
    return ("+" if text.startswith("+") else "") + digits


def _email(value: object) -> str | None:
    text = _text(value, "email address", 200)
    if not text:
        return None
    if not _EMAIL.match(text):
        raise InvalidInput(f"'{text}' is not an email address (expected name@example.org).")
    return text


def _blood_group(value: object) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return str(parse_group(value))
    except ValueError as error:
        raise InvalidInput(str(error)) from None


def _flag(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"The {what} must be yes or no (true or false).")
    return value


def _coordinates(latitude: object, longitude: object) -> dict:
    if latitude is None and longitude is None:
        return {"latitude": None, "longitude": None}
    if latitude is None or longitude is None:
        raise InvalidInput("Give both latitude and longitude, or neither.")
    for value, what, bound in ((latitude, "latitude", 90), (longitude, "longitude", 180)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or not -bound <= value <= bound:
            raise InvalidInput(f"The {what} must be a number between -{bound} and {bound}, not {value!r}.")
    return {"latitude": float(latitude), "longitude": float(longitude)}


def _donor_id(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"A donor record is identified by a whole number, not {value!r}.")
    return value


def _donor_ids(values: object) -> tuple[int, ...]:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise InvalidInput("The records confirmed not to be this person must be a list of donor record ids.")
    return tuple(_donor_id(v) for v in values)


def _site(session: Session, site_id: object) -> int | None:
    if site_id is None:
        return None
    if isinstance(site_id, bool) or not isinstance(site_id, int) or session.get(Site, site_id) is None:
        raise NotFound(f"There is no site {site_id!r} to prefer.")
    return site_id


_UPDATABLE = {
    "given_name": lambda v: _name(v, "given name"), "family_name": lambda v: _name(v, "family name"),
    "date_of_birth": lambda v: _date_of_birth(v, utcnow().date()), "sex": _sex, "phone": _phone,
    "email": _email, "address": lambda v: _text(v, "address", 300, multiline=True),
    "postcode": lambda v: _text(v, "postcode", 20), "blood_group": _blood_group,
    "notes": lambda v: _text(v, "notes", 5000, multiline=True),
}


def _updates(session: Session, donor: Donor, fields: dict) -> dict:
    unknown = sorted(set(fields) - set(_UPDATABLE) - {"latitude", "longitude", "preferred_site_id"})
    if unknown:
        raise InvalidInput(
            f"These cannot be changed here: {', '.join(unknown)}. The donor number never changes; "
            "records are combined with a merge; appeals follow the donor's own opt-in."
        )
    cleaned = {key: check(fields[key]) for key, check in _UPDATABLE.items() if key in fields}
    if "latitude" in fields or "longitude" in fields:
        cleaned.update(_coordinates(fields.get("latitude", donor.latitude), fields.get("longitude", donor.longitude)))
    if "preferred_site_id" in fields:
        cleaned["preferred_site_id"] = _site(session, fields["preferred_site_id"])
    return cleaned


# ---------------------------------------------------------------- search with a count


@dataclass(frozen=True)
class DonorSearch:
    """One page of matches and how many there are in all, so a list can say "12 of 340"."""

    items: list[DonorView]
    total: int


def find_donors(uow: UnitOfWork, *, text: str = "", date_of_birth: date | None = None, phone: str | None = None,
                donor_number: str | None = None, limit: int = 50, offset: int = 0) -> DonorSearch:
    """Search by any of name words, date of birth, phone and donor number; every given filter must match.

    A donor number is checked (check character) before it is looked for, and the number
    of a merged record finds the record it was merged into: the clerk lands on the person.
    """
    text = _text(text, "search text", 200)
    if not 1 <= limit <= MAX_SEARCH_RESULTS or offset < 0:
        raise InvalidInput(f"Ask for between 1 and {MAX_SEARCH_RESULTS} results, from position 0 on.")
    conditions = [Donor.merged_into_id.is_(None)]
    for word in text.split():
        conditions.append(or_(*_word_matches(word)))
    if date_of_birth is not None:
        conditions.append(Donor.date_of_birth == _date_value(date_of_birth, "date of birth"))
    if phone:
        key = phone_key(phone)
        if key is None:
            raise InvalidInput(f"'{phone}' has too few digits to search by phone number.")
        conditions.append(Donor.phone.endswith(key, autoescape=True))
    number = validate_donor_number(donor_number) if donor_number not in (None, "") else None
    with uow:
        s = uow.session
        if number is not None:
            row = s.execute(select(Donor).where(Donor.donor_number == number)).scalar_one_or_none()
            conditions.append(Donor.id == (_survivor(s, row).id if row is not None else -1))
        total = s.execute(select(func.count()).select_from(Donor).where(*conditions)).scalar_one()
        rows = s.execute(
            select(Donor).where(*conditions).order_by(Donor.family_name, Donor.given_name, Donor.id)
            .limit(limit).offset(offset)
        ).scalars()
        return DonorSearch(items=[donor_view(row) for row in rows], total=total)
