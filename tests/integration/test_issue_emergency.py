from datetime import date

import pytest

from bloodbank.adapters.db.models import Order
from bloodbank.domain.errors import Conflict, InvalidInput
from bloodbank.domain.issue import IssueRefused
from bloodbank.service_layer.hospital.allocation import reserve_unit
from bloodbank.service_layer.hospital.crossmatch import record_crossmatch
from bloodbank.service_layer.hospital.emergency import (
    complete_emergency_follow_up, emergency_issue, pending_emergency_follow_ups,
)
from bloodbank.service_layer.hospital.issue import get_issue
from tests.integration.issue_fixtures import (
    add_grouping, audit_actions, clerk, din_scan, get, make_order, make_patient, make_unit, make_ward, snapshot,
    unit_status,
)


def unknown_woman(database, ward):
    """Brought in bleeding, identity and group unknown: an emergency number only."""
    return make_patient(database, group=None, screen=None, sex="F", date_of_birth=None, hospital_id=ward.hospital,
                        identifier="EM-2026-0001", system="emergency")


def release(database, patient, unit, **kw):
    call = dict(patient_id=patient.id, unit_id=unit, scanned_unit=din_scan(database, unit),
                scanned_patient=patient.scan, reason="major haemorrhage, resus bay 2")
    call.update(kw)
    return emergency_issue(clerk(database, "bms.ray"), **call)


def test_o_negative_red_cells_are_released_uncrossmatched_and_followed_up(database):
    ward = make_ward(database)
    patient = unknown_woman(database, ward)
    unit = make_unit(database, ward.site, "O-")

    view = release(database, patient, unit)

    assert view.emergency and not view.electronic and view.crossmatch_id is None
    assert unit_status(database, unit) == "issued"
    order = get(database, Order, view.order_id)
    assert (order.urgency, order.status, order.patient_id) == ("emergency", "issued", patient.id)
    assert {"place", "reserved", "issued", "issue", "status"} <= set(audit_actions(database))
    pending = pending_emergency_follow_ups(clerk(database))
    assert [p.issue.id for p in pending] == [view.id]
    assert any("not confirmed" in m for m in pending[0].missing)
    assert any("not been crossmatched" in m for m in pending[0].missing)


def test_the_follow_up_closes_only_once_grouping_and_crossmatch_are_done(database):
    ward = make_ward(database)
    patient = unknown_woman(database, ward)
    unit = make_unit(database, ward.site, "O-")
    view = release(database, patient, unit)
    before = snapshot(database)
    with pytest.raises(Conflict, match="cannot be closed yet"):
        complete_emergency_follow_up(clerk(database), issue_id=view.id, note="grouped")
    assert snapshot(database) == before

    add_grouping(database, patient.id, "A+")
    sample_id = add_grouping(database, patient.id, "A+")
    record_crossmatch(clerk(database, "bms.lee"), patient_id=patient.id, unit_id=unit, sample_id=sample_id,
                      result="compatible")
    assert pending_emergency_follow_ups(clerk(database))[0].missing == ()

    done = complete_emergency_follow_up(clerk(database, "bms.lee"), issue_id=view.id,
                                        note="grouped A+, crossmatch compatible, no reaction")
    assert done.follow_up_done_at is not None and get_issue(clerk(database), issue_id=view.id) == done
    assert pending_emergency_follow_ups(clerk(database)) == []
    assert audit_actions(database)[-1] == "emergency_follow_up"
    with pytest.raises(Conflict, match="already recorded"):
        complete_emergency_follow_up(clerk(database), issue_id=view.id, note="again")


def test_ab_plasma_may_be_released_in_an_emergency(database):
    ward = make_ward(database)
    patient = unknown_woman(database, ward)
    unit = make_unit(database, ward.site, "AB+", kind="plasma")
    assert release(database, patient, unit).emergency


