from datetime import timedelta

import pytest

from bloodbank.adapters.db.models import Order, Reservation, UnitEvent
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.service_layer.hospital.allocation import allocate, get_allocation, release_reservation, reserve_unit
from tests.integration.issue_fixtures import (
    add_requirement, audit_actions, clerk, get, live_reservations, make_order, make_patient, make_site, make_unit, make_ward,
    snapshot, unit_status,
)


def test_allocation_reserves_abo_identical_units_first_expiring_first(database):
    ward = make_ward(database)
    patient = make_patient(database, group="A+")
    o_pos = make_unit(database, ward.site, "O+", expires_in=timedelta(days=2))
    late = make_unit(database, ward.site, "A+", expires_in=timedelta(days=20))
    soon = make_unit(database, ward.site, "A+", expires_in=timedelta(days=5))
    order = make_order(database, ward.hospital, patient.id, quantity=2)

    view = allocate(clerk(database), order_id=order)

    assert [r.unit_id for r in view.reserved] == [soon, late]
    assert view.order_status == "allocated" and view.shortfall == 0 and view.notes == ()
    assert {unit_status(database, u) for u in (soon, late)} == {"reserved"}
    assert unit_status(database, o_pos) == "available"
    assert get(database, Order, order).status == "allocated"
    assert audit_actions(database).count("reserved") == 2 and "status" in audit_actions(database)
    assert all(r.reserved_by == "clerk.ann" for r in view.reserved)


def test_a_shortfall_reserves_what_there_is_and_leaves_the_order_open(database):
    ward = make_ward(database)
    patient = make_patient(database, group="B+")
    unit = make_unit(database, ward.site, "B+")
    make_unit(database, ward.site, "A+")
    order = make_order(database, ward.hospital, patient.id, quantity=3)

    view = allocate(clerk(database), order_id=order)

    assert [r.unit_id for r in view.reserved] == [unit] and view.shortfall == 2
    assert view.order_status == "open" and "2 short" in view.notes[-1]
    again = allocate(clerk(database), order_id=order)  # nothing new in stock: nothing more held
    assert len(again.reserved) == 1 and again.shortfall == 2


def test_an_o_negative_unit_for_an_a_positive_patient_is_the_last_resort_and_noted(database):
    ward = make_ward(database)
    patient = make_patient(database, group="A+")
    o_neg = make_unit(database, ward.site, "O-", expires_in=timedelta(days=1))
    a_pos = make_unit(database, ward.site, "A+", expires_in=timedelta(days=9))
    order = make_order(database, ward.hospital, patient.id, quantity=2)

    view = allocate(clerk(database), order_id=order)

    assert [r.unit_id for r in view.reserved] == [a_pos, o_neg]
    note = "O-negative unit used for an A+ patient: no other compatible unit in stock."
    assert note in view.notes
    assert [r.note for r in view.reserved] == ["", note]


def test_a_patient_with_one_grouping_gets_group_o_only(database):
    ward = make_ward(database)
    woman = make_patient(database, group="A+", samples=1, sex="F", date_of_birth=None)
    make_unit(database, ward.site, "A+")
    make_unit(database, ward.site, "O+")
    o_neg = make_unit(database, ward.site, "O-")
    order = make_order(database, ward.hospital, woman.id, quantity=3)

    view = allocate(clerk(database), order_id=order)

    assert [r.unit_id for r in view.reserved] == [o_neg] and view.shortfall == 2
    assert any("one sample only" in n for n in view.notes)


def test_units_of_another_blood_bank_expired_or_expiring_too_soon_are_not_used(database):
    ward, elsewhere = make_ward(database), make_site(database)
    patient = make_patient(database, group="O+")
    make_unit(database, elsewhere, "O+")
    make_unit(database, ward.site, "O+", expires_in=timedelta(hours=2))  # needed in 4 hours
    make_unit(database, ward.site, "O+", status="quarantined")
    order = make_order(database, ward.hospital, patient.id, needed_in=timedelta(hours=4))
    before = snapshot(database)

    view = allocate(clerk(database), order_id=order)

    assert view.reserved == () and view.shortfall == 1 and view.order_status == "open"
    assert snapshot(database) == before


def test_a_flag_on_a_merged_record_still_applies(database):
    ward = make_ward(database)
    survivor = make_patient(database, group="A+")
    make_patient(database, group=None, screen=None, requirements=("irradiated",), merged_into_id=survivor.id)
    make_unit(database, ward.site, "A+", expires_in=timedelta(days=2))
    irradiated = make_unit(database, ward.site, "A+", irradiated=True)
    order = make_order(database, ward.hospital, survivor.id)

    assert [r.unit_id for r in allocate(clerk(database), order_id=order).reserved] == [irradiated]


def test_an_order_that_is_not_open_or_does_not_exist_is_refused(database):
    ward = make_ward(database)
    patient = make_patient(database)
    make_unit(database, ward.site, "A+")
    order = make_order(database, ward.hospital, patient.id)
    allocate(clerk(database), order_id=order)
    before = snapshot(database)
    with pytest.raises(Conflict, match=f"Order {order} is allocated"):
        allocate(clerk(database), order_id=order)
    with pytest.raises(NotFound, match="no order 999999"):
        allocate(clerk(database), order_id=999999)
    assert snapshot(database) == before


# ---------------------------------------------------------------- reserving by hand

def test_a_unit_chosen_by_hand_is_reserved_under_the_same_rules(database):
    ward = make_ward(database)
    patient = make_patient(database, group="AB+")
    unit = make_unit(database, ward.site, "B-")
    order = make_order(database, ward.hospital, patient.id)

    view = reserve_unit(clerk(database), order_id=order, unit_id=unit)

    assert [r.unit_id for r in view.reserved] == [unit] and view.order_status == "allocated"
    assert unit_status(database, unit) == "reserved"


