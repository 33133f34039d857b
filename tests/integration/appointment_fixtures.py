"""Rows the site and appointment tests stand on, inserted directly so they need no other use case."""

from __future__ import annotations

from datetime import date, datetime, timezone
from itertools import count

from sqlalchemy import func, select

from bloodbank.adapters.db.models import Appointment, AuditEntry, Donor, Site, SlotCounter
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

# Monday 2 March 2026, 07:00 UTC: before opening, so the whole day can be booked.
NOW = datetime(2026, 3, 2, 7, 0, tzinfo=timezone.utc)
MONDAY = date(2026, 3, 2)
WEEKDAYS = {day: ["08:00", "16:00"] for day in ("mon", "tue", "wed", "thu", "fri")}

_numbers = count(1)


def clerk(database, actor: str = "clerk.ann") -> UnitOfWork:
    return UnitOfWork(database, actor=actor)


def _insert(database, row) -> int:
    with database.sessions() as session:
        session.add(row)
        session.commit()
        return row.id


def make_site(database, **overrides) -> int:
    n = next(_numbers)
    fields = dict(code=f"S{n}", name=f"Centre {n}", kind="fixed", facility_code="A9999", rule_set="who",
                  chairs=4, slot_minutes=15, opening_hours=WEEKDAYS, active=True,
                  time_zone="UTC")
    return _insert(database, Site(**{**fields, **overrides}))


def make_donor(database, **overrides) -> int:
    n = next(_numbers)
    fields = dict(donor_number=f"D{n:07d}X", given_name="Ada", family_name=f"Donor{n}",
                  date_of_birth=date(1990, 5, 17), sex="F")
    return _insert(database, Donor(**{**fields, **overrides}))


def make_donors(database, n: int) -> list[int]:
    return [make_donor(database) for _ in range(n)]


def at(hour: int, minute: int = 0, day: date = MONDAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=timezone.utc)


def get(database, model, key):
    with database.sessions() as session:
        return session.get(model, key)


def booked_in_slot(database, site_id: int, starts_at: datetime) -> int:
    counter = get(database, SlotCounter, (site_id, starts_at))
    return 0 if counter is None else counter.booked


def counts(database) -> dict[str, int]:
    """Rows in every table booking can write: compared before and after a refusal."""
    tables = {"site": Site, "appointment": Appointment, "audit": AuditEntry}
    with database.sessions() as session:
        result = {name: session.execute(select(func.count()).select_from(model)).scalar_one()
                  for name, model in tables.items()}
        result["booked_chairs"] = session.execute(
            select(func.coalesce(func.sum(SlotCounter.booked), 0))
        ).scalar_one()
        return result


def audit_entries(database, **filters) -> list[AuditEntry]:
    with database.sessions() as session:
        stmt = select(AuditEntry).filter_by(**filters).order_by(AuditEntry.id)
        return list(session.execute(stmt).scalars())
