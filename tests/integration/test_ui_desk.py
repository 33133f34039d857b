"""The donor desk's pages as a clerk uses them: find, register, check in, screen, consent, and the private screen."""

import html
import re
from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from bloodbank.adapters.db.models import Appointment, Consent, Donor, Visit
from bloodbank.config import get_settings
from bloodbank.domain.questionnaire import questions
from bloodbank.service_layer.donors.consent import is_self_excluded

from tests.integration.appointment_fixtures import make_site as make_open_site, NOW, WEEKDAYS
from tests.integration.visit_fixtures import make_deferral
from tests.integration.web_fixtures import browser

HEALTHY = {"weight_kg": "72", "hemoglobin_g_dl": "14,1", "systolic": "128", "diastolic": "82", "pulse": "68",
           "temperature_c": "36.6"}
GRACE = {"given_name": "Grace", "family_name": "Okafor", "date_of_birth": "1988-04-09", "sex": "F",
         "phone": "07700 900123", "email": "", "address": "1 Mill Lane", "postcode": "DE1 1AA", "blood_group": "",
         "preferred_site_id": ""}


@pytest.fixture(autouse=True)
def monday_morning():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def clerk(database):
    return browser(database, "clerk")


@pytest.fixture
def site(database):
    return make_open_site(database, opening_hours=WEEKDAYS, name="Derby Donor Centre")


def count(database, model, **filters):
    with database.sessions() as s:
        return s.execute(select(func.count()).select_from(model).filter_by(**filters)).scalar_one()


def only(database, model, **filters):
    with database.sessions() as s:
        return s.execute(select(model).filter_by(**filters)).scalar_one()


def register(client, **overrides):
    answer = client.post("/desk/donors/new", data={**GRACE, **overrides, "csrf_token": client.csrf})
    assert answer.status_code == 303, answer.text
    return int(answer.headers["location"].split("/")[3].split("?")[0])


def check_in(client, donor_id, site_id):
    answer = client.post(f"/desk/donors/{donor_id}/check-in",
                         data={"site_id": site_id, "kind": "whole_blood", "csrf_token": client.csrf})
    assert answer.status_code == 303, answer.text
    return int(answer.headers["location"].split("/")[3].split("?")[0])


def all_clear_form(sex="F", **overrides):
    form = {}
    for q in questions():
        if q.only_for_sex and q.only_for_sex != sex:
            continue
        form[f"q_{q.id}"] = "no" if q.defers_on else "yes"
    return {**form, **overrides}


def screen(client, visit_id, **overrides):
    return client.post(f"/desk/visits/{visit_id}/screening",
                       data={**all_clear_form(), **HEALTHY, **overrides, "csrf_token": client.csrf})


def test_the_clerk_logs_in_to_the_desk_and_finds_a_donor_by_name(database, clerk):
    donor = register(clerk)
    home = clerk.get("/desk")
    assert home.status_code == 200 and "Find a donor" in home.text and "Register a new donor" in home.text
    found = clerk.get("/desk", params={"q": "okafor"})
    assert f'href="/desk/donors/{donor}"' in found.text and "1 donor found" in found.text
    none = clerk.get("/desk", params={"q": "nobody-like-this"})
    assert "No donor matches" in none.text


def test_a_scanned_donor_card_opens_the_donor_and_a_mistyped_number_says_so(database, clerk):
    donor = register(clerk)
    card = re.search(r'id="donor-number">(?:<bdi[^>]*>)?(D\d{7}[0-9X])', clerk.get(f"/desk/donors/{donor}").text).group(1)
    opened = clerk.get("/desk", params={"q": card})
    assert opened.status_code == 303 and opened.headers["location"] == f"/desk/donors/{donor}"
    live = clerk.get("/desk", params={"q": f" {card.lower()} "}, headers={"HX-Request": "true"})
    assert live.status_code == 200 and live.headers["HX-Redirect"] == f"/desk/donors/{donor}"
    wrong = card[:-1] + ("0" if card[-1] != "0" else "1")
    refused = clerk.get("/desk", params={"q": wrong})
    assert refused.status_code == 422 and "check character does not match" in html.unescape(refused.text)
    typing = clerk.get("/desk", params={"q": wrong}, headers={"HX-Request": "true"})
    assert typing.status_code == 200 and "HX-Redirect" not in typing.headers


