"""Bad input on both databases: a clear refusal in words, never a server error, and nothing written."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from typer.testing import CliRunner

from sqlalchemy import select

from bloodbank.adapters.db.models import Appointment, Order, Patient
from bloodbank.domain.errors import InvalidInput
from bloodbank.entrypoints.cli import app
from bloodbank.service_layer.hospital import hospitals, patients
from bloodbank.service_layer.staff import users
from tests.integration.patient_fixtures import clerk, count_rows, make_hospital, make_patient
from tests.integration.web_fixtures import PASSWORD, api, browser, make_user

NUL, RLO = "\x00", "\u202e"


def test_a_nul_byte_in_a_search_is_refused_in_words(database):
    client = api(database, "clerk")
    answer = client.get("/api/donors", params={"q": f"Ada{NUL}Lovelace"})
    assert answer.status_code == 422
    assert "control character" in answer.json()["message"]


def test_a_nul_byte_in_an_order_note_is_refused_and_nothing_is_written(database):
    hospital = make_hospital(database)
    patient = make_patient(database, ("mrn", "RXH:1"), hospital_id=hospital)
    client = api(database, "hospital_staff", hospitals=(hospital,))
    answer = client.post("/api/orders", json={
        "hospital_id": hospital, "patient_id": patient, "kind": "red_cells", "quantity": 1,
        "needed_by": "2099-01-01T10:00:00+00:00", "note": f"theatre{NUL}3"})
    assert answer.status_code == 422, answer.text
    assert count_rows(database, Order) == 0


def test_a_time_before_the_first_representable_instant_is_refused_in_words(database):
    hospital = make_hospital(database)
    client = api(database, "hospital_staff", hospitals=(hospital,))
    answer = client.post("/api/orders", json={
        "hospital_id": hospital, "kind": "red_cells", "quantity": 1, "for_stock": True,
        "needed_by": "0001-01-01T00:00:00+14:00"})
    assert answer.status_code == 422, answer.text
    assert answer.json()["message"]


@pytest.mark.parametrize("path", ["/api/patients/2147483648", "/api/orders/2147483648", "/api/units/2147483648",
                                  "/api/donors/2147483648", "/api/hospitals/2147483648"])
def test_an_id_past_the_columns_range_is_refused_by_every_api_route(database, path):
    answer = api(database, "medical_director").get(path)
    assert answer.status_code == 422, (path, answer.text)


def test_an_id_past_the_columns_range_in_a_body_is_refused(database):
    answer = api(database, "hospital_staff").post("/api/orders", json={
        "hospital_id": 2**31, "kind": "red_cells", "quantity": 1, "for_stock": True,
        "needed_by": "2099-01-01T10:00:00+00:00"})
    assert answer.status_code == 422


def test_an_id_past_the_columns_range_on_the_command_line_is_a_message(database):
    make_user(database, "lab_technician", "lab.lee")
    result = CliRunner().invoke(app, ["--database", database.url, "lab", "release", str(2**31), "--as", "lab.lee"],
                                env={"BLOODBANK_PASSWORD": PASSWORD})
    assert result.exit_code == 1
    assert "out of range" in result.output and "Traceback" not in result.output


def test_an_id_past_the_columns_range_on_a_page_is_not_a_server_error(database):
    client = browser(database, "medical_director")
    for path in ("/hospital/orders/2147483648", "/hospital/patients/2147483648", "/desk/donors/2147483648"):
        assert client.get(path).status_code in (404, 422), path


@pytest.mark.parametrize("name", [f"Ada{RLO}ecalevoL", "Ada\x07", f"Ada{NUL}"])
def test_a_patients_name_refuses_what_a_donors_name_refuses(database, name):
    hospital = make_hospital(database, code="RXH")
    with pytest.raises(InvalidInput, match="control character"):
        patients.register_patient(clerk(database), hospital_id=hospital, identifiers=[("mrn", "RXH:9")],
                                  given_name=name, family_name="Lovelace")
    assert count_rows(database, Patient) == 0


def test_a_staff_members_name_refuses_control_characters(database):
    with pytest.raises(InvalidInput, match="control character"):
        users.create_user(clerk(database), username="ana", full_name=f"Ana{RLO}", role="clerk",
                          password="a long enough password")


def test_arabic_and_persian_names_keep_their_joiners_and_marks(database):
    hospital = make_hospital(database, code="RXH")
    view = patients.register_patient(clerk(database), hospital_id=hospital, identifiers=[("mrn", "RXH:7")],
                                     given_name="مهر\u200cناز", family_name="\u200fأحمد")
    assert view.given_name == "مهر\u200cناز"


def test_the_last_guard_refuses_control_characters_whatever_the_entry_point(database):
    # Neither use case cleans this input itself: the engine's guard refuses it, on both databases.
    with pytest.raises(InvalidInput, match="control character"):
        hospitals.get_hospital(clerk(database), f"RX{NUL}H")
    with pytest.raises(InvalidInput, match="out of range"):
        patients.get_patient(clerk(database), 2**40)


def test_a_time_that_overflows_on_its_way_to_utc_is_refused_in_words(database):
    first_instant_east = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))
    uow = clerk(database)
    with pytest.raises(InvalidInput, match="out of range"):
        with uow:
            uow.session.execute(select(Appointment).where(Appointment.starts_at >= first_instant_east)).all()
