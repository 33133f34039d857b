"""Declaring, counting and closing mass-casualty incidents.

Casualties are counted by severity, never named. The blood service's roles
(`INCIDENTS`) see every count; a hospital's staff (`CASUALTY_COUNTS`) add what
they admitted and see only their own entries, through `my_entries`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from bloodbank.adapters.db.models import CasualtyCount, Hospital, Incident, Issue, Order, User
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import access
from bloodbank.domain import incidents as rules
from bloodbank.domain.errors import InvalidInput, NotFound
from bloodbank.domain.text import clean_text
from bloodbank.service_layer.shared.sites import check_site
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

MAX_NOTE = 1000
MAX_PAGE = 200
# An incident is declared as it happens or soon after; a time days off is a typing error.
MAX_BEFORE = timedelta(days=3)
MAX_AHEAD = timedelta(minutes=10)


@dataclass(frozen=True)
class CountLine:
    basis: str
    severity: str
    total: int


@dataclass(frozen=True)
class CountEntryView:
    id: int
    hospital_id: int | None
    hospital_code: str | None
    basis: str
    severity: str
    change: int
    reason: str
    recorded_at: datetime
    recorded_by: str


@dataclass(frozen=True)
class IncidentSummary:
    id: int
    place: str
    kind: str
    occurred_at: datetime
    site_id: int | None
    status: str
    declared_at: datetime
    declared_by: str
    closed_at: datetime | None
    closed_by: str | None


@dataclass(frozen=True)
class IncidentView(IncidentSummary):
    note: str
    close_note: str | None
    totals: tuple[CountLine, ...]  # every basis × severity, zeros included
    for_forecast: tuple[CountLine, ...]  # per severity, the larger of expected and admitted
    entries: tuple[CountEntryView, ...]
    orders: int  # orders placed for its casualties
    issues: int  # units issued for them, emergency releases included


def summary_of(row: Incident) -> IncidentSummary:
    return IncidentSummary(row.id, row.place, row.kind, row.occurred_at, row.site_id, row.status, row.declared_at,
                           row.declared_by, row.closed_at, row.closed_by)


def _occurred_at(value: object, now: datetime) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidInput("Give the time of the incident with its time zone.")
    if value > now + MAX_AHEAD:
        raise InvalidInput("The incident's time is in the future: give when it happened.")
    if value < now - MAX_BEFORE:
        raise InvalidInput("The incident's time is more than three days ago: check the date.")
    return value


def declare(uow: UnitOfWork, *, place: str, kind: str, occurred_at: datetime | None = None,
            site_id: int | None = None, note: str = "", expected: dict[str, int] | None = None) -> IncidentView:
    """Declare an incident, with the casualties expected by severity if known."""
    place = clean_text(place, "place", rules.MAX_PLACE)
    if not place:
        raise InvalidInput("Say where the incident is (a district, a street, a landmark).")
    kind = rules.incident_kind(kind).value
    note = clean_text(note, "note", MAX_NOTE, multiline=True)
    now = utcnow()
    at = now if occurred_at is None else _occurred_at(occurred_at, now)
    changes = _expected(expected or {})
    with uow:
        session = uow.session
        check_site(session, site_id)
        row = Incident(place=place, kind=kind, occurred_at=at, site_id=site_id, note=note, status="declared",
                       declared_at=now, declared_by=uow.actor)
        session.add(row)
        session.flush()
        uow.audit("declare", "incident", row.id, new={"place": place, "kind": kind, "occurred_at": at.isoformat(),
                                                       "site_id": site_id})
        for severity, number in changes:
            _add_entry(uow, row, None, rules.Basis.EXPECTED, severity, number, "")
        view = _view(session, row)
        uow.commit()
        return view


def _expected(expected: dict[str, int]) -> list[tuple[rules.Severity, int]]:
    out = []
    for name, number in expected.items():
        severity = rules.severity(name)
        if number:
            out.append((severity, rules.count_change(number, correction=False, reason="")))
    return out


def add_casualties(uow: UnitOfWork, *, incident_id: int, severity: str, change: int, basis: str = "admitted",
                   hospital_id: int | None = None, correction: bool = False, reason: str = "") -> CountEntryView:
    """Add casualties of one severity, or correct a count with the reason; no total may fall below zero."""
    severity_ = rules.severity(severity)
    basis_ = rules.basis(basis)
    reason = clean_text(reason, "reason", rules.MAX_REASON)
    change = rules.count_change(change, correction=correction, reason=reason)
    if basis_ is rules.Basis.ADMITTED and hospital_id is None:
        raise InvalidInput("Name the hospital that admitted the casualties.")
    with uow:
        session = uow.session
        incident = load_incident(session, incident_id, lock=True)
        rules.ensure_open(incident.status, incident.id)
        hospital = _hospital(session, hospital_id) if hospital_id is not None else None
        _may_count(session, uow, basis_, hospital)
        entry = _add_entry(uow, incident, hospital, basis_, severity_, change, reason)
        uow.commit()
        return entry


def _hospital(session, hospital_id: int) -> Hospital:
    hospital = session.get(Hospital, hospital_id)
    if hospital is None:
        raise NotFound(f"There is no hospital {hospital_id}.")
    return hospital


def _may_count(session, uow: UnitOfWork, basis: rules.Basis, hospital: Hospital | None) -> None:
    """The blood service counts for anyone; a hospital's staff count what their own hospitals admitted (the
    hospitals an administrator gave them: the unit of work's scope)."""
    user = session.execute(select(User).where(User.username == uow.actor)).scalar_one_or_none()
    if user is not None and access.may(user.role, access.Permission.INCIDENTS):
        return
    if basis is not rules.Basis.ADMITTED:
        raise InvalidInput("A hospital counts the casualties it admitted; the expected numbers are the blood "
                           "service's.")
    if hospital is None:
        raise InvalidInput("Say which of your hospitals admitted these casualties.")
    if not uow.scope.includes(hospital.id):
        raise InvalidInput(f"Hospital {hospital.code} is not one of yours: count only your own hospital's "
                           "casualties.")


