from datetime import timedelta

import pytest
import time_machine

from bloodbank.adapters.db.models import Order, Reservation, UnitEvent
from bloodbank.domain.errors import Conflict, InvalidInput
from bloodbank.domain.issue import IssueRefused
from bloodbank.service_layer.hospital.allocation import allocate, release_reservation
from bloodbank.service_layer.hospital.crossmatch import record_crossmatch
from bloodbank.service_layer.hospital.issue import electronic_issue_status, get_issue, issue_unit
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from tests.integration.issue_fixtures import (
    add_grouping, add_requirement, add_sample, audit_actions, clerk, din_scan, get, make_crossmatch, make_order,
    make_patient, make_unit, make_ward, now, snapshot, unit_status,
)


def reserved(database, *, group="A+", unit_group=None, kind="red_cells", **patient):
    """A patient, a unit held for them through an allocated order: (patient, unit id, reservation id)."""
    ward = make_ward(database)
    person = make_patient(database, group=group, hospital_id=ward.hospital, **patient)
    unit = make_unit(database, ward.site, unit_group or group, kind=kind)
    order = make_order(database, ward.hospital, person.id, kind=kind)
    reservation = allocate(clerk(database), order_id=order).reserved[0].id
    return person, unit, reservation


def refused(database, match, **call):
    """The call is refused with `match` in the message and nothing at all is written."""
    before = snapshot(database)
    with pytest.raises(IssueRefused, match=match) as caught:
        issue_unit(clerk(database, "bms.ray"), **call)
    assert snapshot(database) == before
    return caught.value


def test_a_reserved_unit_is_issued_electronically_when_every_criterion_is_met(database):
    patient, unit, reservation = reserved(database)

    view = issue_unit(clerk(database, "bms.ray"), reservation_id=reservation, scanned_unit=din_scan(database, unit),
                      scanned_patient=patient.scan)

    assert view.electronic and not view.emergency and view.crossmatch_id is None
    assert view.patient_id == patient.id and view.issued_by == "bms.ray"
    assert unit_status(database, unit) == "issued"
    assert get(database, Order, view.order_id).status == "issued"
    assert get(database, Reservation, reservation).released_at is None  # the record of why the unit went
    assert audit_actions(database)[-3:] == ["issued", "issue", "status"]
    assert get_issue(clerk(database), issue_id=view.id) == view
    with database.sessions() as session:
        assert [e.event for e in session.query(UnitEvent).filter_by(unit_id=unit).order_by(UnitEvent.id)] == [
            "reserved", "issued"]


def test_a_scan_of_another_unit_is_a_hard_stop_and_nothing_changes(database):
    patient, unit, reservation = reserved(database)
    error = refused(database, "STOP: do not issue", reservation_id=reservation,
                    scanned_unit="=G12342699999900", scanned_patient=patient.scan)
    assert [r.code for r in error.refusals] == ["wrong_unit"]
    assert "Scanned unit G1234 26 999999" in error.message and "is not the unit allocated" in error.message
    assert unit_status(database, unit) == "reserved"


def test_a_wristband_of_another_patient_is_a_hard_stop_and_nothing_changes(database):
    patient, unit, reservation = reserved(database)
    other = make_patient(database, group="A+")
    error = refused(database, "Wrong patient", reservation_id=reservation, scanned_unit=din_scan(database, unit),
                    scanned_patient=other.scan)
    assert {r.code for r in error.refusals} == {"wrong_patient"}
    assert unit_status(database, unit) == "reserved"


def test_an_identifier_of_a_record_merged_into_the_patient_is_accepted(database):
    patient, unit, reservation = reserved(database)
    old = make_patient(database, group=None, screen=None, merged_into_id=patient.id)
    view = issue_unit(clerk(database), reservation_id=reservation, scanned_unit=din_scan(database, unit),
                      scanned_patient=old.scan)
    assert view.patient_id == patient.id


def test_an_expired_unit_is_refused(database):
    patient, unit, reservation = reserved(database)
    with time_machine.travel(now() + timedelta(days=11)):
        refused(database, "expired at", reservation_id=reservation, scanned_unit=din_scan(database, unit),
                scanned_patient=patient.scan)


