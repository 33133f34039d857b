"""Each person's whole task in Arabic and in French, in a real browser.

A clerk sets their language and registers a donor, typing the date of birth and phone in Arabic-Indic digits in
Arabic; the donor signs in from home on a phone, books and answers the day's questionnaire; the clerk checks
them in, loads those answers, screens and records consent, and hands the tablet over for the donor's private
question; a phlebotomist collects; a lab technician processes, enters the results twice, labels and releases
the red cells. Every page is checked to be in the language
(`lang`, `dir`, known words) and to show none of the flow's English sentences. With BLOODBANK_SCREENSHOTS=1
the Arabic pages are saved to docs/screenshots/ar-*.png for the README.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import Page, Route, expect
from sqlalchemy import select

from bloodbank.adapters.db.database import Database
from bloodbank.adapters.db.models import Appointment, Donor, Site
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.access import SIGNATURE_MEANINGS
from bloodbank.domain.components import kind_name
from bloodbank.entrypoints import languages
from bloodbank.entrypoints.demo.accounts import DEMO_PASSWORD
from tests.e2e.conftest import LIVE
from tests.e2e.test_donor_portal_phone import PHONE, _last_code

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
CATALOGUE = Path(languages.__file__).resolve().parents[1] / "locale" / "fr" / "LC_MESSAGES" / "messages.po"

DONORS = {
    "ar": {"given": "ريم", "family": "العبدالله", "born": "1990-03-17", "phone": "07700 900461"},
    "fr": {"given": "Aïssata", "family": "Traoré-Keïta", "born": "1991-05-23", "phone": "07700 900462"},
}
GROUP = "A+"
SITE = "Derby Donor Centre"

# Sentences the flow's pages once wrote in English whatever the language (the consent text, the chair's page):
# none may show again. Every sentence of the catalogues is checked too, page by page (`_no_english`).
HARD_CODED = (
    "Consent to donate", "Please hand the screen to the donor.", "I agree to give blood today.",
    "I, the donor, have read this text and I give my consent", "Record consent",
    "Ask the donor to say their full name and date of birth", "Start the collection", "Bag lot number",
    "Start collection", "Donation identification number", "End the collection", "Finish collection",
    "Adverse reactions", "Print the DIN labels", "Collected volume",
)


@cache
def _english_sentences() -> tuple[str, ...]:
    """The catalogue's messages of three words or more with no placeholder: an English sentence on a page."""
    with CATALOGUE.open("rb") as po:
        ids = [m.id for m in read_po(po) if isinstance(m.id, str)]
    return tuple(i for i in ids if len(i.split()) >= 3 and "%(" not in i and "<" not in i and "{" not in i)


def _in_language(page: Page, language: str, *words: str) -> None:
    """The page is in `language`: its lang and dir, the translation of each of `words` shown, no English."""
    html = page.locator("html")
    expect(html).to_have_attribute("lang", language)
    expect(html).to_have_attribute("dir", "rtl" if language in languages.RIGHT_TO_LEFT else "ltr")
    text = page.locator("body").inner_text()
    translate = languages.catalogue(language)
    for word in words:
        assert translate(word) != word, f"{word!r} has no {language} translation"
        assert translate(word) in text, f"{page.url}: {translate(word)!r} ({word}) is not shown"
    _no_english(page, language, text)


def _no_english(page: Page, language: str, text: str) -> None:
    translate = languages.catalogue(language)
    shown = [s for s in HARD_CODED if s in text]
    shown += [s for s in _english_sentences() if s in text and translate(s) != s]
    assert not shown, f"{page.url} in {language} shows English: {shown[:5]}"


def _notice(page: Page):
    return page.locator(".message.notice")


def _screenshot(page: Page, language: str, name: str, screenshot_dir: Path) -> None:
    if language == "ar":
        page.screenshot(path=str(screenshot_dir / f"ar-{name}.png"))  # the viewport only: kept small


def _set_own_language(page: Page, language: str) -> None:
    page.goto("/account")
    page.locator("#f-language").select_option(language)
    page.locator("form[action='/account/language'] button[type=submit]").click()
    page.wait_for_load_state()


