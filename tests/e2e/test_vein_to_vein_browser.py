"""Vein to vein through the pages, in a real browser, each step by the role whose work it is.

A clerk registers, screens and consents a new donor; the donor answers privately; a phlebotomist
collects; the lab processes, types the results and enters each a second time, labels and releases;
hospital staff order, issue and transfuse; the chain is then traced from the DIN to the patient.
"""

from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import Page, Route, expect

from bloodbank.entrypoints.demo.accounts import DEMO_PASSWORD

DONOR = {"given": "Wiremu", "family": "Zelenko-Abara", "born": "1985-07-14"}
GROUP = "AB-"  # rare in the demo stock, so the unit chosen is this donor's
PATIENT_MRN = "DRI:990077"


def notice(page: Page):
    return page.locator(".message.notice")


def clerk_registers_screens_and_consents(page: Page) -> int:
    page.get_by_role("link", name="Register a new donor").click()
    page.get_by_label("Given name").fill(DONOR["given"])
    page.get_by_label("Family name").fill(DONOR["family"])
    page.get_by_label("Date of birth").fill(DONOR["born"])
    page.get_by_label("Sex").select_option("F")
    page.get_by_role("button", name="Register donor").click()
    expect(notice(page)).to_contain_text("Donor registered.")

    page.get_by_label("Site").select_option(label="DERBY — Derby Donor Centre")
    page.get_by_role("button", name="Check in").click()
    expect(page.locator("#visit-status")).to_contain_text("Checked in")
    visit_id = int(re.search(r"/desk/visits/(\d+)", page.url).group(1))

    page.get_by_role("link", name="Questionnaire and measurements").click()
    for question in page.locator("fieldset.q").all():
        answer = "Yes" if "feeling well" in question.locator("legend").inner_text() else "No"
        question.get_by_label(answer, exact=True).check()
    for label, value in (("Weight (kg)", "70"), ("Haemoglobin (g/dL)", "14.5"),
                         ("Blood pressure, systolic (mmHg)", "120"), ("Blood pressure, diastolic (mmHg)", "80"),
                         ("Pulse (beats per minute)", "70"), ("Temperature (°C)", "36.6")):
        page.get_by_label(label).fill(value)
    page.get_by_role("button", name="Record screening").click()
    expect(page.get_by_text("Eligible to donate today")).to_be_visible()

    page.get_by_role("link", name="Consent", exact=True).click()
    page.get_by_label("I, the donor, have read this text and I give my consent").check()
    page.get_by_role("button", name="Record consent").click()
    expect(notice(page)).to_contain_text("Consent recorded.")
    expect(page.locator("#visit-status")).to_contain_text("ready for collection")
    return visit_id


def donor_answers_privately(page: Page, visit_id: int) -> None:
    page.goto(f"/desk/visits/{visit_id}")
    page.get_by_role("button", name="Hand the tablet to the donor", exact=False).click()
    expect(page.locator("header nav")).to_be_hidden()  # the donor cannot wander into staff screens
    page.get_by_role("button", name="Use my blood", exact=True).click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    page.goto(f"/desk/visits/{visit_id}")  # typing a staff address leads to the login, not the records
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def phlebotomist_collects(page: Page, visit_id: int) -> str:
    page.goto(f"/collection/visits/{visit_id}")
    page.get_by_label("Bag type").select_option("quadruple")
    page.get_by_label("Bag lot number").fill("LOT-E2E-01")
    page.get_by_role("button", name="Start collection").click()
    expect(notice(page)).to_contain_text("Collection started.")
    din = page.locator("#din").get_attribute("aria-label").removeprefix("DIN ").rstrip(" *")
    page.get_by_label("Collected volume (mL)").fill("455")
    page.get_by_role("button", name="Finish collection").click()
    expect(page.locator("#donation-status")).to_contain_text("Complete")
    return din


def lab_processes(page: Page, din: str) -> str:
    """The red cell unit's page."""
    page.goto("/processing")
    page.get_by_label("DIN on the bag").fill(din)
    page.get_by_role("button", name="Find donation").click()
    page.get_by_label("Processing method").select_option("buffy_coat")
    page.get_by_role("button", name="Process into components").click()
    expect(notice(page)).to_contain_text("Components made, in quarantine")
    page.get_by_role("link", name=re.compile(r"^Open red cells unit")).click()
    return page.url


