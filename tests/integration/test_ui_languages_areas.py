"""Each page area in the reader's language: the lab, processing, inventory, hospital, trace, reports, incidents,
administration, the public page and help read in Arabic (right to left) and in French, and stay in English for a
reader who asks for nothing."""

from __future__ import annotations

import html
import re

import pytest

from tests.integration.trace_fixtures import build_chain
from tests.integration.web_fixtures import browser

# (area, role, page, the words it shows in English, French and Arabic); `page` may name the chain's records.
AREAS = (
    ("lab release", "lab_technician", "/lab/release",
     {"en": "Scan the bag in your hand", "fr": "Scannez la poche que vous tenez", "ar": "امسح الكيس الذي بيدك"}),
    ("lab second entry", "lab_technician", "/lab/second-entry",
     {"en": "No result typed by hand is waiting for a second entry.",
      "fr": "Aucun résultat saisi à la main n'attend de seconde saisie.",
      "ar": "لا توجد نتيجة مُدخلة يدوياً بانتظار إدخال ثانٍ."}),
    ("lab follow-ups", "lab_technician", "/lab/follow-ups",
     {"en": "Looking at this list is recorded in the audit log.",
      "fr": "La consultation de cette liste est enregistrée dans le journal d'audit.",
      "ar": "يُسجَّل الاطلاع على هذه القائمة في سجل التدقيق."}),
    ("processing", "lab_technician", "/processing",
     {"en": "Site making the pool", "fr": "Site qui prépare le mélange", "ar": "الموقع الذي يحضّر التجميعة"}),
    ("inventory", "inventory_manager", "/inventory",
     {"en": "Discards report", "fr": "Bilan des destructions", "ar": "تقرير الإتلاف"}),
    ("inventory dispatch", "inventory_manager", "/inventory/dispatch",
     {"en": "Dispatch units to another site", "fr": "Expédier des unités vers un autre site",
      "ar": "إرسال وحدات إلى موقع آخر"}),
    ("hospital patients", "hospital_staff", "/hospital/patients",
     {"en": "Find a patient", "fr": "Trouver un patient", "ar": "البحث عن مريض"}),
    ("hospital emergency", "hospital_staff", "/hospital/emergency",
     {"en": "Patient not yet identified", "fr": "Patient pas encore identifié", "ar": "مريض لم تُحدَّد هويته بعد"}),
    ("hospital patient", "hospital_staff", "/hospital/patients/{patient}",
     {"en": "Special requirements", "fr": "Exigences transfusionnelles particulières", "ar": "المتطلبات الخاصة"}),
    ("bedside record", "hospital_staff", "/hospital/issues/{issue}",
     {"en": "Transfusion record", "fr": "Dossier transfusionnel", "ar": "سجل نقل الدم"}),
    ("trace", "lab_technician", "/trace?q={din}",
     {"en": "Lookback: every recipient of this donor",
      "fr": "Enquête descendante : tous les receveurs de ce donneur",
      "ar": "التتبع الرجعي: جميع متلقي دم هذا المتبرع"}),
    ("recalls", "lab_technician", "/trace/recalls",
     {"en": "No recall has been opened.", "fr": "Aucun rappel n'a été ouvert.", "ar": "لم يُفتح أي استرجاع."}),
    ("monthly report", "inventory_manager", "/reports/monthly",
     {"en": "Monthly report", "fr": "Rapport mensuel", "ar": "التقرير الشهري"}),
    ("incidents", "inventory_manager", "/incidents",
     {"en": "No incident has been declared.", "fr": "Aucun afflux n'a été déclaré.", "ar": "لم يُعلن أي حادث."}),
    ("incident declaration", "inventory_manager", "/incidents/new",
     {"en": "Declare a mass-casualty incident", "fr": "Déclarer un afflux massif de victimes",
      "ar": "إعلان حادث إصابات جماعية"}),
    ("administration", "administrator", "/admin",
     {"en": "Create user", "fr": "Créer l'utilisateur", "ar": "أنشئ المستخدم"}),
    ("audit log", "administrator", "/admin/audit",
     {"en": "Any action", "fr": "Toute action", "ar": "أي إجراء"}),
    ("help", "lab_technician", "/help/lab",
     {"en": "When a unit will not leave quarantine", "fr": "Quand une unité ne sort pas de quarantaine",
      "ar": "عندما لا تخرج الوحدة من الحجر"}),
)
OPENING = {"en": '<html lang="en" dir="ltr">', "fr": '<html lang="fr" dir="ltr">', "ar": '<html lang="ar" dir="rtl">'}


def text_of(page: str) -> str:
    return html.unescape(page)


def in_language(database, role: str, language: str, chain):
    client = browser(database, role, hospitals=(chain.hospital_id,) if role == "hospital_staff" else ())
    if language != "en":
        answer = client.post("/account/language", data={"language": language, "csrf_token": client.csrf})
        assert answer.status_code == 303
    return client


@pytest.mark.parametrize("language", ["ar", "fr", "en"])
@pytest.mark.parametrize("area, role, path, words", AREAS, ids=[a[0] for a in AREAS])
def test_each_page_area_reads_in_the_language_its_reader_chose(database, language, area, role, path, words):
    chain = build_chain(database)
    client = in_language(database, role, language, chain)
    patient = next(iter(chain.patients.values()))
    page = client.get(path.format(patient=patient, issue=next(iter(chain.issues.values())),
                                  din=chain.dins["A"].barcode))
    assert page.status_code == 200, page.text[:500]
    assert re.search(r"<html[^>]*>", page.text).group(0) == OPENING[language]
    shown = text_of(page.text)
    assert words[language] in shown
    if language != "en":
        assert words["en"] not in shown, f"{area} still says {words['en']!r} in {language}"


@pytest.mark.parametrize("language, heading, english", [
    ("ar", "مخزون الدم اليوم", "Blood stocks today"), ("fr", "Stocks de sang aujourd'hui", "Blood stocks today")])
def test_the_public_page_follows_the_browsers_language_with_its_figures_left_to_right(database, language, heading,
                                                                                     english):
    build_chain(database)
    page = browser(database).get("/public", headers={"Accept-Language": language})
    assert re.search(r"<html[^>]*>", page.text).group(0) == OPENING[language]
    shown = text_of(page.text)
    assert heading in shown and english not in shown
    # A blood group in an Arabic or French table is isolated left to right, so "O-" is never drawn "-O".
    assert '<strong><bdi dir="ltr">O-</bdi></strong>' in page.text
