"""Boards that staff watch refresh themselves: htmx asks the page again and swaps in the fresh part."""

from playwright.sync_api import expect


def _refresh_of(path: str):
    return lambda request: request.url.split("?")[0].endswith(path) and request.headers.get("hx-request") == "true"


def test_the_quarantine_board_asks_again_every_half_minute(page_as):
    page = page_as("lab")
    page.clock.install()
    page.goto("/lab")
    with page.expect_request(_refresh_of("/lab")):
        page.clock.run_for("00:31")
    expect(page.locator("#quarantine h2")).to_have_text("Quarantine")
    assert page.locator("#quarantine").count() == 1  # swapped in place, not nested


def test_the_chairs_list_of_consented_donors_asks_again_every_twenty_seconds(page_as):
    page = page_as("phlebotomist")
    page.clock.install()
    page.goto("/collection")
    with page.expect_request(_refresh_of("/collection")):
        page.clock.run_for("00:21")
    expect(page.locator("#ready h2")).to_have_text("Ready for collection")
    assert page.locator("#ready").count() == 1
