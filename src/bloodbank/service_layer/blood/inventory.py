"""What is on the shelves: stock by site, kind and group; where a donation's units are.

A unit counts in a site's stock only while it is physically there
(`unit_status.IN_STOCK`, with a site): a unit on the road has no site and is
in no stock, so it is never counted twice nor forgotten (transfers list it).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, or_, select

from bloodbank.adapters.db.models import Issue, Site, TransferItem, Unit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import inventory as rules
from bloodbank.domain import scheduling
from bloodbank.domain.blood_groups import ALL_GROUPS, parse_group
from bloodbank.domain.components import ComponentKind
from bloodbank.domain.errors import InvalidInput, NotFound
from bloodbank.domain.isbt128 import parse_din
from bloodbank.domain.unit_status import IN_STOCK, UnitStatus
from bloodbank.service_layer.shared.clocks import UTC, day_bounds, site_clock, today_on
from bloodbank.service_layer.shared.sites import check_site
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

S = UnitStatus
# Units that could still go to a patient: the ones to use first when close to expiry.
USABLE = (S.AVAILABLE.value, S.RESERVED.value)
# Units close to expiry listed one by one, soonest first; past them the report gives the count. A large
# centre can have thousands near expiry (plasma is "soon" for a month), and a list of them all would make
# every view of the stock grow with the stock.
EXPIRING_LISTED = 100


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
    expiring: tuple[ExpiringUnit, ...]  # the EXPIRING_LISTED expiring first
    expiring_total: int  # every unit expiring soon, listed or not


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


def stock(uow: UnitOfWork, *, site_id: int | None = None, kind: str | None = None,
          blood_group: str | None = None) -> StockReport:
    """Stock at every site (or one), by kind and blood group, with days of supply and what expires soon.

    Counted by the database: a national stock of tens of thousands of units comes back as one row per
    site, kind, group, status and age band; of the units close to expiry only the first EXPIRING_LISTED
    come back one by one, with the count of them all.
    """
    kind, group = _check_kind(kind), _check_group(blood_group)
    now = utcnow()
    with uow:
        session = uow.session
        check_site(session, site_id)
        lines = _stock_lines(session, now, site_id, kind, group)
        soon = (
            select(Unit.id, Unit.din, Unit.product_code, Unit.division, Site.code.label("site_code"),
                   Unit.storage_location, Unit.kind, Unit.blood_group, Unit.status, Unit.expires_at)
            .join(Site, Site.id == Unit.site_id)
            .where(Unit.status.in_(USABLE), _expiring_soon(now))
        )
        soon = _narrowed(soon, site_id, kind, group)
        total = session.execute(select(func.count()).select_from(soon.subquery())).scalar_one()
        expiring = tuple(ExpiringUnit(
            unit_id=u.id, din=u.din, product_code=u.product_code, division=u.division, site_code=u.site_code,
            storage_location=u.storage_location, kind=u.kind, blood_group=u.blood_group, status=u.status,
            expires_at=u.expires_at, expired=u.expires_at < now,
        ) for u in session.execute(soon.order_by(Unit.expires_at, Unit.id).limit(EXPIRING_LISTED)))
        return StockReport(at=now, lines=lines, expiring=expiring, expiring_total=total)


def stock_lines(uow: UnitOfWork, *, site_id: int | None = None, kind: str | None = None) -> tuple[StockLine, ...]:
    """The stock report's counts alone, for views that show no unit one by one."""
    kind = _check_kind(kind)
    with uow:
        check_site(uow.session, site_id)
        return _stock_lines(uow.session, utcnow(), site_id, kind, None)


def _narrowed(statement, site_id: int | None, kind: str | None, group: str | None):
    if site_id is not None:
        statement = statement.where(Unit.site_id == site_id)
    if kind is not None:
        statement = statement.where(Unit.kind == kind)
    if group is not None:
        statement = statement.where(Unit.blood_group == group)
    return statement


def _stock_lines(session, now: datetime, site_id: int | None, kind: str | None,
                 group: str | None) -> tuple[StockLine, ...]:
    band = _age_band(now)
    counted = (
        select(Unit.site_id, Site.code, Unit.kind, Unit.blood_group, Unit.status, band, func.count())
        .join(Site, Site.id == Unit.site_id)
        .where(Unit.status.in_([s.value for s in IN_STOCK]))
        .group_by(Unit.site_id, Site.code, Unit.kind, Unit.blood_group, Unit.status, band)
    )
    issued = (
        select(Unit.site_id, Site.code, Unit.kind, Unit.blood_group, func.count(Issue.id))
        .join(Unit, Unit.id == Issue.unit_id).join(Site, Site.id == Unit.site_id)
        .where(Issue.issued_at >= now - timedelta(days=rules.USE_WINDOW_DAYS))
        .group_by(Unit.site_id, Site.code, Unit.kind, Unit.blood_group)
    )
    counts = session.execute(_narrowed(counted, site_id, kind, group)).all()
    use = {(row[0], row[1], row[2], row[3]): row[4] for row in session.execute(_narrowed(issued, site_id, kind, group))}
    return _lines(counts, use)


