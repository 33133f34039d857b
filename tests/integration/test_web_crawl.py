"""Every page a role can reach by following links answers without a server error.

Each demo account starts at its home and follows the site's own links (GET only: forms are not
sent), on a small demo region. A 403 is a fine answer for a link another role would use; a 5xx
never is.
"""

from __future__ import annotations

import pytest

from bloodbank.entrypoints.demo import accounts as demo_users, region as demo_data
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

from tests.integration.crawler import crawl
from tests.integration.web_fixtures import browser, log_in

MOST_PAGES = 120


@pytest.fixture
def demo_region(database):
    make_uow = lambda: UnitOfWork(database, actor="demo")  # noqa: E731
    demo_data.load_demo(make_uow, donors=60, seed=11, appointments_per_site_day=1)
    demo_users.ensure_demo_users(make_uow)
    return database


@pytest.mark.parametrize("username", [name for name, _, _ in demo_users.DEMO_ACCOUNTS])
def test_no_page_a_role_can_reach_answers_with_a_server_error(demo_region, username):
    client = browser(demo_region)
    answer = log_in(client, username, demo_users.DEMO_PASSWORD)
    assert answer.status_code == 303
    pages = crawl(client, answer.headers["location"], most=MOST_PAGES)
    broken = {path: status for path, status in pages.items() if status >= 500}
    assert broken == {}
    assert sum(1 for status in pages.values() if status == 200) >= 2, pages  # the home and the overview at least
