"""A patient's grouping typed by hand counts for issue only once a blind second entry agrees with it."""

import html
import re

import pytest
from typer.testing import CliRunner

from bloodbank.adapters.db.models import PatientGrouping
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.domain.issue import IssueRefused
from bloodbank.domain.second_entry import SecondEntryDisagrees
from bloodbank.entrypoints.cli import context
from bloodbank.entrypoints.cli.hospital.patients import app as patients_cli
from bloodbank.service_layer.hospital.allocation import allocate
from bloodbank.service_layer.hospital.crossmatch import record_crossmatch
from bloodbank.service_layer.hospital.grouping_errors import mark_grouping_in_error
from bloodbank.service_layer.hospital.issue import electronic_issue_status, issue_unit
from bloodbank.service_layer.hospital.patient_lab import (
    get_patient_chart, give_grouping_second_entry, groupings_awaiting_second_entry, record_grouping,
)
from tests.integration.issue_fixtures import (
    add_sample, audit_actions, clerk, din_scan, get, make_order, make_patient, make_unit, make_ward, unit_status,
)
from tests.integration.web_fixtures import PASSWORD, api, browser, make_user


def typed_by_hand(database, patient_id, group="A+", *, actor="bms.lee"):
    """A grouping typed by hand on a new sample."""
    return record_grouping(clerk(database, actor), patient_id=patient_id, sample_id=add_sample(database, patient_id),
                           blood_group=group, manually_edited=True)


def stored(database, grouping_id) -> PatientGrouping:
    return get(database, PatientGrouping, grouping_id)


def test_a_hand_typed_grouping_does_not_count_for_issue_until_a_second_entry_agrees(database):
    ward = make_ward(database)
    patient = make_patient(database, group="A+", samples=1, hospital_id=ward.hospital)  # one analyser grouping
    unit = make_unit(database, ward.site, "A+")
    typed = typed_by_hand(database, patient.id)
    assert (typed.status, typed.check) == ("single", "awaiting_second_entry")

    order = make_order(database, ward.hospital, patient.id)
    held = allocate(clerk(database), order_id=order)
    assert (held.reserved, held.shortfall) == ((), 1)  # A+ red cells are not for a patient treated as ungrouped
    with pytest.raises(InvalidInput, match="until the patient's group is confirmed"):
        record_crossmatch(clerk(database), patient_id=patient.id, unit_id=unit, sample_id=typed.sample_id,
                          result="compatible")
    allowed, reasons = electronic_issue_status(clerk(database), patient_id=patient.id)
    assert not allowed and any("awaits its second entry" in r for r in reasons)
    chart = get_patient_chart(clerk(database), patient.id)
    assert chart.confirmed_group is None and "awaits its second entry" in chart.group_message

    verified = give_grouping_second_entry(clerk(database, "bms.kai"), grouping_id=typed.id, blood_group="A pos")

    assert (verified.status, verified.check, verified.second_entry_by) == ("confirmed", "verified", "bms.kai")
    [reservation] = allocate(clerk(database), order_id=order).reserved
    assert reservation.unit_id == unit
    with pytest.raises(IssueRefused, match="entered or edited by hand"):  # still no electronic issue
        issue_unit(clerk(database), reservation_id=reservation.id, scanned_unit=din_scan(database, unit),
                   scanned_patient=patient.scan)
    record_crossmatch(clerk(database), patient_id=patient.id, unit_id=unit, sample_id=typed.sample_id,
                      result="compatible")
    issued = issue_unit(clerk(database), reservation_id=reservation.id, scanned_unit=din_scan(database, unit),
                        scanned_patient=patient.scan)
    assert not issued.electronic and unit_status(database, unit) == "issued"
    assert "grouping_second_entry" in audit_actions(database)


