"""Every hazard of the blood side, refused with a clear message and nothing changed.

Each test walks the real use cases to the edge of a hazard, takes a snapshot
of everything allocation, release and issue write (rows, unit statuses,
orders, audit entries), tries the hazard and checks the snapshot again.
"""

from datetime import date, datetime, timedelta, timezone

import pytest
import time_machine

from bloodbank.domain.errors import DomainError
from bloodbank.domain.isbt128 import parse_din
from bloodbank.domain.unit_status import UnitStatus
from bloodbank.service_layer.blood import processing, release, testing
from bloodbank.service_layer.donors import registry as donors
from bloodbank.service_layer.hospital import allocation, issue, orders, patient_lab, patients
from bloodbank.service_layer.shared import unit_moves
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from tests.integration.issue_fixtures import snapshot
from tests.integration.test_donor_journey import open_site
from tests.integration.test_vein_to_vein import a_patient, donate, label_and_test

MONDAY_7AM = datetime(2026, 3, 2, 7, 0, tzinfo=timezone.utc)
pytestmark = pytest.mark.usefixtures("frozen_monday")


@pytest.fixture
def frozen_monday():
    with time_machine.travel(MONDAY_7AM, tick=True):
        yield


def as_(database, actor):
    return UnitOfWork(database, actor=actor)


def processed(database, site, donor=None):
    _, bag = donate(database, site, donor)
    units = processing.process_donation(as_(database, "proc.fay"), donation_id=bag.donation_id, method="buffy_coat")
    return bag, units


def in_stock(database, site, group="A+", donor=None):
    """A released red cell unit of `group`."""
    bag, units = processed(database, site, donor)
    label_and_test(database, bag.donation_id, group, units)
    red = next(u for u in units if u.kind == "red_cells")
    release.release_unit(as_(database, "lab.lee"), unit_id=red.id)
    return bag, red


def a_second_donor(database):
    return donors.register_donor(
        as_(database, "clerk.ann"), given_name="Tomasz", family_name="Wilk", date_of_birth=date(1979, 11, 30),
        sex="M", phone="+44 7700 900456", email="tomasz@example.org", address="2 Mill Lane", postcode="DE1 1AB")


def order_for(database, hospital, patient, quantity=1, hours=3):
    return orders.place_order(as_(database, "ward.kim"), hospital_id=hospital.id, patient_id=patient.id,
                              kind="red_cells", quantity=quantity,
                              needed_by=datetime.now(timezone.utc) + timedelta(hours=hours))


def refused(database, call, match):
    before = snapshot(database)
    with pytest.raises(DomainError, match=match):
        call()
    assert snapshot(database) == before


def test_release_before_the_tests_are_complete_is_refused(database):
    site = open_site(database)
    bag, units = processed(database, site)
    red = next(u for u in units if u.kind == "red_cells")
    refused(database, lambda: release.release_unit(as_(database, "lab.lee"), unit_id=red.id), "cannot be released")
    # Half the panel is no better than none.
    testing.record_result(as_(database, "lab.lee"), donation_id=bag.donation_id, test="hiv", outcome="negative")
    refused(database, lambda: release.release_unit(as_(database, "lab.lee"), unit_id=red.id), "cannot be released")


def test_a_reactive_marker_keeps_the_blood_out_by_every_route(database):
    site = open_site(database)
    bag, units = processed(database, site)
    testing.record_result(as_(database, "lab.lee"), donation_id=bag.donation_id, test="hiv", outcome="negative")
    testing.record_result(as_(database, "lab.lee"), donation_id=bag.donation_id, test="hcv", outcome="reactive",
                          value="repeat reactive")
    for unit in units:
        assert processing.get_unit(as_(database, "lab.lee"), unit.id).status == "discarded"
        refused(database, lambda: release.release_unit(as_(database, "lab.lee"), unit_id=unit.id),
                "is discarded, not in quarantine")

        def force_available(unit_id=unit.id):
            with as_(database, "admin.ola") as uow:
                row = unit_moves.load_unit(uow.session, unit_id, lock=True)
                unit_moves.move(uow, row, UnitStatus.AVAILABLE, event="released", reason="override")
                uow.commit()

        refused(database, force_available, "discarded cannot become available")