def test_a_donor_goes_from_registration_to_consent_through_the_pages(database, clerk, site):
    donor_id = register(clerk)
    page = clerk.get(f"/desk/donors/{donor_id}", params={"notice": "registered"})
    number = only(database, Donor, id=donor_id).donor_number
    assert "Donor registered." in page.text and number in page.text and "Not deferred." in page.text
    assert "Derby Donor Centre" in page.text and ">Check in</button>" in page.text

    visit_id = check_in(clerk, donor_id, site)
    visit = clerk.get(f"/desk/visits/{visit_id}")
    assert "Questionnaire and measurements" in visit.text and "The donor withdraws" in visit.text

    form = clerk.get(f"/desk/visits/{visit_id}/screening")
    assert form.status_code == 200
    assert all(q.donor_text in form.text for q in questions())  # a woman is asked about pregnancy too
    assert 'for="f-weight_kg">Weight (kg)</label>' in form.text
    answer = screen(clerk, visit_id)
    assert answer.status_code == 303, answer.text
    decided = clerk.get(answer.headers["location"])
    assert "Eligible to donate today" in decided.text and 'href="/desk/visits/%d/consent"' % visit_id in decided.text
    assert only(database, Visit, id=visit_id).hemoglobin_g_dl == 14.1  # "14,1" read as a decimal

    consent = clerk.get(f"/desk/visits/{visit_id}/consent")
    version = get_settings().consent_text_version
    assert f'text version <bdi dir="ltr">{version}</bdi>' in consent.text
    assert "I, the donor, have read this text" in consent.text
    given = clerk.post(f"/desk/visits/{visit_id}/consent",
                       data={"text_version": version, "confirmed_by_donor": "yes", "csrf_token": clerk.csrf})
    assert given.status_code == 303
    done = clerk.get(given.headers["location"])
    assert "Consent recorded" in done.text and "Ready for collection" in done.text
    assert only(database, Consent, visit_id=visit_id).text_version == version


def test_a_bad_date_re_renders_the_form_with_the_message_and_keeps_what_was_typed(database, clerk):
    answer = clerk.post("/desk/donors/new", data={**GRACE, "date_of_birth": "31/02/1988", "csrf_token": clerk.csrf})
    assert answer.status_code == 422
    assert "Date of birth: &#39;31/02/1988&#39; is not a date written YYYY-MM-DD" in answer.text
    assert 'value="31/02/1988"' in answer.text and 'value="Grace"' in answer.text and 'value="Okafor"' in answer.text
    assert 'value="1 Mill Lane"' in answer.text and '<option value="F" selected>' in answer.text
    assert count(database, Donor) == 0


def test_a_possible_duplicate_shows_the_candidates_and_lets_the_clerk_choose(database, clerk):
    first = register(clerk)
    number = only(database, Donor, id=first).donor_number
    warned = clerk.post("/desk/donors/new", data={**GRACE, "given_name": "Gracie", "phone": "",
                                                  "csrf_token": clerk.csrf})
    assert warned.status_code == 409
    assert "This person may already be registered" in warned.text and number in warned.text
    assert f'action="/desk/donors/{first}"' in warned.text and "This is the same person" in warned.text
    assert "A different person: register anyway" in warned.text
    assert 'value="Gracie"' in warned.text  # nothing typed is lost
    assert count(database, Donor) == 1
    confirmed = clerk.post("/desk/donors/new", data={**GRACE, "given_name": "Gracie", "phone": "",
                                                     "not_duplicate_of": str(first), "csrf_token": clerk.csrf})
    assert confirmed.status_code == 303 and count(database, Donor) == 2


def test_a_deferred_donor_is_refused_at_check_in_with_the_clear_message(database, clerk, site):
    donor_id = register(clerk)
    make_deferral(database, donor_id=donor_id, code="tattoo", starts_on=NOW.date() - timedelta(days=3),
                  ends_on=date(2026, 6, 1), reason="tattoo on the left arm")
    page = clerk.get(f"/desk/donors/{donor_id}")
    assert "Deferred until 2026-06-01" in page.text
    assert "left arm" not in page.text and "tattoo" not in page.text.lower()
    refused = clerk.post(f"/desk/donors/{donor_id}/check-in",
                         data={"site_id": site, "kind": "whole_blood", "csrf_token": clerk.csrf})
    assert refused.status_code == 422
    assert "This donor is deferred until 2026-06-01 and cannot donate before then." in refused.text
    assert f'<option value="{site}" selected>' in refused.text  # the chosen site is kept
    assert count(database, Visit) == 0


