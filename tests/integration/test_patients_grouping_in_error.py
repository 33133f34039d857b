"""A grouping entered in error (wrong blood in tube), and no crossmatch for a held unit of the wrong group."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bloodbank.adapters.db.models import AuditEntry, Crossmatch, PatientGrouping, Signature
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound, SecondCheckRefused
from bloodbank.entrypoints.cli import context
from bloodbank.entrypoints.cli.hospital.patients import app as patients_cli
from bloodbank.service_layer.hospital.allocation import allocate
from bloodbank.service_layer.hospital.crossmatch import record_crossmatch
from bloodbank.service_layer.hospital.grouping_errors import mark_grouping_in_error
from bloodbank.service_layer.hospital.patient_lab import get_patient_record
from bloodbank.service_layer.hospital.workup import order_workup
from bloodbank.service_layer.staff import users
from tests.integration.issue_fixtures import (
    add_grouping, clerk, make_order, make_patient, make_unit, make_ward,
)
from tests.integration.web_fixtures import PASSWORD, api, browser, every_hospital, join_hospitals, make_user

runner = CliRunner()


def grouping_on(database, sample_id: int) -> int:
    with database.sessions() as session:
        return session.execute(select(PatientGrouping.id).where(PatientGrouping.sample_id == sample_id)).scalar_one()


def grouping_row(database, grouping_id: int) -> PatientGrouping:
    with database.sessions() as session:
        return session.get(PatientGrouping, grouping_id)


def signatures(database, action: str = "grouping_in_error") -> list[Signature]:
    with database.sessions() as session:
        return list(session.execute(select(Signature).where(Signature.action == action)).scalars())


def wrong_blood_in_tube(database, *, screen: bool = True):
    """A confirmed A+ patient (positive screen: crossmatch needed), an A+ unit held, then a B+ result on a new
    sample: the groupings disagree. Returns (ward, person, unit, order, the B+ grouping's id)."""
    ward = make_ward(database)
    person = make_patient(database, hospital_id=ward.hospital, screen=screen)
    unit = make_unit(database, ward.site, "A+")
    order = make_order(database, ward.hospital, person.id)
    allocate(clerk(database), order_id=order)
    wrong = grouping_on(database, add_grouping(database, person.id, "B+"))
    return ward, person, unit, order, wrong


# ---------------------------------------------------------------- the use case


def test_a_grouping_marked_in_error_stops_counting_and_the_patient_is_confirmed_again(database):
    ward, person, unit, order, wrong = wrong_blood_in_tube(database)
    make_user(database, "hospital_staff", "bms.two", hospitals=every_hospital(database))
    assert get_patient_record(clerk(database), person.id).grouping_status == "discrepant"

    view = mark_grouping_in_error(clerk(database, "bms.one"), grouping_id=wrong, reason="wrong blood in tube",
                                  confirmed_by=" BMS.Two ", confirmer_password=PASSWORD, patient_id=person.id)
    assert (view.status_before, view.status_after) == ("discrepant", "confirmed")
    assert get_patient_record(clerk(database), person.id).grouping_status == "confirmed"
    row = grouping_row(database, wrong)
    assert (row.in_error_by, row.in_error_confirmed_by, row.in_error_reason) == (
        "bms.one", "bms.two", "wrong blood in tube")
    assert row.in_error_at is not None and row.blood_group == "B+"  # kept, never overwritten
    with database.sessions() as session:
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "mark_grouping_in_error")).scalar_one()
    assert entry.actor == "bms.one" and entry.reason == "wrong blood in tube"


def test_a_single_grouping_left_makes_the_patient_unconfirmed_not_discrepant(database):
    ward = make_ward(database)
    person = make_patient(database, hospital_id=ward.hospital, group=None)
    add_grouping(database, person.id, "A+")
    wrong = grouping_on(database, add_grouping(database, person.id, "O+"))
    make_user(database, "hospital_staff", "bms.two", hospitals=every_hospital(database))
    assert get_patient_record(clerk(database), person.id).grouping_status == "discrepant"
    mark_grouping_in_error(clerk(database, "bms.one"), grouping_id=wrong, reason="sample from another patient",
                           confirmed_by="bms.two", confirmer_password=PASSWORD)
    assert get_patient_record(clerk(database), person.id).grouping_status == "single"