def test_an_incompatible_unit_is_never_reserved_or_issued(database):
    site = open_site(database)
    _, red = in_stock(database, site, "A+")
    hospital, patient, _ = a_patient(database, site, group="O-")
    order = order_for(database, hospital, patient)
    held = allocation.allocate(as_(database, "bms.ray"), order_id=order.id)
    assert held.reserved == () and held.shortfall == 1
    refused(database, lambda: allocation.reserve_unit(as_(database, "bms.ray"), order_id=order.id, unit_id=red.id),
            "is not compatible with the patient's group O-")


def test_an_expired_unit_is_not_offered_and_not_issued(database):
    site = open_site(database)
    _, red = in_stock(database, site)
    _, spare = in_stock(database, site, donor=a_second_donor(database))
    hospital, patient, wristband = a_patient(database, site)
    [reservation] = allocation.allocate(as_(database, "bms.ray"),
                                        order_id=order_for(database, hospital, patient).id).reserved
    held = red if reservation.unit_id == red.id else spare
    not_held = spare if held is red else red
    with time_machine.travel(max(red.expires_at, spare.expires_at) + timedelta(minutes=1), tick=True):
        refused(database, lambda: issue.issue_unit(as_(database, "bms.ray"), reservation_id=reservation.id,
                                                   scanned_unit=parse_din(held.din).barcode,
                                                   scanned_patient=wristband), "expired at")
        later = order_for(database, hospital, patient)
        assert allocation.allocate(as_(database, "bms.ray"), order_id=later.id).reserved == ()
        refused(database, lambda: allocation.reserve_unit(as_(database, "bms.ray"), order_id=later.id,
                                                          unit_id=not_held.id), "expired at")


def test_a_unit_that_would_expire_before_it_is_needed_is_not_offered(database):
    site = open_site(database)
    _, red = in_stock(database, site)
    hospital, patient, _ = a_patient(database, site)
    hours = int((red.expires_at - datetime.now(timezone.utc)).total_seconds() // 3600) + 2
    order = order_for(database, hospital, patient, hours=hours)
    assert allocation.allocate(as_(database, "bms.ray"), order_id=order.id).reserved == ()
    refused(database, lambda: allocation.reserve_unit(as_(database, "bms.ray"), order_id=order.id, unit_id=red.id),
            "before it is")


def test_a_special_requirement_is_never_ignored(database):
    site = open_site(database)
    _, red = in_stock(database, site)
    hospital, patient, _ = a_patient(database, site)
    patient_lab.add_requirement(as_(database, "bms.ray"), patient_id=patient.id, requirement="irradiated",
                                reason="fludarabine since January")
    order = order_for(database, hospital, patient)
    assert allocation.allocate(as_(database, "bms.ray"), order_id=order.id).reserved == ()
    refused(database, lambda: allocation.reserve_unit(as_(database, "bms.ray"), order_id=order.id, unit_id=red.id),
            "needs irradiated components")


def test_one_unit_is_never_reserved_twice(database):
    site = open_site(database)
    _, red = in_stock(database, site)
    hospital, patient, _ = a_patient(database, site)
    first, second = order_for(database, hospital, patient), order_for(database, hospital, patient)
    allocation.reserve_unit(as_(database, "bms.ray"), order_id=first.id, unit_id=red.id)
    refused(database, lambda: allocation.reserve_unit(as_(database, "bms.lin"), order_id=second.id, unit_id=red.id),
            "reserved by someone else")


def test_the_wrong_patient_or_the_wrong_unit_at_issue_stops_it(database):
    site = open_site(database)
    _, red = in_stock(database, site)
    _, other_red = in_stock(database, site, donor=a_second_donor(database))
    hospital, patient, wristband = a_patient(database, site)
    someone_else = patients.register_patient(as_(database, "ward.kim"), hospital_id=hospital.id,
                                             identifiers=[("mrn", "RXH:999001")], given_name="Amal",
                                             family_name="Haddad", sex="F")
    [reservation] = allocation.allocate(as_(database, "bms.ray"),
                                        order_id=order_for(database, hospital, patient).id).reserved
    held = red if reservation.unit_id == red.id else other_red
    not_held = other_red if held is red else red
    assert someone_else.id != patient.id
    refused(database, lambda: issue.issue_unit(as_(database, "bms.ray"), reservation_id=reservation.id,
                                               scanned_unit=parse_din(held.din).barcode,
                                               scanned_patient="mrn:RXH:999001"), "Wrong patient")
    refused(database, lambda: issue.issue_unit(as_(database, "bms.ray"), reservation_id=reservation.id,
                                               scanned_unit=parse_din(not_held.din).barcode,
                                               scanned_patient=wristband), "is not the unit allocated")