def test_a_wrong_measurement_keeps_every_answer_and_says_which_field(database, clerk, site):
    visit_id = check_in(clerk, register(clerk), site)
    answer = screen(clerk, visit_id, weight_kg="7o", q_tattoo="yes", d_tattoo="2026-01-05")
    assert answer.status_code == 422
    assert "Weight (kg): &#39;7o&#39; is not a number." in answer.text
    assert 'value="7o"' in answer.text and 'value="2026-01-05"' in answer.text
    assert re.search(r'id="f-q_tattoo-yes" name="q_tattoo" value="yes"\s*checked', answer.text)
    assert only(database, Visit, id=visit_id).status == "checked_in"


def test_an_unanswered_question_is_named_and_nothing_is_decided(database, clerk, site):
    visit_id = check_in(clerk, register(clerk), site)
    form = all_clear_form()
    del form["q_cancer"]
    answer = clerk.post(f"/desk/visits/{visit_id}/screening", data={**form, **HEALTHY, "csrf_token": clerk.csrf})
    assert answer.status_code == 422
    assert "Not answered yet" in answer.text and "Have you ever had cancer?" in answer.text
    assert only(database, Visit, id=visit_id).screened_at is None


def test_the_clerk_sees_not_eligible_and_the_next_date_but_never_the_reasons(database, clerk, site):
    visit_id = check_in(clerk, register(clerk), site)
    answer = screen(clerk, visit_id, q_tattoo="yes", d_tattoo="2026-02-01", q_piercing="yes", d_piercing="2025-12-24")
    page = clerk.get(answer.headers["location"])
    assert "Not eligible to donate today" in page.text
    reasons = only(database, Visit, id=visit_id).decision_reasons
    assert len(reasons) == 2 and not any(reason in page.text for reason in reasons)
    assert "tattoo" not in page.text.lower() and "The reasons are confidential" in page.text
    assert "May donate again from <strong>2027-02-01</strong>" in page.text
    director = browser(database, "medical_director", "dr.mira")
    assert all(reason in director.get(f"/desk/visits/{visit_id}").text for reason in reasons)
    assert "The donor withdraws" not in page.text  # the visit is closed


def test_the_donor_withdraws_from_the_questionnaire_without_a_reason(database, clerk, site):
    visit_id = check_in(clerk, register(clerk), site)
    answer = clerk.post(f"/desk/visits/{visit_id}/withdraw", data={"step": "questionnaire", "csrf_token": clerk.csrf})
    assert answer.status_code == 303
    page = clerk.get(answer.headers["location"])
    assert "The donor has withdrawn" in page.text and "at questionnaire" in page.text
    visit = only(database, Visit, id=visit_id)
    assert (visit.status, visit.withdrawn_step) == ("withdrawn", "questionnaire")


def test_the_private_screen_reads_the_same_for_both_answers_and_staff_pages_do_not_change(database, clerk, site):
    first = check_in(clerk, register(clerk), site)
    second = check_in(clerk, register(clerk, given_name="Zofia", family_name="Nowak", date_of_birth="1971-11-23",
                                       phone=""), site)
    before = clerk.get(f"/desk/visits/{second}").text
    answers = []
    for visit_id, choice in ((first, "use"), (second, "not")):
        tablet = browser(database, "clerk", f"clerk.{choice}")
        handed = tablet.post(f"/desk/visits/{visit_id}/kiosk", data={"csrf_token": tablet.csrf})
        assert handed.status_code == 303 and handed.headers["location"] == "/kiosk"
        kiosk = tablet.get("/kiosk")
        assert ">Use my blood</button>" in kiosk.text and ">Do not use my blood</button>" in kiosk.text
        assert "Okafor" not in kiosk.text and "Nowak" not in kiosk.text  # nothing about the donor on the screen
        token = kiosk.text.split('name="kiosk_csrf" value="')[1].split('"')[0]
        answers.append(tablet.post("/kiosk", data={"choice": choice, "kiosk_csrf": token}))
    used, excluded = answers
    assert used.status_code == excluded.status_code == 303
    assert used.headers["location"] == excluded.headers["location"] == "/kiosk/thanks"
    assert "hand the tablet back" in clerk.get("/kiosk/thanks").text

    assert clerk.get(f"/desk/visits/{second}").text == before
    with database.sessions() as session:
        assert [v for v in (first, second) if is_self_excluded(session, v)] == [second]


