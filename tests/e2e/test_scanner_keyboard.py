"""The scanner alone: what a barcode scanner types (characters, then Enter) drives the release from the first
scan to the signature's password, and a refused scan is replaced by the next one. Key presses are counted."""

from playwright.sync_api import Page, expect

# Keys beyond the scans themselves, from the first scan to the signature's password: the signing form asks
# for the bag to be scanned back, and arrives filled in from the scans just made, so one Enter accepts each
# field. Nothing else: no Tab, no click.
RELEASE_EXTRA_KEYS = 2


class Keyboard:
    """Types as a scanner or a person does, and counts every key."""

    def __init__(self, page: Page):
        self.page, self.count = page, 0

    def scan(self, text: str) -> None:
        self.page.keyboard.type(text)
        self.page.keyboard.press("Enter")
        self.count += len(text) + 1

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.count += 1


def focused(page: Page) -> dict:
    return page.evaluate("""() => { const el = document.activeElement;
        return {id: el.id, start: el.selectionStart, end: el.selectionEnd, length: (el.value || '').length}; }""")


def test_a_scanner_alone_finds_the_bag_and_reaches_the_signature_password_and_a_refused_scan_is_replaced(page_as):
    page = page_as("lab")
    items = page.request.get("/api/lab/quarantine", params={"limit": 50}).json()["items"]
    unit = items[0]
    product = f"{unit['product_code']}V{unit['division']}"  # as the label's product code barcode reads
    page.goto("/lab/release")
    keys = Keyboard(page)
    expect(page.get_by_label("DIN on the bag")).to_be_focused()

    keys.scan("12345")  # not a DIN: refused, the cursor stays, the text selected for the next scan
    expect(page.locator("#s-din")).not_to_be_empty()
    expect(page.get_by_label("DIN on the bag")).to_be_focused()
    where = focused(page)
    assert (where["start"], where["end"]) == (0, where["length"]) == (0, 5)
    keys.count = 0

    keys.scan(unit["din"])
    expect(page.get_by_label("Product code on the bag")).to_be_focused()
    keys.scan(product)  # the last field: Enter sends the form
    expect(page.locator("#unit")).to_be_visible()

    expect(page.get_by_label("DIN on the bag")).to_be_focused()  # the signing form's scan-back, filled in
    keys.press("Enter")
    expect(page.get_by_label("Product code on the bag")).to_be_focused()
    keys.press("Enter")
    password = page.get_by_label("Your password, to sign")
    expect(password).to_be_focused()  # never the product code box: the password is not typed in clear
    scanned = len(unit["din"]) + 1 + len(product) + 1
    assert keys.count - scanned <= RELEASE_EXTRA_KEYS
