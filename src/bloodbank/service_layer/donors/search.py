"""Finding a donor: by name words, date of birth, phone or donor number; a merged record leads to its survivor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from bloodbank.adapters.db.models import Donor, DonorNameToken
from bloodbank.domain.donor_numbers import validate_donor_number
from bloodbank.domain.duplicates import name_tokens
from bloodbank.domain.search_keys import phone_search_prefix, prefix_bounds
from bloodbank.domain.errors import InvalidInput, NotFound
from bloodbank.service_layer.donors.donor_fields import clean_date, clean_text
from bloodbank.service_layer.donors.registry import DonorView, donor_view, phone_ends_in, survivor_of
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

MAX_SEARCH_RESULTS = 200
# Counted no further: "more than 200" tells a clerk to type more, and a count that stops costs the same
# on any size of register.
COUNT_CAP = MAX_SEARCH_RESULTS


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
    return find_donors(uow, text=text, date_of_birth=date_of_birth, phone=phone, limit=limit, offset=offset).items


def _filters(text: str, date_of_birth: date | None, phone: str | None, limit: int, offset: int, *,
             erased_too: bool = False) -> list:
    text = clean_text(text, "search text", 200)
    if not 1 <= limit <= MAX_SEARCH_RESULTS or offset < 0:
        raise InvalidInput(f"Ask for between 1 and {MAX_SEARCH_RESULTS} results, from position 0 on.")
    # Written so no index serves it: nearly every donor is unmerged, and SQLite, which keeps no statistics,
    # would otherwise walk the whole register through the merged_into_id index instead of the name tokens.
    conditions = [func.coalesce(Donor.merged_into_id, 0) == 0]
    if not erased_too:
        # An erased record is found by its donor number only (traceability), never in a list.
        conditions.append(~Donor.erasure.has())
    for word in text.split():
        conditions.append(or_(*_word_matches(word)))
    if date_of_birth is not None:
        conditions.append(Donor.date_of_birth == clean_date(date_of_birth, "date of birth"))
    if phone:
        key = phone_search_prefix(phone)
        if key is None:
            raise InvalidInput(f"'{phone}' has too few digits to search by phone number.")
        conditions.append(phone_ends_in(key))
    return conditions


def _word_matches(word: str) -> list:
    """The start of a name word, the start of a donor number, or a whole phone number: each a range or an
    equality on an index, never a wildcard the database must scan for."""
    matches = []
    tokens = name_tokens(word)
    if tokens:
        matches.append(and_(*(_has_word_starting(token) for token in sorted(tokens))))
    number = word.replace("-", "").upper()
    if number:
        low, high = prefix_bounds(number)
        matches.append(and_(Donor.donor_number >= low, Donor.donor_number < high))
    key = phone_search_prefix(word)
    if key is not None and sum(char.isdecimal() for char in word) >= len(word) - 1:  # a number, not a name
        matches.append(phone_ends_in(key))
    return matches or [Donor.id.is_(None)]


def _has_word_starting(token: str):
    """A probe of the donor's own tokens (the primary key's range), never a list of everyone matching."""
    low, high = prefix_bounds(token)
    word = aliased(DonorNameToken)  # apart from the token index a name search walks
    return exists().where(word.donor_id == Donor.id, word.token >= low, word.token < high).correlate(Donor)


@dataclass(frozen=True)
class DonorSearch:
    """One page of matches and how many there are in all, so a list can say "12 of 340"."""

    items: list[DonorView]
    total: int  # counted up to `counted_to`; past it, there are "more than counted_to"
    counted_to: int

    @property
    def capped(self) -> bool:
        return self.total > self.counted_to


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
        counted_to = max(COUNT_CAP, offset + limit)
        ids = _matching(s, text, conditions, counted_to + 1)
        rows = s.execute(
            select(Donor).where(Donor.id.in_(ids)).order_by(Donor.family_name, Donor.given_name, Donor.id)
            .limit(limit).offset(offset)
        ).scalars()
        return DonorSearch(items=[donor_view(row) for row in rows], total=len(ids), counted_to=counted_to)


def _matching(session, text: str, conditions: list, wanted: int) -> list[int]:
    """Up to `wanted` matching donors, read so the cost does not grow with the register.

    A search with a name word walks the index of name tokens from the start of its longest word (the most
    telling, as a rule) and stops once it has enough; the other filters are checked on the way. Past the cap
    the clerk is told to type more, so which of the many matches are shown first matters less than that the
    answer is quick.
    """
    # A word with a digit in it is a donor number or a phone, found through their own indexes.
    words = [token for word in text.split() if not any(char.isdecimal() for char in word)
             for token in name_tokens(word)]
    if not words:
        return list(session.execute(select(Donor.id).where(*conditions).order_by(Donor.id).limit(wanted)).scalars())
    low, high = prefix_bounds(max(words, key=lambda token: (len(token), token)))
    found: dict[int, None] = {}
    after: tuple[str, int] | None = None
    while len(found) < wanted:
        query = (select(DonorNameToken.token, DonorNameToken.donor_id)
                 .join(Donor, Donor.id == DonorNameToken.donor_id)
                 .where(DonorNameToken.token >= low, DonorNameToken.token < high, *conditions)
                 .order_by(DonorNameToken.token, DonorNameToken.donor_id).limit(wanted))
        if after is not None:
            query = query.where(or_(DonorNameToken.token > after[0],
                                    and_(DonorNameToken.token == after[0], DonorNameToken.donor_id > after[1])))
        rows = session.execute(query).all()
        for _token, donor_id in rows:
            found.setdefault(donor_id)
        if len(rows) < wanted:
            break
        after = tuple(rows[-1])
    return list(found)[:wanted]


def count_donors(uow: UnitOfWork) -> int:
    """Every record on the register, merged ones included: a census, not a search."""
    with uow:
        return uow.session.execute(select(func.count()).select_from(Donor)).scalar_one()
