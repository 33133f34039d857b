"""Donor records: registration (never a silent second record), look-up, search, corrections.

A merged record stays in the table pointing at its survivor (see donor_merge):
searches skip it and look-ups follow it, so the clerk always lands on the one
record that holds the person's whole history.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Donor
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import messages
from bloodbank.domain.donor_numbers import new_donor_number
from bloodbank.domain.duplicates import (
    MatchCandidate, Person, blocking_keys, family_name_spellings, find_candidates, without_names,
)
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound, PossibleDuplicate
from bloodbank.domain.messages import N_
from bloodbank.domain.search_keys import prefix_bounds
from bloodbank.service_layer.donors.donor_fields import (
    clean_blood_group, clean_coordinates, clean_date_of_birth, clean_donor_id, clean_donor_ids, clean_email, clean_flag,
    clean_name, clean_phone, clean_sex, clean_site_id, clean_text, cleaned_updates,
)
from bloodbank.service_layer.shared import audit
from bloodbank.service_layer.shared.audit_snapshots import changes, snapshot
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.donors.deferral_lookup import donor_ids_of_person, survivor


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
    # False while the group is only what the donor declared: a hint for appeals, never for a label.
    blood_group_confirmed: bool = False
    # The person's personal data was erased at their request: what remains is kept for traceability.
    erased: bool = False
    # The language the donor reads what is written to them in; None follows the browser.
    language: str | None = None

    @property
    def full_name(self) -> str:
        return ERASED_NAME if self.erased else f"{self.given_name} {self.family_name}"


ERASED_NAME = "(erased at the donor's request)"


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
        blood_group_confirmed=bool(row.blood_group_confirmed), preferred_site_id=row.preferred_site_id, appeals_opt_in=row.appeals_opt_in,
        group_discrepancy=row.group_discrepancy, notes=row.notes, erased=row.erasure is not None,
        language=row.language,
    )


# ---------------------------------------------------------------- registration


def register_donor(
    uow: UnitOfWork, *, given_name: str, family_name: str, date_of_birth: date, sex: str,
    phone: str | None = None, email: str | None = None, address: str = "", postcode: str = "",
    latitude: float | None = None, longitude: float | None = None, blood_group: str | None = None,
    preferred_site_id: int | None = None, appeals_opt_in: bool = False, language: str | None = None,
    confirm_new_person_despite: tuple[int, ...] = (),
) -> DonorView:
    """Register a new donor, unless they may already be on file.

    Possible duplicates raise PossibleDuplicate and write nothing: the clerk
    merges, or calls again listing the records the person is confirmed not to be.
    """
    fields = dict(
        given_name=clean_name(given_name, "given name"), family_name=clean_name(family_name, "family name"),
        date_of_birth=clean_date_of_birth(date_of_birth, utcnow().date()), sex=clean_sex(sex),
        phone=clean_phone(phone), email=clean_email(email), address=clean_text(address, "address", 300, multiline=True),
        postcode=clean_text(postcode, "postcode", 20), blood_group=clean_blood_group(blood_group),
        appeals_opt_in=clean_flag(appeals_opt_in, "appeals opt-in"), language=messages.language_code(language),
        **clean_coordinates(latitude, longitude),
    )
    confirmed = set(clean_donor_ids(confirm_new_person_despite))
    with uow:
        session = uow.session
        fields["preferred_site_id"] = clean_site_id(session, preferred_site_id)
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
    listed = "; ".join(f"{c.donor.donor_number} ({', '.join(map(without_names, c.reasons))})" for c in candidates)
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
        blocks.append(phone_ends_in(keys.phone_key[::-1]))
    # Only the columns a match is judged on: in a national register dozens share a birth date, and loading
    # each as a whole record made the check grow with the register.
    rows = session.execute(select(Donor.id, Donor.given_name, Donor.family_name, Donor.date_of_birth, Donor.sex,
                                  Donor.phone, Donor.email).where(or_(*blocks))).all()
    matches = find_candidates(person, [(row.id, Person(*row[1:])) for row in rows])
    best: dict[int, tuple[MatchCandidate, Donor]] = {}
    for match in matches:
        survivor = survivor_of(session, session.get(Donor, match.donor_id))
        if survivor.erasure is not None:
            continue  # nothing is left to match on; a fingerprint, if kept, stops the person at check-in
        if survivor.id not in best or best[survivor.id][0].score < match.score:
            best[survivor.id] = (match, survivor)
    return [DuplicateCandidate(donor_view(row), m.score, m.reasons, m.likely)
            for m, row in sorted(best.values(), key=lambda pair: (-pair[0].score, pair[1].id))]


def phone_ends_in(last_digits_first: str):
    """Phones ending in these digits: a prefix of the stored digits, which are kept last first."""
    low, high = prefix_bounds(last_digits_first)
    return and_(Donor.phone_key >= low, Donor.phone_key < high)


# ---------------------------------------------------------------- look-up


def survivor_of(session: Session, row: Donor) -> Donor:
    return survivor(session, row)


def load_donor(session: Session, donor_id: int) -> Donor:
    row = session.get(Donor, clean_donor_id(donor_id))
    if row is None:
        raise NotFound(N_("There is no donor record %(id)s."), params={"id": donor_id})
    return row


def get_donor(uow: UnitOfWork, donor_id: int) -> DonorView:
    """The donor's record; a merged record gives the record it was merged into."""
    with uow:
        return donor_view(survivor_of(uow.session, load_donor(uow.session, donor_id)))


