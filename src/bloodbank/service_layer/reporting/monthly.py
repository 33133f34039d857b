"""The report a blood service prints every month: collections by site and group, deferrals by reason (counts
only), discards by reason, issues and transfusions by hospital, red-cell stock, days of supply and outdating
day by day, and donors' adverse events.

Each record counts in the month of its own clock: what happens at a site on the site's, what happens at a
hospital on the hospital's. Sites are taken a time zone at a time, so a region spanning zones is cut right
at every site. Nothing names a person; deferral reasons are counted only for those who may read them.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from sqlalchemy import func, or_, select

from bloodbank.adapters.db.models import (
    AdverseReaction, Deferral, Donation, Donor, Hospital, Issue, Patient, Site, Transfusion, Unit, UnitEvent,
    Visit,
)
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import inventory as stock_rules
from bloodbank.domain.components import ComponentKind
from bloodbank.domain.monthly_report import Month, days_reported, running_stock
from bloodbank.domain.unit_status import DISCARD_REASONS, UnitStatus, public_discard_code
from bloodbank.service_layer.hospital.scope import hospitals_visible
from bloodbank.service_layer.shared.clocks import UTC, day_bounds, hospital_clock, local_date, site_clock, today_on
from bloodbank.service_layer.shared.sites import check_site
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

RED_CELLS = ComponentKind.RED_CELLS.value
AVAILABLE = UnitStatus.AVAILABLE.value
NO_GROUP = "not yet known"


@dataclass(frozen=True)
class Collections:
    site_code: str
    group: str  # the donor's confirmed group, or NO_GROUP
    donations: int


@dataclass(frozen=True)
class Discards:
    reason: str  # a public code: a confidential self-exclusion reads "not_suitable"
    reason_text: str
    kind: str
    units: int


@dataclass(frozen=True)
class HospitalUse:
    hospital_code: str
    hospital_name: str
    issued: int
    transfused: int
    emergency_issues: int


@dataclass(frozen=True)
class StockDay:
    day: date
    red_cells_available: int  # at the end of the day, on each site's clock
    red_cells_issued: int
    expired: int  # units of any kind discarded as expired that day
    days_of_supply: float | None  # end-of-day red cells ÷ the month's mean daily red-cell issues


@dataclass(frozen=True)
class AdverseEvents:
    kind: str
    severity: str
    count: int


@dataclass(frozen=True)
class MonthlyReport:
    month: str
    site_id: int | None
    site_code: str | None
    collections: tuple[Collections, ...]
    donations_total: int
    deferrals_total: int
    deferrals_by_reason: tuple[tuple[str, int], ...] | None  # None for a reader who may not see reasons
    discards: tuple[Discards, ...]
    discards_total: int
    hospitals: tuple[HospitalUse, ...]
    stock: tuple[StockDay, ...]
    adverse_events: tuple[AdverseEvents, ...]
    complete: bool  # False while the month is still running


def monthly_report(uow: UnitOfWork, month: Month, *, site_id: int | None = None,
                   deferral_reasons: bool = False, now: datetime | None = None) -> MonthlyReport:
    now = now or utcnow()
    with uow:
        s = uow.session
        site = check_site(s, site_id)
        sites = [site] if site is not None else list(s.scalars(select(Site).order_by(Site.code)))
        zones = _by_zone(sites)
        collections = _collections(uow, month, zones)
        deferral_codes = _deferrals(uow, month, site_id)
        discards, discarded_on = _discards(uow, month, zones)
        hospitals = _hospital_use(uow, month, site_id)
        stock = _stock(uow, month, zones, discarded_on, now)
        adverse = _adverse_events(uow, month, zones)
        clock = site_clock(site) if site is not None else UTC
        site_code = site.code if site is not None else None
    by_reason: dict[str, int] = defaultdict(int)
    for code in deferral_codes:
        by_reason[code] += 1
    return MonthlyReport(
        month=str(month), site_id=site_id, site_code=site_code,
        collections=collections, donations_total=sum(c.donations for c in collections),
        deferrals_total=len(deferral_codes),
        deferrals_by_reason=tuple(sorted(by_reason.items(), key=lambda kv: (-kv[1], kv[0])))
        if deferral_reasons else None,
        discards=discards, discards_total=sum(d.units for d in discards), hospitals=hospitals, stock=stock,
        adverse_events=adverse, complete=today_on(clock, now) > month.last_day,
    )


def _by_zone(sites: list[Site]) -> list[tuple[tzinfo, list[Site]]]:
    """Sites grouped by clock, so each group's month is one UTC range."""
    groups: dict[str, tuple[tzinfo, list[Site]]] = {}
    for site in sites:
        clock = site_clock(site)
        groups.setdefault(str(clock), (clock, []))[1].append(site)
    return list(groups.values())


