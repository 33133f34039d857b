"""Rows a collection needs, inserted directly: a site, a donor, a consented visit.

Written with plain model rows so collection tests do not depend on how
check-in, screening and consent are carried out.
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import count

from sqlalchemy import func, select

from bloodbank.adapters.db.database import Database
from bloodbank.adapters.db.models import AuditEntry, Consent, Deferral, DinCounter, Donation, Donor, Site, Visit
from bloodbank.adapters.db.models.base import utcnow

FACILITY = "G1234"
_numbers = count(1)


def make_site(database: Database, *, facility_code: str = FACILITY, rule_set: str = "who",
              time_zone: str = "UTC") -> int:
    with database.sessions() as session, session.begin():
        site = Site(code=f"S{next(_numbers)}", name="Central donor centre",
                    facility_code=facility_code, rule_set=rule_set, time_zone=time_zone)
        session.add(site)
        session.flush()
        return site.id


def make_donor(database: Database, *, sex: str = "F") -> int:
    n = next(_numbers)
    with database.sessions() as session, session.begin():
        donor = Donor(donor_number=f"D{n:06d}", given_name="Ada", family_name=f"Lovelace{n}",
                      date_of_birth=date(1990, 5, 17), sex=sex)
        session.add(donor)
        session.flush()
        return donor.id


def make_visit(database: Database, *, site_id: int, donor_id: int | None = None, weight_kg: float = 70.0,
               eligible: bool | None = True, decision_reasons: list[str] | None = None,
               kind: str = "whole_blood", status: str = "consented", rule_set: str | None = None,
               consent: bool = True, consent_withdrawn: bool = False) -> int:
    """A screened visit (eligible by default) with the donor's consent recorded."""
    donor_id = donor_id or make_donor(database)
    now = utcnow()
    # Checked in today on the site's (UTC) clock, even when the test runs just after midnight.
    arrived = max(now - timedelta(minutes=30), now.replace(hour=0, minute=0, second=0, microsecond=0))
    with database.sessions() as session, session.begin():
        site = session.get(Site, site_id)
        visit = Visit(
            donor_id=donor_id, site_id=site_id, status=status, kind=kind,
            checked_in_at=arrived, checked_in_by="clerk.bea",
            rule_set=rule_set or site.rule_set, weight_kg=weight_kg, hemoglobin_g_dl=13.8,
            systolic=120, diastolic=80, pulse=70, temperature_c=36.7,
            eligible=eligible, decision_reasons=decision_reasons or [],
            screened_at=max(now - timedelta(minutes=20), arrived), screened_by="nurse.cai",
        )
        session.add(visit)
        session.flush()
        if consent:
            session.add(Consent(
                visit_id=visit.id, donor_id=donor_id, text_version="2026-01",
                given_at=now - timedelta(minutes=10), recorded_by="nurse.cai",
                withdrawn_at=now - timedelta(minutes=1) if consent_withdrawn else None,
                withdrawal_note="changed my mind" if consent_withdrawn else None,
            ))
        return visit.id


def defer(database: Database, donor_id: int, *, days: int = 30, kind: str = "temporary") -> None:
    today = utcnow().date()
    with database.sessions() as session, session.begin():
        session.add(Deferral(
            donor_id=donor_id, code="low_hb", kind=kind, reason="haemoglobin below threshold",
            starts_on=today - timedelta(days=1),
            ends_on=None if kind == "permanent" else today + timedelta(days=days), decided_by="nurse.cai",
        ))


def donor_of(database: Database, visit_id: int) -> int:
    with database.sessions() as session:
        return session.get(Visit, visit_id).donor_id


def visit_status(database: Database, visit_id: int) -> str:
    with database.sessions() as session:
        return session.get(Visit, visit_id).status


def counts(database: Database) -> dict[str, object]:
    """What a refused collection must leave untouched."""
    with database.sessions() as session:
        return {
            "donations": session.scalar(select(func.count()).select_from(Donation)),
            "audit": session.scalar(select(func.count()).select_from(AuditEntry)),
            "din_counter": sorted(tuple(row) for row in session.execute(
                select(DinCounter.facility_code, DinCounter.year, DinCounter.last_serial))),
        }


def audit_entries(database: Database, entity: str, entity_id: object) -> list[AuditEntry]:
    with database.sessions() as session:
        return list(session.execute(
            select(AuditEntry).where(AuditEntry.entity == entity, AuditEntry.entity_id == str(entity_id))
            .order_by(AuditEntry.id)
        ).scalars())
