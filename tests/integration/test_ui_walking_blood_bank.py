"""The walking blood bank's pages: the board, a signed cut-off, activation, an emergency collection, the signed
issue; each with the CSRF token and signature of every signed page."""

from __future__ import annotations

import re

from bloodbank.adapters.db.models import Donor
from tests.integration.field_fixtures import field_site, open_incident, volunteer
from tests.integration.issue_fixtures import get, make_patient
from tests.integration.web_fixtures import PASSWORD, browser


def donor_number(database, donor_id):
    return get(database, Donor, donor_id).donor_number


def collection_form(csrf, member_id, **changes) -> dict:
    form = {"csrf_token": csrf, "member_id": str(member_id), "consent_version": "2026-01",
            "confirmed_by_donor": "on", "bedside_group": "O+", "bag_type": "single", "bag_lot": "CPDA-5",
            "anticoagulant": "CPDA-1", "volume_ml": "450", "q_feels_well": "yes", "q_fever_or_infection": "no",
            "q_new_risk": "no", "q_medication": "no", "q_pregnant": "no"}
    for marker in ("hiv", "hbv", "hcv", "syphilis"):
        form.update({f"rt_{marker}_result": "negative", f"rt_{marker}_kit": "Determine", f"rt_{marker}_lot": "L1"})
    form.update(changes)
    return form


def test_from_joining_to_an_emergency_collection_and_a_signed_issue_through_the_pages(database):
    site, hospital = field_site(database)
    donor = volunteer(database, site, group="O+")
    director = browser(database, "medical_director", "md.page")
    page = director.get(f"/field?site_id={site}")
    assert page.status_code == 200 and "Walking blood bank" in page.text
    joined = director.post(f"/field/sites/{site}/panel", data={
        "csrf_token": director.csrf, "donor_number": donor_number(database, donor), "consent_version": "2026-01",
        "confirmed_by_donor": "on"})
    assert joined.status_code == 303, joined.text
    board = director.get(f"/field?site_id={site}").text
    assert "LOW TITRE O" in board
    member_id = int(re.search(r'action="/field/panel/(\d+)/withdraw"', board).group(1))

    refused = director.post(f"/field/sites/{site}/activations", data={"csrf_token": director.csrf, "unknown": "1"})
    assert refused.status_code == 409 and "only in an emergency" in refused.text
    incident = open_incident(database)
    activated = director.post(f"/field/sites/{site}/activations", data={
        "csrf_token": director.csrf, "emergency": f"incident:{incident}", "unknown": "1"})
    assert activated.status_code == 303, activated.text
    call_page = activated.headers["location"]
    director.post(f"{call_page}/answers", data={"csrf_token": director.csrf, "member_id": str(member_id),
                                                "outcome": "accepted"})
    nurse = browser(database, "phlebotomist", "nurse.page")
    assert f'href="{call_page}"' in nurse.get("/field/calls").text
    seen = nurse.get(call_page)
    assert seen.status_code == 200 and "Coming to give" in seen.text and 'id="calls"' not in seen.text
    no_consent = director.post(f"{call_page}/collections",
                               data=collection_form(director.csrf, member_id, confirmed_by_donor=""))
    assert no_consent.status_code == 422 and "consent" in no_consent.text
    collected = nurse.post(f"{call_page}/collections", data=collection_form(nurse.csrf, member_id))
    assert collected.status_code == 303, collected.text
    unit_page = nurse.get(collected.headers["location"]).text
    assert "EMERGENCY USE ONLY - NOT FULLY TESTED FOR INFECTION" in unit_page
    unit_id = int(collected.headers["location"].split("/")[3].split("?")[0])
    shown = re.search(r'<h1>Unit <bdi dir="ltr" class="din">(\w+) (\w+) (\w+) <span class="check">', unit_page)
    din = "".join(shown.groups())  # shown as on the label: facility, year, serial, the check character boxed

    doctor = browser(database, "hospital_staff", "dr.page", hospitals=(hospital,))
    patient = make_patient(database, group=None, hospital_id=hospital)
    form = {"csrf_token": doctor.csrf, "unit_id": str(unit_id), "patient_id": str(patient.id),
            "scanned_unit": f"={din}00", "scanned_patient": patient.scan, "reason": "no tested blood for a day"}
    assert din in doctor.get("/field/issue").text
    unsigned = doctor.post("/field/issue", data=form)
    assert unsigned.status_code in (401, 403, 409, 422) and "password does not match" in unsigned.text
    issued = doctor.post("/field/issue", data={**form, "signature_password": PASSWORD})
    assert issued.status_code == 303, issued.text
    assert din not in doctor.get("/field/issue").text  # no longer on the shelf


def test_a_cut_off_is_declared_on_the_page_under_signature(database):
    site, _ = field_site(database)
    director = browser(database, "medical_director", "md.cut")
    wrong = director.post(f"/field/sites/{site}/cut-offs", data={
        "csrf_token": director.csrf, "reason": "floods", "signature_password": "not my own one"})
    assert "password does not match" in wrong.text
    made = director.post(f"/field/sites/{site}/cut-offs", data={
        "csrf_token": director.csrf, "reason": "floods", "signature_password": PASSWORD})
    assert made.status_code == 303 and "IN FORCE" in director.get(f"/field?site_id={site}").text


def test_a_clerk_keeps_the_panel_but_cannot_activate_or_collect(database):
    site, _ = field_site(database)
    clerk = browser(database, "clerk", "clerk.page")
    assert clerk.get(f"/field?site_id={site}").status_code == 200
    assert browser(database, "inventory_manager", "stock.page").get("/field/activations/1").status_code == 403
    assert clerk.post(f"/field/sites/{site}/activations", data={"csrf_token": clerk.csrf}).status_code == 403
    assert clerk.get("/field/issue").status_code == 403


def test_a_form_without_its_csrf_token_is_refused(database):
    site, _ = field_site(database)
    director = browser(database, "medical_director", "md.csrf")
    answer = director.post(f"/field/sites/{site}/cut-offs", data={"reason": "x", "signature_password": PASSWORD})
    assert answer.status_code == 403


def test_a_titre_and_availability_are_recorded_on_the_panel_page(database):
    from tests.integration.field_fixtures import join
    site, _ = field_site(database)
    donor = volunteer(database, site, group="O-", titre=None)
    member = join(database, site, donor)
    clerk = browser(database, "clerk", "clerk.titre")
    bad = clerk.post(f"/field/sites/{site}/titres", data={
        "csrf_token": clerk.csrf, "titre_donor_number": donor_number(database, donor), "anti_a": "100", "anti_b": "8"})
    assert bad.status_code == 422 and "doubling dilution" in bad.text
    good = clerk.post(f"/field/sites/{site}/titres", data={
        "csrf_token": clerk.csrf, "titre_donor_number": donor_number(database, donor), "anti_a": "1:64",
        "anti_b": "32"})
    assert good.status_code == 303 and "LOW TITRE O" in clerk.get(f"/field?site_id={site}").text
    away = clerk.post(f"/field/panel/{member}/availability", data={"csrf_token": clerk.csrf, "available": "no"})
    assert away.status_code == 303 and "Not available now." in clerk.get(f"/field?site_id={site}").text