def _month_range(month: Month, clock: tzinfo) -> tuple[datetime, datetime]:
    return day_bounds(month.first_day, clock)[0], day_bounds(month.last_day, clock)[1]


def _collections(uow: UnitOfWork, month: Month, zones) -> tuple[Collections, ...]:
    rows: list[Collections] = []
    for clock, sites in zones:
        start, end = _month_range(month, clock)
        for code, group, count in uow.session.execute(
            select(Site.code, Donor.blood_group, func.count())
            .select_from(Donation).join(Site, Site.id == Donation.site_id).join(Donor, Donor.id == Donation.donor_id)
            .where(Donation.site_id.in_([x.id for x in sites]), Donation.status == "complete",
                   Donation.started_at >= start, Donation.started_at < end)
            .group_by(Site.code, Donor.blood_group)
        ):
            rows.append(Collections(site_code=code, group=group or NO_GROUP, donations=count))
    return tuple(sorted(rows, key=lambda r: (r.site_code, _group_order(r.group))))


def _group_order(group: str) -> int:
    order = ["O-", "O+", "A-", "A+", "B-", "B+", "AB-", "AB+"]
    return order.index(group) if group in order else len(order)


def _deferrals(uow: UnitOfWork, month: Month, site_id: int | None) -> list[str]:
    """The codes of deferrals that began in the month (a deferral's first day is already a local date).

    Codes are sealed at rest, so they are counted here, one month's worth at a time, not by the database.
    """
    statement = select(Deferral.code).where(Deferral.starts_on >= month.first_day,
                                            Deferral.starts_on <= month.last_day)
    if site_id is not None:
        statement = statement.join(Visit, Visit.id == Deferral.visit_id).where(Visit.site_id == site_id)
    return [code for (code,) in uow.session.execute(statement)]


def _discards(uow: UnitOfWork, month: Month, zones) -> tuple[tuple[Discards, ...], dict[date, int]]:
    counts: dict[tuple[str, str], int] = defaultdict(int)
    expired_on: dict[date, int] = defaultdict(int)
    for clock, sites in zones:
        start, end = _month_range(month, clock)
        for reason, kind, at in uow.session.execute(
            select(Unit.discard_reason, Unit.kind, Unit.status_changed_at).where(
                Unit.status == UnitStatus.DISCARDED.value, Unit.site_id.in_([x.id for x in sites]),
                Unit.status_changed_at >= start, Unit.status_changed_at < end)
        ):
            code = public_discard_code(reason) or "other"
            counts[(code, kind)] += 1
            if code == "expired":
                expired_on[local_date(at, clock)] += 1
    order = list(DISCARD_REASONS)
    rows = tuple(
        Discards(reason=code, reason_text=DISCARD_REASONS.get(code, code), kind=kind, units=n)
        for (code, kind), n in sorted(counts.items(),
                                      key=lambda kv: (order.index(kv[0][0]) if kv[0][0] in order else len(order),
                                                      kv[0][1]))
    )
    return rows, dict(expired_on)


def _hospital_use(uow: UnitOfWork, month: Month, site_id: int | None) -> tuple[HospitalUse, ...]:
    s = uow.session
    statement = select(Hospital).where(hospitals_visible(uow.scope, Hospital.id)).order_by(Hospital.code)
    if site_id is not None:
        statement = statement.where(Hospital.site_id == site_id)
    hospitals = list(s.scalars(statement))
    rows = []
    for hospital in hospitals:
        start, end = _month_range(month, hospital_clock(s, hospital))
        issued, emergency = s.execute(
            select(func.count(), func.count().filter(Issue.emergency.is_(True)))
            .select_from(Issue).join(Patient, Patient.id == Issue.patient_id)
            .where(Patient.hospital_id == hospital.id, Issue.issued_at >= start, Issue.issued_at < end)
        ).one()
        transfused = s.scalar(
            select(func.count()).select_from(Transfusion).join(Patient, Patient.id == Transfusion.patient_id)
            .where(Patient.hospital_id == hospital.id, Transfusion.started_at >= start,
                   Transfusion.started_at < end))
        if issued or transfused:
            rows.append(HospitalUse(hospital_code=hospital.code, hospital_name=hospital.name, issued=issued,
                                    transfused=transfused, emergency_issues=emergency))
    return tuple(rows)