def test_the_handed_over_tablet_reaches_nothing_but_the_question_and_only_once(database, clerk, site):
    visit_id = check_in(clerk, register(clerk), site)
    tablet = browser(database, "clerk", "clerk.tab")
    assert tablet.post(f"/desk/visits/{visit_id}/kiosk", data={"csrf_token": tablet.csrf}).status_code == 303
    for path in (f"/desk/visits/{visit_id}", "/desk", "/trace", f"/api/visits/{visit_id}"):
        assert tablet.get(path).status_code in (303, 401), path  # the clerk's session on it has ended
    token = tablet.get("/kiosk").text.split('name="kiosk_csrf" value="')[1].split('"')[0]
    assert tablet.post("/kiosk", data={"choice": "use", "kiosk_csrf": token}).status_code == 303
    again = tablet.post("/kiosk", data={"choice": "not", "kiosk_csrf": token})
    assert again.status_code == 403 and "hand the tablet back" in again.text.lower()
    with database.sessions() as session:
        assert not is_self_excluded(session, visit_id)


def test_the_private_screen_without_a_handed_over_tablet_is_closed(database, clerk):
    assert clerk.get("/kiosk").status_code == 403


def test_the_day_s_appointments_are_booked_checked_in_and_cancelled_from_one_page(database, clerk, site):
    donor_id = register(clerk)
    number = only(database, Donor, id=donor_id).donor_number
    page = clerk.get("/desk/appointments", params={"site_id": site, "on": "2026-03-02"})
    assert page.status_code == 200 and "No appointment this day." in page.text and "08:00 UTC (4 free)" in page.text
    booked = clerk.post("/desk/appointments/book", data={
        "site_id": site, "on": "2026-03-02", "donor_ref": number, "starts_at": "2026-03-02T08:00:00+00:00",
        "kind": "whole_blood", "csrf_token": clerk.csrf})
    assert booked.status_code == 303, booked.text
    listed = clerk.get(booked.headers["location"])
    assert "Appointment booked." in listed.text and "Grace Okafor" in listed.text
    assert ">Check in</button>" in listed.text
    appointment = only(database, Appointment)

    visit_id = check_in_from_list(clerk, donor_id, site, appointment.id)
    assert only(database, Appointment).status == "checked_in"
    assert only(database, Visit, id=visit_id).appointment_id == appointment.id

    later = clerk.post("/desk/appointments/book", data={
        "site_id": site, "on": "2026-03-03", "donor_ref": number, "starts_at": "2026-03-03T09:00:00+00:00",
        "kind": "whole_blood", "csrf_token": clerk.csrf})
    assert later.status_code == 303
    row = only(database, Appointment, status="booked")
    cancelled = clerk.post(f"/desk/appointments/{row.id}/cancel", data={
        "next": f"/desk/donors/{donor_id}", "site_id": site, "on": "2026-03-03", "csrf_token": clerk.csrf})
    assert cancelled.status_code == 303 and cancelled.headers["location"] == f"/desk/donors/{donor_id}?notice=cancelled"
    assert count(database, Appointment, status="cancelled") == 1


def check_in_from_list(client, donor_id, site_id, appointment_id):
    answer = client.post(f"/desk/donors/{donor_id}/check-in", data={
        "site_id": site_id, "appointment_id": appointment_id, "kind": "whole_blood", "csrf_token": client.csrf})
    assert answer.status_code == 303, answer.text
    return int(answer.headers["location"].split("/")[3].split("?")[0])


