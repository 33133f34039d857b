"""Two clerks reaching for the last O-negative unit at the same moment (hazard 17)."""

import threading
from datetime import timedelta

import pytest

from bloodbank.adapters.db.models import Reservation
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.errors import Conflict
from bloodbank.service_layer.hospital.allocation import AllocationView, allocate, reserve_unit
from tests.integration.issue_fixtures import (
    clerk, counts, insert, live_reservations, make_order, make_patient, make_unit, make_ward, snapshot, unit_status,
)


def race(database, call, orders):
    """Run `call(uow, order_id)` for each order in its own thread, all released at once."""
    barrier = threading.Barrier(len(orders))
    results: dict[int, object] = {}

    def worker(order_id, actor):
        uow = clerk(database, actor)
        barrier.wait()
        try:
            results[order_id] = call(uow, order_id)
        except Exception as error:  # the test inspects whatever happened
            results[order_id] = error

    threads = [threading.Thread(target=worker, args=(order, f"clerk.{n}")) for n, order in enumerate(orders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a clerk was left waiting forever"
    return [results[order] for order in orders]


def two_orders_for_the_last_o_negative_unit(database):
    ward = make_ward(database)
    unit = make_unit(database, ward.site, "O-")
    orders = [make_order(database, ward.hospital, make_patient(database, group="O-").id) for _ in range(2)]
    return unit, orders


def _won(result) -> bool:
    return isinstance(result, AllocationView) and len(result.reserved) == 1


def _lost(result) -> bool:
    if isinstance(result, Conflict):
        return "just reserved by someone else" in result.message
    return isinstance(result, AllocationView) and result.reserved == () and result.shortfall == 1


@pytest.mark.parametrize("attempt", range(3))
def test_two_clerks_allocating_the_last_o_negative_unit_at_once_exactly_one_gets_it(database, attempt):
    unit, orders = two_orders_for_the_last_o_negative_unit(database)

    results = race(database, lambda uow, order: allocate(uow, order_id=order), orders)

    assert sorted([_won(r) for r in results]) == [False, True], results
    assert all(_won(r) or _lost(r) for r in results), results
    assert unit_status(database, unit) == "reserved"
    assert len(live_reservations(database, unit)) == 1
    assert counts(database)["Reservation"] == 1


@pytest.mark.parametrize("attempt", range(3))
def test_two_clerks_reserving_the_same_unit_by_hand_at_once_exactly_one_gets_it(database, attempt):
    unit, orders = two_orders_for_the_last_o_negative_unit(database)

    results = race(database, lambda uow, order: reserve_unit(uow, order_id=order, unit_id=unit), orders)

    assert sorted([_won(r) for r in results]) == [False, True], results
    loser = next(r for r in results if not _won(r))
    assert isinstance(loser, Conflict) and "just reserved by someone else" in loser.message
    assert len(live_reservations(database, unit)) == 1


def test_when_one_unit_of_an_allocation_is_taken_nothing_is_half_reserved(database):
    ward = make_ward(database)
    patient = make_patient(database, group="A+")
    first = make_unit(database, ward.site, "A+", expires_in=timedelta(days=2))
    second = make_unit(database, ward.site, "A+")
    other_order = make_order(database, ward.hospital, patient.id)
    # Another clerk's hold on the second unit was written, but its status not yet seen as changed:
    # the one-live-reservation-per-unit index is the last guard.
    insert(database, Reservation(order_id=other_order, unit_id=second, reserved_at=utcnow(), reserved_by="clerk.bob"))
    order = make_order(database, ward.hospital, patient.id, quantity=2)
    before = snapshot(database)

    with pytest.raises(Conflict, match="was just reserved by someone else; allocate again"):
        allocate(clerk(database), order_id=order)

    assert snapshot(database) == before
    assert unit_status(database, first) == "available"
