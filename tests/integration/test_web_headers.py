"""Every response tells the browser to run only our own scripts, refuse framing and sniffing; bodies are bounded."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from bloodbank.entrypoints.web.app import create_app
from tests.integration.web_fixtures import api, browser

PAGES = ("/login", "/health", "/openapi.json", "/static/style.css", "/no-such-page", "/docs")


@pytest.mark.parametrize("path", PAGES)
def test_every_response_carries_the_security_headers(database, path):
    answer = TestClient(create_app(database.url)).get(path)
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    if path != "/docs":
        assert "style-src 'self';" in policy
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in answer.headers


def test_a_logged_in_page_and_the_api_carry_them_too(database):
    assert "content-security-policy" in browser(database, "clerk", "clerk.ann").get("/desk").headers
    assert "content-security-policy" in api(database, "clerk", "clerk.bob").get("/api/sites").headers


def test_hsts_is_sent_only_over_tls(database):
    answer = TestClient(create_app(database.url), base_url="https://bloodbank.example").get("/login")
    assert answer.headers["strict-transport-security"].startswith("max-age=31536000")


def test_no_page_holds_an_inline_script_or_style_the_policy_would_block(database):
    client = browser(database, "medical_director")
    for path in ("/login", "/trace", "/desk", "/desk/appointments", "/lab", "/hospital", "/inventory", "/collection",
                 "/processing"):
        page = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), path
        assert "<style" not in page and ' style="' not in page, path


def test_the_api_explorer_loads_only_files_from_this_server(database):
    page = TestClient(create_app(database.url)).get("/docs").text
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(s.startswith("/static/") for s in sources)
    client = TestClient(create_app(database.url))
    assert all(client.get(s).status_code == 200 for s in sources)


def test_a_request_body_larger_than_the_limit_is_refused_before_it_is_read(database):
    client = api(database, "lab_technician")
    too_big = b"x" * (10 * 1024 * 1024 + 1)
    answer = client.post("/api/lab/results/csv", content=too_big, headers={"content-type": "text/csv"})
    assert answer.status_code == 413
    assert answer.json()["code"] == "too_large"


def test_a_streamed_body_larger_than_the_limit_is_refused(database):
    client = api(database, "lab_technician")

    def chunks():
        for _ in range(11):
            yield b"x" * (1024 * 1024)

    answer = client.post("/api/lab/results/batch", content=chunks(), headers={"content-type": "application/json"})
    assert answer.status_code == 413