def test_a_patient_whose_groupings_are_all_typed_by_hand_and_unverified_is_treated_as_ungrouped(database):
    ward = make_ward(database)
    patient = make_patient(database, group=None, hospital_id=ward.hospital)
    first, second = typed_by_hand(database, patient.id), typed_by_hand(database, patient.id)
    assert second.status == "unverified"
    chart = get_patient_chart(clerk(database), patient.id)
    assert (chart.grouping_status, chart.confirmed_group) == ("unverified", None)
    assert "treated as ungrouped" in chart.group_message
    assert [g.check for g in chart.groupings] == ["awaiting_second_entry", "awaiting_second_entry"]
    o_neg = make_unit(database, ward.site, "O-")
    record_crossmatch(clerk(database), patient_id=patient.id, unit_id=o_neg, sample_id=second.sample_id,
                      result="compatible")
    give_grouping_second_entry(clerk(database), grouping_id=first.id, blood_group="A+")
    assert get_patient_chart(clerk(database), patient.id).grouping_status == "single"
    give_grouping_second_entry(clerk(database), grouping_id=second.id, blood_group="A+")
    assert get_patient_chart(clerk(database), patient.id).confirmed_group == "A+"


def test_a_disagreeing_second_entry_of_a_grouping_is_kept_names_both_groups_and_makes_the_patient_discrepant(
        database, hospital):
    patient = make_patient(database, group="A+", hospital_id=hospital)  # confirmed by the analyser
    typed = typed_by_hand(database, patient.id, "A+")
    with pytest.raises(SecondEntryDisagrees) as error:
        give_grouping_second_entry(clerk(database, "bms.kai"), grouping_id=typed.id, blood_group="A-")
    assert error.value.field == "group"
    assert "Second entry disagrees on the ABO/RhD group: first A+, second A-" in error.value.message
    row = stored(database, typed.id)
    assert (row.blood_group, row.second_entry_group, row.second_entry_by) == ("A+", "A-", "bms.kai")
    chart = get_patient_chart(clerk(database), patient.id)
    assert chart.grouping_status == "discrepant" and "two entries of a grouping typed by hand disagree" in \
        chart.group_message
    [disputed] = [g for g in chart.groupings if g.id == typed.id]
    assert disputed.check == "disputed" and "first A+, second A-" in disputed.disagreement

    make_user(database, "hospital_staff", "bms.kai", hospitals=(hospital,))
    mark_grouping_in_error(clerk(database), grouping_id=typed.id, reason="second entry disagreed: card unreadable",
                           confirmed_by="bms.kai", confirmer_password=PASSWORD)
    assert get_patient_chart(clerk(database), patient.id).grouping_status == "confirmed"


def test_the_list_of_groupings_awaiting_a_second_entry_never_shows_the_group(database):
    patient = make_patient(database, group=None)
    other = make_patient(database, group=None)
    typed = typed_by_hand(database, patient.id, "AB-")
    typed_by_hand(database, other.id, "AB-")
    record_grouping(clerk(database), patient_id=patient.id, sample_id=add_sample(database, patient.id),
                    blood_group="AB-")  # from the analyser: nothing to enter again

    waiting = groupings_awaiting_second_entry(clerk(database), patient_id=patient.id)

    assert [(w.grouping_id, w.patient_id, w.recorded_by) for w in waiting] == [(typed.id, patient.id, "bms.lee")]
    assert "AB-" not in repr(waiting) and not hasattr(waiting[0], "blood_group")
    assert len(groupings_awaiting_second_entry(clerk(database))) == 2


def test_a_grouping_second_entry_is_refused_in_words_and_nothing_is_stored(database):
    patient = make_patient(database, group="A+")
    other = make_patient(database, group=None)
    typed = typed_by_hand(database, patient.id)
    analyser = record_grouping(clerk(database), patient_id=patient.id, sample_id=add_sample(database, patient.id),
                               blood_group="A+")
    with pytest.raises(NotFound, match="There is no grouping 999999"):
        give_grouping_second_entry(clerk(database), grouping_id=999999, blood_group="A+")
    with pytest.raises(NotFound, match=f"no grouping {typed.id} for this patient"):
        give_grouping_second_entry(clerk(database), grouping_id=typed.id, blood_group="A+", patient_id=other.id)
    with pytest.raises(InvalidInput, match="came from the analyser: it needs no second entry"):
        give_grouping_second_entry(clerk(database), grouping_id=analyser.id, blood_group="A+")
    with pytest.raises(InvalidInput):
        give_grouping_second_entry(clerk(database), grouping_id=typed.id, blood_group="A")
    assert stored(database, typed.id).second_entry_at is None
    give_grouping_second_entry(clerk(database), grouping_id=typed.id, blood_group="A+")
    with pytest.raises(Conflict, match="already has its second entry"):
        give_grouping_second_entry(clerk(database), grouping_id=typed.id, blood_group="A+")


