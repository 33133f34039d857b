"""Donors registered through the use case, and history rows inserted directly to merge."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from itertools import count

from sqlalchemy import func, select

from bloodbank.adapters.db.database import Database
from bloodbank.adapters.db.models import (
    Appointment, AuditEntry, Consent, Deferral, Donation, Donor, Site, Visit,
)
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.service_layer.donors.registry import DonorView, register_donor
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

_numbers = count(1)
_people = count(1)
GIVEN = ["Amira", "Bilal", "Chloe", "Dmitri", "Elena", "Farid", "Grace", "Hassan", "Ines", "Jonas"]
FAMILY = ["Okafor", "Quispe", "Tanaka", "Yilmaz", "Eriksen", "Haddad", "Mensah", "Popescu", "Varga", "Zhang"]


def person(**overrides) -> dict:
    """Someone who shares no duplicate-check block with anyone else made here.

    Each has their own year and month of birth, on a day after the 12th (so no
    date is another's with day and month swapped); those born in the same year
    with the same family name have different given names.
    """
    n = next(_people) % 700  # born 1945 to 2003: always of registration age
    fields = dict(given_name=GIVEN[n % 10], family_name=FAMILY[(n // 10) % 10],
                  date_of_birth=date(1945 + n // 12, n % 12 + 1, 13 + n % 16), sex="F")
    return {**fields, **overrides}


def clerk(database: Database, actor: str = "clerk.ann") -> UnitOfWork:
    return UnitOfWork(database, actor=actor)


def register(database: Database, **overrides) -> DonorView:
    return register_donor(clerk(database), **person(**overrides))


def _insert(database: Database, row) -> int:
    with database.sessions() as session, session.begin():
        session.add(row)
        session.flush()
        return row.id


def make_site(database: Database) -> int:
    n = next(_numbers)
    return _insert(database, Site(code=f"DS{n}", name=f"Donor centre {n}", facility_code="B1234", time_zone="UTC"))


def make_visit(database: Database, donor_id: int, site_id: int, *, status: str = "collected") -> int:
    return _insert(database, Visit(donor_id=donor_id, site_id=site_id, status=status,
                                   checked_in_at=utcnow() - timedelta(days=30), checked_in_by="clerk.bob"))


def make_consent(database: Database, donor_id: int, visit_id: int) -> int:
    return _insert(database, Consent(visit_id=visit_id, donor_id=donor_id, text_version="2026-01",
                                     given_at=utcnow() - timedelta(days=30), recorded_by="nurse.cai"))


def make_donation(database: Database, donor_id: int, visit_id: int, site_id: int) -> int:
    serial = next(_numbers)
    at = utcnow() - timedelta(days=30)
    return _insert(database, Donation(
        din=f"B1234{at.year % 100:02d}{serial:06d}", facility_code="B1234", din_year=at.year, serial=serial,
        visit_id=visit_id, donor_id=donor_id, site_id=site_id, kind="whole_blood", bag_type="triple",
        bag_lot="L1", phlebotomist="nurse.eve", volume_ml=470, started_at=at, ended_at=at, status="complete",
    ))


def make_appointment(database: Database, donor_id: int, site_id: int) -> int:
    starts = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=7)
    return _insert(database, Appointment(donor_id=donor_id, site_id=site_id, starts_at=starts, booked_by="clerk.bob"))


def make_deferral(database: Database, donor_id: int, *, kind: str = "temporary", days: int = 60) -> int:
    today = utcnow().date()
    return _insert(database, Deferral(
        donor_id=donor_id, code="low_hb", kind=kind, reason="haemoglobin below threshold",
        starts_on=today - timedelta(days=1), ends_on=None if kind == "permanent" else today + timedelta(days=days),
        decided_by="nurse.cai",
    ))


def donor_row(database: Database, donor_id: int) -> Donor:
    with database.sessions() as session:
        return session.get(Donor, donor_id)


def owners(database: Database, model, ids: list[int]) -> set[int]:
    """Which donor records the given rows now belong to."""
    with database.sessions() as session:
        return set(session.execute(select(model.donor_id).where(model.id.in_(ids))).scalars())


def counts(database: Database) -> dict[str, int]:
    """What a refused use case must leave untouched."""
    tables = {"donor": Donor, "audit": AuditEntry, "visit": Visit, "deferral": Deferral, "consent": Consent,
              "appointment": Appointment, "donation": Donation}
    with database.sessions() as session:
        return {name: session.execute(select(func.count()).select_from(model)).scalar_one()
                for name, model in tables.items()}


def audit_entries(database: Database, entity_id: object, action: str | None = None) -> list[AuditEntry]:
    with database.sessions() as session:
        stmt = select(AuditEntry).where(AuditEntry.entity == "donor", AuditEntry.entity_id == str(entity_id))
        if action:
            stmt = stmt.where(AuditEntry.action == action)
        return list(session.execute(stmt.order_by(AuditEntry.id)).scalars())
