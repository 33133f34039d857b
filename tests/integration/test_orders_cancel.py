from __future__ import annotations

import pytest
from sqlalchemy import select

from bloodbank.adapters.db.models import Order, Reservation, Unit, UnitEvent
from bloodbank.domain.errors import InvalidInput, InvalidTransition, NotFound
from bloodbank.service_layer.hospital.orders import cancel_order, get_order
from tests.integration.patient_fixtures import (
    audit_count, clerk, count_rows, make_hospital, make_order, make_patient, make_reservation, make_unit,
)


def setup(database, *, status="allocated"):
    hospital = make_hospital(database)
    patient = make_patient(database, ("mrn", "RXH:1"))
    order = make_order(database, hospital, patient, status=status)
    return hospital, patient, order


def test_cancelling_an_order_releases_its_reservations_and_makes_the_units_available(database):
    _, _, order = setup(database)
    reserved = [make_unit(database, status="reserved") for _ in range(2)]
    for unit in reserved:
        make_reservation(database, order, unit)
    cancelled = cancel_order(clerk(database, "bms.lee"), order_id=order, reason="surgery postponed")
    assert (cancelled.status, cancelled.reserved_unit_ids) == ("cancelled", ())
    with database.sessions() as session:
        units = session.execute(select(Unit).where(Unit.id.in_(reserved))).scalars().all()
        assert {u.status for u in units} == {"available"}
        reservations = session.execute(select(Reservation)).scalars().all()
        assert all(r.released_at is not None and r.released_by == "bms.lee" for r in reservations)
        assert all("surgery postponed" in r.release_reason for r in reservations)
        events = session.execute(select(UnitEvent.event, UnitEvent.to_status)).all()
    assert sorted(events) == [("reservation_released", "available")] * 2


def test_an_issued_unit_keeps_its_reservation_when_the_rest_is_cancelled(database):
    _, _, order = setup(database, status="issued")
    issued, waiting = make_unit(database, status="issued"), make_unit(database, status="reserved")
    make_reservation(database, order, issued)
    make_reservation(database, order, waiting)
    cancel_order(clerk(database), order_id=order, reason="bleeding stopped")
    with database.sessions() as session:
        live = session.execute(select(Reservation.unit_id).where(Reservation.released_at.is_(None))).scalars().all()
        assert live == [issued]
        assert session.get(Unit, issued).status == "issued"
        assert session.get(Unit, waiting).status == "available"


def test_a_released_reservation_is_left_alone(database):
    _, _, order = setup(database)
    unit = make_unit(database, status="available")
    make_reservation(database, order, unit, released=True)
    cancel_order(clerk(database), order_id=order, reason="not needed")
    with database.sessions() as session:
        assert session.get(Unit, unit).status == "available"
    assert count_rows(database, UnitEvent) == 0


def test_a_finished_order_cannot_be_cancelled_and_nothing_changes(database):
    _, _, order = setup(database, status="fulfilled")
    unit = make_unit(database, status="reserved")
    make_reservation(database, order, unit)
    before = audit_count(database)
    with pytest.raises(InvalidTransition, match="fulfilled cannot become cancelled"):
        cancel_order(clerk(database), order_id=order, reason="late")
    with database.sessions() as session:
        assert session.get(Order, order).status == "fulfilled"
        assert session.get(Unit, unit).status == "reserved"
        assert session.execute(select(Reservation.released_at)).scalar() is None
    assert audit_count(database) == before


def test_a_cancel_needs_a_reason_and_an_existing_order(database):
    _, _, order = setup(database)
    with pytest.raises(InvalidInput, match="reason for cancelling"):
        cancel_order(clerk(database), order_id=order, reason=" ")
    with pytest.raises(NotFound, match="no order 999"):
        cancel_order(clerk(database), order_id=999, reason="x")
    assert get_order(clerk(database), order).status == "allocated"


def test_a_cancelled_order_is_audited_with_the_units_released(database):
    _, _, order = setup(database)
    unit = make_unit(database, status="reserved")
    make_reservation(database, order, unit)
    before = audit_count(database)
    cancel_order(clerk(database), order_id=order, reason="patient died")
    # status change, unit move, release summary
    assert audit_count(database) == before + 3
