"""A single platelet concentrate (PRP method) is a fraction of an adult dose: it is pooled, never given.

Allocation never chooses it, a reservation by hand and an issue of it are
refused with the reason, and four of them pooled make a dose allocation uses.
The concentrates here are made by processing real donations, as on the bench.
"""

from __future__ import annotations

import pytest

from bloodbank.adapters.db.models import Reservation
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.issue import IssueRefused
from bloodbank.service_layer.blood import inventory, pooling
from bloodbank.service_layer.hospital.allocation import allocate, reservation_candidates, reserve_unit
from bloodbank.service_layer.hospital.emergency import emergency_issue
from bloodbank.service_layer.hospital.issue import issue_unit
from tests.integration.issue_fixtures import (
    clerk, din_scan, insert, make_hospital, make_order, make_patient, snapshot, unit_status,
)
from tests.integration.processing_fixtures import make_site, processed, set_unit, unit_of

NOT_A_DOSE = "a single platelet concentrate is a fraction of an adult dose: pool it first"


def concentrates(database, site_id, group, how_many):
    """Platelet concentrates made by the PRP method and released to stock (release itself is tested elsewhere)."""
    made = []
    for _ in range(how_many):
        donation_id, views = processed(database, site_id=site_id, method="prp", group=group)
        concentrate = unit_of(views, "platelet_concentrate")
        set_unit(database, concentrate.id, status="available")
        made.append((donation_id, concentrate.id))
    return made


def blood_bank(database):
    site = make_site(database)
    return site, make_hospital(database, site)


def test_a_platelet_order_is_not_filled_with_a_single_concentrate_even_when_it_is_the_only_platelet_unit(database):
    site, hospital = blood_bank(database)
    (_, only), = concentrates(database, site, "A+", 1)
    patient = make_patient(database, group="A+", hospital_id=hospital)
    order = make_order(database, hospital, patient.id, kind="platelets_pooled")

    view = allocate(clerk(database), order_id=order)

    assert view.reserved == () and view.shortfall == 1 and view.order_status == "open"
    assert unit_status(database, only) == "available"
    assert reservation_candidates(clerk(database), order_id=order) == []


@pytest.mark.parametrize("order_kind", ["platelets_pooled", "platelets_apheresis"])
def test_a_single_concentrate_reserved_by_hand_is_refused_with_the_reason_and_nothing_changes(database, order_kind):
    site, hospital = blood_bank(database)
    (_, concentrate), = concentrates(database, site, "O-", 1)
    patient = make_patient(database, group="O-", hospital_id=hospital)
    order = make_order(database, hospital, patient.id, kind=order_kind)
    before = snapshot(database)

    with pytest.raises(InvalidInput, match=NOT_A_DOSE) as refused:
        reserve_unit(clerk(database), order_id=order, unit_id=concentrate)

    assert "(4 to 6 of one ABO/RhD group make one adult dose)" in refused.value.message
    assert snapshot(database) == before and unit_status(database, concentrate) == "available"


def test_a_single_concentrate_is_never_issued_even_if_something_holds_it_for_the_patient(database):
    site, hospital = blood_bank(database)
    (_, concentrate), = concentrates(database, site, "B+", 1)
    patient = make_patient(database, group="B+", hospital_id=hospital)
    order = make_order(database, hospital, patient.id, kind="platelets_pooled")
    # A hold written before this rule existed, or by hand in the database: issue must still stop.
    set_unit(database, concentrate, status="reserved")
    reservation = insert(database, Reservation(order_id=order, unit_id=concentrate, reserved_at=utcnow(),
                                               reserved_by="clerk.old", note=""))
    before = snapshot(database)

    with pytest.raises(IssueRefused, match="STOP: do not issue") as refused:
        issue_unit(clerk(database, "bms.ray"), reservation_id=reservation, scanned_unit=din_scan(database, concentrate),
                   scanned_patient=patient.scan)

    assert [r.code for r in refused.value.refusals] == ["not_a_dose"]
    assert NOT_A_DOSE in refused.value.message
    assert snapshot(database) == before and unit_status(database, concentrate) == "reserved"


def test_a_single_concentrate_is_not_released_in_an_emergency_either(database):
    site, hospital = blood_bank(database)
    (_, concentrate), = concentrates(database, site, "O-", 1)
    patient = make_patient(database, group="O-", hospital_id=hospital)
    before = snapshot(database)

    with pytest.raises(IssueRefused, match=NOT_A_DOSE) as refused:
        emergency_issue(clerk(database, "bms.ray"), patient_id=patient.id, unit_id=concentrate,
                        scanned_unit=din_scan(database, concentrate), scanned_patient=patient.scan,
                        reason="major haemorrhage, theatre 3")

    assert "not_a_dose" in [r.code for r in refused.value.refusals]
    assert snapshot(database) == before and unit_status(database, concentrate) == "available"


def test_four_concentrates_pooled_make_a_dose_that_allocation_then_uses(database):
    site, hospital = blood_bank(database)
    made = concentrates(database, site, "A+", 4)
    patient = make_patient(database, group="A+", hospital_id=hospital)
    order = make_order(database, hospital, patient.id, kind="platelets_pooled")
    assert allocate(clerk(database), order_id=order).shortfall == 1  # four concentrates, still no dose

    pool = pooling.pool_platelets(clerk(database), donation_ids=[d for d, _ in made], site_id=site)
    set_unit(database, pool.id, status="available")  # tests negative, label verified: released
    view = allocate(clerk(database), order_id=order)

    assert [r.unit_id for r in view.reserved] == [pool.id] and view.shortfall == 0
    assert view.reserved[0].kind == "platelets_pooled" and view.order_status == "allocated"
    assert {unit_status(database, unit) for _, unit in made} == {"processed"}
    issued = issue_unit(clerk(database, "bms.ray"), reservation_id=view.reserved[0].id,
                        scanned_unit=din_scan(database, pool.id), scanned_patient=patient.scan)
    assert issued.unit_id == pool.id and unit_status(database, pool.id) == "issued"


def test_the_stock_report_lists_concentrates_as_their_own_kind(database):
    site, _ = blood_bank(database)
    concentrates(database, site, "O+", 2)

    lines = inventory.stock(clerk(database), site_id=site).lines

    (line,) = [line for line in lines if line.kind == "platelet_concentrate"]
    assert (line.blood_group, line.available) == ("O+", 2)
    assert not [line for line in lines if line.kind == "platelets_pooled"]