# ---------------------------------------------------------------- the API


def test_through_the_api_a_hand_typed_grouping_waits_for_a_blind_second_entry(database, hospital):
    patient = make_patient(database, group=None, hospital_id=hospital)
    staff = api(database, "hospital_staff", "bms.lee", hospitals=(hospital,))
    colleague = api(database, "hospital_staff", "bms.kai", hospitals=(hospital,))
    ids = []
    for _ in range(2):
        sample = add_sample(database, patient.id)
        made = staff.post(f"/api/patients/{patient.id}/groupings",
                          json={"sample_id": sample, "blood_group": "B+", "manually_edited": True})
        assert made.status_code == 201 and made.json()["check"] == "awaiting_second_entry"
        ids.append(made.json()["id"])
    assert made.json()["status"] == "unverified"
    assert staff.get(f"/api/patients/{patient.id}/record").json()["confirmed_group"] is None

    listed = colleague.get("/api/patients/groupings/second-entries", params={"patient_id": patient.id})
    assert listed.status_code == 200 and [i["grouping_id"] for i in listed.json()["items"]] == ids
    assert "B+" not in listed.text and "blood_group" not in listed.json()["items"][0]

    for grouping_id in ids:
        given = colleague.post(f"/api/patients/{patient.id}/groupings/{grouping_id}/second-entry",
                               json={"blood_group": "B pos"})
        assert given.status_code == 201, given.text
    assert given.json()["status"] == "confirmed"
    record = staff.get(f"/api/patients/{patient.id}/record").json()
    assert record["confirmed_group"] == "B+"
    assert [g["second_entry_by"] for g in record["groupings"]] == ["bms.kai", "bms.kai"]


def test_through_the_api_a_disagreeing_or_wrong_grouping_second_entry_is_refused_in_words(database, hospital):
    patient = make_patient(database, group="O+", hospital_id=hospital)
    other = make_patient(database, group=None, hospital_id=hospital)
    typed = typed_by_hand(database, patient.id, "O+")
    staff = api(database, "hospital_staff", hospitals=(hospital,))
    url = f"/api/patients/{patient.id}/groupings/{typed.id}/second-entry"
    wrong_patient = staff.post(f"/api/patients/{other.id}/groupings/{typed.id}/second-entry",
                               json={"blood_group": "O+"})
    assert wrong_patient.status_code == 404
    unreadable = staff.post(url, json={"blood_group": "purple"})
    assert unreadable.status_code == 422
    differs = staff.post(url, json={"blood_group": "O-"})
    assert differs.status_code == 409 and differs.json()["code"] == "second_entry_disagrees"
    assert "first O+, second O-" in differs.json()["message"]
    again = staff.post(url, json={"blood_group": "O+"})
    assert again.status_code == 409 and "already has its second entry" in again.json()["message"]
    assert staff.get(f"/api/patients/{patient.id}/record").json()["grouping_status"] == "discrepant"
    lab = api(database, "lab_technician")
    assert lab.get("/api/patients/groupings/second-entries").status_code == 403


# ---------------------------------------------------------------- the pages


def text_of(answer) -> str:
    return html.unescape(answer.text)


def test_on_the_pages_a_hand_typed_grouping_is_shown_awaiting_and_entered_again_blind(database, hospital):
    patient = make_patient(database, group="AB-", samples=1, hospital_id=hospital)
    sample = add_sample(database, patient.id)
    staff = browser(database, "hospital_staff", "bms.lee", hospitals=(hospital,))
    made = staff.post(f"/hospital/patients/{patient.id}/groupings", data={
        "csrf_token": staff.csrf, "grouping_sample": str(sample), "blood_group": "AB-", "grouping_edited": "on"})
    assert made.status_code == 303 and "grouping_typed" in made.headers["location"]
    page = text_of(staff.get(made.headers["location"]))
    assert "it counts for the patient's group once a second entry agrees" in page
    assert "awaiting a second entry" in page and "not confirmed" in page
    assert f'href="/hospital/groupings/second-entry?patient_id={patient.id}"' in page

    colleague = browser(database, "hospital_staff", "bms.kai", hospitals=(hospital,))
    listed = colleague.get("/hospital/groupings/second-entry")
    [grouping_id] = re.findall(r'href="/hospital/groupings/(\d+)/second-entry"', listed.text)
    assert "AB-" not in text_of(listed)
    form = colleague.get(f"/hospital/groupings/{grouping_id}/second-entry")
    assert form.status_code == 200 and "AB-" not in text_of(form)
    done = colleague.post(f"/hospital/groupings/{grouping_id}/second-entry",
                          data={"csrf_token": colleague.csrf, "blood_group": "AB neg"})
    assert done.status_code == 200 and "verified: both entries agree" in text_of(done)
    assert "confirmed" in text_of(done)
    assert ">AB-</bdi></strong> (confirmed)" in text_of(staff.get(f"/hospital/patients/{patient.id}"))