def test_a_special_requirement_recorded_after_allocation_blocks_the_issue(database):
    patient, unit, reservation = reserved(database)
    add_requirement(database, patient.id, "irradiated")
    refused(database, "needs irradiated components", reservation_id=reservation,
            scanned_unit=din_scan(database, unit), scanned_patient=patient.scan)


def test_a_group_discrepancy_found_after_allocation_blocks_the_issue(database):
    patient, unit, reservation = reserved(database, group="A+")
    add_grouping(database, patient.id, "B+")
    refused(database, "groupings disagree", reservation_id=reservation, scanned_unit=din_scan(database, unit),
            scanned_patient=patient.scan)


@pytest.mark.parametrize("history, reason", [
    ({"antibodies": ("anti-K",)}, "history of clinically significant antibodies \\(anti-K\\)"),
    ({"edited_grouping": True}, "edited by hand"),
    ({"screen": None}, "no antibody screen"),
    ({"screen_age": timedelta(days=4)}, "more than 3 days old"),
])
def test_electronic_issue_is_refused_and_a_crossmatch_required(database, history, reason):
    patient, unit, reservation = reserved(database, **history)
    error = refused(database, reason, reservation_id=reservation, scanned_unit=din_scan(database, unit),
                    scanned_patient=patient.scan)
    assert [r.code for r in error.refusals] == ["crossmatch_required"]
    assert error.message.startswith("This unit cannot be issued yet.")
    assert "A serological crossmatch is required." in error.message
    allowed, reasons = electronic_issue_status(clerk(database), patient_id=patient.id)
    assert not allowed and reasons[-1] == "A serological crossmatch is required."


def test_a_patient_grouped_once_gets_group_o_and_needs_a_crossmatch(database):
    patient, unit, reservation = reserved(database, group="A+", unit_group="O+", samples=1)
    error = refused(database, "one sample only", reservation_id=reservation, scanned_unit=din_scan(database, unit),
                    scanned_patient=patient.scan)
    assert [r.code for r in error.refusals] == ["crossmatch_required"]
    record_crossmatch(clerk(database, "bms.lee"), patient_id=patient.id, unit_id=unit, sample_id=patient.sample_id,
                      result="compatible")
    view = issue_unit(clerk(database), reservation_id=reservation, scanned_unit=din_scan(database, unit),
                      scanned_patient=patient.scan)
    assert not view.electronic and view.crossmatch_id is not None


def test_a_patient_with_antibodies_is_issued_after_a_compatible_crossmatch(database):
    patient, unit, reservation = reserved(database, antibodies=("anti-E",))
    crossmatch = record_crossmatch(clerk(database, "bms.lee"), patient_id=patient.id, unit_id=unit,
                                   sample_id=patient.sample_id, result="compatible")
    assert "record_crossmatch" in audit_actions(database)
    view = issue_unit(clerk(database), reservation_id=reservation, scanned_unit=din_scan(database, unit),
                      scanned_patient=patient.scan)
    assert view.crossmatch_id == crossmatch.id and not view.electronic


def test_a_crossmatch_on_a_sample_older_than_three_days_does_not_count(database):
    patient, unit, reservation = reserved(database, antibodies=("anti-E",))
    old_sample = add_sample(database, patient.id, taken_ago=timedelta(days=4))
    make_crossmatch(database, patient.id, unit, old_sample)
    refused(database, "crossmatch is required", reservation_id=reservation, scanned_unit=din_scan(database, unit),
            scanned_patient=patient.scan)


def test_an_incompatible_crossmatch_is_a_hard_stop_even_after_a_compatible_one(database):
    patient, unit, reservation = reserved(database)
    make_crossmatch(database, patient.id, unit, patient.sample_id, "incompatible")
    make_crossmatch(database, patient.id, unit, patient.sample_id, "compatible")
    error = refused(database, "INCOMPATIBLE", reservation_id=reservation, scanned_unit=din_scan(database, unit),
                    scanned_patient=patient.scan)
    assert error.message.startswith("STOP")


