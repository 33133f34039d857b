"""What a tablet at the chair and a keyboard-only user need, checked on each role's home in the browser."""

import pytest

from tests.e2e.test_role_homes import HOMES

UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
    .filter(e => e.type !== 'hidden' && !e.labels?.length && !e.getAttribute('aria-label')
                 && !e.getAttribute('aria-labelledby'))
    .map(e => e.outerHTML.slice(0, 120))"""


@pytest.mark.parametrize("username", sorted(HOMES))
def test_every_field_on_each_home_has_a_label(page_as, username):
    page = page_as(username)
    assert page.evaluate(UNLABELLED) == []


@pytest.mark.parametrize("username", sorted(HOMES))
def test_each_home_fits_a_tablet_screen_without_sideways_scrolling(page_as, username):
    page = page_as(username, width=768, height=1024)
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{HOMES[username]} is {overflow}px wider than a tablet"


# On a page whose cursor starts elsewhere (the desk's search box, for a scanned card) the skip link is not the
# first Tab; on every home without such a field it is.
@pytest.mark.parametrize("username", ["inventory", "director", "admin"])
def test_the_first_tab_offers_a_skip_link_to_the_content(page_as, username):
    page = page_as(username)
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