def _add_entry(uow: UnitOfWork, incident: Incident, hospital: Hospital | None, basis: rules.Basis,
               severity: rules.Severity, change: int, reason: str) -> CountEntryView:
    session = uow.session
    mine = _entries_of(session, incident.id, hospital.id if hospital else None, by_hospital=True)
    # Per hospital and over the incident: neither may go below zero.
    rules.check_totals([*_domain(mine), rules.CountEntry(basis, severity, change)])
    rules.check_totals([*_domain(_entries_of(session, incident.id)), rules.CountEntry(basis, severity, change)])
    row = CasualtyCount(incident_id=incident.id, hospital_id=hospital.id if hospital else None, basis=basis.value,
                        severity=severity.value, change=change, reason=reason, recorded_at=utcnow(),
                        recorded_by=uow.actor)
    session.add(row)
    session.flush()
    uow.audit("count_casualties", "incident", incident.id, new={
        "entry_id": row.id, "hospital_id": row.hospital_id, "basis": row.basis, "severity": row.severity,
        "change": change}, reason=reason or None)
    return _entry(row, hospital.code if hospital else None)


def _entries_of(session, incident_id: int, hospital_id: int | None = None, *, by_hospital: bool = False,
                recorded_by: str | None = None) -> list[CasualtyCount]:
    query = select(CasualtyCount).where(CasualtyCount.incident_id == incident_id)
    if by_hospital:
        query = query.where(CasualtyCount.hospital_id.is_(None) if hospital_id is None
                            else CasualtyCount.hospital_id == hospital_id)
    if recorded_by is not None:
        query = query.where(CasualtyCount.recorded_by == recorded_by)
    return list(session.execute(query.order_by(CasualtyCount.id)).scalars())


def _domain(rows: list[CasualtyCount]) -> list[rules.CountEntry]:
    return [rules.CountEntry(rules.Basis(r.basis), rules.Severity(r.severity), r.change) for r in rows]


