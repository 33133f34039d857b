"""Finding a donor: by name words, date of birth, phone or donor number; a merged record leads to its survivor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from bloodbank.adapters.db.models import Donor, DonorNameToken
from bloodbank.domain.donor_numbers import validate_donor_number
from bloodbank.domain.search_keys import SearchWord, phone_search_prefix, prefix_bounds, search_word
from bloodbank.domain.errors import InvalidInput, NotFound
from bloodbank.domain.messages import N_
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
            raise NotFound(N_("No donor has the number %(number)s."), params={"number": number})
        return donor_view(survivor_of(uow.session, row))


def search_donors(uow: UnitOfWork, *, text: str = "", date_of_birth: date | None = None,
                  phone: str | None = None, limit: int = 50, offset: int = 0) -> list[DonorView]:
    """Every word of `text` must match a name part, the donor number or the phone."""
    return find_donors(uow, text=text, date_of_birth=date_of_birth, phone=phone, limit=limit, offset=offset).items


def _filters(text: str, date_of_birth: date | None, phone: str | None, limit: int, offset: int, *,
             erased_too: bool = False) -> tuple[list, list[SearchWord]]:
    """The conditions on the donor's own columns, and the words typed, each to match a name, number or phone."""
    text = clean_text(text, "search text", 200)
    if not 1 <= limit <= MAX_SEARCH_RESULTS or offset < 0:
        raise InvalidInput(f"Ask for between 1 and {MAX_SEARCH_RESULTS} results, from position 0 on.")
    # Written so no index serves it: nearly every donor is unmerged, and SQLite, which keeps no statistics,
    # would otherwise walk the whole register through the merged_into_id index instead of the name tokens.
    conditions = [func.coalesce(Donor.merged_into_id, 0) == 0]
    if not erased_too:
        # An erased record is found by its donor number only (traceability), never in a list.
        conditions.append(~Donor.erasure.has())
    if date_of_birth is not None:
        conditions.append(Donor.date_of_birth == clean_date(date_of_birth, "date of birth"))
    if phone:
        key = phone_search_prefix(phone)
        if key is None:
            raise InvalidInput(N_("'%(phone)s' has too few digits to search by phone number."), params={"phone": phone})
        conditions.append(phone_ends_in(key))
    return conditions, [search_word(word) for word in text.split()]


def _word_matches(word: SearchWord, *, known_token: str | None = None):
    """The start of a name word, the start of a donor number, or a phone's ending: each a range or a probe on
    an index, never a wildcard the database must scan for. `known_token` is a name word the walk already
    stands on, so it needs no probe."""
    matches = []
    if word.name_tokens:
        matches.append(and_(*(_has_word_starting(token) for token in word.name_tokens if token != known_token)))
    if word.number_prefix:
        low, high = prefix_bounds(word.number_prefix)
        matches.append(and_(Donor.donor_number >= low, Donor.donor_number < high))
    if word.phone_prefix:
        matches.append(phone_ends_in(word.phone_prefix))
    return or_(*matches) if matches else Donor.id.is_(None)


def _has_word_starting(token: str):
    """A probe of the donor's own tokens (the primary key's range), never a list of everyone matching.

    OFFSET 0 keeps it a probe on PostgreSQL: without it the planner may turn the check into a join with every
    donor whose name has such a word, read in full before the first match is returned."""
    low, high = prefix_bounds(token)
    word = aliased(DonorNameToken)  # apart from the token index a name search walks
    return exists(select(word.donor_id).where(word.donor_id == Donor.id, word.token >= low, word.token < high)
                  .offset(0).correlate(Donor))


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
    conditions, words = _filters(text, date_of_birth, phone, limit, offset, erased_too=number is not None)
    with uow:
        s = uow.session
        if number is not None:
            row = s.execute(select(Donor).where(Donor.donor_number == number)).scalar_one_or_none()
            conditions.append(Donor.id == (survivor_of(s, row).id if row is not None else -1))
        counted_to = max(COUNT_CAP, offset + limit)
        ids = _matching(s, conditions, words, counted_to + 1)
        rows = s.execute(
            select(Donor).where(Donor.id.in_(ids)).order_by(Donor.family_name, Donor.given_name, Donor.id)
            .limit(limit).offset(offset)
        ).scalars()
        return DonorSearch(items=[donor_view(row) for row in rows], total=len(ids), counted_to=counted_to)


