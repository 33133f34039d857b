"""The pages in the reader's language: Arabic right to left, French, English by default; errors keep their code."""

from __future__ import annotations

import html
import re

import pytest

from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.staff import users
from tests.integration.test_ui_desk import GRACE, register
from tests.integration.trace_fixtures import build_chain
from tests.integration.web_fixtures import PASSWORD, api, browser, csrf_of, log_in

ARABIC = re.compile(r"[\u0600-\u06FF]")


def opening_tag(page: str) -> str:
    return re.search(r"<html[^>]*>", page).group(0)


def alert(page: str) -> str:
    found = re.search(r'role="alert">(.*?)</', page, re.S)
    return html.unescape(found.group(1)).strip() if found else ""


def test_a_browser_asking_for_arabic_gets_a_right_to_left_page_in_arabic(database):
    page = browser(database).get("/login", headers={"Accept-Language": "ar-SY,ar;q=0.9,en;q=0.5"})
    assert opening_tag(page.text) == '<html lang="ar" dir="rtl">'
    assert "تسجيل الدخول" in page.text and "اسم المستخدم" in page.text


def test_a_browser_asking_for_french_gets_the_page_in_french(database):
    page = browser(database).get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert opening_tag(page.text) == '<html lang="fr" dir="ltr">'
    assert "Se connecter" in page.text and "Nom d'utilisateur" in html.unescape(page.text)


def test_without_a_preference_the_pages_stay_in_english(database):
    page = browser(database).get("/login")
    assert opening_tag(page.text) == '<html lang="en" dir="ltr">' and "User name" in page.text


def test_the_switcher_keeps_the_choice_for_the_pages_read_before_logging_in(database):
    client = browser(database)
    answer = client.post("/language", data={"language": "ar", "next": "/login"})
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    page = client.get("/login", headers={"Accept-Language": "fr"})
    assert 'dir="rtl"' in opening_tag(page.text) and "تسجيل الدخول" in page.text


def test_the_switcher_sends_back_only_to_a_page_of_this_site(database):
    answer = browser(database).post("/language", data={"language": "fr", "next": "//elsewhere.example/x"})
    assert answer.headers["location"] == "/"


def test_a_staff_members_language_is_kept_on_their_account_and_follows_them(database):
    clerk = browser(database, "clerk")
    answer = clerk.post("/account/language", data={"language": "fr", "csrf_token": clerk.csrf})
    assert answer.status_code == 303
    assert users.get_user(UnitOfWork(database), clerk.user.id).language == "fr"

    elsewhere = browser(database)  # another computer: no cookie, a browser asking for English
    assert log_in(elsewhere, clerk.user.username, PASSWORD).status_code == 303
    desk = elsewhere.get("/desk", headers={"Accept-Language": "en"})
    assert '<html lang="fr"' in desk.text and "Rechercher un donneur" in desk.text
    assert "Accueil des donneurs" in desk.text  # the navigation too


def test_switching_language_while_logged_in_saves_it_on_the_account(database):
    clerk = browser(database, "clerk")
    clerk.post("/language", data={"language": "ar", "next": "/desk", "csrf_token": clerk.csrf})
    assert users.get_user(UnitOfWork(database), clerk.user.id).language == "ar"
    desk = clerk.get("/desk")
    assert 'dir="rtl"' in opening_tag(desk.text) and "البحث عن متبرع" in desk.text


def test_the_switcher_refuses_a_forged_form_from_a_logged_in_person(database):
    clerk = browser(database, "clerk")
    answer = clerk.post("/language", data={"language": "ar", "next": "/desk"})
    assert answer.status_code == 403
    assert users.get_user(UnitOfWork(database), clerk.user.id).language is None


def test_choosing_to_follow_the_browser_clears_the_accounts_language(database):
    clerk = browser(database, "clerk")
    clerk.post("/account/language", data={"language": "ar", "csrf_token": clerk.csrf})
    clerk.post("/account/language", data={"language": "", "csrf_token": clerk.csrf})
    assert users.get_user(UnitOfWork(database), clerk.user.id).language is None
    assert "Find a donor" in clerk.get("/desk").text


def test_a_domain_error_through_the_api_comes_in_the_callers_language_with_the_same_code(database):
    client = api(database, "clerk")
    english = client.get("/api/donors/999999")
    french = client.get("/api/donors/999999", headers={"Accept-Language": "fr"})
    arabic = client.get("/api/donors/999999", headers={"Accept-Language": "ar"})
    assert english.status_code == french.status_code == arabic.status_code == 404
    assert english.json() == {"code": "not_found", "message": "There is no donor record 999999."}
    assert french.json() == {"code": "not_found", "message": "Il n'existe pas de dossier de donneur 999999."}
    assert arabic.json()["code"] == "not_found" and "999999" in arabic.json()["message"]
    assert ARABIC.search(arabic.json()["message"])


def test_a_domain_error_on_a_page_comes_in_the_readers_language(database):
    client = browser(database)
    client.post("/language", data={"language": "fr", "next": "/login"})
    answer = log_in(client, "nobody", "not the password")
    assert answer.status_code == 401
    assert alert(answer.text) == "Le nom d'utilisateur ou le mot de passe est incorrect, ou le compte est désactivé."


