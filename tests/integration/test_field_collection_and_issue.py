"""The walking blood bank from call to bedside: activation inside an emergency, collection, the signed issue."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bloodbank.adapters.db.models import Issue, Signature, Unit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.errors import (
    ConsentMissing, Conflict, DonorIneligible, InvalidInput, InvalidTransition, SignatureRefused,
)
from bloodbank.domain.issue import IssueRefused
from bloodbank.service_layer.blood import release
from bloodbank.service_layer.field import activation, collection, cut_offs, issue
from bloodbank.service_layer.shared import unit_moves
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from tests.integration.field_fixtures import (
    close_incident, collection_form, field_site, join, open_incident, volunteer,
)
from tests.integration.issue_fixtures import get, make_patient
from tests.integration.web_fixtures import PASSWORD, make_user


def uow(database, actor="director"):
    return UnitOfWork(database, actor=actor)


@pytest.fixture
def field(database):
    site, hospital = field_site(database)
    member = join(database, site, volunteer(database, site, group="O+"))
    return site, hospital, member


def called(database, site, member, *, incident=None, cut_off=None, waiting=((None, 1),)):
    view = activation.activate(uow(database), site_id=site, waiting=waiting, incident_id=incident,
                               cut_off_id=cut_off)
    activation.record_answer(uow(database), activation_id=view.id, member_id=member, outcome="accepted")
    return view.id


def collected(database, site, member, **changes):
    incident = changes.pop("incident", None) or open_incident(database)
    act = called(database, site, member, incident=incident)
    view = collection.collect_in_emergency(uow(database, "nurse"), activation_id=act, member_id=member,
                                           **collection_form(**changes))
    return view, incident


def test_activation_is_refused_outside_an_incident_or_a_cut_off(database, field):
    site, _, _ = field
    with pytest.raises(Conflict, match="only in an emergency"):
        activation.activate(uow(database), site_id=site, waiting=[(None, 2)])
    incident = open_incident(database)
    close_incident(database, incident)
    with pytest.raises(Conflict, match="closed"):
        activation.activate(uow(database), site_id=site, waiting=[(None, 2)], incident_id=incident)


def test_a_cut_off_allows_activation_until_it_ends(database, field):
    site, _, member = field
    cut = cut_offs.declare_cut_off(uow(database), site_id=site, reason="bridge down, no resupply")
    view = activation.activate(uow(database), site_id=site, waiting=[(None, 1)], cut_off_id=cut.id)
    assert [c.member.id for c in view.calls] == [member] and view.calls[0].low_titre
    cut_offs.end_cut_off(uow(database), cut_off_id=cut.id)
    with pytest.raises(Conflict, match="has ended"):
        activation.activate(uow(database), site_id=site, waiting=[(None, 1)], cut_off_id=cut.id)


def test_a_member_who_declines_is_skipped_and_nobody_else_is_proposed(database, field):
    site, _, member = field
    other = join(database, site, volunteer(database, site, group="A+", titre=None))
    view = activation.activate(uow(database), site_id=site, waiting=[(None, 1), ("A+", 1)],
                               incident_id=open_incident(database))
    assert [c.member.id for c in view.calls] == [member, other]
    after = activation.record_answer(uow(database), activation_id=view.id, member_id=member, outcome="declined")
    assert [c.member.id for c in after.calls] == [other]


def test_an_emergency_collection_makes_one_low_titre_unit_not_fully_tested(database, field):
    site, _, member = field
    view, _ = collected(database, site, member)
    assert view.kind == "ltowb" and view.low_titre and view.blood_group == "O+"
    assert view.expires_at - view.collected_at == timedelta(hours=24)
    assert view.status == "quarantined"
    stored = collection.refrigerate(uow(database, "nurse"), unit_id=view.unit_id)
    assert stored.expires_at - stored.collected_at == timedelta(days=35)


@pytest.mark.parametrize("changes, error", [
    ({"confirmed_by_donor": False}, ConsentMissing),
    ({"answers": {"feels_well": False, "fever_or_infection": False, "new_risk": False, "medication": False,
                  "pregnant": False}}, DonorIneligible),
    ({"rapid_tests": [{"marker": "hiv", "result": "reactive", "kit": "K", "lot": "L"}]}, DonorIneligible),
    ({"bedside_group": "A+"}, DonorIneligible),
    ({"bag_lot": ""}, InvalidInput),
])
def test_an_emergency_collection_without_consent_or_with_a_stop_collects_nothing(database, field, changes, error):
    site, _, member = field
    with pytest.raises(error):
        collected(database, site, member, **changes)
    with database.sessions() as session:
        assert session.query(Unit).count() == 0


def test_a_unit_not_fully_tested_is_never_released_to_ordinary_stock(database, field):
    site, _, member = field
    view, _ = collected(database, site, member)
    blockers = release.release_blockers_for(uow(database, "lab"), view.unit_id)
    assert "emergency_use_only" in {b.code for b in blockers}
    with pytest.raises(InvalidTransition, match="never joins ordinary stock"):
        release.release_unit(uow(database, "lab"), unit_id=view.unit_id)
    assert get(database, Unit, view.unit_id).status == "quarantined"


def test_no_route_but_the_signed_issue_moves_a_quarantined_unit_to_a_patient(database, field):
    site, _, member = field
    view, _ = collected(database, site, member)
    with uow(database, "lab") as work:
        unit = unit_moves.load_unit(work.session, view.unit_id, lock=True)
        with pytest.raises(InvalidTransition, match="signed issue"):
            unit_moves.move(work, unit, "issued", event="issued")


def test_the_signed_issue_needs_the_physicians_password_and_the_emergency_it_was_collected_in(database, field):
    site, hospital, member = field
    second = join(database, site, volunteer(database, site, group="O+"))
    incident = open_incident(database)
    act = activation.activate(uow(database), site_id=site, waiting=[(None, 2)], incident_id=incident)
    first, later = (collection.collect_in_emergency(uow(database, "nurse"), activation_id=act.id, member_id=m,
                                                    **collection_form()) for m in (member, second))
    doctor = make_user(database, "hospital_staff", "dr.field", hospitals=(hospital,))

    def form(unit):
        patient = make_patient(database, group=None, hospital_id=hospital)
        return dict(unit_id=unit.unit_id, patient_id=patient.id, scanned_unit=f"={unit.din}00",
                    scanned_patient=patient.scan, reason="no tested blood for 48 h and the patient is bleeding")

    with pytest.raises(SignatureRefused):
        issue.issue_not_fully_tested(uow(database, "dr.field"), signer_id=doctor.id, password="wrong one!",
                                     **form(first))
    clerk = make_user(database, "lab_technician", "lab.field")
    with pytest.raises(IssueRefused, match="physician"):
        issue.issue_not_fully_tested(uow(database, "lab.field"), signer_id=clerk.id, password=PASSWORD,
                                     **form(first))
    done = issue.issue_not_fully_tested(uow(database, "dr.field"), signer_id=doctor.id, password=PASSWORD,
                                        **form(first))
    assert done.emergency and done.incident_id == incident and get(database, Unit, first.unit_id).status == "issued"
    signature = get(database, Signature, get(database, Issue, done.id).signature_id)
    assert signature.action == "not_fully_tested" and "because no tested blood for 48 h" in signature.meaning

    close_incident(database, incident)
    open_incident(database)  # another emergency elsewhere does not revive this one
    with pytest.raises(IssueRefused, match="No incident is open"):
        issue.issue_not_fully_tested(uow(database, "dr.field"), signer_id=doctor.id, password=PASSWORD,
                                     **form(later))
    assert get(database, Unit, later.unit_id).status == "quarantined"


def test_the_bedside_scan_still_stops_a_wrong_patient(database, field):
    site, hospital, member = field
    view, _ = collected(database, site, member)
    patient = make_patient(database, group=None, hospital_id=hospital)
    doctor = make_user(database, "hospital_staff", "dr.scan", hospitals=(hospital,))
    with pytest.raises(IssueRefused, match="Wrong patient"):
        issue.issue_not_fully_tested(uow(database, "dr.scan"), signer_id=doctor.id, password=PASSWORD,
                                     unit_id=view.unit_id, patient_id=patient.id, scanned_unit=f"={view.din}00",
                                     scanned_patient="mrn:RXH:999999", reason="bleeding")
    assert get(database, Unit, view.unit_id).status == "quarantined"


def test_a_unit_returned_unused_goes_back_to_the_emergency_shelf_never_to_stock(database, field):
    from bloodbank.service_layer.hospital import returns
    site, hospital, member = field
    view, _ = collected(database, site, member)
    patient = make_patient(database, group=None, hospital_id=hospital)
    doctor = make_user(database, "hospital_staff", "dr.back", hospitals=(hospital,))
    done = issue.issue_not_fully_tested(uow(database, "dr.back"), signer_id=doctor.id, password=PASSWORD,
                                        unit_id=view.unit_id, patient_id=patient.id, scanned_unit=f"={view.din}00",
                                        scanned_patient=patient.scan, reason="bleeding")
    back = returns.return_unit(uow(database, "dr.back"), issue_id=done.id, minutes_out_of_storage=10,
                               kept_in_cold_chain=True)
    assert back.unit_status == "quarantined" and get(database, Unit, view.unit_id).status == "quarantined"
    with uow(database, "lab") as work:
        unit = unit_moves.load_unit(work.session, view.unit_id, lock=True)
        with pytest.raises(InvalidTransition, match="never joins ordinary stock"):
            unit_moves.move(work, unit, "available", event="restocked")