def lab_labels(page: Page, unit_url: str, din: str) -> str:
    """Printed once the group is known (a label printed before would carry none), then scanned back as a scanner
    does: each barcode typed into its box and ended with Enter, which moves on to the next box and, after the
    last, sends the form."""
    page.goto(unit_url)
    code, division = re.search(r"· (\w\d{4}) (\w\w)", page.locator("main h1").inner_text()).groups()
    pdfs: list[bytes] = []

    def keep_the_pdf(route: Route) -> None:
        # The browser shows a PDF in its own viewer; the bytes are taken on the way to it.
        answer = route.fetch()
        pdfs.append(answer.body())
        route.fulfill(response=answer)

    page.context.route("**/label.pdf", keep_the_pdf)
    with page.expect_popup() as label_pdf:
        page.get_by_role("button", name="Print label").click()
    label_pdf.value.wait_for_load_state()
    page.context.unroute("**/label.pdf", keep_the_pdf)
    [pdf] = pdfs
    printed = pdf.decode("latin-1")
    label_pdf.value.close()
    page.reload()  # the label opened in its own tab; this page learns of the printing on reload
    expect(page.locator("#label-state")).to_contain_text("Printed")
    product = f"=<{code}V{division}"
    group = re.search(r"\((=%\w{4})\)", printed).group(1)
    expiry = re.search(r"\((&>\d{10})\)", printed).group(1)
    assert group == "=%2800" and f"({product})" in printed  # AB RhD negative, the group the lab typed
    boxes = [("scanned_din", "Scan the label's DIN", din), ("scanned_group", "Scan the label's blood group", group),
             ("scanned_product", "Scan the label's product code", product),
             ("scanned_expiry", "Scan the label's expiry", expiry)]
    page.get_by_label(boxes[0][1]).focus()
    for name, box, scanned in boxes[:-1]:
        expect(page.get_by_label(box)).to_be_focused()
        page.keyboard.type(scanned)
        page.keyboard.press("Enter")
        expect(page.locator(f"#s-{name}")).to_contain_text("✓")  # read at once, and on to the next box
    _, box, scanned = boxes[-1]
    expect(page.get_by_label(box)).to_be_focused()
    page.keyboard.type(scanned)
    with page.expect_navigation():
        page.keyboard.press("Enter")  # the last box sends the form
    expect(notice(page)).to_contain_text("Label verified")
    expect(page.locator("#label-state")).to_contain_text("Verified")
    return product


def lab_tests(page: Page, din: str) -> None:
    page.goto("/lab")
    page.get_by_label("DIN of a donation, to fill in its tests").fill(din)
    page.get_by_role("button", name="Fill in its tests").click()
    expect(notice(page)).to_contain_text("Rows filled in")
    row = 1
    while page.get_by_label(f"DIN, row {row}", exact=True).input_value():
        test = page.get_by_label(f"Test, row {row}", exact=True).input_value()
        if test == "abo_rh":
            page.get_by_label(f"Outcome, row {row}", exact=True).select_option("typed")
            page.get_by_label(f"Group, row {row}", exact=True).fill(GROUP)
        else:
            page.get_by_label(f"Outcome, row {row}", exact=True).select_option("negative")
        row += 1
    assert row > 4, "the grouping and every marker of the site's panel are due"
    page.get_by_role("button", name="Record results").click()
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(notice(page)).to_contain_text("result(s) recorded")


def lab_enters_each_result_again(page: Page, din: str) -> None:
    """Typed by hand, each result counts once entered a second time, blind: the first entry is not shown."""
    page.goto("/lab/second-entry")
    rows = page.locator("#second-entries tr", has_text=din)
    count = rows.count()
    assert count > 4, "the grouping and every marker of the site's panel wait for a second entry"
    for _ in range(count):
        page.locator("#second-entries tr", has_text=din).first.get_by_role("link").click()
        expect(page.locator("main")).not_to_contain_text(GROUP)
        if page.get_by_label("Group, entered again").count():
            page.get_by_label("Group, entered again").fill(GROUP)
        else:
            page.get_by_label("Outcome, entered again").select_option("negative")
        page.get_by_role("button", name="Record the second entry").click()
        expect(notice(page)).to_contain_text("verified: both entries agree")


def lab_releases(page: Page, din: str, product: str) -> None:
    page.goto("/lab/release")
    page.get_by_label("DIN on the bag").first.fill(din)
    page.get_by_label("Product code on the bag").first.fill(product)
    page.get_by_role("button", name="Find the unit").click()
    page.get_by_label("Your password, to sign").fill("not my password")
    page.get_by_role("button", name="Sign and release").click()
    expect(page.get_by_role("alert")).to_contain_text("password does not match")  # nothing released
    page.get_by_label("Your password, to sign").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign and release").click()
    expect(page.locator("main")).to_contain_text("is available")
    expect(page.locator("#signature")).to_contain_text("Lee Lab")
    expect(page.locator("#signature")).to_contain_text("meets every release requirement")


