"""A real server on a demo database, driven by a real browser (Debian's chromium through Playwright).

The server runs in a thread of the test process on a free port, on an SQLite
file made for the session; the API tests cover PostgreSQL. Without chromium
the tests are skipped and say why (`make test` installs it when it runs as root).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from bloodbank.adapters.db.database import Database
from bloodbank.adapters.db.migrate import upgrade
from bloodbank.entrypoints.demo import accounts as demo_users, region as demo_data
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from tests.tools import missing_tool

CHROMIUM = os.environ.get("BLOODBANK_CHROMIUM", "/usr/bin/chromium")
# Without these, chromium keeps calling home and this machine's closed network refuses it, slowly.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# The live server's database, for a test that must read what the server sent (a donor's sign-in code).
LIVE: dict[str, str] = {}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_database_url(tmp_path_factory) -> str:
    """The server's database, for a test that plays a part the browser does not (a donor giving blood)."""
    return f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'bloodbank.db'}"


@pytest.fixture(scope="session")
def live_server(live_database_url):
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        missing_tool(f"no chromium at {CHROMIUM} (install Debian's chromium): the browser tests are skipped")
    import uvicorn

    from bloodbank.entrypoints.web.app import create_app

    url = live_database_url
    LIVE["database_url"] = url
    upgrade(url)
    database = Database(url)
    make_uow = lambda: UnitOfWork(database, actor=demo_data.DEMO_ACTOR)  # noqa: E731
    demo_data.load_demo(make_uow, donors=int(os.environ.get("BLOODBANK_E2E_DONORS", "300")), seed=2026)
    demo_users.ensure_demo_users(make_uow)
    database.dispose()

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(url), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def chromium(live_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page_as(chromium, live_server):
    """`page_as("clerk")`: a new browser context logged in through the login form as that demo account."""
    contexts = []

    def login(username: str, *, width: int = 1280, height: int = 900):
        context = chromium.new_context(base_url=live_server, viewport={"width": width, "height": height})
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("User name").fill(username)
        page.get_by_label("Password").fill(demo_users.DEMO_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()
        assert "/login" not in page.url, page.content()
        return page

    yield login
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot_dir(tmp_path) -> Path:
    """docs/screenshots when BLOODBANK_SCREENSHOTS=1 (to refresh the README's pictures), a scratch folder otherwise."""
    if os.environ.get("BLOODBANK_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path
