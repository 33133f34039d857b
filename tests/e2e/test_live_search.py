"""The desk's donor search answers as the clerk types, without leaving the page."""

from playwright.sync_api import expect


def test_donors_appear_as_the_clerk_types_their_name(page_as):
    page = page_as("clerk")
    page.goto("/desk?q=a")
    family = page.locator("#donor-results tbody tr td a").first.inner_text().split(",")[0]
    page.goto("/desk")
    expect(page.locator("#donor-results table")).to_have_count(0)
    page.evaluate("() => { window.stayedOnPage = true; }")
    page.get_by_label("Name, donor number or phone").press_sequentially(family, delay=20)
    expect(page.locator("#donor-results caption")).to_contain_text("found")
    expect(page.locator("#donor-results tbody")).to_contain_text(family)
    assert page.evaluate("() => window.stayedOnPage === true"), "the search reloaded the page"
    assert f"q={family}" in page.url  # the address follows, so Back and a shared link show the same search
