"""Retrospective testing of emergency donations: the pending list, and a reactive result's follow-ups."""

from __future__ import annotations

import pytest

from bloodbank.adapters.db.models import Unit
from bloodbank.domain.errors import Conflict
from bloodbank.service_layer.blood import follow_up, retrospective, testing
from bloodbank.service_layer.field import activation, collection, issue, panel, recipient_follow_ups
from bloodbank.service_layer.reporting.overview import overview
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from tests.integration.field_fixtures import collection_form, field_site, join, open_incident, volunteer
from tests.integration.issue_fixtures import get, make_patient
from tests.integration.web_fixtures import PASSWORD, browser, make_user


def uow(database, actor="director"):
    return UnitOfWork(database, actor=actor)


def given_and_issued(database):
    site, hospital = field_site(database)
    member = join(database, site, volunteer(database, site, group="O+"))
    call = activation.activate(uow(database), site_id=site, waiting=[(None, 1)], incident_id=open_incident(database))
    unit = collection.collect_in_emergency(uow(database, "nurse"), activation_id=call.id, member_id=member,
                                           **collection_form())
    patient = make_patient(database, group=None, hospital_id=hospital)
    doctor = make_user(database, "hospital_staff", "dr.retro", hospitals=(hospital,))
    issue.issue_not_fully_tested(uow(database, "dr.retro"), signer_id=doctor.id, password=PASSWORD,
                                 unit_id=unit.unit_id, patient_id=patient.id, scanned_unit=f"={unit.din}00",
                                 scanned_patient=patient.scan, reason="bleeding, road cut")
    return site, member, unit, patient


def test_an_emergency_donation_waits_on_the_pending_list_until_fully_tested(database):
    _, _, unit, _ = given_and_issued(database)
    [pending] = retrospective.pending_results(uow(database, "lab"))
    assert pending.din == unit.din and {"hiv", "hbv", "hcv", "syphilis", "abo_rh"} <= set(pending.missing)
    testing.record_result(uow(database, "lab"), donation_id=unit.donation_id, test="abo_rh", outcome="typed",
                          value="O+")
    for marker in ("hiv", "hbv", "hcv", "syphilis"):
        testing.record_result(uow(database, "lab"), donation_id=unit.donation_id, test=marker, outcome="negative")
    assert retrospective.pending_results(uow(database, "lab")) == []
    assert recipient_follow_ups.recipient_follow_ups(uow(database)) == []


def test_a_reactive_result_opens_a_follow_up_for_every_recipient_and_keeps_the_donor_from_being_called(database):
    site, member, unit, patient = given_and_issued(database)
    testing.record_result(uow(database, "lab"), donation_id=unit.donation_id, test="hcv", outcome="reactive")
    [follow] = recipient_follow_ups.recipient_follow_ups(uow(database))
    assert (follow.patient_id, follow.unit_id) == (patient.id, unit.unit_id)
    assert get(database, Unit, unit.unit_id).status == "recalled"
    assert [f.reason for f in follow_up.list_follow_ups(uow(database))] == ["reactive_marker"]
    standing = panel.get_member(uow(database), member_id=member).standing
    assert not standing.callable and "Deferred." in standing.reasons
    assert overview(uow(database)).recipient_follow_ups == 1
    director = browser(database, "medical_director", "md.home")
    assert 'id="recipient-follow-ups">1<' in director.get("/").text
    closed = recipient_follow_ups.close_recipient_follow_up(uow(database), follow_up_id=follow.id,
                                                            outcome="tested: HCV negative at 6 weeks, told")
    assert closed.closed_at is not None and overview(uow(database)).recipient_follow_ups == 0
    with pytest.raises(Conflict):
        recipient_follow_ups.close_recipient_follow_up(uow(database), follow_up_id=follow.id, outcome="again")


def test_hospital_staff_see_only_their_own_hospitals_recipients_on_the_home(database):
    _, _, unit, _ = given_and_issued(database)
    testing.record_result(uow(database, "lab"), donation_id=unit.donation_id, test="hiv", outcome="reactive")
    other_site, other_hospital = field_site(database)
    stranger = browser(database, "hospital_staff", "dr.other", hospitals=(other_hospital,))
    assert "recipient-follow-ups" not in stranger.get("/").text
