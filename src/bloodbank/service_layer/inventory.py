"""What is on the shelves: stock by site, kind and group; where a donation's units are.

A unit counts in a site's stock only while it is physically there
(`unit_status.IN_STOCK`, with a site): a unit on the road has no site and is
in no stock, so it is never counted twice nor forgotten (transfers list it).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from bloodbank.adapters.db.models import Issue, Site, TransferItem, Unit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import inventory as rules
from bloodbank.domain.components import ComponentKind
from bloodbank.domain.errors import InvalidInput, NotFound
from bloodbank.domain.isbt128 import parse_din
from bloodbank.domain.unit_status import IN_STOCK, UnitStatus
from bloodbank.service_layer.unit_of_work import UnitOfWork

S = UnitStatus
# Units that could still go to a patient: the ones to use first when close to expiry.
USABLE = (S.AVAILABLE.value, S.RESERVED.value)


@dataclass(frozen=True)
class StockLine:
    site_id: int
    site_code: str
    kind: str
    blood_group: str | None
    available: int
    reserved: int
    quarantined: int
    returned: int
    recalled: int
    ages: tuple[tuple[str, int], ...]  # available units per age band (days since collection)
    mean_daily_use: float
    days_of_supply: float | None  # available units / mean daily use; None when none was used


@dataclass(frozen=True)
class ExpiringUnit:
    unit_id: int
    din: str
    product_code: str
    division: str
    site_code: str
    storage_location: str
    kind: str
    blood_group: str | None
    status: str
    expires_at: datetime
    expired: bool


@dataclass(frozen=True)
class StockReport:
    at: datetime
    lines: tuple[StockLine, ...]
    expiring: tuple[ExpiringUnit, ...]


@dataclass(frozen=True)
class UnitLocation:
    unit_id: int
    din: str
    product_code: str
    division: str
    kind: str
    status: str
    site_id: int | None
    site_code: str | None
    storage_location: str
    transfer_id: int | None  # the transfer carrying it, while in transit


def _check_kind(kind: str | None) -> str | None:
    if kind is None:
        return None
    try:
        return ComponentKind(kind).value
    except ValueError:
        names = ", ".join(k.value for k in ComponentKind)
        raise InvalidInput(f"'{kind}' is not a component kind: expected one of {names}.") from None


def stock(uow: UnitOfWork, *, site_id: int | None = None, kind: str | None = None) -> StockReport:
    """Stock at every site (or one), by kind and blood group, with days of supply and what expires soon."""
    kind = _check_kind(kind)
    now = utcnow()
    with uow:
        session = uow.session
        if site_id is not None and session.get(Site, site_id) is None:
            raise NotFound(f"No site with id {site_id}.")
        # Columns, not whole rows: a national stock is tens of thousands of units.
        statement = (
            select(Unit.id, Unit.din, Unit.product_code, Unit.division, Unit.site_id, Site.code.label("site_code"),
                   Unit.storage_location, Unit.kind, Unit.blood_group, Unit.status, Unit.collected_at,
                   Unit.expires_at)
            .join(Site, Site.id == Unit.site_id)
            .where(Unit.status.in_([s.value for s in IN_STOCK]))
        )
        issued = (
            select(Unit.site_id, Site.code, Unit.kind, Unit.blood_group, func.count(Issue.id))
            .join(Unit, Unit.id == Issue.unit_id).join(Site, Site.id == Unit.site_id)
            .where(Issue.issued_at >= now - timedelta(days=rules.USE_WINDOW_DAYS))
            .group_by(Unit.site_id, Site.code, Unit.kind, Unit.blood_group)
        )
        if site_id is not None:
            statement, issued = statement.where(Unit.site_id == site_id), issued.where(Unit.site_id == site_id)
        if kind is not None:
            statement, issued = statement.where(Unit.kind == kind), issued.where(Unit.kind == kind)
        units = session.execute(statement).all()
        use = {(row[0], row[1], row[2], row[3]): row[4] for row in session.execute(issued)}
        return StockReport(at=now, lines=_lines(units, use, now), expiring=_expiring(units, now))


def _lines(units, use: dict, now: datetime) -> tuple[StockLine, ...]:
    statuses: dict[tuple, Counter] = defaultdict(Counter)
    ages: dict[tuple, Counter] = defaultdict(Counter)
    for unit in units:
        key = (unit.site_id, unit.site_code, unit.kind, unit.blood_group)
        statuses[key][unit.status] += 1
        if unit.status == S.AVAILABLE.value:
            ages[key][rules.age_bucket(rules.age_days(unit.collected_at, now))] += 1
    lines = []
    # A group used lately but with nothing left still gets a line: zero days of supply is the news.
    for key in sorted(set(statuses) | set(use), key=lambda k: (k[1], k[2], k[3] or "")):
        counts, daily = statuses[key], rules.mean_daily_use(use.get(key, 0))
        lines.append(StockLine(
            site_id=key[0], site_code=key[1], kind=key[2], blood_group=key[3],
            available=counts[S.AVAILABLE.value], reserved=counts[S.RESERVED.value],
            quarantined=counts[S.QUARANTINED.value], returned=counts[S.RETURNED.value],
            recalled=counts[S.RECALLED.value],
            ages=tuple((label, ages[key][label]) for label in rules.AGE_LABELS),
            mean_daily_use=daily, days_of_supply=rules.days_of_supply(counts[S.AVAILABLE.value], daily),
        ))
    return tuple(lines)


def _expiring(units, now: datetime) -> tuple[ExpiringUnit, ...]:
    soon = [
        ExpiringUnit(
            unit_id=unit.id, din=unit.din, product_code=unit.product_code, division=unit.division,
            site_code=unit.site_code, storage_location=unit.storage_location, kind=unit.kind,
            blood_group=unit.blood_group, status=unit.status, expires_at=unit.expires_at,
            expired=unit.expires_at < now,
        )
        for unit in units
        if unit.status in USABLE and rules.expiring_soon(unit.kind, unit.expires_at, now)
    ]
    return tuple(sorted(soon, key=lambda u: (u.expires_at, u.unit_id)))


def unit_locations(uow: UnitOfWork, din: str) -> list[UnitLocation]:
    """Every unit made under one DIN, where it is now (a site, or the transfer carrying it)."""
    text = str(parse_din(din))  # a typo is refused with the reason (InvalidDin), not "not found"
    with uow:
        rows = uow.session.execute(
            select(Unit, Site.code).outerjoin(Site, Site.id == Unit.site_id)
            .where(Unit.din == text).order_by(Unit.product_code, Unit.division, Unit.id)
        ).all()
        if not rows:
            raise NotFound(f"No unit carries the donation number {text}.")
        carried = dict(uow.session.execute(
            select(TransferItem.unit_id, func.max(TransferItem.transfer_id))
            .where(TransferItem.unit_id.in_([u.id for u, _ in rows if u.status == S.IN_TRANSIT.value]))
            .group_by(TransferItem.unit_id)
        ).all())
        return [
            UnitLocation(unit_id=unit.id, din=unit.din, product_code=unit.product_code, division=unit.division,
                         kind=unit.kind, status=unit.status, site_id=unit.site_id, site_code=code,
                         storage_location=unit.storage_location, transfer_id=carried.get(unit.id))
            for unit, code in rows
        ]