def _typed(text: str, language: str) -> str:
    """Digits as a clerk with this language's keyboard types them."""
    return text.translate(ARABIC_INDIC) if language == "ar" else text


# The clerk ---------------------------------------------------------------------------------------------------

def clerk_registers(page: Page, language: str) -> str:
    donor = DONORS[language]
    _set_own_language(page, language)
    _in_language(page, language, "Your language is saved.", "Language of the pages")
    page.goto("/desk")
    _in_language(page, language, "Donor desk", "Find a donor", "Register a new donor")
    page.locator("a[href='/desk/donors/new']").first.click()
    _in_language(page, language, "Register a donor", "Given name", "Date of birth")
    page.locator("#f-given_name").fill(donor["given"])
    page.locator("#f-family_name").fill(donor["family"])
    page.locator("#f-date_of_birth").press_sequentially(_typed(donor["born"], language))
    page.locator("#f-sex").select_option("F")
    page.locator("#f-phone").press_sequentially(_typed(donor["phone"], language))
    page.locator("#f-language").select_option(language)
    page.locator("form.card[action='/desk/donors/new'] button[type=submit]").click()
    page.wait_for_load_state()
    if page.locator("section.duplicates").count():  # a look-alike in the demo register: a different person
        _in_language(page, language, "This person may already be registered")
        page.locator("section.duplicates form[method=post] button").click()
    expect(_notice(page)).to_have_text(languages.catalogue(language)("Donor registered."))
    _in_language(page, language, "Deferral status", "Check in", "Not deferred.")
    facts = page.locator("dl.facts").inner_text()
    assert donor["born"] in facts and donor["phone"].replace(" ", "") in facts, "Arabic-Indic digits not read"
    return page.locator("#donor-number bdi").inner_text()


def clerk_checks_in_screens_and_consents(page: Page, language: str, number: str, site: str,
                                         home_code: str | None, screenshot_dir: Path) -> int:
    translate = languages.catalogue(language)
    page.goto("/desk")
    page.locator("#f-q").press_sequentially(_typed(number, language), delay=20)  # the whole number opens them
    page.wait_for_url("**/desk/donors/*")
    _in_language(page, language, "Check in", "Details")
    page.locator("#f-site_id").select_option(label=page.locator("#f-site_id option", has_text=site).inner_text())
    page.locator("form[action$='/check-in'] button[type=submit]").click()
    page.wait_for_url("**/desk/visits/*")
    visit_id = int(re.search(r"/desk/visits/(\d+)", page.url).group(1))
    expect(page.locator("#visit-status")).to_have_text(translate("Checked in: questionnaire and measurements next"))
    _in_language(page, language, "Questionnaire and measurements", "Next")

    page.locator(f"a[href='/desk/visits/{visit_id}/screening']").click()
    _in_language(page, language, "Questionnaire and measurements", "Measurements", "Record screening")
    if home_code:
        page.locator("#f-home").fill(home_code)
        page.locator("#f-home").press("Enter")
        expect(page.locator("#f-q_feeling_well-yes")).to_be_checked()  # the donor's own answers from home
        _in_language(page, language, "The donor's answers from home are filled in: go through each with the "
                                     "donor before recording.")
    else:
        for question in page.locator("fieldset.q").all():
            question.locator("input[value=no]").check()
        page.locator("#f-q_feeling_well-yes").check()
    for name, value in (("weight_kg", "70"), ("hemoglobin_g_dl", "14.5"), ("systolic", "120"),
                        ("diastolic", "80"), ("pulse", "70"), ("temperature_c", "36.6")):
        page.locator(f"#f-{name}").press_sequentially(_typed(value, language))
    page.locator(f"form[method=post][action='/desk/visits/{visit_id}/screening'] button[type=submit]").click()
    expect(page.locator("#decision")).to_have_text(translate("Eligible to donate today"))
    _in_language(page, language, "Eligible to donate today", "Consent")

    page.locator(f"a[href='/desk/visits/{visit_id}/consent']").click()
    _in_language(page, language, "Consent to donate", "I, the donor, have read this text and I give my consent",
                 "Record consent")
    page.locator("#f-confirmed_by_donor").check()
    page.locator(f"form[action='/desk/visits/{visit_id}/consent'] button[type=submit]").click()
    expect(_notice(page)).to_have_text(translate("Consent recorded. The donor can go to collection."))
    expect(page.locator("#visit-status")).to_have_text(translate("Consent given: ready for collection"))
    _in_language(page, language, "Eligible to donate today", "Ready for collection: the phlebotomist takes over.")
    _screenshot(page, language, "desk", screenshot_dir)
    return visit_id