def test_on_the_pages_a_disagreeing_grouping_second_entry_names_both_groups(database, hospital):
    patient = make_patient(database, group=None, hospital_id=hospital)
    typed = typed_by_hand(database, patient.id, "B-")
    staff = browser(database, "hospital_staff", hospitals=(hospital,))
    answer = staff.post(f"/hospital/groupings/{typed.id}/second-entry",
                        data={"csrf_token": staff.csrf, "blood_group": "B+"})
    assert answer.status_code == 409 and "first B-, second B+" in text_of(answer)
    assert "first B-, second B+" in text_of(staff.get(f"/hospital/patients/{patient.id}"))
    missing = staff.get("/hospital/groupings/999999/second-entry")
    assert missing.status_code == 404 and "There is no grouping 999999" in text_of(missing)


# ---------------------------------------------------------------- the command line

runner = CliRunner()


@pytest.fixture
def hospital(database) -> int:
    """The hospital of the patients and the staff of a test: staff see only their own hospitals' patients."""
    return make_ward(database).hospital


@pytest.fixture
def cli(database, hospital):
    context.set_database_url(database.url)
    make_user(database, "hospital_staff", "bms.lee", hospitals=(hospital,))
    make_user(database, "hospital_staff", "bms.kai", hospitals=(hospital,))
    yield lambda *args, user="bms.lee": runner.invoke(patients_cli, [str(a) for a in args],
                                                      env={"BLOODBANK_USER": user, "COLUMNS": "250"})
    context.set_database_url(None)


def said(result) -> str:
    return " ".join(result.output.split())


def test_from_the_command_line_a_hand_typed_grouping_waits_for_its_second_entry(database, hospital, cli):
    patient = make_patient(database, group=None, identifier="RXH:424242", hospital_id=hospital)
    sample = add_sample(database, patient.id)
    typed = cli("group", patient.scan, "O+", "--sample", sample, "--manual")
    assert typed.exit_code == 0 and "group is unverified" in said(typed) and "second entry" in said(typed)
    listed = cli("second-entries", "--patient", patient.scan, user="bms.kai")
    assert listed.exit_code == 0 and "sample S" in said(listed) and "O+" not in listed.output
    grouping_id = int(re.search(r"Grouping #(\d+)", listed.output).group(1))
    assert "AWAITING A SECOND ENTRY" in said(cli("show", patient.scan))
    differs = cli("second-entry", patient.scan, "O-", "--grouping", grouping_id, user="bms.kai")
    assert differs.exit_code == 1 and "first O+, second O-" in said(differs)
    assert stored(database, grouping_id).second_entry_group == "O-"
    again = cli("second-entry", patient.scan, "O+", "--grouping", grouping_id, user="bms.kai")
    assert again.exit_code == 1 and "already has its second entry" in said(again)


def test_from_the_command_line_a_matching_grouping_second_entry_verifies_it(database, hospital, cli):
    patient = make_patient(database, group="A+", samples=1, identifier="RXH:434343", hospital_id=hospital)
    sample = add_sample(database, patient.id)
    cli("group", patient.scan, "A+", "--sample", sample, "--manual")
    [waiting] = groupings_awaiting_second_entry(clerk(database), patient_id=patient.id)
    given = cli("second-entry", patient.scan, "A pos", "--grouping", waiting.grouping_id, user="bms.kai")
    assert given.exit_code == 0 and "Verified" in said(given) and "group is confirmed" in said(given)
