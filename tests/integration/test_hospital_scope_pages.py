"""Each hospital sees its own on the pages: another hospital's patient, order or bedside record is not found,
even when its id is slipped into a form of one's own record, and the home page shows one's own hospitals."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from sqlalchemy import func, select

from bloodbank.adapters.db.models import (
    Issue, Order, Patient, RecallUnit, Reservation, SpecialRequirement, Transfusion, Unit,
)
from bloodbank.adapters.db.models.base import utcnow

from tests.integration.scope_fixtures import two_hospitals
from tests.integration.web_fixtures import PASSWORD, browser


AFTER = {"after_temperature_c": "36.8", "after_pulse": "72", "after_systolic": "120", "after_diastolic": "80",
         "after_respiratory_rate": "14", "after_spo2": "98"}


def ward_staff(database, *wards, name="ward.page"):
    return browser(database, "hospital_staff", name, hospitals=tuple(w.hospital for w in wards))


def post(client, path: str, **fields):
    return client.post(path, data={"csrf_token": client.csrf, **fields})


def blanked(answer) -> str:
    """The message of the page, its numbers blanked: another hospital's record reads as a missing one."""
    text = html.unescape(answer.text)
    found = re.search(r'<div class="message error" role="alert">(.*?)</div>', text, re.S) or \
        re.search(r"<main[^>]*>(.*?)</main>", text, re.S)
    return re.sub(r"\d+", "#", found.group(1) if found else text)


def test_another_hospitals_pages_are_not_found_as_records_that_do_not_exist(database):
    a, b = two_hospitals(database)
    client = ward_staff(database, a)
    pages = ("/hospital/patients/{patient}", "/hospital/orders/{open_order}", "/hospital/issues/{issue}",
             "/hospital/groupings/{typed_grouping}/second-entry")
    for page in pages:
        own = client.get(page.format(**vars(a)))
        assert own.status_code == 200, page
        hidden = client.get(page.format(**vars(b)))
        missing = client.get(re.sub(r"\{\w+\}", "999999", page))
        assert hidden.status_code == missing.status_code == 404, page
        assert blanked(hidden) == blanked(missing), page
        assert "Bravo" not in hidden.text


def count_issues(database) -> int:
    with database.sessions() as session:
        return session.scalar(select(func.count()).select_from(Issue))


def test_another_hospitals_ids_posted_in_ones_own_forms_are_not_found_and_nothing_is_done(database):
    a, b = two_hospitals(database)
    client = ward_staff(database, a)
    posts = {
        f"/hospital/patients/{a.patient}/requirements/end": dict(requirement_id=b.requirement, end_reason="done"),
        f"/hospital/patients/{a.patient}/groupings": dict(grouping_sample=b.sample, blood_group="A+"),
        f"/hospital/patients/{a.patient}/merge": dict(duplicate=f"id:{b.patient}", merge_reason="same person"),
        f"/hospital/patients/{b.patient}/samples": dict(sample_number="X1", taken_by="nurse.kim"),
        f"/hospital/orders/{a.open_order}/release": dict(release_reservation=b.reservation, release_reason="no"),
        f"/hospital/orders/{a.open_order}/crossmatch": dict(crossmatch_patient=b.patient,
                                                            crossmatch_unit=b.reserved_unit,
                                                            crossmatch_sample=b.sample,
                                                            crossmatch_result="compatible"),
        f"/hospital/orders/{b.open_order}/cancel": dict(cancel_reason="not needed"),
        f"/hospital/issues/{a.issue}/vitals": dict(transfusion_id=b.transfusion, during_pulse="80"),
        f"/hospital/issues/{a.issue}/end": dict(transfusion_id=b.transfusion, volume_given_ml="100",
                                               outcome="completed", **AFTER),
        f"/hospital/issues/{b.issue}/return": dict(minutes_out="5", cold_chain="on"),
        "/hospital/recalls/handled": dict(recall_id=b.recall, unit_id=b.issued_unit, note="sent back"),
        "/hospital/patients": dict(hospital_id=b.hospital, system_1="passport", value_1="GBR:121212121"),
        "/hospital/orders": dict(hospital_id=a.hospital, patient_id=b.patient, kind="red_cells", quantity="1",
                                 needed_by=(utcnow() + timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M"),
                                 urgency="routine"),
        "/hospital/emergency": dict(patient_id=b.patient, unit_id=b.emergency_unit, scanned_unit="x",
                                    scanned_patient=b.wristband, reason="bleeding", signature_password=PASSWORD),
    }
    issues_before = count_issues(database)
    for path, fields in posts.items():
        answer = post(client, path, **fields)
        assert answer.status_code == 404, (path, answer.status_code, html.unescape(answer.text)[-600:])
        assert "Bravo" not in answer.text, path
    # The bag scanned is the choice at issue: another hospital's bag and band are refused as not this order's
    # unit and patient, in words that name nothing of the other hospital.
    scanned = post(client, f"/hospital/orders/{a.open_order}/issue", scanned_unit=f"={b.reserved_din}00",
                   scanned_patient=b.wristband)
    assert scanned.status_code == 409, html.unescape(scanned.text)[-600:]
    assert "Bravo" not in scanned.text
    assert count_issues(database) == issues_before
    with database.sessions() as session:
        assert session.get(Order, b.open_order).status == "open"
        assert session.get(Reservation, b.reservation).released_at is None
        assert session.get(Transfusion, b.transfusion).ended_at is None
        assert session.get(SpecialRequirement, b.requirement).until is None
        assert session.get(Patient, b.patient).merged_into_id is None
        assert session.get(Unit, b.issued_unit).status == "issued"
        assert session.get(Unit, b.emergency_unit).status == "available"
        assert session.execute(select(RecallUnit.handled_at).where(RecallUnit.recall_id == b.recall)).scalar() is None


def test_the_home_page_shows_ones_own_hospitals_orders_and_tasks_only(database):
    a, b = two_hospitals(database)
    page = html.unescape(ward_staff(database, a).get("/hospital").text)
    assert f"Your hospital: Alpha General Hospital ({a.code}). Patients and" in " ".join(page.split())
    assert f"/hospital/orders/{a.open_order}" in page and f"/hospital/orders/{b.open_order}" not in page
    assert "Bravo" not in page
    both = html.unescape(ward_staff(database, a, b, name="both.page").get("/hospital").text)
    assert f"/hospital/orders/{b.open_order}" in both and "Your hospitals:" in both


def test_hospital_staff_of_no_hospital_are_told_so_on_their_home_page(database):
    a, b = two_hospitals(database)
    page = html.unescape(ward_staff(database, name="new.starter").get("/hospital").text)
    assert "Your account belongs to no hospital yet" in page
    assert "Alpha" not in page and "Bravo" not in page and "/hospital/orders/" not in page.replace(
        "/hospital/orders/new", "")
    director = html.unescape(browser(database, "medical_director").get("/hospital").text)
    assert "belongs to no hospital" not in director and f"/hospital/orders/{b.open_order}" in director


def test_a_patient_search_on_the_pages_finds_only_ones_own_hospitals_patients(database):
    a, b = two_hospitals(database)
    client = ward_staff(database, a)
    found = html.unescape(client.get("/hospital/patients", params={"q": "Ada"}).text)
    assert "Alphafamily" in found and "Bravofamily" not in found
    assert "Bravofamily" not in html.unescape(client.get("/hospital/patients",
                                                         params={"q": b.wristband}).text)
    form = html.unescape(client.get("/hospital/patients/new").text)
    assert "Alpha General Hospital" in form and "Bravo General Hospital" not in form
