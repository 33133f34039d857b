"""Finding a donor: by name words, date of birth, phone or donor number; a merged record leads to its survivor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select

from bloodbank.adapters.db.models import Donor
from bloodbank.domain.donor_numbers import validate_donor_number
from bloodbank.domain.duplicates import phone_key
from bloodbank.domain.errors import InvalidInput, NotFound
from bloodbank.service_layer.donors.donor_fields import clean_date, clean_text
from bloodbank.service_layer.donors.registry import DonorView, donor_view, survivor_of
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

MAX_SEARCH_RESULTS = 200


def find_donor_by_number(uow: UnitOfWork, number: str) -> DonorView:
    number = validate_donor_number(number)
    with uow:
        row = uow.session.execute(select(Donor).where(Donor.donor_number == number)).scalar_one_or_none()
        if row is None:
            raise NotFound(f"No donor has the number {number}.")
        return donor_view(survivor_of(uow.session, row))


def search_donors(uow: UnitOfWork, *, text: str = "", date_of_birth: date | None = None,
                  phone: str | None = None, limit: int = 50, offset: int = 0) -> list[DonorView]:
    """Every word of `text` must match a name part, the donor number or the phone."""
    conditions = _filters(text, date_of_birth, phone, limit, offset)
    stmt = select(Donor).where(*conditions).order_by(Donor.family_name, Donor.given_name, Donor.id)
    with uow:
        return [donor_view(row) for row in uow.session.execute(stmt.limit(limit).offset(offset)).scalars()]


def _filters(text: str, date_of_birth: date | None, phone: str | None, limit: int, offset: int, *,
             erased_too: bool = False) -> list:
    text = clean_text(text, "search text", 200)
    if not 1 <= limit <= MAX_SEARCH_RESULTS or offset < 0:
        raise InvalidInput(f"Ask for between 1 and {MAX_SEARCH_RESULTS} results, from position 0 on.")
    conditions = [Donor.merged_into_id.is_(None)]
    if not erased_too:
        # An erased record is found by its donor number only (traceability), never in a list.
        conditions.append(~Donor.erasure.has())
    for word in text.split():
        conditions.append(or_(*_word_matches(word)))
    if date_of_birth is not None:
        conditions.append(Donor.date_of_birth == clean_date(date_of_birth, "date of birth"))
    if phone:
        key = phone_key(phone)
        if key is None:
            raise InvalidInput(f"'{phone}' has too few digits to search by phone number.")
        conditions.append(Donor.phone.endswith(key, autoescape=True))
    return conditions


def _word_matches(word: str) -> list:
    matches = [Donor.given_name.icontains(word, autoescape=True),
               Donor.family_name.icontains(word, autoescape=True),
               Donor.donor_number.startswith(word.replace("-", "").upper(), autoescape=True)]
    digits = "".join(char for char in word if char.isdigit())
    if len(digits) >= 4 and len(digits) >= len(word) - 1:  # a number, not a name with a digit in it
        matches.append(Donor.phone.contains(digits, autoescape=True))
    return matches


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
    number = validate_donor_number(donor_number) if donor_number not in (None, "") else None
    conditions = _filters(text, date_of_birth, phone, limit, offset, erased_too=number is not None)
    with uow:
        s = uow.session
        if number is not None:
            row = s.execute(select(Donor).where(Donor.donor_number == number)).scalar_one_or_none()
            conditions.append(Donor.id == (survivor_of(s, row).id if row is not None else -1))
        total = s.execute(select(func.count()).select_from(Donor).where(*conditions)).scalar_one()
        rows = s.execute(
            select(Donor).where(*conditions).order_by(Donor.family_name, Donor.given_name, Donor.id)
            .limit(limit).offset(offset)
        ).scalars()
        return DonorSearch(items=[donor_view(row) for row in rows], total=total)