def _matching(session, conditions: list, words: list[SearchWord], wanted: int) -> list[int]:
    """Up to `wanted` matching donors, read so the cost does not grow with the register.

    With a name in the search, the index of name tokens is walked from the start of the rarest name word
    typed (each word's matches counted up to RARE_ENOUGH, so a common given name beside a rare family name
    does not walk half the register), and every other word is a probe of the donor's own tokens, number or
    phone; the walk stops once it has enough. Past the cap the clerk is told to type more, so which of the
    many matches are shown first matters less than a quick answer. A search of numbers only (a donor
    number, a phone) is answered by those columns' own indexes.
    """
    names = sorted({token for word in words if word.is_name for token in word.name_tokens})
    if not names:
        query = select(Donor.id).where(*conditions, *(_word_matches(word) for word in words))
        return list(session.execute(query.order_by(Donor.id).limit(wanted)).scalars())
    walked = names[0] if len(names) == 1 else \
        min(names, key=lambda token: (_matches_up_to(session, token, RARE_ENOUGH), -len(token), token))
    low, high = prefix_bounds(walked)
    checks = [_word_matches(word, known_token=walked if walked in word.name_tokens else None)
              for word in words if word.name_tokens != (walked,)]
    found: dict[int, None] = {}
    after: tuple[str, int] | None = None
    while len(found) < wanted:
        # A batch of the walked word's index in order, then its donors judged: the batch's own LIMIT keeps the
        # walk on the index (PostgreSQL otherwise sorted every match when it thought few would pass).
        batch = (select(DonorNameToken.token, DonorNameToken.donor_id)
                 .where(DonorNameToken.token >= low, DonorNameToken.token < high)
                 .order_by(DonorNameToken.token, DonorNameToken.donor_id).limit(WALKED_AT_ONCE))
        if after is not None:
            batch = batch.where(or_(DonorNameToken.token > after[0],
                                    and_(DonorNameToken.token == after[0], DonorNameToken.donor_id > after[1])))
        walk = batch.subquery()
        rows = session.execute(
            select(walk.c.token, walk.c.donor_id, and_(*conditions, *checks))
            .join_from(walk, Donor, Donor.id == walk.c.donor_id).order_by(walk.c.token, walk.c.donor_id)).all()
        # A donor with two words in the range ("Ann Annabel") comes twice: kept once.
        found.update((donor_id, None) for _token, donor_id, fits in rows if fits)
        if len(rows) < WALKED_AT_ONCE:
            break
        after = (rows[-1][0], rows[-1][1])
    return list(found)[:wanted]


# Enough matches to call a word common: the rarest word typed is walked, and words matching at least this
# many donors are taken as equally common (the longest is walked), so telling them apart costs a bounded read.
RARE_ENOUGH = 2_000
# Index entries of the walked word read and judged at a time.
WALKED_AT_ONCE = 500


def _matches_up_to(session, token: str, cap: int) -> int:
    low, high = prefix_bounds(token)
    some = select(DonorNameToken.donor_id).where(DonorNameToken.token >= low, DonorNameToken.token < high).limit(cap)
    return session.execute(select(func.count()).select_from(some.subquery())).scalar_one()


def count_donors(uow: UnitOfWork) -> int:
    """Every record on the register, merged ones included: a census, not a search."""
    with uow:
        return uow.session.execute(select(func.count()).select_from(Donor)).scalar_one()