def test_booking_an_unknown_donor_number_keeps_the_form_and_books_nothing(database, clerk, site):
    answer = clerk.post("/desk/appointments/book", data={
        "site_id": site, "on": "2026-03-02", "donor_ref": "D999999", "starts_at": "2026-03-02T08:00:00+00:00",
        "kind": "whole_blood", "csrf_token": clerk.csrf})
    assert answer.status_code == 404 and "No donor with number or id" in answer.text
    assert 'value="D999999"' in answer.text
    assert count(database, Appointment) == 0


def test_a_phlebotomist_sees_the_visit_and_goes_to_collection_but_cannot_register(database, clerk, site):
    visit_id = check_in(clerk, register(clerk), site)
    screen(clerk, visit_id)
    clerk.post(f"/desk/visits/{visit_id}/consent", data={
        "text_version": get_settings().consent_text_version, "confirmed_by_donor": "yes", "csrf_token": clerk.csrf})
    phlebotomist = browser(database, "phlebotomist")
    page = phlebotomist.get(f"/desk/visits/{visit_id}")
    assert page.status_code == 200 and f'href="/collection/visits/{visit_id}"' in page.text
    assert "Go to collection" in page.text
    assert f'href="/desk/visits/{visit_id}"' in phlebotomist.get("/desk/visits", params={"site_id": site}).text
    assert phlebotomist.get("/desk/donors/new").status_code == 403
    assert "Go to collection" not in clerk.get(f"/desk/visits/{visit_id}").text


@pytest.mark.parametrize("role, path", [
    ("hospital_staff", "/desk"),
    ("inventory_manager", "/desk/visits/1"),
    ("lab_technician", "/desk/appointments"),
    ("administrator", "/desk/visits/1/screening"),
])
def test_pages_of_the_desk_answer_403_to_roles_without_the_permission(database, role, path):
    assert browser(database, role).get(path).status_code == 403


def test_a_consent_not_confirmed_by_the_donor_is_refused_and_nothing_recorded(database, clerk, site):
    visit_id = check_in(clerk, register(clerk), site)
    screen(clerk, visit_id)
    answer = clerk.post(f"/desk/visits/{visit_id}/consent",
                        data={"text_version": get_settings().consent_text_version, "csrf_token": clerk.csrf})
    assert answer.status_code == 422 and "confirmed it themselves" in answer.text
    assert count(database, Consent) == 0


def test_an_empty_day_points_to_the_next_booked_day(database, clerk, site):
    number = only(database, Donor, id=register(clerk)).donor_number
    clerk.post("/desk/appointments/book", data={
        "site_id": site, "on": "2026-03-04", "donor_ref": number, "starts_at": "2026-03-04T10:15:00+00:00",
        "kind": "whole_blood", "csrf_token": clerk.csrf})
    page = clerk.get("/desk/appointments", params={"site_id": site})
    assert "Monday 02 March 2026" in page.text and "No appointment this day." in page.text
    assert f'href="/desk/appointments?site_id={site}&amp;on=2026-03-04">Wednesday 04 March 2026</a>' in page.text


def test_a_bad_day_on_the_appointments_page_keeps_it_and_says_so(database, clerk, site):
    page = clerk.get("/desk/appointments", params={"site_id": site, "on": "2026-13-01"})
    assert page.status_code == 422 and "Day: &#39;2026-13-01&#39; is not a date" in page.text
    assert 'value="2026-13-01"' in page.text


def test_every_form_on_the_desk_pages_carries_the_session_s_csrf_token(database, clerk, site):
    def tokens_of(path):
        html = clerk.get(path).text
        tokens = re.findall(r'name="csrf_token" value="([^"]*)"', html)
        assert len(tokens) == html.count('method="post"') >= 2, path  # the page's forms, and logging out
        assert set(tokens) == {clerk.csrf}, path

    donor_id = register(clerk)
    tokens_of(f"/desk/donors/{donor_id}")
    tokens_of("/desk/donors/new")
    tokens_of(f"/desk/appointments?site_id={site}")
    visit_id = check_in(clerk, donor_id, site)
    for path in (f"/desk/visits/{visit_id}", f"/desk/visits/{visit_id}/screening"):
        tokens_of(path)
    screen(clerk, visit_id)
    tokens_of(f"/desk/visits/{visit_id}/consent")