def _age_band(now: datetime):
    """The unit's age band (domain.inventory.AGE_BUCKETS), worked out by the database."""
    starts = rules.age_bucket_starts(now)
    return case(*((Unit.collected_at >= earliest, label) for label, earliest in starts if earliest is not None),
                else_=starts[-1][0]).label("age_band")


def _expiring_soon(now: datetime):
    return or_(*(and_(Unit.kind == kind.value, Unit.expires_at <= now + horizon)
                 for kind, horizon in rules.EXPIRING_SOON.items()))


def _lines(counts, use: dict) -> tuple[StockLine, ...]:
    statuses: dict[tuple, Counter] = defaultdict(Counter)
    ages: dict[tuple, Counter] = defaultdict(Counter)
    for site, code, kind, group, status, band, number in counts:
        key = (site, code, kind, group)
        statuses[key][status] += number
        if status == S.AVAILABLE.value:
            ages[key][band] += number
    lines = []
    # A group used lately but with nothing left still gets a line: zero days of supply is the news.
    for key in sorted(set(statuses) | set(use), key=lambda k: (k[1], k[2], k[3] or "")):
        counted, daily = statuses[key], rules.mean_daily_use(use.get(key, 0))
        lines.append(StockLine(
            site_id=key[0], site_code=key[1], kind=key[2], blood_group=key[3],
            available=counted[S.AVAILABLE.value], reserved=counted[S.RESERVED.value],
            quarantined=counted[S.QUARANTINED.value], returned=counted[S.RETURNED.value],
            recalled=counted[S.RECALLED.value],
            ages=tuple((label, ages[key][label]) for label in rules.AGE_LABELS),
            mean_daily_use=daily, days_of_supply=rules.days_of_supply(counted[S.AVAILABLE.value], daily),
        ))
    return tuple(lines)


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


MAX_EXPIRY_HOURS = 24 * 90
KIND_ORDER = tuple(k.value for k in ComponentKind)


def _check_group(blood_group: str | None) -> str | None:
    if blood_group is None or not str(blood_group).strip():
        return None
    try:
        return str(parse_group(blood_group))
    except ValueError as error:
        raise InvalidInput(str(error)) from None


@dataclass(frozen=True)
class GroupSupply:
    blood_group: str | None
    available: int
    reserved: int
    quarantined: int
    mean_daily_use: float
    days_of_supply: float | None  # None when none of this group was used lately


def _supply(blood_group: str | None, lines) -> GroupSupply:
    available = sum(line.available for line in lines)
    daily = sum(line.mean_daily_use for line in lines)
    return GroupSupply(
        blood_group=blood_group, available=available, reserved=sum(line.reserved for line in lines),
        quarantined=sum(line.quarantined for line in lines), mean_daily_use=daily,
        days_of_supply=rules.days_of_supply(available, daily),
    )


def supply_by_group(uow: UnitOfWork, *, site_id: int | None = None,
                    kind: str = ComponentKind.RED_CELLS.value) -> tuple[GroupSupply, ...]:
    """Days of supply of one component kind for every blood group, over one site or all of them."""
    kind = _check_kind(kind) or ComponentKind.RED_CELLS.value
    lines = stock_lines(uow, site_id=site_id, kind=kind)
    groups = [str(g) for g in ALL_GROUPS]
    extra = sorted({line.blood_group for line in lines if line.blood_group not in groups}, key=lambda g: g or "")
    return tuple(_supply(group, [line for line in lines if line.blood_group == group]) for group in groups + extra)


@dataclass(frozen=True)
class StockCell:
    kind: str
    available: int
    reserved: int
    quarantined: int
    days_of_supply: float | None


@dataclass(frozen=True)
class StockRow:
    blood_group: str | None  # None: units not grouped yet (a pool, say)
    cells: tuple[StockCell, ...]


@dataclass(frozen=True)
class StockGrid:
    at: datetime
    site_id: int | None
    kinds: tuple[str, ...]
    rows: tuple[StockRow, ...]


def stock_grid(uow: UnitOfWork, *, site_id: int | None = None) -> StockGrid:
    """Blood group × component kind: units available (reserved, quarantined apart) and days of supply."""
    lines = stock_lines(uow, site_id=site_id)
    groups: list[str | None] = [str(g) for g in ALL_GROUPS]
    groups += sorted({line.blood_group for line in lines if line.blood_group not in groups},
                     key=lambda g: (g is None, g or ""))
    rows = []
    for group in groups:
        cells = []
        for kind in KIND_ORDER:
            s = _supply(group, [line for line in lines if line.blood_group == group and line.kind == kind])
            cells.append(StockCell(kind=kind, available=s.available, reserved=s.reserved,
                                   quarantined=s.quarantined, days_of_supply=s.days_of_supply))
        rows.append(StockRow(blood_group=group, cells=tuple(cells)))
    return StockGrid(at=utcnow(), site_id=site_id, kinds=KIND_ORDER, rows=tuple(rows))