def test_marking_in_error_is_refused_with_clear_messages(database):
    ward, person, unit, order, wrong = wrong_blood_in_tube(database)
    make_user(database, "hospital_staff", "bms.two", hospitals=every_hospital(database))
    make_user(database, "lab_technician", "lab.tech")
    gone = make_user(database, "hospital_staff", "bms.gone", hospitals=every_hospital(database))
    users.set_active(clerk(database, "admin"), user_id=gone.id, active=False, reason="left")
    uow = lambda: clerk(database, "bms.one")  # noqa: E731
    with pytest.raises(InvalidInput, match="Give the reason"):
        mark_grouping_in_error(uow(), grouping_id=wrong, reason="  ", confirmed_by="bms.two", confirmer_password=PASSWORD)
    with pytest.raises(InvalidInput, match="someone other than the one marking it"):
        mark_grouping_in_error(uow(), grouping_id=wrong, reason="wbit", confirmed_by="bms.one", confirmer_password=PASSWORD)
    with pytest.raises(InvalidInput, match="Name the second person"):
        mark_grouping_in_error(uow(), grouping_id=wrong, reason="wbit", confirmed_by="", confirmer_password=PASSWORD)
    # An unknown name, a disabled account and a wrong password read the same: nothing tells them apart.
    for name, password in (("nobody", PASSWORD), ("bms.gone", PASSWORD), ("bms.two", "not his password")):
        with pytest.raises(SecondCheckRefused, match="user name or password is wrong"):
            mark_grouping_in_error(uow(), grouping_id=wrong, reason="wbit", confirmed_by=name,
                                   confirmer_password=password)
    with pytest.raises(InvalidInput, match="second person checking the grouping entered in error confirms"):
        mark_grouping_in_error(uow(), grouping_id=wrong, reason="wbit", confirmed_by="bms.two")
    with pytest.raises(InvalidInput, match="lab.tech may not check the grouping entered in error"):
        mark_grouping_in_error(uow(), grouping_id=wrong, reason="wbit", confirmed_by="lab.tech", confirmer_password=PASSWORD)
    with pytest.raises(NotFound, match="no grouping 999999"):
        mark_grouping_in_error(uow(), grouping_id=999999, reason="wbit", confirmed_by="bms.two", confirmer_password=PASSWORD)
    other = make_patient(database, hospital_id=ward.hospital)
    with pytest.raises(NotFound, match="for this patient"):
        mark_grouping_in_error(uow(), grouping_id=wrong, reason="wbit", confirmed_by="bms.two", confirmer_password=PASSWORD, patient_id=other.id)
    assert grouping_row(database, wrong).in_error_at is None
    mark_grouping_in_error(uow(), grouping_id=wrong, reason="wbit", confirmed_by="bms.two", confirmer_password=PASSWORD)
    with pytest.raises(Conflict, match="already marked entered in error by bms.one"):
        mark_grouping_in_error(uow(), grouping_id=wrong, reason="again", confirmed_by="bms.two", confirmer_password=PASSWORD)


# ---------------------------------------------------------------- no crossmatch for a held unit of the wrong group


def test_the_order_offers_no_crossmatch_for_a_held_unit_the_discrepant_patient_may_not_have(database):
    ward, person, unit, order, wrong = wrong_blood_in_tube(database)
    workup = order_workup(clerk(database), order_id=order)
    [held] = workup.held
    assert workup.grouping_status == "discrepant"
    assert held.reservation.unit_id == unit and not held.crossmatch_needed
    assert "is A+" in held.incompatible and "disagree (A+, B+)" in held.incompatible

    staff = browser(database, "hospital_staff", hospitals=every_hospital(database))
    page = html.unescape(staff.get(f"/hospital/orders/{order}").text)
    assert "Record crossmatch" not in page and 'name="crossmatch_unit"' not in page
    assert "Not compatible with this patient" in page

    make_user(database, "hospital_staff", "bms.two", hospitals=every_hospital(database))
    mark_grouping_in_error(clerk(database, "bms.one"), grouping_id=wrong, reason="wbit", confirmed_by="bms.two", confirmer_password=PASSWORD)
    [held] = order_workup(clerk(database), order_id=order).held
    assert held.incompatible is None and held.crossmatch_needed
    assert "Record crossmatch" in staff.get(f"/hospital/orders/{order}").text


