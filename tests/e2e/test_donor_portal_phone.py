"""A donor on a phone (375 px wide) signs in with the code sent by SMS, reads their page, books a time and
finds every page of theirs readable without scrolling sideways."""

from __future__ import annotations

import re

from sqlalchemy import select

from bloodbank.adapters.db.database import Database
from bloodbank.adapters.db.models import Donor, OutboxMessage
from tests.e2e.conftest import LIVE

PHONE = {"width": 375, "height": 740}
PAGES = ("/my", "/my/book", "/my/questionnaire", "/my/quiz", "/my/preferences", "/my/private", "/my/data")


def _a_donor_with_a_phone() -> tuple[str, str, str]:
    database = Database(LIVE["database_url"])
    with database.sessions() as s:
        donor = s.execute(select(Donor).where(Donor.phone.is_not(None), Donor.merged_into_id.is_(None))
                          .order_by(Donor.id).limit(1)).scalar_one()
        found = donor.donor_number, donor.date_of_birth.isoformat(), donor.phone
    database.dispose()
    return found


def _last_code() -> str:
    database = Database(LIVE["database_url"])
    with database.sessions() as s:
        body = s.execute(select(OutboxMessage.body).where(OutboxMessage.idempotency_key.like("sign-in:%"))
                         .order_by(OutboxMessage.id.desc()).limit(1)).scalar_one()
    database.dispose()
    return re.search(r"(?<!\d)(\d{6})(?!\d)", body).group(1)


def test_a_donor_signs_in_on_a_phone_books_and_reads_every_page_without_sideways_scrolling(chromium, live_server):
    number, born, phone = _a_donor_with_a_phone()
    context = chromium.new_context(base_url=live_server, viewport=PHONE, is_mobile=True)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto("/my")
        assert page.url.endswith("/my/sign-in")
        page.get_by_label("Donor number (on your donor card)").fill(number)
        page.get_by_label("Date of birth").fill(born)
        page.get_by_label("SMS").check()
        page.get_by_label("Your email address or phone number, as we hold it").fill(phone)
        page.get_by_role("button", name="Send").click()
        page.get_by_label("The code we sent by SMS").fill(_last_code())
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/my")
        assert number in page.content()
        for path in PAGES:
            page.goto(path)
            width, viewport = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
            assert width <= viewport, f"{path} scrolls sideways ({width} px on a {viewport} px screen)"
        page.goto("/my/book")
        times = page.locator('input[name="starts_at"]')
        day = 0
        while times.count() == 0 and day < 14:
            day += 1
            page.locator("#on").evaluate("(el, n) => { const d = new Date(); d.setDate(d.getDate() + n); "
                                         "el.value = d.toISOString().slice(0, 10); }", day)
            page.get_by_role("button", name="Show times").click()
            times = page.locator('input[name="starts_at"]')
        times.first.check()
        page.get_by_role("button", name="Book", exact=True).click()
        page.wait_for_url("**/my")
        assert page.locator(".my-appointments li").count() >= 1, page.content()
    finally:
        context.close()