def expiring_within(uow: UnitOfWork, *, hours: int = 48, site_id: int | None = None, kind: str | None = None,
                    limit: int | None = None, offset: int = 0) -> tuple[list[ExpiringUnit], int]:
    """Units still to be used (available or reserved) that expire within `hours`, or already have: a page of
    them (EXPIRING_LISTED unless `limit` says), soonest first, and how many there are in all."""
    if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= MAX_EXPIRY_HOURS:
        raise InvalidInput(f"Give the look-ahead as whole hours from 1 to {MAX_EXPIRY_HOURS}.")
    kind = _check_kind(kind)
    now = utcnow()
    with uow:
        session = uow.session
        check_site(session, site_id)
        statement = _narrowed(
            select(Unit.id, Unit.din, Unit.product_code, Unit.division, Site.code, Unit.storage_location, Unit.kind,
                   Unit.blood_group, Unit.status, Unit.expires_at)
            .join(Site, Site.id == Unit.site_id)
            .where(Unit.status.in_(USABLE), Unit.expires_at <= now + timedelta(hours=hours)),
            site_id, kind, None)
        total = session.execute(select(func.count()).select_from(statement.subquery())).scalar_one()
        rows = session.execute(statement.order_by(Unit.expires_at, Unit.id)
                               .limit(EXPIRING_LISTED if limit is None else limit).offset(offset))
        return [
            ExpiringUnit(unit_id=r[0], din=r[1], product_code=r[2], division=r[3], site_code=r[4],
                         storage_location=r[5], kind=r[6], blood_group=r[7], status=r[8], expires_at=r[9],
                         expired=r[9] < now)
            for r in rows
        ], total


@dataclass(frozen=True)
class StockUnit:
    unit_id: int
    din: str
    product_code: str
    division: str
    kind: str
    blood_group: str | None
    status: str
    site_id: int
    site_code: str
    storage_location: str
    collected_at: datetime
    expires_at: datetime
    age_days: int


def stock_units(uow: UnitOfWork, *, site_id: int | None = None, kind: str | None = None,
                blood_group: str | None = None, status: str | None = None, min_age_days: int | None = None,
                max_age_days: int | None = None, limit: int = 50, offset: int = 0) -> tuple[list[StockUnit], int]:
    """Units in stock, oldest expiry first, narrowed by site, kind, group, status and age (days since collection)."""
    kind, group = _check_kind(kind), _check_group(blood_group)
    in_stock = sorted(s.value for s in IN_STOCK)
    if status is not None and status not in in_stock:
        raise InvalidInput(f"'{status}' is not a status of a unit in stock: use one of {', '.join(in_stock)}.")
    for bound in (min_age_days, max_age_days):
        if bound is not None and (isinstance(bound, bool) or not isinstance(bound, int) or not 0 <= bound <= 3650):
            raise InvalidInput("Ages are whole days from 0 to 3650.")
    now = utcnow()
    with uow:
        session = uow.session
        site = check_site(session, site_id)
        statement = (
            select(Unit.id, Unit.din, Unit.product_code, Unit.division, Unit.kind, Unit.blood_group, Unit.status,
                   Unit.site_id, Site.code, Unit.storage_location, Unit.collected_at, Unit.expires_at,
                   Site.time_zone)
            .join(Site, Site.id == Unit.site_id)
            .where(Unit.status.in_([status] if status else in_stock))
        )
        statement = _narrowed(statement, site_id, kind, group)
        # Day 0 is the collection day (domain.inventory.age_days): ages are bounds on the collection date, on the
        # site's clock (across sites, on UTC's: a bound may then be a few hours off for a far zone).
        clock = site_clock(site) if site is not None else UTC
        midnight = day_bounds(today_on(clock, now), clock)[0]
        if min_age_days is not None:
            statement = statement.where(Unit.collected_at < midnight - timedelta(days=min_age_days - 1))
        if max_age_days is not None:
            statement = statement.where(Unit.collected_at >= midnight - timedelta(days=max_age_days))
        total = session.execute(select(func.count()).select_from(statement.subquery())).scalar_one()
        rows = session.execute(statement.order_by(Unit.expires_at, Unit.id)
                               .limit(EXPIRING_LISTED if limit is None else limit).offset(offset)).all()
        return [
            StockUnit(unit_id=r[0], din=r[1], product_code=r[2], division=r[3], kind=r[4], blood_group=r[5],
                      status=r[6], site_id=r[7], site_code=r[8], storage_location=r[9], collected_at=r[10],
                      expires_at=r[11], age_days=rules.age_days(r[10], now.astimezone(scheduling.zone(r[12]))))
            for r in rows
        ], total
