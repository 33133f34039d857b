from fastapi.testclient import TestClient

from bloodbank.entrypoints.web.app import create_app
from bloodbank.service_layer import demo_data
from bloodbank.service_layer.unit_of_work import UnitOfWork


def test_the_home_page_shows_live_counts_from_the_database(database):
    demo_data.load_demo(lambda: UnitOfWork(database, actor="demo"), donors=30, seed=5, appointments_per_site_day=1)
    client = TestClient(create_app(database.url))
    page = client.get("/")
    assert page.status_code == 200
    assert '<strong id="donors">30</strong>' in page.text
    figures = client.get("/api/overview").json()
    assert figures["donors"] == 30
    # The demo's blood side: stock released, some still in quarantine, orders waiting.
    assert figures["units_available"] > 0 and figures["units_quarantined"] > 0 and figures["open_orders"] > 0
    assert f'<strong id="available">{figures["units_available"]}</strong>' in page.text


def test_the_health_endpoint_answers(database):
    assert TestClient(create_app(database.url)).get("/health").json()["status"] == "ok"
