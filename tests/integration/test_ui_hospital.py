"""The hospital pages as transfusion staff use them: register, group, order, allocate, issue with scans,
transfuse; and every refusal shown with its reasons, the input kept."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta, timezone

import time_machine
from sqlalchemy import select

from bloodbank.adapters.db.models import Issue, Order, Transfusion
from tests.integration import patient_fixtures
from tests.integration.issue_fixtures import (
    din_scan, make_order, make_patient, make_unit, make_ward, now, unit_status,
)
from tests.integration.patient_fixtures import VALID_NHS, count_rows, insert, make_hospital, make_site
from tests.integration.web_fixtures import PASSWORD, browser, every_hospital, make_user

VITALS = {"temperature_c": "36.8", "pulse": "74", "systolic": "126", "diastolic": "78", "respiratory_rate": "16"}


def text(answer) -> str:
    return html.unescape(answer.text)


def post(client, url: str, **fields):
    return client.post(url, data={**fields, "csrf_token": client.csrf})


def vitals(prefix: str) -> dict:
    return {f"{prefix}_{code}": value for code, value in VITALS.items()}


def allocated(database, **patient):
    ward = make_ward(database)
    person = make_patient(database, hospital_id=ward.hospital, **patient)
    unit = make_unit(database, ward.site, "A+")
    order = make_order(database, ward.hospital, person.id, urgency="emergency")
    return ward, person, unit, order


def test_the_hospital_home_lists_open_orders_with_urgency_needed_by_and_status(database):
    ward, person, unit, order = allocated(database)
    staff = browser(database, "hospital_staff", hospitals=every_hospital(database))

    page = staff.get("/hospital")

    assert page.status_code == 200
    shown = text(page)
    assert f"Order {order}" in shown and person.scan in shown
    assert "EMERGENCY" in shown and " UTC" in shown and ">open<" in shown
    assert f'href="/hospital/orders/{order}"' in page.text
    for url in ("/hospital/patients?q=Example", f"/hospital/patients/{person.id}", f"/hospital/orders/{order}",
                "/hospital/patients/new", f"/hospital/orders/new?patient_id={person.id}",
                f"/hospital/emergency?patient_id={person.id}"):
        assert staff.get(url).status_code == 200, url


def test_a_clerk_and_a_lab_technician_are_refused_the_hospital_pages(database):
    ward, person, unit, order = allocated(database)
    for role in ("clerk", "lab_technician"):
        client = browser(database, role)
        assert client.get("/hospital").status_code == 403
        assert client.get(f"/hospital/orders/{order}").status_code == 403
        refused = post(client, f"/hospital/orders/{order}/allocate")
        assert refused.status_code == 403 and "does not allow this" in text(refused)
    assert unit_status(database, unit) == "available"


def test_a_patient_registered_in_the_browser_is_grouped_ordered_for_issued_and_transfused(database):
    ward = make_ward(database)
    unit = make_unit(database, ward.site, "O+")
    staff = browser(database, "hospital_staff", hospitals=(ward.hospital,))

    registered = post(staff, "/hospital/patients", hospital_id=str(ward.hospital), given_name="June",
                      family_name="Carter", date_of_birth="1961-04-09", sex="F", system_1="nhs", value_1=VALID_NHS[0])
    assert registered.status_code == 303, registered.text
    patient_url = registered.headers["location"].split("?")[0]
    patient_id = int(patient_url.rsplit("/", 1)[1])
    fresh = text(staff.get(patient_url))
    assert "June Carter" in fresh and "Not allowed." in fresh and "There is no antibody screen." in fresh

    for number in ("UI-1", "UI-2"):
        assert post(staff, f"{patient_url}/samples", sample_number=number, taken_by="nurse.kim").status_code == 303
    page = staff.get(patient_url).text
    samples = re.findall(r'<option value="(\d+)"[^>]*>UI-\d', page)
    assert len(samples) >= 2
    for sample in samples[:2]:
        assert post(staff, f"{patient_url}/groupings", grouping_sample=sample, blood_group="O+").status_code == 303
    assert post(staff, f"{patient_url}/screens", screen_sample=samples[0], screen_result="negative").status_code == 303
    grouped = text(staff.get(patient_url))
    assert "Group O+, confirmed on separate samples." in grouped
    assert "Allowed: red cells can be issued without a serological crossmatch." in grouped

    placed = post(staff, "/hospital/orders", patient_id=str(patient_id), hospital_id=str(ward.hospital),
                  kind="red_cells", blood_group="O+", quantity="1", urgency="urgent",
                  needed_by=(now() + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"))
    assert placed.status_code == 303, text(placed)
    order_url = placed.headers["location"].split("?")[0]
    assert post(staff, f"{order_url}/allocate").status_code == 303
    order_page = staff.get(order_url)
    assert "Allocation done" in text(staff.get(f"{order_url}?saved=allocated"))

    issued = post(staff, f"{order_url}/issue", scanned_unit=din_scan(database, unit),
                  scanned_patient=VALID_NHS[0])
    assert issued.status_code == 303, text(issued)
    bedside_url = issued.headers["location"].split("?")[0]
    assert "Electronic issue" in text(staff.get(bedside_url))

    make_user(database, "hospital_staff", "nurse.pat", hospitals=(ward.hospital,))
    wrong = post(staff, f"{bedside_url}/start", bedside_unit=din_scan(database, unit),
                 bedside_patient=f"nhs:{VALID_NHS[0]}", checked_by="nurse.pat", checker_password="a guess",
                 **vitals("before"))
    assert wrong.status_code == 403 and "second checker" in text(wrong) and "a guess" not in wrong.text
    started = post(staff, f"{bedside_url}/start", bedside_unit=din_scan(database, unit),
                   bedside_patient=f"nhs:{VALID_NHS[0]}", checked_by="nurse.pat", checker_password=PASSWORD,
                   **vitals("before"))
    assert started.status_code == 303, text(started)
    running = staff.get(bedside_url).text
    assert "running" in running and "checked by nurse.pat" in running
    transfusion = re.search(r'name="transfusion_id" value="(\d+)"', running).group(1)
    ended = post(staff, f"{bedside_url}/end", transfusion_id=transfusion, volume_given_ml="260",
                 outcome="completed", **vitals("after"))
    assert ended.status_code == 303, text(ended)
    assert "ended, completed" in text(staff.get(bedside_url))
    assert unit_status(database, unit) == "transfused"


def test_a_refused_issue_shows_every_reason_and_keeps_what_was_scanned(database):
    ward, person, unit, order = allocated(database)
    other = make_patient(database)
    staff = browser(database, "hospital_staff", hospitals=every_hospital(database))
    assert post(staff, f"/hospital/orders/{order}/allocate").status_code == 303

    refused = post(staff, f"/hospital/orders/{order}/issue", 
                   scanned_unit="=G12342699999900", scanned_patient=other.scan)

    assert refused.status_code == 409
    shown = text(refused)
    assert "STOP: do not issue this unit." in shown
    assert "Scanned unit G1234 26 999999" in shown and "is not the unit allocated" in shown
    assert "Wrong patient:" in shown
    assert shown.count("Hard stop:") == 2
    assert 'value="=G12342699999900"' in refused.text and f'value="{other.scan}"' in refused.text
    assert unit_status(database, unit) == "reserved" and count_rows(database, Issue) == 0


def test_the_crossmatch_form_appears_when_electronic_issue_is_not_allowed_and_clears_the_unit(database):
    ward, person, unit, order = allocated(database, screen=True)
    staff = browser(database, "hospital_staff", hospitals=every_hospital(database))
    post(staff, f"/hospital/orders/{order}/allocate")
    page = text(staff.get(f"/hospital/orders/{order}"))
    assert "Electronic issue is not allowed for this patient" in page and "Record crossmatch" in page

    recorded = post(staff, f"/hospital/orders/{order}/crossmatch", crossmatch_patient=str(person.id),
                    crossmatch_unit=str(unit), crossmatch_sample=str(person.sample_id),
                    crossmatch_result="compatible", crossmatch_method="serological")
    assert recorded.status_code == 303, text(recorded)
    after = staff.get(f"/hospital/orders/{order}")
    assert "Record crossmatch" not in after.text and "compatible (serological)" in text(after)
    issued = post(staff, f"/hospital/orders/{order}/issue", 
                  scanned_unit=din_scan(database, unit), scanned_patient=person.scan)
    assert issued.status_code == 303 and unit_status(database, unit) == "issued"


def test_an_incompatible_reservation_is_shown_with_its_reason(database):
    ward, person, unit, order = allocated(database)
    wrong = make_unit(database, ward.site, "B+")
    staff = browser(database, "hospital_staff", hospitals=every_hospital(database))
    refused = post(staff, f"/hospital/orders/{order}/reserve", unit_id=str(wrong))
    assert refused.status_code == 422
    assert "is not compatible with the patient's group A+" in text(refused)
    assert unit_status(database, wrong) == "available"


def test_an_order_naming_the_wrong_group_is_refused_and_the_form_keeps_what_was_typed(database):
    ward = make_ward(database)
    person = make_patient(database, group="A+", hospital_id=ward.hospital)
    staff = browser(database, "hospital_staff", hospitals=(ward.hospital,))
    before = count_rows(database, Order)

    refused = post(staff, "/hospital/orders", patient_id=str(person.id), hospital_id=str(ward.hospital),
                   kind="red_cells", blood_group="B+", quantity="2", urgency="urgent", note="theatre 4 at noon",
                   needed_by=(now() + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"))

    assert refused.status_code == 422
    shown = text(refused)
    assert "asks for group B+" in shown and "theatre 4 at noon" in shown and 'value="2"' in refused.text
    assert count_rows(database, Order) == before


def test_emergency_release_with_the_wrong_password_is_refused_on_the_page_and_nothing_leaves(database):
    ward = make_ward(database)
    person = make_patient(database, group=None, screen=None, sex="M", hospital_id=ward.hospital)
    unit = make_unit(database, ward.site, "O+")
    staff = browser(database, "hospital_staff", hospitals=(ward.hospital,))
    page = text(staff.get(f"/hospital/emergency?patient_id={person.id}"))
    assert "I authorise the emergency release of uncrossmatched unit" in page
    fields = dict(patient_id=str(person.id), unit_id=str(unit), scanned_unit=din_scan(database, unit),
                  scanned_patient=person.scan, reason="major haemorrhage, resus 1")

    refused = post(staff, "/hospital/emergency", signature_password="wrong password", **fields)

    assert refused.status_code == 403
    assert "The password does not match" in text(refused) and "major haemorrhage, resus 1" in text(refused)
    assert unit_status(database, unit) == "available" and count_rows(database, Issue) == 0

    released = post(staff, "/hospital/emergency", signature_password=PASSWORD, **fields)
    assert released.status_code == 303, text(released)
    assert "Emergency release signed and issued" in text(staff.get(released.headers["location"]))
    assert unit_status(database, unit) == "issued"


def test_the_wrong_patient_at_the_bedside_stops_the_start_and_keeps_the_vital_signs(database):
    ward, person, unit, order = allocated(database)
    other = make_patient(database, hospital_id=ward.hospital)  # another patient on the same ward
    staff = browser(database, "hospital_staff", hospitals=(ward.hospital,))
    post(staff, f"/hospital/orders/{order}/allocate")
    bedside = post(staff, f"/hospital/orders/{order}/issue", 
                   scanned_unit=din_scan(database, unit), scanned_patient=person.scan).headers["location"].split("?")[0]

    refused = post(staff, f"{bedside}/start", bedside_unit=din_scan(database, unit), bedside_patient=other.scan,
                   **vitals("before"))

    assert refused.status_code == 409
    assert "Stop: this unit was issued for another patient" in text(refused)
    assert 'value="126"' in refused.text
    assert count_rows(database, Transfusion) == 0


def test_a_user_of_a_new_york_site_sees_an_orders_needed_by_in_new_york_time(database):
    site = make_site(database, time_zone="America/New_York")
    hospital = make_hospital(database, site_id=site)
    person = patient_fixtures.make_patient(database, ("nhs", VALID_NHS[1]), hospital_id=hospital)
    order = insert(database, Order(hospital_id=hospital, patient_id=person, kind="red_cells", quantity=1,
                                   needed_by=datetime(2026, 12, 5, 15, 0, tzinfo=timezone.utc), urgency="urgent",
                                   status="open", ordered_by="dr.who"))
    staff = browser(database, "hospital_staff", site_id=site, hospitals=(hospital,))

    shown = text(staff.get(f"/hospital/orders/{order}"))

    assert "<dt>Needed by</dt><dd>2026-12-05 10:00 EST</dd>" in shown
    assert 'Times in <bdi dir="ltr">America/New_York</bdi>' in shown


def test_the_order_form_offers_and_reads_needed_by_on_the_hospitals_clock(database):
    site = make_site(database, time_zone="Asia/Damascus")
    hospital = make_hospital(database, site_id=site)
    person = patient_fixtures.make_patient(database, ("nhs", VALID_NHS[2]), hospital_id=hospital)
    with time_machine.travel(datetime(2026, 12, 4, 10, 0, tzinfo=timezone.utc), tick=False):
        # A person of no site: the ward's clock still decides.
        staff = browser(database, "hospital_staff", hospitals=(hospital,))
        form = text(staff.get("/hospital/orders/new", params={"patient_id": person}))
        placed = post(staff, "/hospital/orders", patient_id=str(person), hospital_id=str(hospital),
                      kind="red_cells", quantity="1", urgency="routine", needed_by="2026-12-05T14:00")

    assert "Needed by (hospital's local time)" in form
    assert 'value="2026-12-04T17:00"' in form  # 10:00 UTC and four hours is 17:00 in Damascus
    assert placed.status_code == 303, text(placed)
    with database.sessions() as session:
        needed_by = session.execute(select(Order.needed_by).where(Order.patient_id == person)).scalar_one()
    stored = needed_by if needed_by.tzinfo else needed_by.replace(tzinfo=timezone.utc)  # SQLite keeps no offset
    assert stored == datetime(2026, 12, 5, 11, 0, tzinfo=timezone.utc)