VITALS = (("Temperature (°C)", "36.8"), ("Pulse (beats/min)", "78"), ("Systolic pressure (mmHg)", "124"),
          ("Diastolic pressure (mmHg)", "76"), ("Respiratory rate (breaths/min)", "16"))


def hospital_registers_a_patient_ready_for_electronic_issue(page: Page) -> None:
    page.get_by_role("link", name="Register a patient").click()
    page.get_by_label("Hospital").select_option(label="Derwent Royal Infirmary (DRI)")
    page.get_by_label("Given name").fill("Amal")
    page.get_by_label("Family name").fill("Haddad")
    page.get_by_label("Date of birth").fill("1961-05-03")
    page.get_by_label("Sex").select_option("F")
    page.get_by_label("Identifier 1 type").select_option("mrn")
    page.get_by_label("Identifier 1", exact=True).fill(PATIENT_MRN)
    page.get_by_role("button", name="Register patient").click()
    expect(page.locator("#electronic")).to_contain_text("Not allowed")
    for number in ("DRI-S1", "DRI-S2"):  # two samples taken separately confirm the group
        page.get_by_label("Sample number").fill(number)
        page.get_by_label("Taken by").fill("nurse.kim")
        page.get_by_role("button", name="Record sample").click()
        sample = page.locator("#f-grouping_sample option", has_text=number).get_attribute("value")
        page.get_by_label("Sample grouped").select_option(sample)
        page.get_by_label("Blood group", exact=True).fill(GROUP)
        page.get_by_role("button", name="Record grouping").click()
    page.get_by_label("Screen result").select_option("negative")
    page.get_by_role("button", name="Record antibody screen").click()
    expect(page.locator("#electronic")).to_contain_text("Allowed")


def hospital_orders_issues_and_transfuses(page: Page, din: str) -> None:
    page.get_by_role("link", name="Place an order for this patient").click()
    page.get_by_label("Component").select_option("red_cells")
    page.get_by_label("Urgency").select_option("urgent")
    page.get_by_role("button", name="Place order").click()
    facility, year, serial = din.split()[:3]
    page.get_by_role("button", name=re.compile(f"Reserve unit {facility} {year} {serial}")).click()
    page.get_by_label("Unit DIN (scan the bag)").fill(din)
    page.get_by_label("Patient identifier (scan the wristband)").fill("mrn:DRI:000000")
    page.get_by_role("button", name="Issue unit").click()
    expect(page.get_by_role("alert")).to_contain_text("STOP: do not issue this unit.")  # the wrong wristband
    page.get_by_label("Patient identifier (scan the wristband)").fill(f"mrn:{PATIENT_MRN}")
    page.get_by_role("button", name="Issue unit").click()
    expect(notice(page)).to_contain_text("Unit issued")

    page.get_by_label("Unit DIN (scan the bag at the bedside)").fill(din)
    page.get_by_label("Patient identifier (scan the identity band)").fill(f"mrn:{PATIENT_MRN}")
    for label, value in VITALS:
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Start transfusion").click()
    expect(notice(page)).to_contain_text("Bedside check passed")
    page.get_by_label("Volume given (mL)").fill("250")
    page.get_by_label("Outcome").select_option("completed")
    for label, value in VITALS:
        page.get_by_label(f"{label} after", exact=True).fill(value)
    page.get_by_role("button", name="End transfusion").click()
    expect(page.locator("main")).to_contain_text("ended, completed")


def anyone_traces_the_din_to_the_patient(page: Page, din: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Trace").click()
    page.get_by_label("DIN or donor number").fill(din)
    page.get_by_role("button", name="Trace", exact=True).click()
    expect(page.locator("main h2").first).to_contain_text("Trace of DIN")
    expect(page.locator(".recipient").first).to_contain_text(PATIENT_MRN)
    expect(page.locator(".recipient").first).to_contain_text("completed")
    page.get_by_role("link", name="Lookback: every recipient of this donor").click()
    expect(page.locator("main")).to_contain_text(PATIENT_MRN)


def test_a_donation_goes_from_the_donor_desk_to_a_transfusion_and_is_traced_back_in_the_browser(page_as):
    desk = page_as("clerk")
    visit_id = clerk_registers_screens_and_consents(desk)
    donor_answers_privately(desk, visit_id)
    din = phlebotomist_collects(page_as("phlebotomist"), visit_id)
    lab = page_as("lab")
    unit_url = lab_processes(lab, din)
    lab_tests(lab, din)
    lab_enters_each_result_again(lab, din)
    product = lab_labels(lab, unit_url, din)
    lab_releases(lab, din, product)
    ward = page_as("hospital")
    hospital_registers_a_patient_ready_for_electronic_issue(ward)
    hospital_orders_issues_and_transfuses(ward, din)
    anyone_traces_the_din_to_the_patient(page_as("director"), din)