def donor_answers_privately_on_the_desk_tablet(page: Page, language: str, visit_id: int) -> None:
    """The clerk hands the tablet over (and is logged out on it): the private question is in the donor's own
    language."""
    page.goto(f"/desk/visits/{visit_id}")
    page.locator("#hand-over button[type=submit]").click()
    expect(page.locator("header nav")).to_be_hidden()
    _in_language(page, language, "A private question for you", "Use my blood", "Do not use my blood")
    page.locator("button[name=choice][value=use]").click()
    _in_language(page, language, "Thank you", "Your answer has been recorded. Please hand the tablet back to a "
                                              "member of staff.")


# The donor at home -------------------------------------------------------------------------------------------

def _appointment_today(number: str, site: str) -> None:
    """When no site has a free time left today (a Sunday, an evening run), today's appointment is written as the
    desk's diary would hold it, so the questionnaire of the day can be answered."""
    database = Database(LIVE["database_url"])
    try:
        with database.sessions() as s, s.begin():
            donor = s.execute(select(Donor).where(Donor.donor_number == number)).scalar_one()
            site_id = s.execute(select(Site.id).where(Site.name == site)).scalar_one()
            s.add(Appointment(site_id=site_id, donor_id=donor.id, starts_at=utcnow(), kind="whole_blood",
                              booked_by="clerk", status="booked"))
    finally:
        database.dispose()


def donor_signs_in_books_and_answers(chromium, live_server, language: str, number: str,
                                     screenshot_dir: Path) -> tuple[str, str | None]:
    """The site booked at, and the code of the answers given at home."""
    donor = DONORS[language]
    translate = languages.catalogue(language)
    context = chromium.new_context(base_url=live_server, viewport=PHONE, is_mobile=True)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto("/my/sign-in")
        page.locator(f"form.languages button[value={language}]").click()  # the switcher, before signing in
        page.wait_for_url("**/my/sign-in")
        _in_language(page, language, "Sign in to your donor page", "Send it by")
        page.locator("#donor_number").press_sequentially(_typed(number, language))
        page.locator("#date_of_birth").fill(donor["born"])  # the browser's own date picker
        page.locator("input[name=channel][value=sms]").check()
        page.locator("#contact").press_sequentially(_typed(donor["phone"], language))
        page.locator("form[action='/my/sign-in'] button[type=submit]").click()
        _in_language(page, language, "Check your messages", "The code we sent by SMS")
        page.locator("#code").press_sequentially(_typed(_last_code(), language))
        page.locator("form[action='/my/sign-in/code'] button[type=submit]").click()
        page.wait_for_url("**/my")
        _in_language(page, language, "Your donor page", "When you can give next", "No appointment booked.")

        page.goto("/my/book")
        _in_language(page, language, "Book an appointment", "Show times")
        page.locator("#site_id").select_option(label=SITE)
        times, day = page.locator('input[name="starts_at"]'), 0
        page.locator("form[method=get][action='/my/book'] button[type=submit]").click()
        while times.count() == 0 and day < 14:
            day += 1
            page.locator("#on").evaluate("(el, n) => { const d = new Date(); d.setDate(d.getDate() + n); "
                                         "el.value = d.toISOString().slice(0, 10); }", day)
            page.locator("form[method=get][action='/my/book'] button[type=submit]").click()
        times.first.check()
        page.locator("form[method=post][action='/my/book'] button[type=submit]").click()
        page.wait_for_url("**/my")
        expect(page.locator(".my-appointments li")).to_have_count(1)
        _in_language(page, language, "Your appointments", "Cancel")
        if day:
            _appointment_today(number, SITE)

        page.goto("/my/questionnaire")
        _in_language(page, language, "Today's questionnaire", "Get my code for the desk")
        for answer in page.locator("form[action='/my/questionnaire'] input[type=radio][value=no]").all():
            answer.check()
        page.locator("input[name=feeling_well][value=yes]").check()
        page.locator("form[action='/my/questionnaire'] button[type=submit]").click()
        _in_language(page, language, "Your code for the desk", "If the code cannot be scanned, staff can type it:")
        width, viewport = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
        assert width <= viewport, f"the code for the desk widens the phone's page to {width} px"
        _screenshot(page, language, "portal", screenshot_dir)
        return SITE, page.locator("code").inner_text()
    finally:
        context.close()


