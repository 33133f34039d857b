"""Correcting a patient's name, date of birth or sex: a reason every time, the old values kept in the history,
the same rules on the page, the API and the command line, and only for those who see the patient."""

from __future__ import annotations

import html
from datetime import date

import pytest
from typer.testing import CliRunner

from bloodbank.domain.errors import InvalidInput, NotFound
from bloodbank.domain.hospital_scope import scope_of
from bloodbank.entrypoints.cli.app import app as cli_app
from bloodbank.service_layer.hospital.patients import get_patient, patient_history, update_patient_details
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from tests.integration.patient_fixtures import audit_count, clerk, make_hospital, make_patient
from tests.integration.web_fixtures import api, browser, make_user


@pytest.fixture
def ward(database):
    hospital = make_hospital(database, code="RXH")
    patient = make_patient(database, ("mrn", "RXH:000777"), hospital_id=hospital)
    return hospital, patient


def test_a_correction_changes_only_what_is_given_and_keeps_the_old_values_with_the_reason(database, ward):
    _, patient = ward
    view = update_patient_details(clerk(database, "ward.kim"), patient_id=patient, reason="misspelt at admission",
                                  family_name="Exemple", date_of_birth=date(1980, 7, 15))
    assert (view.given_name, view.family_name, view.date_of_birth, view.sex) == (
        "Mary", "Exemple", date(1980, 7, 15), "F")
    [change] = patient_history(clerk(database), patient_id=patient, role="medical_director")
    assert (change.actor, change.action, change.fields, change.reason) == (
        "ward.kim", "update", ("date_of_birth", "family_name"), "misspelt at admission")


@pytest.mark.parametrize("changes, message", [
    ({"family_name": "X", "reason": " "}, "Give the reason"),
    ({"date_of_birth": date(2999, 1, 1), "reason": "typo"}, "is not possible"),
    ({"sex": "Q", "reason": "typo"}, "Sex .Q. not understood"),
    ({"hospital_id": 3, "reason": "moved"}, "cannot be changed here"),
    ({"family_name": "A\x00B", "reason": "typo"}, "family name"),
])
def test_a_bad_correction_is_refused_in_words_and_nothing_changes(database, ward, changes, message):
    _, patient = ward
    before, entries = get_patient(clerk(database), patient), audit_count(database)
    changes = dict(changes)  # the parameters are shared by both databases' runs
    reason = changes.pop("reason")
    with pytest.raises(InvalidInput, match=message):
        update_patient_details(clerk(database), patient_id=patient, reason=reason, **changes)
    assert get_patient(clerk(database), patient) == before and audit_count(database) == entries


def test_the_same_values_again_change_nothing_and_write_nothing(database, ward):
    _, patient = ward
    entries = audit_count(database)
    update_patient_details(clerk(database), patient_id=patient, reason="checked", given_name="Mary")
    assert audit_count(database) == entries


def test_the_page_corrects_the_details_and_shows_the_history(database, ward):
    hospital, patient = ward
    nurse = browser(database, "hospital_staff", "ward.web", hospitals=(hospital,))
    page = nurse.get(f"/hospital/patients/{patient}")
    assert 'id="details-link"' in page.text
    refused = nurse.post(f"/hospital/patients/{patient}/details", data={
        "csrf_token": nurse.csrf, "given_name": "Marie", "family_name": "Example", "date_of_birth": "1980-05-17",
        "sex": "F", "reason": ""})
    assert refused.status_code == 422 and "Give the reason" in html.unescape(refused.text)
    assert 'value="Marie"' in refused.text  # what was typed is kept
    saved = nurse.post(f"/hospital/patients/{patient}/details", data={
        "csrf_token": nurse.csrf, "given_name": "Marie", "family_name": "Example", "date_of_birth": "1980-05-17",
        "date_of_birth_estimated": "on", "sex": "F", "reason": "passport seen"})
    assert saved.status_code == 303, saved.text
    shown = html.unescape(nurse.get(saved.headers["location"]).text)
    assert "Details saved" in shown and "passport seen" in shown and "given name" in shown
    assert get_patient(clerk(database), patient).date_of_birth_estimated is True


def test_the_api_patches_only_the_fields_sent_and_other_hospitals_see_nothing(database, ward):
    hospital, patient = ward
    insider = api(database, "hospital_staff", "ward.api", hospitals=(hospital,))
    done = insider.patch(f"/api/patients/{patient}", json={"sex": "M", "reason": "recorded wrongly"})
    assert done.status_code == 200 and done.json()["sex"] == "M" and done.json()["family_name"] == "Example"
    history = insider.get(f"/api/patients/{patient}/history").json()
    assert history[0]["fields"] == ["sex"] and history[0]["reason"] == "recorded wrongly"
    assert insider.patch(f"/api/patients/{patient}", json={"sex": "M"}).status_code == 422  # no reason
    outsider = api(database, "hospital_staff", "ward.out", hospitals=(make_hospital(database),))
    assert outsider.patch(f"/api/patients/{patient}", json={"sex": "F", "reason": "x"}).status_code == 404
    assert outsider.get(f"/api/patients/{patient}/history").status_code == 404
    with pytest.raises(NotFound):
        update_patient_details(UnitOfWork(database, actor="x", scope=scope_of("hospital_staff", ())),
                               patient_id=patient, reason="x", sex="F")
    assert get_patient(clerk(database), patient).sex == "M"


def test_the_command_line_corrects_with_a_reason(database, ward):
    hospital, patient = ward
    make_user(database, "hospital_staff", "ward.cli", hospitals=(hospital,))
    result = CliRunner().invoke(cli_app, ["--database", database.url, "patients", "edit", "mrn:RXH:000777",
                                          "--given", "Maria", "--reason", "spelling", "--as", "ward.cli"])
    assert result.exit_code == 0, result.output
    assert get_patient(clerk(database), patient).given_name == "Maria"
    refused = CliRunner().invoke(cli_app, ["--database", database.url, "patients", "edit", "mrn:RXH:000777",
                                           "--dob", "1980-02-31", "--reason", "typo", "--as", "ward.cli"])
    assert refused.exit_code != 0
