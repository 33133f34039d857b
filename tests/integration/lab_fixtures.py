"""Donations and their units, inserted directly as rows, for the lab's tests.

A donation comes with its visit and the donor's consent; its units are
quarantined, labelled and verified unless a test says otherwise, so each test
changes only the one thing it is about.
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import count

from sqlalchemy import func, select

from bloodbank.adapters.db.database import Database
from bloodbank.adapters.db.models import (
    AuditEntry, ConfidentialAnswer, Consent, Donation, Donor, DonorFollowUp, Site, TestResult, Unit, UnitEvent,
    UnitParent, Visit,
)
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.isbt128 import default_product_table, make_din
from bloodbank.domain.lab_tests import DEFAULT_PANEL
from bloodbank.domain.second_entry import ANALYSER
from bloodbank.service_layer.blood.testing import record_result
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

FACILITY = "G1234"
_numbers = count(1)


def lab(database: Database, actor: str = "lab.lee") -> UnitOfWork:
    return UnitOfWork(database, actor=actor)


def insert(database: Database, row) -> int:
    with database.sessions() as session, session.begin():
        session.add(row)
        session.flush()
        return row.id


def get(database: Database, model, row_id: int):
    with database.sessions() as session:
        return session.get(model, row_id)


def make_site(database: Database, *, panel: list[str] | None = None) -> int:
    n = next(_numbers)
    site = Site(code=f"L{n}", name=f"Lab {n}", facility_code=FACILITY, time_zone="UTC")
    if panel is not None:
        site.test_panel = panel
    return insert(database, site)


def make_donor(database: Database, *, blood_group: str | None = None, confirmed: bool | None = None) -> int:
    """A repeat donor; a group given here is one the laboratory typed before, unless `confirmed=False`."""
    n = next(_numbers)
    return insert(database, Donor(donor_number=f"L{n:06d}", given_name="Mary", family_name=f"Seacole{n}",
                                  date_of_birth=date(1985, 3, 1), sex="F", blood_group=blood_group,
                                  blood_group_confirmed=blood_group is not None if confirmed is None else confirmed))


def make_donation(database: Database, *, site_id: int, donor_id: int | None = None, consent: bool = True,
                  consent_withdrawn: bool = False, volume_flag: str | None = None) -> int:
    donor_id = donor_id or make_donor(database)
    serial = next(_numbers)
    now = utcnow()
    with database.sessions() as session, session.begin():
        visit = Visit(donor_id=donor_id, site_id=site_id, status="collected", checked_in_at=now - timedelta(hours=2),
                      checked_in_by="clerk.bea", eligible=True)
        session.add(visit)
        session.flush()
        if consent:
            session.add(Consent(visit_id=visit.id, donor_id=donor_id, text_version="2026-01",
                                given_at=now - timedelta(hours=1), recorded_by="nurse.cai",
                                withdrawn_at=now if consent_withdrawn else None))
        donation = Donation(
            din=str(make_din(FACILITY, 26, serial)), facility_code=FACILITY, din_year=26, serial=serial,
            visit_id=visit.id, donor_id=donor_id, site_id=site_id, kind="whole_blood", bag_type="quad",
            bag_lot="LOT1", phlebotomist="nurse.cai", volume_ml=470, volume_flag=volume_flag,
            started_at=now - timedelta(minutes=50), ended_at=now - timedelta(minutes=40), status="complete",
        )
        session.add(donation)
        session.flush()
        return donation.id


def visit_of(database: Database, donation_id: int) -> int:
    return get(database, Donation, donation_id).visit_id


def donor_of(database: Database, donation_id: int) -> int:
    return get(database, Donation, donation_id).donor_id


def make_unit(database: Database, *, donation_id: int | None, site_id: int, kind: str = "red_cells",
              status: str = "quarantined", blood_group: str | None = "A+", label_verified: bool = True,
              expires_in: timedelta = timedelta(days=35), din: str | None = None, division: str = "00") -> int:
    now = utcnow()
    if din is None:
        din = get(database, Donation, donation_id).din if donation_id else str(make_din(FACILITY, 26, next(_numbers)))
    code = default_product_table().of_kind(kind)[0].code
    return insert(database, Unit(
        din=din, product_code=code, division=division, kind=kind, donation_id=donation_id, blood_group=blood_group,
        status=status, volume_ml=280, collected_at=now - timedelta(hours=1), expires_at=now + expires_in,
        site_id=site_id, label_printed_at=now if label_verified else None,
        label_verified_at=now if label_verified else None, label_verified_by="lab.kim" if label_verified else None,
    ))


def make_pool(database: Database, *, parents: list[int], site_id: int, kind: str = "platelets_pooled",
              status: str = "quarantined", blood_group: str | None = None) -> int:
    pool = make_unit(database, donation_id=None, site_id=site_id, kind=kind, status=status,
                     blood_group=blood_group, expires_in=timedelta(days=5))
    with database.sessions() as session, session.begin():
        for parent in parents:
            session.add(UnitParent(child_id=pool, parent_id=parent))
    return pool


def pass_all_tests(database: Database, donation_id: int, *, group: str = "A+",
                   panel: tuple[str, ...] = DEFAULT_PANEL, skip: tuple[str, ...] = ()) -> None:
    """Record a final typing and a final negative for every marker of the panel, as an analyser's file would."""
    if "abo_rh" not in skip:
        record_result(lab(database), donation_id=donation_id, test="abo_rh", outcome="typed", value=group,
                      source=ANALYSER)
    for marker in panel:
        if marker not in skip:
            record_result(lab(database), donation_id=donation_id, test=marker, outcome="negative", source=ANALYSER)


def self_exclude(database: Database, donation_id: int) -> None:
    insert(database, ConfidentialAnswer(visit_id=visit_of(database, donation_id), recorded_at=utcnow(), answer="not"))


def status_of(database: Database, unit_id: int) -> str:
    return get(database, Unit, unit_id).status


def counts(database: Database) -> dict[str, object]:
    """What a refusal must leave untouched."""
    with database.sessions() as session:
        def n(model):
            return session.scalar(select(func.count()).select_from(model))
        return {
            "audit": n(AuditEntry), "results": n(TestResult), "events": n(UnitEvent), "follow_ups": n(DonorFollowUp),
            "units": sorted(tuple(r) for r in session.execute(
                select(Unit.id, Unit.status, Unit.blood_group, Unit.discard_reason, Unit.released_at))),
            "donors": sorted(tuple(r) for r in session.execute(
                select(Donor.id, Donor.blood_group, Donor.group_discrepancy))),
        }


def audit_entries(database: Database, entity: str | None = None) -> list[AuditEntry]:
    with database.sessions() as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if entity is not None:
            query = query.where(AuditEntry.entity == entity)
        return list(session.execute(query).scalars())


def follow_ups(database: Database) -> list[DonorFollowUp]:
    with database.sessions() as session:
        return list(session.execute(select(DonorFollowUp).order_by(DonorFollowUp.id)).scalars())


def unit_events(database: Database, unit_id: int) -> list[UnitEvent]:
    with database.sessions() as session:
        return list(session.execute(select(UnitEvent).where(UnitEvent.unit_id == unit_id)
                                    .order_by(UnitEvent.id)).scalars())