@pytest.mark.parametrize("group, kind, match", [
    ("O+", "red_cells", "not one that may be given before the patient's group is confirmed"),
    ("A-", "red_cells", "not one that may be given"),
    ("O+", "plasma", "not one that may be given"),
])
def test_emergency_release_of_the_wrong_group_for_an_unknown_woman_is_refused(database, group, kind, match):
    ward = make_ward(database)
    patient = unknown_woman(database, ward)
    unit = make_unit(database, ward.site, group, kind=kind)
    before = snapshot(database)
    with pytest.raises(IssueRefused, match=match):
        release(database, patient, unit)
    assert snapshot(database) == before


def test_an_unknown_man_may_have_o_positive_in_an_emergency(database):
    ward = make_ward(database)
    man = make_patient(database, group=None, screen=None, sex="M", date_of_birth=date(1970, 1, 1),
                       hospital_id=ward.hospital)
    unit = make_unit(database, ward.site, "O+")
    assert release(database, man, unit).emergency


def test_emergency_release_still_needs_the_right_unit_and_the_right_wristband(database):
    ward = make_ward(database)
    patient = unknown_woman(database, ward)
    unit = make_unit(database, ward.site, "O-")
    other = make_unit(database, ward.site, "O-")
    before = snapshot(database)
    with pytest.raises(IssueRefused, match="is not the unit allocated"):
        release(database, patient, unit, scanned_unit=din_scan(database, other))
    with pytest.raises(IssueRefused, match="Wrong patient"):
        release(database, patient, unit, scanned_patient="EM-2026-0002")
    assert snapshot(database) == before


def test_a_unit_reserved_for_another_patient_cannot_be_released_to_this_one(database):
    ward = make_ward(database)
    patient = unknown_woman(database, ward)
    unit = make_unit(database, ward.site, "O-")
    someone = make_patient(database, group="O-")
    reserve_unit(clerk(database), order_id=make_order(database, ward.hospital, someone.id), unit_id=unit)
    before = snapshot(database)
    with pytest.raises(IssueRefused, match="reserved for another patient"):
        release(database, patient, unit)
    assert snapshot(database) == before


def test_an_emergency_release_needs_a_reason_and_a_unit_of_the_patients_blood_bank(database):
    ward, other_ward = make_ward(database), make_ward(database)
    patient = unknown_woman(database, ward)
    unit = make_unit(database, other_ward.site, "O-")
    before = snapshot(database)
    with pytest.raises(InvalidInput, match="Say why"):
        release(database, patient, unit, reason=" ")
    with pytest.raises(InvalidInput, match="not in the stock of the blood bank"):
        release(database, patient, unit)
    assert snapshot(database) == before


def test_an_emergency_release_against_a_named_order_uses_it_unless_it_is_full(database):
    ward = make_ward(database)
    patient = unknown_woman(database, ward)
    first, second = make_unit(database, ward.site, "O-"), make_unit(database, ward.site, "O-")
    order = make_order(database, ward.hospital, patient.id, quantity=1, urgency="emergency")
    view = release(database, patient, first, order_id=order)
    assert view.order_id == order and get(database, Order, order).status == "issued"
    before = snapshot(database)
    with pytest.raises(Conflict, match="holds all the units it asked for"):
        release(database, patient, second, order_id=order)
    assert snapshot(database) == before


def test_an_emergency_release_for_an_incident_tags_its_order_and_issue(database):
    from bloodbank.service_layer.crisis import incidents
    ward = make_ward(database)
    patient = unknown_woman(database, ward)
    incident = incidents.declare(clerk(database, "stock.sam"), place="Market square", kind="explosion")
    view = release(database, patient, make_unit(database, ward.site, "O-"), incident_id=incident.id)
    assert view.incident_id == incident.id
    assert get(database, Order, view.order_id).incident_id == incident.id
    counted = incidents.get_incident(clerk(database, "stock.sam"), incident.id)
    assert (counted.orders, counted.issues) == (1, 1)
