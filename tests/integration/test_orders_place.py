from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from bloodbank.adapters.db.models import Order
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from bloodbank.service_layer.hospital.orders import get_order, list_orders, load_order, place_order, set_order_status
from tests.integration.patient_fixtures import (
    audit_count, clerk, count_rows, make_hospital, make_order, make_patient, make_site,
)


def order(database, **fields):
    return place_order(clerk(database, "dr.who"), **{
        "kind": "red_cells", "quantity": 2, "needed_by": utcnow() + timedelta(hours=6), "urgency": "urgent",
        **fields})


def test_an_order_for_a_patient_is_placed_open_and_audited(database):
    hospital = make_hospital(database)
    patient = make_patient(database, ("mrn", "RXH:1"))
    before = audit_count(database)
    placed = order(database, hospital_id=hospital, patient_id=patient, kind="Red cells", note=" theatre 3 ")
    assert (placed.status, placed.kind, placed.patient_id, placed.ordered_by) == ("open", "red_cells", patient,
                                                                                  "dr.who")
    assert (placed.note, placed.for_stock, placed.reserved_unit_ids) == ("theatre 3", False, ())
    assert get_order(clerk(database), placed.id) == placed
    assert audit_count(database) == before + 1


def test_an_order_under_a_merged_record_goes_to_the_survivor(database):
    hospital = make_hospital(database)
    survivor = make_patient(database, ("mrn", "RXH:1"))
    merged = make_patient(database, ("emergency", "EM-2026-0001"), merged_into_id=survivor)
    assert order(database, hospital_id=hospital, patient_id=merged).patient_id == survivor


def test_a_stock_order_names_no_patient(database):
    hospital = make_hospital(database)
    placed = order(database, hospital_id=hospital, for_stock=True, urgency="routine", quantity=20)
    assert placed.for_stock and placed.patient_id is None


@pytest.mark.parametrize(("fields", "message"), [
    ({"needed_by": utcnow() - timedelta(minutes=1)}, "already passed"),
    ({"needed_by": utcnow() + timedelta(days=400)}, "more than 90 days"),
    ({"needed_by": "tomorrow at ten"}, "date and time the blood is needed"),
    ({"quantity": 0}, "between 1 and 50"), ({"quantity": 51}, "between 1 and 50"),
    ({"kind": "granulocytes"}, "not a component that can be ordered"),
    ({"urgency": "asap"}, "not an urgency"),
    ({"patient_id": None}, "Name the patient"),
    ({"for_stock": True}, "leave the patient out"),
    ({"note": "x" * 1001}, "at most 1000"),
])
def test_an_invalid_order_is_refused_with_nothing_written(database, fields, message):
    hospital = make_hospital(database)
    patient = make_patient(database, ("mrn", "RXH:1"))
    before = audit_count(database)
    with pytest.raises(InvalidInput, match=message):
        order(database, **{"hospital_id": hospital, "patient_id": patient, **fields})
    assert count_rows(database, Order) == 0
    assert audit_count(database) == before


def test_a_time_needed_without_a_zone_is_read_on_the_hospitals_own_clock(database):
    hospital = make_hospital(database, time_zone="Asia/Damascus")
    with time_machine.travel(datetime(2026, 12, 4, 6, 0, tzinfo=timezone.utc), tick=False):
        placed = order(database, hospital_id=hospital, for_stock=True, needed_by=datetime(2026, 12, 4, 14, 0))
    # 14:00 in Damascus (UTC+3 all year) is 11:00 UTC.
    assert placed.needed_by == datetime(2026, 12, 4, 11, 0, tzinfo=timezone.utc)


def test_a_hospital_without_a_zone_keeps_the_clock_of_the_site_that_serves_it(database):
    hospital = make_hospital(database, site_id=make_site(database, time_zone="America/New_York"))
    with time_machine.travel(datetime(2026, 12, 4, 6, 0, tzinfo=timezone.utc), tick=False):
        placed = order(database, hospital_id=hospital, for_stock=True, needed_by=datetime(2026, 12, 4, 14, 0))
    assert placed.needed_by == datetime(2026, 12, 4, 19, 0, tzinfo=timezone.utc)


def test_a_time_needed_that_the_clocks_skip_is_refused_with_nothing_written(database):
    hospital = make_hospital(database, time_zone="Europe/London")
    with time_machine.travel(datetime(2027, 3, 27, 12, 0, tzinfo=timezone.utc), tick=False):
        with pytest.raises(InvalidInput, match="01:30 on 2027-03-28 does not exist on the hospital's clock"):
            order(database, hospital_id=hospital, for_stock=True, needed_by=datetime(2027, 3, 28, 1, 30))
    assert count_rows(database, Order) == 0


def test_an_order_for_an_unknown_hospital_or_patient_is_refused(database):
    hospital = make_hospital(database)
    with pytest.raises(NotFound, match="no hospital 999"):
        order(database, hospital_id=999, for_stock=True)
    with pytest.raises(NotFound, match="no patient record 999"):
        order(database, hospital_id=hospital, patient_id=999)
    assert count_rows(database, Order) == 0


def test_orders_are_listed_soonest_needed_first_and_filtered(database):
    first, second = make_hospital(database), make_hospital(database)
    later = order(database, hospital_id=first, for_stock=True, needed_by=utcnow() + timedelta(days=2))
    sooner = order(database, hospital_id=first, for_stock=True, needed_by=utcnow() + timedelta(hours=1))
    elsewhere = order(database, hospital_id=second, for_stock=True)
    assert [o.id for o in list_orders(clerk(database), hospital_id=first)] == [sooner.id, later.id]
    assert [o.id for o in list_orders(clerk(database), limit=1, offset=1)] == [elsewhere.id]
    assert list_orders(clerk(database), status="cancelled") == []
    with pytest.raises(InvalidInput, match="not an order status"):
        list_orders(clerk(database), status="lost")
    with pytest.raises(InvalidInput, match="between 1 and 500"):
        list_orders(clerk(database), limit=0)


def test_an_unknown_order_is_not_found(database):
    with pytest.raises(NotFound, match="no order 42"):
        get_order(clerk(database), 42)


def test_the_order_status_moves_along_the_table_audited(database):
    hospital = make_hospital(database)
    order_id = make_order(database, hospital, None)
    uow = clerk(database)
    with uow:
        row = load_order(uow.session, order_id, lock=True)
        assert set_order_status(uow, row, "allocated", reason="2 units reserved") == "allocated"
        assert set_order_status(uow, row, "allocated") == "allocated"  # no change, no entry
        uow.commit()
    assert get_order(clerk(database), order_id).status == "allocated"
    before = audit_count(database)
    with uow, pytest.raises(InvalidTransition, match="allocated cannot become fulfilled"):
        set_order_status(uow, load_order(uow.session, order_id), "fulfilled")
    assert audit_count(database) == before


def test_a_status_change_on_a_stale_order_is_refused(database):
    hospital = make_hospital(database)
    order_id = make_order(database, hospital, None)
    with database.sessions() as reader:
        stale = load_order(reader, order_id)  # read as open, then someone else cancels it
        reader.expunge(stale)
    with database.sessions() as other, other.begin():
        other.get(Order, order_id).status = "cancelled"
    uow = clerk(database)
    with uow, pytest.raises(Conflict, match="changed by someone else"):
        set_order_status(uow, stale, "allocated")
    assert get_order(clerk(database), order_id).status == "cancelled"
