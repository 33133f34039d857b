"""Each role logs in through the browser and lands on its own home, which shows real demo data."""

import os

import pytest
from playwright.sync_api import expect

from bloodbank.entrypoints.demo.accounts import DEMO_ACCOUNTS

HOMES = {
    "clerk": "/desk",
    "phlebotomist": "/collection",
    "lab": "/lab",
    "inventory": "/inventory",
    "hospital": "/hospital",
    "hospital2": "/hospital",
    "director": "/",
    "admin": "/admin",
}


@pytest.mark.parametrize("username", [name for name, _, _ in DEMO_ACCOUNTS])
def test_each_role_lands_on_its_own_home_and_can_take_a_screenshot(page_as, live_server, screenshot_dir, username):
    page = page_as(username)
    assert page.url == live_server + HOMES[username]
    answer = page.goto(HOMES[username])
    assert answer.ok, f"{HOMES[username]} answered {answer.status}"
    assert page.locator("header .who").inner_text().startswith(dict((n, f) for n, f, _ in DEMO_ACCOUNTS)[username])
    assert page.locator("main h1").count() >= 1
    page.screenshot(path=str(screenshot_dir / f"{username}.png"), full_page=True)
    assert (screenshot_dir / f"{username}.png").stat().st_size > 10_000


def _count(text: str) -> int:
    """A figure as the page shows it, grouped by thousands in English ("2,000")."""
    return int(text.replace(",", ""))


def test_the_overview_shows_the_demo_region(page_as):
    page = page_as("director")
    assert _count(page.locator("#donors").inner_text()) == int(os.environ.get("BLOODBANK_E2E_DONORS", "300"))
    assert _count(page.locator("#available").inner_text()) > 0


def test_a_wrong_password_keeps_the_person_on_the_login_page_with_a_message(chromium, live_server):
    context = chromium.new_context(base_url=live_server)
    page = context.new_page()
    page.goto("/")
    assert page.url.startswith(live_server + "/login")
    page.get_by_label("User name").fill("clerk")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_role("alert").inner_text().startswith("The user name or password is wrong")
    assert page.get_by_label("User name").input_value() == "clerk"
    context.close()


def test_a_scan_field_says_at_once_that_a_check_character_is_wrong(page_as):
    page = page_as("lab")
    page.evaluate("""() => {
        const input = document.createElement('input');
        input.name = 'probe'; input.dataset.scan = 'din'; input.id = 'f-probe';
        const out = document.createElement('small'); out.id = 's-probe';
        document.querySelector('main').append(input, out);
    }""")
    page.fill("#f-probe", "G1234 98 654321 J")
    page.dispatch_event("#f-probe", "change")
    # Polled by Playwright itself: a page function would be evaluated as a string, which the policy forbids.
    expect(page.locator("#s-probe")).not_to_be_empty()
    message = page.locator("#s-probe").inner_text()
    assert "check character" in message.lower()
    assert page.get_attribute("#f-probe", "aria-invalid") == "true"
