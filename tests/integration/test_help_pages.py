"""Every page links to the help for its task, and every help topic is there to read."""

from __future__ import annotations

import re

import pytest

from bloodbank.entrypoints.web.help_topics import TOPICS, help_topic
from tests.integration.web_fixtures import browser


@pytest.mark.parametrize("path, topic", [
    ("/desk", "desk"), ("/desk/donors/4/details", "desk"), ("/hospital", "hospital"),
    ("/hospital/issues/12", "bedside"), ("/hospital/emergency", "emergency"), ("/hospital/orders/3", "hospital"),
    ("/lab/release", "lab"), ("/reports/monthly", "reports"), ("/login", None), ("/kiosk/1", None),
    ("/desktop", None),
])
def test_a_page_s_help_is_the_topic_of_its_longest_prefix(path, topic):
    assert help_topic(path) == topic


def test_every_topic_renders_and_every_page_links_to_its_own(database):
    director = browser(database, "medical_director")
    index = director.get("/help")
    assert index.status_code == 200
    for _, topic, title in TOPICS:
        assert f'href="/help/{topic}"' in index.text
        page = director.get(f"/help/{topic}")
        assert page.status_code == 200 and f"<h1>{title}</h1>" in page.text, topic
    home = director.get("/inventory")
    assert re.search(r'<a href="/help/inventory" id="help-link">', home.text)
    assert director.get("/help/nothing").status_code == 404


def test_help_is_for_staff_signed_in(database):
    assert browser(database).get("/help/desk").status_code in (303, 401)
