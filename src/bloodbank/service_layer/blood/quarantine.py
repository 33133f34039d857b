"""The lab's quarantine board: units waiting in quarantine and what holds each, never why one is blocked.

A result typed by hand that waits for its second entry is named by its test only, never by what it says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Unit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import release as rules
from bloodbank.domain.lab_tests import is_unsafe, name_of, required_tests
from bloodbank.domain.second_entry import AWAITING, Entry, check
from bloodbank.service_layer.blood.release_facts import release_facts_of_units
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


_RESULT_BLOCKERS = frozenset({"missing_result", "preliminary_result", "no_grouping", "awaiting_second_entry"})


@dataclass(frozen=True)
class QuarantineItem:
    unit_id: int
    din: str
    product_code: str
    division: str
    kind: str
    blood_group: str | None
    expires_at: datetime
    site_id: int | None
    # "ready for release", "awaiting results", "awaiting second entry", "held" or "blocked": never why a unit
    # is blocked.
    state: str
    missing_tests: tuple[str, ...]
    holds: tuple[str, ...]
    # An open hold (excursion, cold chain, recall investigation): only a signed review decision lets it out.
    held_for_review: bool = False
    # Tests whose result was typed by hand and waits for its second entry before it counts.
    awaiting_second_entry: tuple[str, ...] = ()


# Units judged together: the facts of a batch are read in a fixed number of queries.
BATCH = 200


def quarantine_list(uow: UnitOfWork, site_id: int | None = None, *, limit: int | None = None,
                    offset: int = 0) -> list[QuarantineItem]:
    """Units in quarantine and what holds them, without any result or the reason a unit is blocked.

    Soonest expiry first, paged by the database (`limit`, `offset`); the units of a page are judged
    together, so a page costs the same however many units wait behind it.
    """
    with uow:
        s = uow.session
        query = _quarantined(site_id).order_by(Unit.expires_at, Unit.id).offset(offset).limit(limit)
        return _judged(s, list(s.execute(query).scalars()), utcnow())


def quarantine_in_state(uow: UnitOfWork, site_id: int | None, state: str) -> list[QuarantineItem]:
    """Every unit in quarantine in one state ("awaiting results", …): judged in batches, soonest expiry first."""
    found: list[QuarantineItem] = []
    with uow:
        s = uow.session
        last: tuple | None = None
        now = utcnow()
        while True:
            query = _quarantined(site_id).order_by(Unit.expires_at, Unit.id).limit(BATCH)
            if last is not None:
                query = query.where((Unit.expires_at > last[0]) | ((Unit.expires_at == last[0]) & (Unit.id > last[1])))
            units = list(s.execute(query).scalars())
            found += [item for item in _judged(s, units, now) if item.state == state]
            if len(units) < BATCH:
                return found
            last = (units[-1].expires_at, units[-1].id)


def _judged(session: Session, units: list[Unit], now: datetime) -> list[QuarantineItem]:
    facts = release_facts_of_units(session, units, now)
    return [_item(unit, facts[unit.id][0]) for unit in units]


def quarantine_count(uow: UnitOfWork, site_id: int | None = None) -> int:
    with uow:
        return uow.session.execute(select(func.count()).select_from(_quarantined(site_id).subquery())).scalar_one()


def _quarantined(site_id: int | None):
    query = select(Unit).where(Unit.status == "quarantined")
    return query if site_id is None else query.where(Unit.site_id == site_id)


def _item(unit: Unit, facts: rules.ReleaseFacts) -> QuarantineItem:
    blockers = rules.release_blockers(facts)
    missing = sorted({
        name_of(code)
        for source in facts.sources for code in required_tests(facts.panel, facts.kind)
        if code not in source.results or not source.results[code].final
    })
    holds = tuple(b.message for b in blockers if not b.sensitive and b.code not in _RESULT_BLOCKERS)
    held_for_review = any(b.code == rules.HELD for b in blockers)
    unverified = sorted({
        name_of(code) for source in facts.sources for code, result in source.results.items()
        if not is_unsafe(code, result.outcome) and _awaits_second_entry(code, result)
    })
    if any(b.sensitive for b in blockers):
        state = "blocked"
    elif held_for_review:
        # Waiting for a decision, not for results: complete results never make it ready.
        state = "held"
    elif missing:
        state = "awaiting results"
    elif unverified:
        state = "awaiting second entry"
    else:
        state = "held" if blockers else "ready for release"
    return QuarantineItem(
        unit_id=unit.id, din=unit.din, product_code=unit.product_code, division=unit.division, kind=unit.kind,
        blood_group=unit.blood_group, expires_at=unit.expires_at, site_id=unit.site_id, state=state,
        missing_tests=tuple(missing), holds=holds, held_for_review=held_for_review,
        awaiting_second_entry=tuple(unverified),
    )


def _awaits_second_entry(code: str, result: rules.ResultFact) -> bool:
    second = check(code, result.source, result.final, Entry(result.outcome, result.value), result.second_entry)
    return second.state == AWAITING