def _stock(uow: UnitOfWork, month: Month, zones, expired_on: dict[date, int], now: datetime
           ) -> tuple[StockDay, ...]:
    """Red cells in stock at the end of each day, rebuilt from the units' own histories.

    A unit enters stock by an event into 'available' and leaves it by an event out of it; each event names
    the site the unit was at, so a transfer leaves one site's stock and later enters another's.
    """
    s = uow.session
    levels: dict[date, int] = defaultdict(int)
    issued_on: dict[date, int] = defaultdict(int)
    for clock, sites in zones:
        start, end = _month_range(month, clock)
        ids = [x.id for x in sites]
        days = days_reported(month, today_on(clock, now))
        red_event = (select(UnitEvent.at, UnitEvent.from_status, UnitEvent.to_status)
                     .join(Unit, Unit.id == UnitEvent.unit_id)
                     .where(Unit.kind == RED_CELLS, UnitEvent.site_id.in_(ids),
                            or_(UnitEvent.to_status == AVAILABLE, UnitEvent.from_status == AVAILABLE)))
        opened = s.scalar(select(
            func.count().filter(UnitEvent.to_status == AVAILABLE) - func.count().filter(
                UnitEvent.from_status == AVAILABLE))
            .select_from(UnitEvent).join(Unit, Unit.id == UnitEvent.unit_id)
            .where(Unit.kind == RED_CELLS, UnitEvent.site_id.in_(ids), UnitEvent.at < start)) or 0
        changes: dict[date, int] = defaultdict(int)
        for at, before, after in s.execute(red_event.where(UnitEvent.at >= start, UnitEvent.at < end)):
            changes[local_date(at, clock)] += (after == AVAILABLE) - (before == AVAILABLE)
        for day, level in zip(days, running_stock(opened, changes, days)):
            levels[day] += level
        for (at,) in s.execute(
            select(Issue.issued_at).join(Unit, Unit.id == Issue.unit_id)
            .where(Unit.kind == RED_CELLS, Unit.site_id.in_(ids), Issue.issued_at >= start, Issue.issued_at < end)
        ):
            issued_on[local_date(at, clock)] += 1
    days = sorted(levels)
    daily_use = stock_rules.mean_daily_use(sum(issued_on.values()), len(days)) if days else 0.0
    return tuple(
        StockDay(day=day, red_cells_available=levels[day], red_cells_issued=issued_on.get(day, 0),
                 expired=expired_on.get(day, 0),
                 days_of_supply=stock_rules.days_of_supply(levels[day], daily_use))
        for day in days
    )


def _adverse_events(uow: UnitOfWork, month: Month, zones) -> tuple[AdverseEvents, ...]:
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for clock, sites in zones:
        start, end = _month_range(month, clock)
        for kind, severity, count in uow.session.execute(
            select(AdverseReaction.kind, AdverseReaction.severity, func.count())
            .join(Donation, Donation.id == AdverseReaction.donation_id)
            .where(Donation.site_id.in_([x.id for x in sites]), Donation.started_at >= start,
                   Donation.started_at < end)
            .group_by(AdverseReaction.kind, AdverseReaction.severity)
        ):
            counts[(kind, severity)] += count
    return tuple(AdverseEvents(kind=k, severity=sev, count=n) for (k, sev), n in sorted(counts.items()))


SECTIONS = ("collections", "deferrals", "discards", "hospitals", "stock", "adverse_events")


def tables(report: MonthlyReport) -> dict[str, tuple[tuple[str, ...], list[tuple]]]:
    """Each section as a header and rows: what a CSV file, a spreadsheet or another system takes."""
    deferrals = (list(report.deferrals_by_reason) if report.deferrals_by_reason is not None
                 else [("all reasons", report.deferrals_total)])
    return {
        "collections": (("month", "site", "blood_group", "donations"),
                        [(report.month, c.site_code, c.group, c.donations) for c in report.collections]),
        "deferrals": (("month", "reason", "deferrals"), [(report.month, code, n) for code, n in deferrals]),
        "discards": (("month", "reason", "reason_text", "component", "units"),
                     [(report.month, d.reason, d.reason_text, d.kind, d.units) for d in report.discards]),
        "hospitals": (("month", "hospital", "hospital_name", "issued", "transfused", "emergency_issues"),
                      [(report.month, h.hospital_code, h.hospital_name, h.issued, h.transfused, h.emergency_issues)
                       for h in report.hospitals]),
        "stock": (("day", "red_cells_available", "red_cells_issued", "expired", "days_of_supply"),
                  [(d.day.isoformat(), d.red_cells_available, d.red_cells_issued, d.expired,
                    "" if d.days_of_supply is None else f"{d.days_of_supply:.1f}") for d in report.stock]),
        "adverse_events": (("month", "kind", "severity", "count"),
                           [(report.month, a.kind, a.severity, a.count) for a in report.adverse_events]),
    }


def csv_text(report: MonthlyReport, section: str) -> str:
    """One table of the report as CSV text, header first: what the page downloads and the command writes."""
    header, rows = tables(report)[section]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()