# Fields that decide who the person is, or how much blood may be taken and to whom it can go:
# changing one without saying why would leave an audit trail nobody can judge.
NEEDS_REASON = {"given_name", "family_name", "date_of_birth", "sex", "blood_group"}


def update_donor(uow: UnitOfWork, donor_id: int, *, reason: str, **fields) -> DonorView:
    reason = clean_text(reason, "reason", 500)
    with uow:
        donor = _live(uow.session, donor_id)
        cleaned = cleaned_updates(uow.session, donor, fields)
        if "blood_group" in cleaned and donor.blood_group_confirmed and cleaned["blood_group"] != donor.blood_group:
            raise InvalidInput(f"The blood group {donor.blood_group} was confirmed by the laboratory: it changes only "
                               "through the lab's grouping follow-up, never at the desk.")
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


@dataclass(frozen=True)
class RecordChange:
    """One change to a donor's record, as the audit log holds it: who, when, which details, and why."""

    at: datetime
    actor: str
    action: str
    fields: tuple[str, ...]
    reason: str | None


def record_history(uow: UnitOfWork, donor_id: int, *, role: str, limit: int = 50) -> list[RecordChange]:
    """The changes to every record of this person (merged ones included), newest first: the details changed
    and the reason, read from the audit log as the reader's role may see it."""
    with uow:
        ids = donor_ids_of_person(uow.session, _live(uow.session, donor_id).id)
    entries, _total = audit.list_entries_for(uow.again(), role=role, entity="donor", entity_ids=tuple(ids),
                                             limit=limit)
    return [RecordChange(at=e.at, actor=e.actor, action=e.action,
                         fields=tuple(sorted((e.new or {}).keys())), reason=e.reason) for e in entries]


def set_appeals_opt_in(uow: UnitOfWork, donor_id: int, opt_in: bool) -> DonorView:
    """Record the donor's own choice to receive (or stop receiving) appeals for blood."""
    opt_in = clean_flag(opt_in, "appeals opt-in")
    with uow:
        donor = _live(uow.session, donor_id)
        if donor.appeals_opt_in != opt_in:
            uow.audit("appeals_opt_in", "donor", donor.id, old={"appeals_opt_in": donor.appeals_opt_in},
                      new={"appeals_opt_in": opt_in},
                      reason="donor asked to receive appeals" if opt_in else "donor asked to receive no appeals")
            donor.appeals_opt_in = opt_in
            uow.commit()
        return donor_view(donor)


def set_language(uow: UnitOfWork, donor_id: int, language: str | None) -> DonorView:
    """The language the donor asked to read their own screens in; None follows the browser."""
    code = messages.language_code(language)
    with uow:
        donor = _live(uow.session, donor_id)
        if donor.language != code:
            uow.audit("donor_language", "donor", donor.id, old={"language": donor.language}, new={"language": code},
                      reason="donor's choice")
            donor.language = code
            uow.commit()
        return donor_view(donor)


def _live(session: Session, donor_id: int) -> Donor:
    """A record that can still be changed: a merged one is history, its survivor is the record."""
    donor = load_donor(session, donor_id)
    if donor.merged_into_id is not None:
        survivor = survivor_of(session, donor)
        raise InvalidInput(
            f"Record {donor.donor_number} was merged into {survivor.donor_number}: change that record instead."
        )
    if donor.erasure is not None:
        raise Conflict(f"Record {donor.donor_number} was erased at the donor's request: it is kept for "
                       "traceability and changes no more.")
    return donor