def test_a_compatible_crossmatch_of_a_wrong_group_unit_is_refused_saying_why(database):
    ward, person, unit, order, wrong = wrong_blood_in_tube(database)
    with pytest.raises(InvalidInput) as refused:
        record_crossmatch(clerk(database), patient_id=person.id, unit_id=unit, sample_id=person.sample_id,
                          result="compatible")
    assert "is A+" in refused.value.message and "disagree (A+, B+)" in refused.value.message
    with database.sessions() as session:
        assert session.execute(select(Crossmatch.id)).first() is None
    # An incompatible result is always recorded: it only ever stops an issue.
    record_crossmatch(clerk(database), patient_id=person.id, unit_id=unit, sample_id=person.sample_id,
                      result="incompatible")

    confirmed = make_patient(database, hospital_id=ward.hospital, screen=True)
    other = make_unit(database, ward.site, "B+")
    with pytest.raises(InvalidInput, match="B\\+: NOT compatible with the patient's group A\\+"):
        record_crossmatch(clerk(database), patient_id=confirmed.id, unit_id=other, sample_id=confirmed.sample_id,
                          result="compatible")


def test_the_order_page_refuses_a_crossmatch_posted_for_a_wrong_group_unit(database):
    ward, person, unit, order, wrong = wrong_blood_in_tube(database)
    staff = browser(database, "hospital_staff", hospitals=every_hospital(database))
    answer = staff.post(f"/hospital/orders/{order}/crossmatch", data={
        "csrf_token": staff.csrf, "crossmatch_patient": str(person.id), "crossmatch_unit": str(unit),
        "crossmatch_sample": str(person.sample_id), "crossmatch_result": "compatible",
        "crossmatch_method": "serological"})
    assert answer.status_code == 422
    assert "A compatible crossmatch of this unit is not recorded" in html.unescape(answer.text)


# ---------------------------------------------------------------- signed, at every entry point


def in_error_url(person, grouping_id: int) -> str:
    return f"/api/patients/{person.id}/groupings/{grouping_id}/in-error"


def test_the_api_marks_a_grouping_in_error_under_the_signers_signature(database):
    ward, person, unit, order, wrong = wrong_blood_in_tube(database)
    staff = api(database, "hospital_staff", "bms.one", hospitals=every_hospital(database))
    make_user(database, "hospital_staff", "bms.two", hospitals=every_hospital(database))
    answer = staff.post(in_error_url(person, wrong), json={
        "reason": "wrong blood in tube", "confirmed_by": "bms.two", "confirmer_password": PASSWORD, "signature_password": PASSWORD})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["status_before"], body["status_after"], body["in_error_confirmed_by"]) == (
        "discrepant", "confirmed", "bms.two")
    [signature] = signatures(database)
    assert signature.user_id == staff.user.id and signature.entity == "patient"
    assert signature.meaning == (f"I declare grouping {wrong} (B+, sample {body['sample_number']}) entered in error; "
                                 "it no longer counts for this patient.")
    assert staff.get(f"/api/patients/{person.id}/record").json()["grouping_status"] == "confirmed"


def test_the_api_refuses_a_wrong_password_the_signer_as_second_person_and_a_role_without_the_permission(database):
    ward, person, unit, order, wrong = wrong_blood_in_tube(database)
    staff = api(database, "hospital_staff", "bms.one", hospitals=every_hospital(database))
    make_user(database, "hospital_staff", "bms.two", hospitals=every_hospital(database))
    wrong_password = staff.post(in_error_url(person, wrong), json={
        "reason": "wbit", "confirmed_by": "bms.two", "confirmer_password": PASSWORD, "signature_password": "not my password"})
    assert wrong_password.status_code in (401, 403), wrong_password.text
    same_person = staff.post(in_error_url(person, wrong), json={
        "reason": "wbit", "confirmed_by": "bms.one", "confirmer_password": PASSWORD, "signature_password": PASSWORD})
    assert same_person.status_code == 422
    assert "someone other than the one marking it" in same_person.text
    technician = api(database, "lab_technician", "lab.tech")
    forbidden = technician.post(in_error_url(person, wrong), json={
        "reason": "wbit", "confirmed_by": "bms.two", "confirmer_password": PASSWORD, "signature_password": PASSWORD})
    assert forbidden.status_code == 403
    assert grouping_row(database, wrong).in_error_at is None and signatures(database) == []


