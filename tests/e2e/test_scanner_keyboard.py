"""The scanner alone: what a barcode scanner types (characters, then Enter) drives the release from the first
scan to the signature's password, and a refused scan is replaced by the next one. Key presses are counted."""

from datetime import timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from bloodbank.adapters.db.database import Database
from bloodbank.adapters.db.models import Hospital, Unit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.isbt128 import make_din
from bloodbank.entrypoints.demo import accounts as demo_users

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


# A donor card scanned into the desk's search opens the donor: no key beyond the scan.
DESK_EXTRA_KEYS = 0
# At issue the bag's scan picks the unit and Enter moves to the band; the band's Enter sends the form.
ISSUE_EXTRA_KEYS = 0


def test_a_scanned_donor_card_opens_the_donor_with_no_other_key(page_as):
    page = page_as("clerk")
    donor = page.request.get("/api/donors", params={"q": "a", "limit": 1}).json()["items"][0]
    page.goto("/desk")
    keys = Keyboard(page)
    expect(page.get_by_label("Name, donor number or phone")).to_be_focused()
    keys.scan(donor["donor_number"])
    page.wait_for_url(f"**/desk/donors/{donor['id']}")
    assert keys.count - (len(donor["donor_number"]) + 1) <= DESK_EXTRA_KEYS


def test_a_unit_held_for_an_order_is_issued_by_the_bag_s_scan_and_the_band_s_scan_alone(page_as):
    page = page_as("hospital")
    found = None
    for order in page.request.get("/api/orders", params={"status": "allocated", "limit": 50}).json()["items"]:
        held = [r for r in page.request.get(f"/api/orders/{order['id']}/allocation").json()["reserved"]]
        patient = page.request.get(f"/api/patients/{order['patient_id']}").json() if order["patient_id"] else None
        if held and patient and patient["identifiers"]:
            found = order, held[-1], patient
            break
    assert found, "the demo region has an order with units held and a patient with a band"
    order, unit, patient = found
    system, value = patient["identifiers"][0]
    page.goto(f"/hospital/orders/{order['id']}")
    keys = Keyboard(page)
    expect(page.get_by_label("Unit DIN (scan the bag)")).to_be_focused()
    keys.scan(f"={unit['din']}00")
    expect(page.get_by_label("Patient identifier (scan the wristband)")).to_be_focused()
    keys.scan(f"{system}:{value}")
    page.wait_for_url("**/hospital/issues/*")
    scanned = len(unit["din"]) + 4 + len(f"{system}:{value}") + 1
    assert keys.count - scanned <= ISSUE_EXTRA_KEYS


# The order page's first scan field takes the bag in hand; its Enter reserves it: no key beyond the scan.
RESERVE_EXTRA_KEYS = 0


def _order_with_a_unit_to_reserve(page: Page):
    for order in page.request.get("/api/orders", params={"status": "open", "limit": 50}).json()["items"]:
        candidates = page.request.get(f"/api/orders/{order['id']}/candidates").json()
        dins = [c["din"] for c in candidates]
        fitting = [c for c in candidates if not c["refusals"] and not c["o_negative_kept"] and dins.count(c["din"]) == 1]
        if fitting:
            return order, fitting[0]
    return None


def test_the_unit_in_hand_is_reserved_for_an_order_by_its_scan_alone(page_as):
    page = page_as("hospital")
    found = _order_with_a_unit_to_reserve(page)
    assert found, "the demo region has an open order with a unit in stock that suits it"
    order, unit = found
    page.goto(f"/hospital/orders/{order['id']}")
    keys = Keyboard(page)
    expect(page.get_by_label("Or scan the unit in your hand to reserve it")).to_be_focused()
    keys.scan(f"={unit['din']}00")
    page.wait_for_url("**/hospital/orders/*?saved=reserved")
    held = page.request.get(f"/api/orders/{order['id']}/allocation").json()["reserved"]
    assert unit["unit_id"] in [r["unit_id"] for r in held]
    assert keys.count - (len(unit["din"]) + 4) <= RESERVE_EXTRA_KEYS


def _group_o_red_cells_in_stock(database_url: str, hospital_id: int) -> None:
    """A bag of group O red cells on the shelf of the blood bank serving the hospital, as a delivery would
    leave it: the demo's own stock of them may all be held or issued by the time this test runs."""
    database = Database(database_url)
    try:
        with database.sessions() as session, session.begin():
            site_id = session.get(Hospital, hospital_id).site_id
            serial = 900_000 + session.scalar(select(func.count()).select_from(Unit))
            now = utcnow()
            session.add(Unit(din=str(make_din("Z0001", 26, serial)), product_code="E0382", division="00",
                             kind="red_cells", blood_group="O+", status="available", volume_ml=280,
                             collected_at=now - timedelta(days=5), expires_at=now + timedelta(days=20),
                             site_id=site_id, storage_location="issue fridge"))
    finally:
        database.dispose()


def test_an_emergency_release_takes_the_bag_s_scan_the_band_s_scan_the_reason_and_the_password(page_as,
                                                                                             live_database_url):
    page = page_as("hospital")
    patient = next(p for p in page.request.get("/api/patients", params={"limit": 50}).json()["items"]
                   if p["identifiers"] and p["hospital_id"] is not None)
    _group_o_red_cells_in_stock(live_database_url, patient["hospital_id"])
    units = [u for u in page.request.get(f"/api/patients/{patient['id']}/emergency-units").json()
             if not u["refusals"]]
    assert units
    system, value = patient["identifiers"][0]
    page.goto(f"/hospital/emergency?patient_id={patient['id']}")
    keys = Keyboard(page)
    expect(page.get_by_label("Scan the bag you took", exact=False)).to_be_focused()
    keys.scan(f"={units[0]['din']}00")
    expect(page.get_by_label("Patient identifier (scan the wristband)")).to_be_focused()
    keys.scan(f"{system}:{value}")
    reason = "major haemorrhage, bay 2"
    expect(page.get_by_label("Why blood goes before testing")).to_be_focused()
    keys.scan(reason)
    password = page.get_by_label("Your password, to sign")
    if not password.evaluate("el => el === document.activeElement"):
        keys.press("Enter")  # past the optional order number
    expect(password).to_be_focused()
    keys.scan(demo_users.DEMO_PASSWORD)
    page.wait_for_url("**/hospital/issues/*")
    scanned = len(units[0]["din"]) + 4 + len(f"{system}:{value}") + 1
    typed = len(reason) + 1 + len(demo_users.DEMO_PASSWORD) + 1
    assert keys.count - scanned - typed <= 1
