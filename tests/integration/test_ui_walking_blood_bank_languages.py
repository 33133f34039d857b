"""The walking blood bank's pages in the reader's language: the board (with why a member may not be called and
what the cut-off signature means), the call list, the emergency collection and the signed issue read in Arabic
and in French with no English left, and in English for a reader who asks for nothing."""

from __future__ import annotations

import html
import re

import pytest

from tests.integration.field_fixtures import field_site, join, open_incident, volunteer
from tests.integration.test_ui_walking_blood_bank import collection_form
from tests.integration.web_fixtures import browser

ENGLISH = ("Walking blood bank", "Low titre: anti-A and anti-B below", "Join the panel", "Record a titre",
           "Supply cut-offs", "is cut off and the walking blood bank may be called", "Patients of group O+ waiting",
           "No full infection screen on record.", "Re-test:", "Nobody is on this site's panel yet",
           "The volunteer read the consent text", "not callable", "LOW TITRE O")
BOARD = {"ar": ("بنك الدم المتنقل", "انضمام متطوع", "انقطاعات الإمداد", "لا يوجد فحص عدوى كامل مسجَّل.",
                "أُعلن أن إمداد", "O منخفض العيار"),
         "fr": ("Banque de sang ambulante", "Inscription d'un volontaire", "Ruptures d'approvisionnement",
                "Aucun dépistage infectieux complet enregistré.", "est rompu et que la banque de sang ambulante peut",
                "O FAIBLE TITRE"),
         "en": ("Walking blood bank", "A volunteer joins", "Supply cut-offs", "No full infection screen on record.",
                "is cut off and the walking blood bank may be called", "LOW TITRE O")}
CALLS = {"ar": "لا يوجد استدعاء قائم.", "fr": "Aucun appel en cours.", "en": "No call is in force."}
ISSUE = {"ar": ("صرف دم لم يكتمل فحصه من العدوى", "أقبل الخطر لأن…"),
         "fr": ("Délivrer du sang à qualification biologique incomplète", "J'accepte le risque parce que…"),
         "en": ("Issue blood not fully tested for infection", "I accept the risk because…")}
CALL_LIST = {"ar": ("دم كامل من الفصيلة O منخفض العيار لمريض فصيلته غير معروفة", "التفعيل"),
             "fr": ("sang total O à faible titre pour un patient de groupe inconnu", "Déclenchement"),
             "en": ("low-titre group O whole blood for a patient of unknown group", "Activation")}


def in_language(database, role: str, language: str, **logins):
    client = browser(database, role, **logins)
    if language != "en":
        answer = client.post("/account/language", data={"language": language, "csrf_token": client.csrf})
        assert answer.status_code == 303
    return client


def text_of(page) -> str:
    assert page.status_code == 200, page.text[:500]
    return html.unescape(page.text)


@pytest.mark.parametrize("language", ["ar", "fr", "en"])
def test_the_panel_board_reads_in_the_readers_language_with_no_english_left(database, language):
    site, _ = field_site(database)
    join(database, site, volunteer(database, site, group="O+"))
    join(database, site, volunteer(database, site, group="A+", donations=0, titre=None))  # not callable: no screen
    director = in_language(database, "medical_director", language)
    board = text_of(director.get(f"/field?site_id={site}"))
    for words in BOARD[language]:
        assert words in board, f"{words!r} missing in {language}"
    if language != "en":
        left = [words for words in ENGLISH if words in board]
        assert not left, f"the board still says {left} in {language}"
    assert "None." not in board


@pytest.mark.parametrize("language", ["ar", "fr", "en"])
def test_the_call_list_the_calls_in_force_and_the_signed_issue_read_in_the_readers_language(database, language):
    site, hospital = field_site(database)
    join(database, site, volunteer(database, site, group="O+"))
    director = in_language(database, "medical_director", language)
    nurse = in_language(database, "phlebotomist", language)
    assert CALLS[language] in text_of(nurse.get("/field/calls"))
    incident = open_incident(database)
    activated = director.post(f"/field/sites/{site}/activations", data={
        "csrf_token": director.csrf, "emergency": f"incident:{incident}", "unknown": "1"})
    assert activated.status_code == 303, activated.text[:500]
    call_page = text_of(director.get(activated.headers["location"]))
    for words in CALL_LIST[language]:
        assert words in call_page
    doctor = in_language(database, "hospital_staff", language, hospitals=(hospital,))
    issue_page = text_of(doctor.get("/field/issue"))
    for words in ISSUE[language]:
        assert words in issue_page
    if language != "en":
        assert ISSUE["en"][0] not in issue_page and "Only during an open incident" not in issue_page


def test_a_refusal_on_the_board_is_in_the_readers_language(database):
    site, _ = field_site(database)
    director = in_language(database, "medical_director", "ar")
    refused = director.post(f"/field/sites/{site}/activations", data={"csrf_token": director.csrf, "unknown": "1"})
    assert refused.status_code == 409
    assert "لا يُستدعى بنك الدم المتنقل إلا في حالة طارئة" in html.unescape(refused.text)


def test_an_emergency_collection_stopped_by_an_answer_says_why_in_arabic_with_the_question(database):
    site, _ = field_site(database)
    join(database, site, volunteer(database, site, group="O+"))
    director = in_language(database, "medical_director", "ar")
    activated = director.post(f"/field/sites/{site}/activations", data={
        "csrf_token": director.csrf, "emergency": f"incident:{open_incident(database)}", "unknown": "1"})
    call_page = activated.headers["location"]
    member = re.search(r'name="member_id" value="(\d+)"', director.get(call_page).text).group(1)
    director.post(f"{call_page}/answers", data={"csrf_token": director.csrf, "member_id": member,
                                                "outcome": "accepted"})
    nurse = in_language(database, "phlebotomist", "ar")
    form = collection_form(nurse.csrf, member, q_new_risk="yes")
    refused = nurse.post(f"{call_page}/collections", data=form)
    assert refused.status_code in (409, 422), refused.text[:300]
    shown = html.unescape(refused.text)
    assert "لا يجوز للمتبرع التبرع الآن" in shown and "منذ آخر فحص لك" in shown and "لا تسحب" in shown
    assert "do not collect" not in shown and "Since your last screen" not in shown
