import re

from bloodbank.entrypoints.demo import region as demo_data
from bloodbank.entrypoints.web.ui.blood import lab as lab_pages
from bloodbank.service_layer.blood import quarantine
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

from tests.integration.web_fixtures import browser


def test_the_quarantine_board_shows_the_soonest_to_expire_and_says_how_many_wait(database, monkeypatch):
    demo_data.load_demo(lambda: UnitOfWork(database, actor="demo"), donors=60, seed=11, appointments_per_site_day=1)
    waiting = quarantine.quarantine_list(UnitOfWork(database))
    assert len(waiting) >= 2
    monkeypatch.setattr(lab_pages, "BOARD_UNITS", 1)
    page = browser(database, "lab_technician").get("/lab").text
    assert f"{len(waiting)} unit(s) in quarantine, soonest expiry first; the first 1 shown" in page
    board = page.split('id="quarantine-list"')[1].split("</table>")[0]
    assert len(re.findall(r"Release unit \d+", board)) == 1
    assert f"Release unit {waiting[0].unit_id}…" in board  # the soonest to expire
