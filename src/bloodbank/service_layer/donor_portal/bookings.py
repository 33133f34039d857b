"""A donor books, moves and cancels their own appointments: the desk's use cases, the desk's checks.

An appointment that is not the donor's own is "not found", worded as one that
does not exist, so an id tried at random tells nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from bloodbank.adapters.db.models import Appointment, Site
from bloodbank.domain.errors import NotFound
from bloodbank.service_layer.donors import appointments
from bloodbank.service_layer.donors.appointments import AppointmentView, SlotView
from bloodbank.service_layer.donors.deferral_lookup import donor_ids_of_person
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class MyAppointment:
    """An appointment as its donor reads it: no staff member's name."""

    id: int
    site_id: int
    site_code: str
    starts_at: datetime  # aware, on the site's clock
    kind: str
    status: str


def mine(view: AppointmentView) -> MyAppointment:
    return MyAppointment(view.id, view.site_id, view.site_code, view.starts_at, view.kind, view.status)


def _ensure_own(uow: UnitOfWork, donor_id: int, appointment_id: int) -> None:
    owner = uow.session.execute(select(Appointment.donor_id).where(Appointment.id == appointment_id)).scalar()
    if owner is None or owner not in donor_ids_of_person(uow.session, donor_id):
        raise NotFound(f"No appointment with id {appointment_id}.")


def slots(uow: UnitOfWork, *, site_id: int, on: date) -> list[SlotView]:
    return appointments.available_slots(uow, site_id=site_id, on=on)


def book(uow: UnitOfWork, *, donor_id: int, site_id: int, starts_at: datetime, kind: str) -> MyAppointment:
    return mine(appointments.book(uow, donor_id=donor_id, site_id=site_id, starts_at=starts_at, kind=kind))


def cancel(uow: UnitOfWork, *, donor_id: int, appointment_id: int) -> MyAppointment:
    with uow:
        _ensure_own(uow, donor_id, appointment_id)
        result = appointments.cancel_within(uow, appointment_id=appointment_id, reason="cancelled by the donor")
        uow.commit()
        return mine(result)


def move(uow: UnitOfWork, *, donor_id: int, appointment_id: int, site_id: int, starts_at: datetime,
         kind: str) -> MyAppointment:
    """The old chair is given back and the new one taken in one transaction: a refused move keeps the booking."""
    with uow:
        _ensure_own(uow, donor_id, appointment_id)
        appointments.cancel_within(uow, appointment_id=appointment_id, reason="moved by the donor")
        result = appointments.book_within(uow, donor_id=donor_id, site_id=site_id, starts_at=starts_at, kind=kind)
        uow.commit()
        return mine(result)


def open_sites(uow: UnitOfWork) -> list[tuple[int, str]]:
    """The sites a donor may book at: (id, name), open ones only."""
    with uow:
        return [(row.id, row.name) for row in uow.session.execute(
            select(Site).where(Site.active.is_(True)).order_by(Site.name)).scalars()]