def test_a_field_refused_on_the_desk_is_explained_in_arabic_with_what_was_typed(database):
    clerk = browser(database, "clerk")
    clerk.post("/account/language", data={"language": "ar", "csrf_token": clerk.csrf})
    page = clerk.get("/desk", params={"date_of_birth": "1988-13-40"})
    message = alert(page.text)
    assert "تاريخ الميلاد" in message and "1988-13-40" in message


def test_dates_follow_the_readers_language_on_the_sites_clock(database):
    from datetime import datetime, timezone

    from bloodbank.entrypoints import languages
    from bloodbank.entrypoints.web.templating import local

    at = datetime(2026, 12, 4, 11, 5, tzinfo=timezone.utc)
    assert local(at, "%a %d %b %Y %H:%M", clock=timezone.utc) == "Fri 04 Dec 2026 11:05 UTC"
    languages.use("fr")
    try:
        assert local(at, "%a %d %b %Y %H:%M", clock=timezone.utc) == "ven. 04 déc. 2026 11:05 UTC"
    finally:
        languages.use("en")


def test_a_din_is_kept_left_to_right_on_an_arabic_page(database):
    chain = build_chain(database)
    director = browser(database, "medical_director", "director")
    director.post("/account/language", data={"language": "ar", "csrf_token": director.csrf})
    page = director.get("/trace", params={"q": chain.dins["A"].barcode})
    body, check = chain.dins["A"].eye_readable.rsplit(" ", 1)
    assert f'<bdi dir="ltr" class="din">{html.escape(body)} <span class="check">{check}</span></bdi>' in page.text
    assert 'dir="rtl"' in opening_tag(page.text)


@pytest.mark.parametrize("typed, ascii", [("٠٧٧٠٠٩٠٠١٢٣", "07700900123"), ("۹۰۰۱۲۳", "900123")])
def test_a_phone_number_typed_in_arabic_digits_finds_the_donor_as_ascii_digits_do(database, typed, ascii):
    clerk = browser(database, "clerk")
    donor = register(clerk)
    found = clerk.get("/desk", params={"q": typed})
    assert f'href="/desk/donors/{donor}"' in found.text and "1 donor found" in found.text
    rows = re.compile(r"<tbody>.*?</tbody>", re.S)
    assert rows.search(found.text).group(0) == rows.search(clerk.get("/desk", params={"q": ascii}).text).group(0)


def test_a_donor_registered_with_arabic_digits_is_recorded_as_with_ascii_ones(database):
    clerk = browser(database, "clerk")
    donor = register(clerk, date_of_birth="١٩٨٨-٠٤-٠٩", phone="۰۷۷۰۰ ۹۰۰۱۲۳")
    shown = clerk.get(f"/desk/donors/{donor}").text
    assert "1988-04-09" in shown and "07700900123" in shown


def test_a_donor_number_typed_in_arabic_digits_through_the_api_finds_the_same_donor(database):
    clerk = browser(database, "clerk")
    register(clerk)
    client = api(database, "clerk", "clerk.api")
    number = client.get("/api/donors", params={"q": GRACE["family_name"]}).json()["items"][0]["donor_number"]
    arabic = number.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert client.get("/api/donors", params={"donor_number": arabic}).json()["items"][0]["donor_number"] == number


def test_the_donor_reads_the_private_question_in_the_language_recorded_for_them(database):
    import time_machine

    from tests.integration.appointment_fixtures import NOW, WEEKDAYS, make_site
    from tests.integration.test_ui_desk import check_in

    with time_machine.travel(NOW, tick=False):
        site = make_site(database, opening_hours=WEEKDAYS)
        clerk = browser(database, "clerk")
        donor = register(clerk)
        saved = clerk.post(f"/desk/donors/{donor}/details", data={
            **{k: GRACE[k] for k in ("phone", "address", "postcode", "given_name", "family_name", "date_of_birth",
                                     "sex")}, "email": "", "preferred_site_id": "", "language": "ar", "reason": "",
            "csrf_token": clerk.csrf})
        assert saved.status_code == 303, saved.text
        assert 'value="ar" selected' in clerk.get(f"/desk/donors/{donor}/details").text
        visit = check_in(clerk, donor, site)
        tablet = browser(database, "clerk", "clerk.tablet")
        assert tablet.post(f"/desk/visits/{visit}/kiosk", data={"csrf_token": tablet.csrf}).status_code == 303
        kiosk = tablet.get("/kiosk", headers={"Accept-Language": "en"})
        assert 'dir="rtl"' in opening_tag(kiosk.text)
        assert ">استخدموا دمي</button>" in kiosk.text and ">لا تستخدموا دمي</button>" in kiosk.text
        token = kiosk.text.split('name="kiosk_csrf" value="')[1].split('"')[0]
        answered = tablet.post("/kiosk", data={"choice": "use", "kiosk_csrf": token})
        thanks = tablet.get(answered.headers["location"], headers={"Accept-Language": "en"})
        assert 'dir="rtl"' in opening_tag(thanks.text) and "شكراً لك" in thanks.text


