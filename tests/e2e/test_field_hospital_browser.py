"""The field hospital in a real browser: the supply is cut off, the walking blood bank is called, a volunteer
is screened and collected, and their unit is issued under signature to an unidentified casualty under massive
transfusion, each step by the role whose work it is.

The demo's first site has the panel; the hospital it serves has a pack of emergency identities printed for its
trauma bay and a massive transfusion ratio of its own.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from bloodbank.entrypoints.demo.accounts import DEMO_PASSWORD

ANSWERS = {"feels_well": "yes"}  # every other question of the abbreviated questionnaire: no


def notice(page: Page):
    return page.locator(".message.notice")


def director_cuts_off_and_activates(page: Page) -> int:
    page.goto("/field")
    page.get_by_label("Site", exact=True).select_option(label="DERBY · Derby Donor Centre")  # the site with the panel
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#panel")).to_be_visible()
    page.get_by_label("Why tested blood cannot reach the site").fill("road to the regional centre cut by shelling")
    page.locator("#cut-off-form").get_by_label("Your password, to sign").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Declare, signed").click()
    expect(page.locator("#cut-offs")).to_contain_text("IN FORCE")
    inside = page.locator("#f-emergency option", has_text="Supply cut-off").last.get_attribute("value")
    page.get_by_label("Inside").select_option(inside)
    page.get_by_label("Patients of unknown group waiting").fill("1")
    page.get_by_role("button", name="Activate: make the call list").click()
    expect(page.locator("#calls")).to_be_visible()
    return int(re.search(r"/field/activations/(\d+)", page.url).group(1))


def first_called_says_yes(page: Page) -> str:
    """Low-titre O first for a patient of unknown group: the first row is who is phoned first."""
    first = page.locator("#calls tbody tr").first
    group = first.locator("td").nth(3).inner_text()
    assert "LOW TITRE" in group, group
    first.get_by_role("button", name="Coming").click()
    return group.split()[0]


def phlebotomist_screens_and_collects(page: Page, activation_id: int, group: str) -> tuple[int, str]:
    page.goto(f"/field/activations/{activation_id}")
    expect(page.locator("#coming")).to_contain_text(group)
    form = page.locator("#collect-form")
    for select in form.locator("select[name^='q_']").all():
        select.select_option("yes" if select.get_attribute("name")[2:] in ANSWERS else "no")
    for marker in ("hiv", "hbv", "hcv", "syphilis"):
        form.locator(f"#f-rt_{marker}_result").select_option("negative")
        form.locator(f"#f-rt_{marker}_kit").fill("Determine")
        form.locator(f"#f-rt_{marker}_lot").fill(f"L-{marker}-26")
    form.get_by_label("ABO/RhD at the bedside").fill(group)
    form.get_by_label("Bag lot").fill("CPDA-E2E")
    form.get_by_label("Volume collected (mL)").fill("450")
    form.locator("#f-confirmed").check()
    page.get_by_role("button", name="Collect: one unit, emergency use, not fully tested").click()
    expect(page.locator("#special-testing")).to_contain_text("NOT FULLY TESTED")
    unit_id = int(re.search(r"/field/units/(\d+)", page.url).group(1))
    din = page.locator("main h1 .din").inner_text()
    return unit_id, din


def ward_registers_the_casualty_from_the_pack(page: Page) -> tuple[int, str]:
    page.goto("/hospital/identity-packs")
    first, _ = re.findall(r"EM-\d{4}-\d{4}", page.locator("#packs tbody tr").first.inner_text())[:2]
    page.get_by_label("Wristband or tube label").fill(first)
    page.get_by_label("Sex").select_option("M")
    page.get_by_label("Approximate age (years)").fill("30")
    page.get_by_role("button", name="Register the casualty").click()
    patient_id = int(re.search(r"/hospital/patients/(\d+)", page.url).group(1))
    expect(page.locator("main")).to_contain_text(first)
    return patient_id, first


def ward_activates_massive_transfusion(page: Page, number: str) -> str:
    page.goto("/hospital/mtp")
    page.get_by_label("Patient identifier (scan the wristband)").fill(number)
    page.get_by_label("Why").fill("blast injury, trauma bay 1")
    page.get_by_role("button", name="Activate massive transfusion").click()
    expect(notice(page)).to_contain_text("Massive transfusion activated")
    return page.url.split("?")[0]


def physician_issues_under_signature(page: Page, unit_id: int, din: str, patient_id: int, number: str) -> None:
    page.goto("/field/issue")
    page.get_by_label("Unit", exact=True).select_option(str(unit_id))
    page.get_by_label("Patient record number").fill(str(patient_id))
    page.get_by_label("Unit DIN (scan the bag)").fill(din)
    page.get_by_label("Patient identifier (scan the wristband)").fill(number)
    page.get_by_label("I accept the risk because…").fill("no tested blood can reach us and he is bleeding out")
    page.get_by_label("Your password, to sign").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Issue, signed").click()
    expect(notice(page)).to_contain_text("Issued under your signature.")


def test_a_volunteer_s_blood_reaches_an_unidentified_casualty_under_massive_transfusion(page_as):
    director = page_as("director")
    activation_id = director_cuts_off_and_activates(director)
    group = first_called_says_yes(director)
    unit_id, din = phlebotomist_screens_and_collects(page_as("phlebotomist"), activation_id, group)

    ward = page_as("hospital")
    patient_id, number = ward_registers_the_casualty_from_the_pack(ward)
    mtp_url = ward_activates_massive_transfusion(ward, number)
    physician_issues_under_signature(ward, unit_id, din, patient_id, number)

    ward.goto(mtp_url)
    given = ward.locator("#given tbody tr").first
    expect(given.locator("td").nth(3)).to_have_text("1")  # one whole blood: a red cell and a plasma in the ratio
    expect(ward.locator("#given")).to_contain_text("Ratio given, per red cell")

    director.goto(f"/field/activations/{activation_id}")
    director.get_by_role("link", name="Back to the panel").click()
    director.locator("#cut-offs li", has_text="IN FORCE").get_by_role("button", name="End it").click()
    expect(director.locator("#cut-offs")).not_to_contain_text("IN FORCE")