def test_a_unit_is_issued_once_and_a_released_reservation_not_at_all(database):
    patient, unit, reservation = reserved(database)
    first = issue_unit(clerk(database), reservation_id=reservation, scanned_unit=din_scan(database, unit),
                       scanned_patient=patient.scan)
    before = snapshot(database)
    with pytest.raises(Conflict, match=f"already issued \\(issue {first.id}\\)"):
        issue_unit(clerk(database), reservation_id=reservation, scanned_unit=din_scan(database, unit),
                   scanned_patient=patient.scan)
    assert snapshot(database) == before

    patient, unit, reservation = reserved(database)
    release_reservation(clerk(database), reservation_id=reservation, reason="not needed")
    before = snapshot(database)
    with pytest.raises(Conflict, match="no longer held"):
        issue_unit(clerk(database), reservation_id=reservation, scanned_unit=din_scan(database, unit),
                   scanned_patient=patient.scan)
    assert snapshot(database) == before


def test_plasma_is_issued_on_group_alone_without_a_crossmatch(database):
    patient, unit, reservation = reserved(database, group="O+", unit_group="A+", kind="plasma",
                                          antibodies=("anti-K",))
    view = issue_unit(clerk(database), reservation_id=reservation, scanned_unit=din_scan(database, unit),
                      scanned_patient=patient.scan)
    assert not view.electronic and view.crossmatch_id is None


def test_a_crossmatch_must_use_the_patients_own_sample(database):
    patient, unit, _ = reserved(database)
    other = make_patient(database)
    before = snapshot(database)
    with pytest.raises(InvalidInput, match="was not taken from this patient"):
        record_crossmatch(clerk(database), patient_id=patient.id, unit_id=unit, sample_id=other.sample_id,
                          result="compatible")
    with pytest.raises(InvalidInput, match="'compatible' or 'incompatible'"):
        record_crossmatch(clerk(database), patient_id=patient.id, unit_id=unit, sample_id=patient.sample_id,
                          result="looks fine")
    assert snapshot(database) == before


def test_a_bare_number_that_is_also_another_patients_identifier_is_refused(database):
    patient, unit, reservation = reserved(database)
    value = patient.scan.removeprefix("mrn:")
    make_patient(database, identifier=value, system="national")  # same characters, another patient
    error = refused(database, "more than one patient", reservation_id=reservation,
                    scanned_unit=din_scan(database, unit), scanned_patient=value)
    assert [r.code for r in error.refusals] == ["wrong_patient"]


def test_if_the_audit_write_fails_the_issue_is_not_recorded_either(database, monkeypatch):
    patient, unit, reservation = reserved(database)
    before = snapshot(database)
    real_audit = UnitOfWork.audit

    def failing_audit(self, action, *args, **kwargs):
        if action == "issue":
            raise RuntimeError("connection lost")
        return real_audit(self, action, *args, **kwargs)

    monkeypatch.setattr(UnitOfWork, "audit", failing_audit)
    with pytest.raises(RuntimeError, match="connection lost"):
        issue_unit(clerk(database), reservation_id=reservation, scanned_unit=din_scan(database, unit),
                   scanned_patient=patient.scan)
    assert snapshot(database) == before
    assert unit_status(database, unit) == "reserved"


def test_a_requirement_no_unit_record_shows_is_put_in_front_of_whoever_allocates_and_issues(database):
    ward = make_ward(database)
    patient = make_patient(database, group="A+", requirements=("washed",))
    unit = make_unit(database, ward.site, "A+")
    allocation = allocate(clerk(database), order_id=make_order(database, ward.hospital, patient.id))
    assert any(n.startswith("Check by hand: the patient needs washed components") for n in allocation.notes)
    view = issue_unit(clerk(database), reservation_id=allocation.reserved[0].id,
                      scanned_unit=din_scan(database, unit), scanned_patient=patient.scan)
    assert view.manual_checks and "washed" in view.manual_checks[0]
