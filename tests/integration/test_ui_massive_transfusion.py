"""Massive transfusion and identity packs through the pages, as hospital transfusion staff use them."""

import re

from bloodbank.service_layer.hospital import massive_transfusion
from tests.integration.issue_fixtures import clerk, din_scan
from tests.integration.mtp_fixtures import group_confirmed, trauma_bay
from tests.integration.web_fixtures import PASSWORD, browser


def post(client, path, **data):
    return client.post(path, data={"csrf_token": client.csrf, **data})


def packed_unit_scans(database, mtp_id: int, number: int) -> list[str]:
    view = massive_transfusion.get(clerk(database), mtp_id=mtp_id)
    [cooler] = [r for r in view.rounds if r.number == number]
    return [din_scan(database, u.unit_id) for u in cooler.units]


def test_an_unidentified_casualty_through_three_coolers_one_returned_on_the_pages(database):
    bay = trauma_bay(database)
    nurse = browser(database, "hospital_staff", "nurse.page", hospitals=(bay.ward.hospital,))

    printed = post(nurse, "/hospital/identity-packs", hospital_id=str(bay.ward.hospital), place="trauma bay 1",
                   count="3")
    assert printed.status_code == 303
    packs = nurse.get("/hospital/identity-packs").text
    number = re.search(r"EM-\d{4}-\d{4}", packs).group(0)
    pack_id = re.search(r'/hospital/identity-packs/(\d+)/pack.pdf', packs).group(1)
    assert post(nurse, f"/hospital/identity-packs/{pack_id}/pack.pdf").content.startswith(b"%PDF")
    scanned = post(nurse, "/hospital/identity-packs/scan", scanned=number, sex="M", approximate_age="30")
    assert scanned.status_code == 303
    patient_id = int(scanned.headers["location"].split("/")[3].split("?")[0])

    activated = post(nurse, "/hospital/mtp", patient=number, reason="blast injury, bay 1")
    assert activated.status_code == 303, activated.text
    mtp_path = activated.headers["location"].split("?")[0]
    mtp_id = int(mtp_path.rsplit("/", 1)[1])
    for number_of_round in (1, 2, 3):
        if number_of_round == 2:
            group_confirmed(database, patient_id, "A+")
        assert post(nurse, f"{mtp_path}/rounds").status_code == 303
        page = nurse.get(mtp_path).text
        round_id = re.search(r'/rounds/(\d+)/issue', page).group(1)
        scans = packed_unit_scans(database, mtp_id, number_of_round)
        refused = post(nurse, f"{mtp_path}/rounds/{round_id}/issue", scanned_units="\n".join(scans[1:]),
                       scanned_patient=number)
        assert refused.status_code == 409 and "not scanned into the cooler" in refused.text
        issued = post(nurse, f"{mtp_path}/rounds/{round_id}/issue", scanned_units="\n".join(scans),
                      scanned_patient=number)
        assert issued.status_code == 303, issued.text
    page = nurse.get(mtp_path).text
    third = re.search(r'/rounds/(\d+)/return', page).group(1)
    back = post(nurse, f"{mtp_path}/rounds/{third}/return", minutes="10", kept_in_cold_chain="on")
    assert back.status_code == 303

    wrong = post(nurse, f"{mtp_path}/end", signature_password="not mine", note="")
    assert wrong.status_code in (401, 403) and 'id="end-form"' in wrong.text
    ended = post(nurse, f"{mtp_path}/end", signature_password=PASSWORD, note="haemostasis")
    assert ended.status_code == 303
    report = nurse.get(f"{mtp_path}/report").text
    assert "Round 3" in report and "haemostasis" in report
    assert "Returned to stock: 4" in report and "wasted on return: 1" in report
    assert 'id="o-negative-flag"' not in report


def test_a_refusal_on_the_activation_form_keeps_what_was_typed(database):
    bay = trauma_bay(database)
    nurse = browser(database, "hospital_staff", "nurse.typed", hospitals=(bay.ward.hospital,))
    answer = post(nurse, "/hospital/mtp", patient="EM-2026-4242", reason="haemorrhage")
    assert answer.status_code == 404 and 'value="EM-2026-4242"' in answer.text


def test_the_pages_are_offered_only_to_those_who_run_massive_transfusion(database):
    bay = trauma_bay(database)
    lab = browser(database, "lab_technician", "lab.page")
    assert lab.get("/hospital/mtp").status_code == 403
    nurse = browser(database, "hospital_staff", "nurse.nav", hospitals=(bay.ward.hospital,))
    home = nurse.get("/hospital").text
    assert 'href="/hospital/mtp"' in home
    assert 'id="ratio-form"' not in nurse.get("/hospital/mtp").text
    director = browser(database, "medical_director", "dr.page")
    saved = post(director, "/hospital/mtp/ratio", hospital_id=str(bay.ward.hospital), ratio="6:6:1",
                 reason="PROPPR")
    assert saved.status_code == 303
    assert "6:6:1" in director.get("/hospital/mtp").text
