"""Every page a role can reach by following links answers without a server error.

Each demo account starts at its home and follows the site's own links (GET only: forms are not
sent), on a small demo region. A 403 is a fine answer for a link another role would use; a 5xx
never is.
"""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

from bloodbank.entrypoints.demo import accounts as demo_users, region as demo_data
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

from tests.integration.web_fixtures import browser, log_in

LINK = re.compile(r'href="([^"]+)"')
SKIP = ("/logout", "/static/", "/docs", "/openapi.json", "/redoc")
MOST_PAGES = 120


@pytest.fixture
def demo_region(database):
    make_uow = lambda: UnitOfWork(database, actor="demo")  # noqa: E731
    demo_data.load_demo(make_uow, donors=60, seed=11, appointments_per_site_day=1)
    demo_users.ensure_demo_users(make_uow)
    return database


def crawl(client, start: str) -> dict[str, int]:
    seen: dict[str, int] = {}
    queue = deque([start])
    while queue and len(seen) < MOST_PAGES:
        path = queue.popleft()
        if path in seen:
            continue
        answer = client.get(path)
        seen[path] = answer.status_code
        if answer.status_code != 200 or "text/html" not in answer.headers.get("content-type", ""):
            continue
        for href in LINK.findall(answer.text):
            target = urldefrag(urljoin(path, href.replace("&amp;", "&")))[0]
            parts = urlsplit(target)
            if parts.netloc or not target.startswith("/") or target.startswith(SKIP) or "javascript:" in href:
                continue
            if target not in seen:
                queue.append(target)
    return seen


@pytest.mark.parametrize("username", [name for name, _, _ in demo_users.DEMO_ACCOUNTS])
def test_no_page_a_role_can_reach_answers_with_a_server_error(demo_region, username):
    client = browser(demo_region)
    answer = log_in(client, username, demo_users.DEMO_PASSWORD)
    assert answer.status_code == 303
    pages = crawl(client, answer.headers["location"])
    broken = {path: status for path, status in pages.items() if status >= 500}
    assert broken == {}
    assert sum(1 for status in pages.values() if status == 200) >= 2, pages  # the home and the overview at least