def test_a_refusal_of_the_role_comes_in_the_readers_language_with_the_role_named_in_it(database):
    clerk = browser(database, "clerk")
    clerk.post("/account/language", data={"language": "fr", "csrf_token": clerk.csrf})
    page = clerk.get("/admin")
    assert page.status_code == 403
    assert alert(page.text) == "Votre rôle (Agent d'accueil des donneurs) ne permet pas cela."
    client = api(database, "clerk", "clerk.api")
    answer = client.get("/api/users", headers={"Accept-Language": "ar"})
    assert answer.status_code == 403 and answer.json()["code"] == "forbidden"
    assert ARABIC.search(answer.json()["message"])


def test_the_days_appointments_name_the_day_and_the_free_places_in_french(database):
    import time_machine

    from tests.integration.appointment_fixtures import NOW, WEEKDAYS, make_site

    with time_machine.travel(NOW, tick=False):
        site = make_site(database, opening_hours=WEEKDAYS)
        clerk = browser(database, "clerk")
        clerk.post("/account/language", data={"language": "fr", "csrf_token": clerk.csrf})
        page = clerk.get("/desk/appointments", params={"site_id": site, "on": "2026-03-02"})
        assert "lundi 02 mars 2026" in page.text and "Aucun rendez-vous ce jour." in page.text
        assert "08:00 UTC (4 libres)" in page.text


def test_a_deferred_donor_is_refused_at_check_in_in_arabic_with_the_date_and_nothing_of_why(database):
    from datetime import date, timedelta

    import time_machine

    from tests.integration.appointment_fixtures import NOW, WEEKDAYS, make_site
    from tests.integration.visit_fixtures import make_deferral

    with time_machine.travel(NOW, tick=False):
        site = make_site(database, opening_hours=WEEKDAYS)
        clerk = browser(database, "clerk")
        donor = register(clerk)
        make_deferral(database, donor_id=donor, code="tattoo", starts_on=NOW.date() - timedelta(days=3),
                      ends_on=date(2026, 6, 1), reason="tattoo on the left arm")
        clerk.post("/account/language", data={"language": "ar", "csrf_token": clerk.csrf})
        refused = clerk.post(f"/desk/donors/{donor}/check-in",
                             data={"site_id": site, "kind": "whole_blood", "csrf_token": clerk.csrf})
        assert refused.status_code == 422
        assert alert(refused.text) == "هذا المتبرع مؤجَّل حتى 2026-06-01 ولا يمكنه التبرع قبل ذلك."
        assert "tattoo" not in refused.text.lower()


def test_the_clerk_reads_the_health_questions_to_the_donor_in_french(database):
    import time_machine

    from tests.integration.appointment_fixtures import NOW, WEEKDAYS, make_site
    from tests.integration.test_ui_desk import check_in

    with time_machine.travel(NOW, tick=False):
        site = make_site(database, opening_hours=WEEKDAYS)
        clerk = browser(database, "clerk")
        visit = check_in(clerk, register(clerk), site)
        clerk.post("/account/language", data={"language": "fr", "csrf_token": clerk.csrf})
        page = html.unescape(clerk.get(f"/desk/visits/{visit}/screening").text)
        assert "Vous sentez-vous bien aujourd'hui ?" in page and "Avez-vous déjà eu une hépatite B ?" in page
        assert "Si oui : jour de l'acte (AAAA-MM-JJ)" in page and "Hémoglobine (g/dL)" in page


def test_a_donors_language_is_recorded_at_registration_through_the_page_and_the_api(database):
    clerk = browser(database, "clerk")
    donor = register(clerk, language="fr")
    assert 'value="fr" selected' in clerk.get(f"/desk/donors/{donor}/details").text
    client = api(database, "clerk", "clerk.api")
    made = client.post("/api/donors", json={"given_name": "Zofia", "family_name": "Nowak",
                                            "date_of_birth": "1971-11-23", "sex": "F", "language": "ar"})
    assert made.status_code == 201 and made.json()["language"] == "ar"
    refused = client.post("/api/donors", json={"given_name": "Ida", "family_name": "Berg",
                                               "date_of_birth": "1980-01-02", "sex": "F", "language": "de"})
    assert refused.status_code == 422 and refused.json()["code"] == "invalid_input"


def test_an_api_client_sets_its_own_language_and_reads_messages_in_it(database):
    client = api(database, "clerk")
    assert client.put("/api/me/language", json={"language": "fr"}).json()["language"] == "fr"
    assert client.get("/api/me").json()["language"] == "fr"
    missing = client.get("/api/donors/999999")
    assert missing.json() == {"code": "not_found", "message": "Il n'existe pas de dossier de donneur 999999."}
    assert client.put("/api/me/language", json={"language": "xx"}).json()["code"] == "invalid_input"
    assert client.put("/api/me/language", json={"language": None}).json()["language"] is None