# The phlebotomist --------------------------------------------------------------------------------------------

def phlebotomist_collects(page: Page, language: str, visit_id: int, screenshot_dir: Path) -> str:
    translate = languages.catalogue(language)
    _set_own_language(page, language)
    page.goto(f"/collection/visits/{visit_id}")
    _in_language(page, language, "Start the collection", "Bag lot number", "Start collection")
    page.locator("#f-bag_type").select_option("quadruple")
    page.locator("#f-bag_lot").fill("LOT-E2E-02")
    page.locator(f"form[action='/collection/visits/{visit_id}/start'] button[type=submit]").click()
    expect(_notice(page)).to_contain_text(translate("Collection started. Print the DIN labels and label the bag "
                                                    "and every sample tube before the needle goes in."))
    _in_language(page, language, "Donation identification number", "End the collection", "Finish collection")
    din = page.locator("#din").get_attribute("aria-label").removeprefix(translate("DIN") + " ").rstrip(" *")
    page.locator("#f-volume_ml").press_sequentially(_typed("455", language))
    page.locator(f"form[action='/collection/visits/{visit_id}/finish'] button[type=submit]").click()
    expect(page.locator("#donation-status")).to_have_text(translate("Complete"))
    _in_language(page, language, "Collection finished: the bag goes to processing.", "Donor adverse reactions")
    _screenshot(page, language, "collection", screenshot_dir)
    return din


# The lab technician ------------------------------------------------------------------------------------------

def lab_processes(page: Page, language: str, din: str) -> str:
    """The red cell unit's page."""
    translate = languages.catalogue(language)
    _set_own_language(page, language)
    page.goto("/processing")
    _in_language(page, language, "Find a donation", "DIN on the bag")
    page.locator("#f-din").fill(din)
    page.locator("form.find button[type=submit]").click()
    page.locator("#f-method").select_option("buffy_coat")
    page.locator("form[action='/processing/process'] button[type=submit]").click()
    _in_language(page, language, "Units made from this donation")
    red_cells = translate(kind_name("red_cells"))
    page.locator("a[href^='/processing/units/']", has_text=red_cells).first.click()
    _in_language(page, language, "Label", "Print label")
    return page.url


def lab_enters_results_twice(page: Page, language: str, din: str) -> None:
    translate = languages.catalogue(language)
    page.goto("/lab")
    _in_language(page, language, "Enter results", "Record results")
    page.locator("#f-fill_din").fill(din)
    page.locator("form[action='/lab'] button[type=submit]").click()
    row = 1
    while page.locator(f"#f-din_{row}").count() and page.locator(f"#f-din_{row}").input_value():
        if page.locator(f"#f-test_{row}").input_value() == "abo_rh":
            page.locator(f"#f-outcome_{row}").select_option("typed")
            page.locator(f"#f-group_{row}").fill(GROUP)
        else:
            page.locator(f"#f-outcome_{row}").select_option("negative")
        row += 1
    assert row > 4, "the grouping and every marker of the site's panel are due"
    page.locator("form[action='/lab/results'] button[type=submit]").click()
    expect(page.get_by_role("alert")).to_have_count(0)
    _in_language(page, language, "Enter results")

    page.goto("/lab/second-entry")
    _in_language(page, language, "Second entry")
    waiting = page.locator("#second-entries tr", has_text=din)
    count = waiting.count()
    assert count > 4, "the grouping and every marker of the site's panel wait for a second entry"
    for _ in range(count):
        waiting.first.locator("a").click()
        _in_language(page, language, "Record the second entry")
        if page.locator("#f-group").count():
            page.locator("#f-group").fill(GROUP)
        else:
            page.locator("#f-outcome").select_option("negative")
        page.locator("form[action^='/lab/second-entry/'] button[type=submit]").click()
        expect(_notice(page)).to_be_visible()
        _in_language(page, language, "Second entry")
    expect(page.locator("#second-entries tr", has_text=din)).to_have_count(0)