def _entry(row: CasualtyCount, hospital_code: str | None) -> CountEntryView:
    return CountEntryView(row.id, row.hospital_id, hospital_code, row.basis, row.severity, row.change, row.reason,
                          row.recorded_at, row.recorded_by)


def _entry_views(session, rows: list[CasualtyCount]) -> tuple[CountEntryView, ...]:
    codes = dict(session.execute(select(Hospital.id, Hospital.code).where(
        Hospital.id.in_({r.hospital_id for r in rows if r.hospital_id is not None}))).all())
    return tuple(_entry(r, codes.get(r.hospital_id)) for r in rows)


def casualties(session, incident_id: int) -> dict[rules.Severity, int]:
    """The casualties the forecast plans for, by severity."""
    return rules.casualties_for_forecast(rules.totals(_domain(_entries_of(session, incident_id))))


def load_incident(session, incident_id: int, *, lock: bool = False) -> Incident:
    query = select(Incident).where(Incident.id == incident_id)
    if lock:
        query = query.with_for_update()
    row = session.execute(query).scalar_one_or_none()
    if row is None:
        raise NotFound(f"There is no incident {incident_id}.")
    return row


def _view(session, row: Incident) -> IncidentView:
    rows = _entries_of(session, row.id)
    totals = rules.totals(_domain(rows))
    chosen = rules.casualties_for_forecast(totals)
    orders = session.execute(select(Order.id).where(Order.incident_id == row.id)).scalars().all()
    issues = session.execute(select(Issue.id).where(Issue.incident_id == row.id)).scalars().all()
    return IncidentView(
        **summary_of(row).__dict__, note=row.note, close_note=row.close_note,
        totals=tuple(CountLine(b.value, s.value, totals[(b, s)]) for b in rules.Basis for s in rules.Severity),
        for_forecast=tuple(CountLine("forecast", s.value, chosen[s]) for s in rules.Severity),
        entries=_entry_views(session, rows), orders=len(orders), issues=len(issues),
    )


def get_incident(uow: UnitOfWork, incident_id: int) -> IncidentView:
    """The whole incident with every count: for the blood service's roles."""
    with uow:
        return _view(uow.session, load_incident(uow.session, incident_id))


def list_incidents(uow: UnitOfWork, *, status: str | None = None, limit: int = 50,
                   offset: int = 0) -> tuple[list[IncidentSummary], int]:
    """Newest first; no counts (a hospital's staff see this list to pick the incident they count for)."""
    if status is not None and status not in {s.value for s in rules.Status}:
        raise InvalidInput("The status is 'declared' or 'closed'.")
    with uow:
        query = select(Incident)
        if status is not None:
            query = query.where(Incident.status == status)
        rows = uow.session.execute(query.order_by(Incident.declared_at.desc(), Incident.id.desc())).scalars().all()
        return [summary_of(r) for r in rows[offset:offset + limit]], len(rows)


def my_entries(uow: UnitOfWork, incident_id: int) -> tuple[IncidentSummary, tuple[CountEntryView, ...]]:
    """The incident and the entries this person made: all a hospital's staff see of its counts."""
    with uow:
        session = uow.session
        row = load_incident(session, incident_id)
        return summary_of(row), _entry_views(session, _entries_of(session, row.id, recorded_by=uow.actor))


def close(uow: UnitOfWork, *, incident_id: int, note: str = "") -> IncidentView:
    """Close the incident (signed by the caller's entry point): nothing more is counted or tagged against it."""
    note = clean_text(note, "note", MAX_NOTE, multiline=True)
    with uow:
        session = uow.session
        row = load_incident(session, incident_id, lock=True)
        rules.ensure_open(row.status, row.id)
        row.status, row.closed_at, row.closed_by, row.close_note = "closed", utcnow(), uow.actor, note
        session.flush()
        uow.audit("close", "incident", row.id, old={"status": "declared"}, new={"status": "closed"},
                  reason=note or None)
        view = _view(session, row)
        uow.commit()
        return view


def close_subject(view: IncidentView) -> tuple[str, str, int]:
    return f"{view.id} ({view.place})", "incident", view.id