def test_the_patient_page_marks_a_grouping_in_error_signed(database):
    ward, person, unit, order, wrong = wrong_blood_in_tube(database)
    staff = browser(database, "hospital_staff", "bms.one", hospitals=every_hospital(database))
    make_user(database, "hospital_staff", "bms.two", hospitals=every_hospital(database))
    page = html.unescape(staff.get(f"/hospital/patients/{person.id}").text)
    assert "Mark a grouping entered in error" in page and "I declare grouping chosen above entered in error" in page
    form = {"csrf_token": staff.csrf, "grouping_id": str(wrong), "in_error_reason": "wrong blood in tube",
            "in_error_confirmed_by": "bms.one", "in_error_confirmer_password": PASSWORD, "signature_password": PASSWORD}
    same = staff.post(f"/hospital/patients/{person.id}/groupings/in-error", data=form)
    assert same.status_code == 422 and "someone other than the one marking it" in html.unescape(same.text)
    bad = staff.post(f"/hospital/patients/{person.id}/groupings/in-error",
                     data={**form, "in_error_confirmed_by": "bms.two", "in_error_confirmer_password": PASSWORD, "signature_password": "nope nope nope"})
    assert bad.status_code in (401, 403) and grouping_row(database, wrong).in_error_at is None
    done = staff.post(f"/hospital/patients/{person.id}/groupings/in-error",
                      data={**form, "in_error_confirmed_by": "bms.two"})
    assert done.status_code == 303, done.text
    # The page as read: a person's name is isolated in its own direction (<bdi>) inside the sentence.
    after = re.sub(r"<[^>]+>", "", html.unescape(staff.get(done.headers["location"]).text))
    assert "Entered in error" in after and "confirmed by bms.two" in after and "(confirmed)" in after
    assert len(signatures(database)) == 1


@pytest.fixture
def cli(database):
    context.set_database_url(database.url)
    make_user(database, "hospital_staff", "bms.one")
    make_user(database, "hospital_staff", "bms.two")
    make_user(database, "lab_technician", "lab.tech")
    yield lambda *args, user="bms.one", password=PASSWORD, second=PASSWORD: runner.invoke(
        patients_cli, [str(a) for a in args],
        env={"BLOODBANK_USER": user, "BLOODBANK_PASSWORD": password, "BLOODBANK_SECOND_PASSWORD": second,
             "COLUMNS": "250"})
    context.set_database_url(None)


def test_the_command_line_marks_a_grouping_in_error_signed_and_refuses_the_rest(database, cli):
    ward, person, unit, order, wrong = wrong_blood_in_tube(database)
    for name in ("bms.one", "bms.two"):
        join_hospitals(database, name, ward.hospital)
    args = ("grouping-in-error", person.scan, "--grouping", wrong, "--reason", "wrong blood in tube")
    refused = cli(*args, "--confirmed-by", "bms.two", user="lab.tech")
    assert refused.exit_code == 1 and "patients.write" in refused.output
    bad = cli(*args, "--confirmed-by", "bms.two", password="not my password")
    assert bad.exit_code == 1 and "password does not match" in bad.output
    wrong_second = cli(*args, "--confirmed-by", "bms.two", second="not his password")
    assert wrong_second.exit_code == 1 and "user name or password is wrong" in " ".join(wrong_second.output.split())
    same = cli(*args, "--confirmed-by", "bms.one")
    assert same.exit_code == 1 and "someone other than the one marking it" in " ".join(same.output.split())
    assert grouping_row(database, wrong).in_error_at is None and signatures(database) == []

    done = cli(*args, "--confirmed-by", "bms.two")
    assert done.exit_code == 0, done.output
    assert "now confirmed (was discrepant)" in " ".join(done.output.split())
    [signature] = signatures(database)
    assert signature.entity_id == str(person.id)
    shown = " ".join(cli("show", person.scan).output.split())
    assert f"Grouping #{wrong} B+" in shown and "ENTERED IN ERROR" in shown and "confirmed" in shown
