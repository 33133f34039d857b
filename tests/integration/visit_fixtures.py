"""Rows the visit tests stand on, inserted directly so they need no other use case."""

from __future__ import annotations

from datetime import date, datetime, timezone
from itertools import count

from sqlalchemy import func, select

from bloodbank.adapters.db.models import (
    Appointment, AuditEntry, ConfidentialAnswer, Consent, Deferral, Donation, Donor, Site, Visit,
)
from bloodbank.config import get_settings
from bloodbank.domain.questionnaire import questions
from bloodbank.service_layer.donors.consent import give_consent
from bloodbank.service_layer.donors.screening import record_screening
from bloodbank.service_layer.donors.visits import check_in
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

_numbers = count(1)

HEALTHY = dict(weight_kg=70, hemoglobin_g_dl=14.5, systolic=120, diastolic=80, pulse=70, temperature_c=36.8)


def clerk(database, actor: str = "clerk.ann") -> UnitOfWork:
    return UnitOfWork(database, actor=actor)


def _insert(database, row):
    with database.sessions() as session:
        session.add(row)
        session.commit()
        return row.id


def make_site(database, **overrides) -> int:
    n = next(_numbers)
    fields = dict(code=f"S{n}", name=f"Centre {n}", facility_code="A9999", rule_set="who", chairs=4,
                  time_zone="UTC")
    return _insert(database, Site(**{**fields, **overrides}))


def make_donor(database, **overrides) -> int:
    n = next(_numbers)
    fields = dict(donor_number=f"D{n:06d}", given_name="Ada", family_name=f"Donor{n}",
                  date_of_birth=date(1990, 5, 17), sex="F")
    return _insert(database, Donor(**{**fields, **overrides}))


def make_appointment(database, *, donor_id: int, site_id: int, status: str = "booked",
                     starts_at: datetime | None = None) -> int:
    starts_at = starts_at or datetime.now(timezone.utc).replace(microsecond=0)
    return _insert(database, Appointment(donor_id=donor_id, site_id=site_id, starts_at=starts_at,
                                         status=status, booked_by="clerk.bob"))


def make_visit(database, *, donor_id: int, site_id: int, status: str = "checked_in",
               checked_in_at: datetime | None = None) -> int:
    at = checked_in_at or datetime.now(timezone.utc)
    return _insert(database, Visit(donor_id=donor_id, site_id=site_id, status=status,
                                   checked_in_at=at, checked_in_by="clerk.bob"))


def make_donation(database, *, donor_id: int, site_id: int, on: date, kind: str = "whole_blood") -> int:
    """A past collection, with the closed visit it belongs to."""
    at = datetime(on.year, on.month, on.day, 10, 0, tzinfo=timezone.utc)
    visit_id = make_visit(database, donor_id=donor_id, site_id=site_id, status="collected", checked_in_at=at)
    serial = next(_numbers)
    return _insert(database, Donation(
        din=f"A9999{on.year % 100:02d}{serial:06d}", facility_code="A9999", din_year=on.year, serial=serial,
        visit_id=visit_id, donor_id=donor_id, site_id=site_id, kind=kind, bag_type="triple",
        bag_lot="L1", phlebotomist="nurse.eve", volume_ml=470, started_at=at, ended_at=at, status="complete",
    ))


def make_deferral(database, *, donor_id: int, code: str = "low_hemoglobin", kind: str = "temporary",
                  starts_on: date, ends_on: date | None = None, reason: str = "") -> int:
    return _insert(database, Deferral(donor_id=donor_id, code=code, kind=kind, starts_on=starts_on,
                                      ends_on=ends_on, reason=reason, decided_by="dr.kim"))


def get(database, model, row_id):
    with database.sessions() as session:
        return session.get(model, row_id)


def counts(database) -> dict[str, int]:
    """Rows in every table a visit step can write: compared before and after a refusal."""
    tables = {"visit": Visit, "consent": Consent, "deferral": Deferral, "confidential_answer": ConfidentialAnswer,
              "appointment": Appointment, "audit": AuditEntry}
    with database.sessions() as session:
        return {name: session.execute(select(func.count()).select_from(model)).scalar_one()
                for name, model in tables.items()}


def audit_entries(database, **filters) -> list[AuditEntry]:
    with database.sessions() as session:
        stmt = select(AuditEntry).filter_by(**filters).order_by(AuditEntry.id)
        return list(session.execute(stmt).scalars())


FROZEN_AT = datetime(2026, 3, 10, 9, 30, tzinfo=timezone.utc)
TODAY = FROZEN_AT.date()


def all_clear(**overrides) -> dict:
    """Answers that declare nothing; override one question to declare it."""
    return {**{q.id: ("no" if q.defers_on else "yes") for q in questions()}, **overrides}


def screen(database, visit_id: int, answers: dict | None = None, *, reasons: bool = True, **measurements):
    """Screen as someone granted the reasons (the use case's own tests); `reasons=False` as a clerk would."""
    return record_screening(clerk(database, "nurse.eve"), visit_id=visit_id,
                            answers=all_clear() if answers is None else answers,
                            **{**HEALTHY, **measurements}, reasons=reasons)


def consented_visit(database, **donor_fields) -> tuple[int, int, int]:
    """(site, donor, visit) through the real check-in, screening and consent."""
    site, donor = make_site(database), make_donor(database, **donor_fields)
    visit = check_in(clerk(database), donor_id=donor, site_id=site).id
    screen(database, visit)
    give_consent(clerk(database), visit_id=visit, text_version=get_settings().consent_text_version,
                 confirmed_by_donor=True)
    return site, donor, visit