def lab_labels(page: Page, language: str, unit_url: str, din: str) -> str:
    page.goto(unit_url)
    code, division = re.search(r"· (\w\d{4}) (\w\w)", page.locator("main h1").inner_text()).groups()
    pdfs: list[bytes] = []

    def keep_the_pdf(route: Route) -> None:
        answer = route.fetch()
        pdfs.append(answer.body())
        route.fulfill(response=answer)

    page.context.route("**/label.pdf", keep_the_pdf)
    with page.expect_popup() as label_pdf:
        page.locator("form[action$='/label.pdf'] button[type=submit]").click()
    label_pdf.value.wait_for_load_state()
    page.context.unroute("**/label.pdf", keep_the_pdf)
    printed = pdfs[0].decode("latin-1")
    label_pdf.value.close()
    page.reload()
    product = f"=<{code}V{division}"
    group = re.search(r"\((=%\w{4})\)", printed).group(1)
    expiry = re.search(r"\((&>\d{10})\)", printed).group(1)
    for name, scanned in (("scanned_din", din), ("scanned_group", group), ("scanned_product", product),
                          ("scanned_expiry", expiry)):
        page.locator(f"#f-{name}").fill(scanned)
    page.locator("form[action$='/verify-label'] button[type=submit]").click()
    expect(page.locator("#label-state strong")).to_have_text(languages.catalogue(language)("Verified"))
    _in_language(page, language, "Label")
    return product


def lab_releases(page: Page, language: str, din: str, product: str, screenshot_dir: Path) -> None:
    translate = languages.catalogue(language)
    page.goto("/lab/release")
    _in_language(page, language, "Scan the bag in your hand", "Find the unit")
    page.locator("#f-din").fill(din)
    page.locator("#f-product_code").fill(product)
    page.locator("form[method=get][action='/lab/release'] button[type=submit]").click()
    _in_language(page, language, "✓ Every release check passes.", "Sign and release", "Your password, to sign")
    page.locator("#f-signature_password").fill(DEMO_PASSWORD)
    page.locator("form[method=post][action='/lab/release'] button[type=submit]").click()
    expect(page.locator("#signature")).to_contain_text("Lee Lab")
    signed = page.locator("#signature").inner_text()
    statement = translate(SIGNATURE_MEANINGS["release"])
    assert "meets every release requirement" not in signed and statement.split("%(subject)s")[0].strip() in signed
    _in_language(page, language, "Released", "Signed by", "Release another unit")
    assert translate("available") in page.locator("main").inner_text()
    _screenshot(page, language, "lab", screenshot_dir)


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_a_clerk_a_donor_a_phlebotomist_and_a_lab_technician_each_do_their_whole_task_in_the_language(
        page_as, chromium, live_server, screenshot_dir, language):
    desk, chair, lab = page_as("clerk"), page_as("phlebotomist"), page_as("lab")
    try:
        number = clerk_registers(desk, language)
        site, home_code = donor_signs_in_books_and_answers(chromium, live_server, language, number, screenshot_dir)
        visit_id = clerk_checks_in_screens_and_consents(desk, language, number, site, home_code, screenshot_dir)
        donor_answers_privately_on_the_desk_tablet(page_as("clerk"), language, visit_id)
        din = phlebotomist_collects(chair, language, visit_id, screenshot_dir)
        unit_url = lab_processes(lab, language, din)
        lab_enters_results_twice(lab, language, din)
        product = lab_labels(lab, language, unit_url, din)
        lab_releases(lab, language, din, product, screenshot_dir)
    finally:
        for page in (desk, chair, lab):  # the demo accounts are shared with the other browser tests
            _set_own_language(page, "")