@pytest.mark.parametrize("group, fields, message", [
    ("B+", {}, "not compatible with the patient's group A-"),
    ("A+", {}, "not compatible with the patient's group A-"),
    ("A-", {"expires_in": timedelta(hours=1)}, "before it is needed"),
    ("A-", {"status": "quarantined"}, "is quarantined, not available"),
    ("A-", {"kind": "plasma"}, "is plasma, but the order is for red cells"),
])
def test_a_hand_chosen_unit_that_breaks_a_rule_is_refused_and_nothing_changes(database, group, fields, message):
    ward = make_ward(database)
    patient = make_patient(database, group="A-")
    unit = make_unit(database, ward.site, group, **fields)
    order = make_order(database, ward.hospital, patient.id)
    before = snapshot(database)
    with pytest.raises(InvalidInput, match=message):
        reserve_unit(clerk(database), order_id=order, unit_id=unit)
    assert snapshot(database) == before


def test_a_hand_chosen_unit_missing_a_special_requirement_is_refused(database):
    ward = make_ward(database)
    patient = make_patient(database, group="O+", requirements=("cmv_negative",))
    unit = make_unit(database, ward.site, "O+")
    order = make_order(database, ward.hospital, patient.id)
    before = snapshot(database)
    with pytest.raises(InvalidInput, match="needs CMV-negative components"):
        reserve_unit(clerk(database), order_id=order, unit_id=unit)
    assert snapshot(database) == before


def test_o_negative_by_hand_for_an_a_positive_patient_is_refused_while_other_units_suit(database):
    ward = make_ward(database)
    patient = make_patient(database, group="A+")
    o_neg = make_unit(database, ward.site, "O-")
    other = make_unit(database, ward.site, "O+")
    order = make_order(database, ward.hospital, patient.id)
    before = snapshot(database)
    with pytest.raises(Conflict, match="kept for O-negative patients and emergencies: 1 other suitable"):
        reserve_unit(clerk(database), order_id=order, unit_id=o_neg)
    assert snapshot(database) == before
    reserve_unit(clerk(database, "clerk.bob"), order_id=make_order(database, ward.hospital, patient.id), unit_id=other)
    view = reserve_unit(clerk(database), order_id=order, unit_id=o_neg)
    assert view.reserved[0].note == "O-negative unit used for an A+ patient: no other compatible unit in stock."


def test_a_unit_of_another_blood_bank_cannot_be_reserved(database):
    ward, elsewhere = make_ward(database), make_site(database)
    patient = make_patient(database, group="A+")
    unit = make_unit(database, elsewhere, "A+")
    order = make_order(database, ward.hospital, patient.id)
    with pytest.raises(InvalidInput, match="not in the stock of the blood bank"):
        reserve_unit(clerk(database), order_id=order, unit_id=unit)


# ---------------------------------------------------------------- release

def test_releasing_a_reservation_returns_the_unit_to_stock_and_reopens_the_order(database):
    ward = make_ward(database)
    patient = make_patient(database, group="A+")
    unit = make_unit(database, ward.site, "A+")
    order = make_order(database, ward.hospital, patient.id)
    reservation = allocate(clerk(database), order_id=order).reserved[0].id

    view = release_reservation(clerk(database, "clerk.bob"), reservation_id=reservation, reason="operation cancelled")

    assert view.released_at is not None and view.release_reason == "operation cancelled"
    assert unit_status(database, unit) == "available" and live_reservations(database, unit) == []
    assert get(database, Order, order).status == "open"
    assert get(database, Reservation, reservation).released_by == "clerk.bob"
    assert "release_reservation" in audit_actions(database)
    with database.sessions() as session:
        events = [e.event for e in session.query(UnitEvent).filter_by(unit_id=unit).order_by(UnitEvent.id)]
    assert events == ["reserved", "reservation_released"]
    assert get_allocation(clerk(database), order_id=order).shortfall == 1


def test_a_release_needs_a_reason_and_a_live_reservation(database):
    ward = make_ward(database)
    patient = make_patient(database, group="A+")
    make_unit(database, ward.site, "A+")
    order = make_order(database, ward.hospital, patient.id)
    reservation = allocate(clerk(database), order_id=order).reserved[0].id
    before = snapshot(database)
    with pytest.raises(InvalidInput, match="Say why"):
        release_reservation(clerk(database), reservation_id=reservation, reason="  ")
    assert snapshot(database) == before
    release_reservation(clerk(database), reservation_id=reservation, reason="not needed")
    with pytest.raises(Conflict, match="already released"):
        release_reservation(clerk(database), reservation_id=reservation, reason="again")


def test_allocation_reads_past_a_full_page_of_units_that_fail_a_requirement(database):
    ward = make_ward(database)
    patient = make_patient(database, group="A+")
    add_requirement(database, patient.id, "irradiated")
    # Sixty first-expiring A+ units the patient may not have, then the ones that suit.
    for day in range(60):
        make_unit(database, ward.site, "A+", expires_in=timedelta(days=3, hours=day))
    later = make_unit(database, ward.site, "A+", expires_in=timedelta(days=9), irradiated=True)
    latest = make_unit(database, ward.site, "A+", expires_in=timedelta(days=12), irradiated=True)
    o_neg = make_unit(database, ward.site, "O-", expires_in=timedelta(days=4), irradiated=True)
    order = make_order(database, ward.hospital, patient.id, quantity=2)

    view = allocate(clerk(database), order_id=order)

    assert [r.unit_id for r in view.reserved] == [later, latest]
    assert unit_status(database, o_neg) == "available"
