"""A clerk switches the pages to Arabic: the layout mirrors, a DIN still reads left to right, and a donor number
typed in Arabic-Indic digits finds the donor."""

from playwright.sync_api import expect

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")

# Whether the first character of an element's text is drawn to the left of its last: true for text read
# left to right, false if the bidirectional algorithm reversed it.
READS_LEFT_TO_RIGHT = """element => {
    const text = element.firstChild;
    const box = i => { const r = document.createRange(); r.setStart(text, i); r.setEnd(text, i + 1);
                       return r.getBoundingClientRect(); };
    return box(0).left < box(text.length - 1).left;
}"""


def _back_to_the_browsers_language(page):
    page.goto("/account")
    page.locator("#f-language").select_option("")
    page.locator("form[action='/account/language'] button[type=submit]").click()
    page.wait_for_load_state()


def _a_donor_page_with_a_din(page):
    page.goto("/desk?q=a")
    links = [a.get_attribute("href") for a in page.locator("#donor-results tbody a").all()]
    for href in links:
        page.goto(href)
        if page.locator("bdi.din").count():
            return
    raise AssertionError("no donor among the first results has a donation")


def test_in_arabic_the_layout_mirrors_dins_read_left_to_right_and_arabic_digits_find_the_donor(page_as):
    page = page_as("clerk")
    try:
        page.goto("/desk")
        page.get_by_role("button", name="العربية").click()
        page.wait_for_load_state()
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.locator("html")).to_have_attribute("lang", "ar")
        expect(page.locator("h1")).to_have_text("استقبال المتبرعين")

        width = page.viewport_size["width"]
        brand = page.locator("header .brand").bounding_box()
        nav = page.locator("header nav").bounding_box()
        who = page.locator("header form.who").bounding_box()
        assert brand["x"] > width / 2, "the brand is not on the right"
        assert nav["x"] + nav["width"] > width / 2 and nav["x"] > who["x"], "the navigation is not mirrored"

        _a_donor_page_with_a_din(page)
        din = page.locator("bdi.din").first
        assert din.evaluate("e => getComputedStyle(e).direction") == "ltr"
        assert din.evaluate(READS_LEFT_TO_RIGHT), "the DIN is drawn reversed"
        number = page.locator("#donor-number bdi").inner_text()
        donor_url = page.url

        page.goto("/desk")
        # A whole donor number, typed in Arabic-Indic digits, is the donor: the desk opens their record.
        page.locator("#f-q").press_sequentially(number.translate(ARABIC_INDIC), delay=20)
        page.wait_for_url(donor_url)
    finally:
        _back_to_the_browsers_language(page)
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
