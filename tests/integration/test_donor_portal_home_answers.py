"""On the day of their appointment a donor answers the questionnaire at home and shows a QR code; the desk scans
it on the visit's screening page, confirms the answers with the donor and records the screening as usual. A code
is good only for its own donor's visit and only that day."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from bloodbank.adapters.db.models import Appointment, AuditEntry, HomeQuestionnaire, Visit
from bloodbank.adapters.db.models.base import utcnow
from tests.integration.appeal_fixtures import make_appeal_site, sms_gateway
from tests.integration.inventory_fixtures import insert
from tests.integration.portal_fixtures import home_browser, make_home_donor, sign_in_by_sms
from tests.integration.web_fixtures import api, browser, csrf_of

__all__ = ["sms_gateway"]


def booked_today(database, donor: int, site: int) -> int:
    return insert(database, Appointment(site_id=site, donor_id=donor, starts_at=utcnow(), kind="whole_blood",
                                        status="booked", booked_by="clerk.ann", status_changed_at=utcnow()))


def checked_in(database, donor: int, site: int) -> int:
    return insert(database, Visit(donor_id=donor, site_id=site, status="checked_in", kind="whole_blood",
                                  checked_in_at=utcnow(), checked_in_by="clerk.ann"))


def well_answers(client) -> dict:
    questions = client.get("/api/my/quiz").json()
    return {q["id"]: ("yes" if q["id"] == "feeling_well" else "no") for q in questions}


def test_answers_from_home_fill_the_desks_screening_and_are_recorded_there(database, sms_gateway):
    site = make_appeal_site(database)
    donor = make_home_donor(database)
    client = sign_in_by_sms(home_browser(database), database, donor, sms_gateway)
    booked_today(database, donor, site)
    ticket = client.post("/api/my/questionnaire", json={"answers": well_answers(client)})
    assert ticket.status_code == 201, ticket.text
    code = ticket.json()["code"]
    assert ticket.json()["qr_svg"].lstrip().startswith("<?xml") or "<svg" in ticket.json()["qr_svg"]
    page = client.post("/my/questionnaire", data={"csrf_token": client.csrf, **well_answers(client)})
    assert page.status_code == 200 and "data:image/svg+xml;base64," in page.text
    visit = checked_in(database, donor, site)
    desk = browser(database, "clerk")
    screening = desk.get(f"/desk/visits/{visit}/screening", params={"home": code})
    assert screening.status_code == 200
    assert re.search(r'name="q_tattoo" value="no" required checked', screening.text)
    assert re.search(r'name="q_feeling_well" value="yes" checked', screening.text)
    form = {"csrf_token": csrf_of(screening.text), **{f"q_{k}": v for k, v in well_answers(client).items()},
            "weight_kg": "70", "hemoglobin_g_dl": "14", "systolic": "120", "diastolic": "80", "pulse": "70",
            "temperature_c": "36.6"}
    assert desk.post(f"/desk/visits/{visit}/screening", data=form).status_code == 303
    with database.sessions() as s:
        assert s.get(Visit, visit).status == "screened"
        audited = s.execute(select(AuditEntry.action).where(AuditEntry.entity == "home_questionnaire")).scalars()
        assert sorted(audited) == ["answer_at_home", "answer_at_home", "read"]


def test_a_code_opens_no_other_donors_visit_and_lapses_at_the_end_of_the_day(database, sms_gateway):
    site = make_appeal_site(database)
    donor, other = make_home_donor(database), make_home_donor(database)
    client = sign_in_by_sms(home_browser(database), database, donor, sms_gateway)
    booked_today(database, donor, site)
    code = client.post("/api/my/questionnaire", json={"answers": well_answers(client)}).json()["code"]
    desk = api(database, "clerk")
    theirs = checked_in(database, other, site)
    refused = desk.get(f"/api/visits/{theirs}/home-answers", params={"code": code})
    assert refused.status_code == 409
    mine = checked_in(database, donor, site)
    assert desk.get(f"/api/visits/{mine}/home-answers", params={"code": code}).json()["q_tattoo"] == "no"
    assert desk.get(f"/api/visits/{mine}/home-answers", params={"code": "HQ-forged"}).json() == refused.json()
    with database.sessions() as s, s.begin():
        s.execute(update(HomeQuestionnaire).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert desk.get(f"/api/visits/{mine}/home-answers", params={"code": code}).json() == refused.json()


def test_without_an_appointment_today_there_is_no_questionnaire_at_home(database, sms_gateway):
    make_appeal_site(database)
    donor = make_home_donor(database)
    client = sign_in_by_sms(home_browser(database), database, donor, sms_gateway)
    answer = client.post("/api/my/questionnaire", json={"answers": well_answers(client)})
    assert answer.status_code == 409
    with database.sessions() as s:
        assert s.execute(select(HomeQuestionnaire)).first() is None


def test_an_erasure_forgets_the_answers_given_at_home(database, sms_gateway):
    from datetime import date

    from bloodbank.service_layer.donors.erasure import erase_donor
    from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
    site = make_appeal_site(database)
    donor = make_home_donor(database)
    client = sign_in_by_sms(home_browser(database), database, donor, sms_gateway)
    booked_today(database, donor, site)
    assert client.post("/api/my/questionnaire", json={"answers": well_answers(client)}).status_code == 201
    erase_donor(UnitOfWork(database, actor="dr.who"), donor_ref=donor, requested_on=date.today(), channel="portal")
    with database.sessions() as s:
        assert s.execute(select(HomeQuestionnaire)).first() is None
