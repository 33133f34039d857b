"""Live figures for the home page, and whole-database counts for bulk jobs."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from bloodbank.adapters.db.models import (
    Appointment, Order, Patient, PatientSample, RegisterTally, Site, Transfer, Unit,
)
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.service_layer.field import recipient_follow_ups
from bloodbank.service_layer.hospital.scope import hospitals_visible
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Overview:
    sites: int
    donors: int
    donations: int
    upcoming_appointments: int
    donors_by_group: dict[str, int]
    units_available: int = 0
    units_quarantined: int = 0
    open_orders: int = 0
    # Patients who received an emergency donation later found reactive, not yet followed up.
    recipient_follow_ups: int = 0


GROUP = "donors:"


def overview(uow: UnitOfWork) -> Overview:
    with uow:
        s = uow.session
        count = lambda stmt: s.execute(stmt).scalar_one()  # noqa: E731
        # The register's counts are kept by the database as donors and donations are written (RegisterTally):
        # counting a national register on each view of the home page would grow with it.
        kept = dict(s.execute(select(RegisterTally.name, RegisterTally.count)).all())
        by_group = {name.removeprefix(GROUP): number for name, number in kept.items()
                    if name.startswith(GROUP) and number}
        return Overview(
            sites=count(select(func.count()).select_from(Site).where(Site.active)),
            donors=kept.get("donors", 0),
            donations=kept.get("donations", 0),
            upcoming_appointments=count(
                select(func.count()).select_from(Appointment)
                .where(Appointment.status == "booked", Appointment.starts_at >= utcnow())
            ),
            donors_by_group=by_group,
            units_available=count(select(func.count()).select_from(Unit).where(Unit.status == "available")),
            units_quarantined=count(select(func.count()).select_from(Unit).where(Unit.status == "quarantined")),
            # The caller's hospitals' orders: a ward's figure is its own.
            open_orders=count(select(func.count()).select_from(Order).where(
                Order.status == "open", hospitals_visible(uow.scope, Order.hospital_id))),
            recipient_follow_ups=recipient_follow_ups.open_count(s, uow.scope),
        )


@dataclass(frozen=True)
class Tally:
    """Counts over the whole database: for a bulk job's summary, and to number what it adds after what is there."""

    units_by_status: dict[str, int]
    orders_by_status: dict[str, int]
    transfers_in_transit: int
    patient_records: int  # merged-away records included: a count that never goes down
    patient_samples: int


def tally(uow: UnitOfWork) -> Tally:
    with uow:
        s = uow.session
        return Tally(
            units_by_status=dict(s.execute(select(Unit.status, func.count()).group_by(Unit.status)).all()),
            orders_by_status=dict(s.execute(select(Order.status, func.count()).group_by(Order.status)).all()),
            transfers_in_transit=s.scalar(select(func.count()).select_from(Transfer)
                                          .where(Transfer.status == "dispatched")),
            patient_records=s.scalar(select(func.count()).select_from(Patient)),
            patient_samples=s.scalar(select(func.count()).select_from(PatientSample)),
        )
