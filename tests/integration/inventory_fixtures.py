"""Sites, units, issues and reservations for inventory tests, inserted directly as rows."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count

from sqlalchemy import func, select

from bloodbank.adapters.db.database import Database
from bloodbank.adapters.db.models import (
    AuditEntry, ExcursionUnit, Hospital, Issue, Order, Patient, Reservation, Site, TemperatureExcursion,
    Transfer, TransferItem, Unit, UnitEvent,
)
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.isbt128 import make_din
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

FACILITY = "G1234"
PRODUCT = {"red_cells": "E0001", "plasma": "E0002", "platelets_apheresis": "E0003",
           "platelets_pooled": "E0004", "whole_blood": "E0005", "ltowb": "E0006", "cryo": "E0007"}
_numbers = count(1)


def clerk(database: Database, actor: str = "clerk.ann") -> UnitOfWork:
    return UnitOfWork(database, actor=actor)


def insert(database: Database, row) -> int:
    with database.sessions() as session, session.begin():
        session.add(row)
        session.flush()
        return row.id


def make_site(database: Database, *, code: str | None = None, rule_set: str = "eu", time_zone: str = "UTC") -> int:
    n = next(_numbers)
    return insert(database, Site(code=code or f"INV{n}", name=f"Blood bank {n}", facility_code=FACILITY,
                                 rule_set=rule_set, time_zone=time_zone))


def make_unit(database: Database, *, site_id: int | None, kind: str = "red_cells", group: str | None = "O+",
              status: str = "available", location: str = "fridge 1", age_days: int = 3,
              expires_in: timedelta = timedelta(days=20), din: str | None = None) -> int:
    now = utcnow()
    return insert(database, Unit(
        din=din or str(make_din(FACILITY, 26, next(_numbers))), product_code=PRODUCT[kind], division="00",
        kind=kind, blood_group=group, status=status, volume_ml=280, collected_at=now - timedelta(days=age_days),
        expires_at=now + expires_in, site_id=site_id, storage_location=location,
    ))


def _patient(database: Database) -> int:
    return insert(database, Patient(given_name="Mary", family_name="Example", sex="F"))


def make_issue(database: Database, unit_id: int, *, days_ago: float = 1) -> int:
    """An issue of an (already issued) unit `days_ago` days back."""
    return insert(database, Issue(
        unit_id=unit_id, patient_id=_patient(database), issued_at=utcnow() - timedelta(days=days_ago),
        issued_by="bms.lee", scanned_unit="=G1234", scanned_patient="mrn:1"))


def make_reservation(database: Database, unit_id: int, *, site_id: int) -> int:
    n = next(_numbers)
    hospital = insert(database, Hospital(code=f"H{n}", name=f"Hospital {n}", site_id=site_id))
    order = insert(database, Order(hospital_id=hospital, patient_id=_patient(database), kind="red_cells",
                                   quantity=1, needed_by=utcnow() + timedelta(hours=4), ordered_by="dr.who"))
    return insert(database, Reservation(order_id=order, unit_id=unit_id, reserved_at=utcnow(),
                                        reserved_by="bms.lee"))


def unit(database: Database, unit_id: int) -> Unit:
    with database.sessions() as session:
        row = session.get(Unit, unit_id)
        session.expunge(row)
        return row


def reservation(database: Database, reservation_id: int) -> Reservation:
    with database.sessions() as session:
        row = session.get(Reservation, reservation_id)
        session.expunge(row)
        return row


def events(database: Database, unit_id: int) -> list[tuple[str, str | None, str | None]]:
    with database.sessions() as session:
        return [(e.event, e.from_status, e.to_status) for e in session.execute(
            select(UnitEvent).where(UnitEvent.unit_id == unit_id).order_by(UnitEvent.id)).scalars()]


def counts(database: Database) -> dict[str, object]:
    """What a refused use case must leave untouched."""
    with database.sessions() as session:
        def n(model) -> int:
            return session.scalar(select(func.count()).select_from(model))
        return {
            "units": sorted(tuple(r) for r in session.execute(
                select(Unit.id, Unit.status, Unit.site_id, Unit.storage_location))),
            "live_reservations": session.scalar(select(func.count()).select_from(Reservation)
                                                .where(Reservation.released_at.is_(None))),
            "transfers": sorted(tuple(r) for r in session.execute(select(Transfer.id, Transfer.status))),
            "transfer_items": sorted(tuple(r) for r in session.execute(
                select(TransferItem.transfer_id, TransferItem.unit_id, TransferItem.received_ok))),
            "excursions": n(TemperatureExcursion), "excursion_units": n(ExcursionUnit),
            "events": n(UnitEvent), "audit": n(AuditEntry),
        }


def audit_actions(database: Database) -> list[str]:
    with database.sessions() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def hours_ago(hours: float) -> datetime:
    return utcnow() - timedelta(hours=hours)
