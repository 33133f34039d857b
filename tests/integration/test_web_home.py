from bloodbank.entrypoints.demo import region as demo_data
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

from tests.integration.patient_fixtures import make_site
from tests.integration.web_fixtures import browser


def test_the_overview_shows_live_counts_from_the_database(database):
    demo_data.load_demo(lambda: UnitOfWork(database, actor="demo"), donors=30, seed=5, appointments_per_site_day=1)
    client = browser(database, "medical_director")
    page = client.get("/")
    assert page.status_code == 200
    assert '<strong id="donors">30</strong>' in page.text
    assert '<strong id="available">0</strong>' not in page.text
    assert '<strong id="quarantined">0</strong>' not in page.text


def test_the_health_endpoint_answers_without_a_login(database):
    assert browser(database).get("/health").json()["status"] == "ok"


def test_a_visitor_who_is_not_logged_in_is_sent_to_the_login_page(database):
    answer = browser(database).get("/")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login")


def test_every_page_names_the_clock_its_times_are_on(database):
    damascus = browser(database, "medical_director", "director", site_id=make_site(database, time_zone="Asia/Damascus"))
    of_no_site = browser(database, "clerk")

    for client, url, zone in ((damascus, "/", "Asia/Damascus"), (damascus, "/admin/audit", "Asia/Damascus"),
                              (of_no_site, "/desk", "UTC"), (browser(database), "/login", "UTC")):
        page = client.get(url)
        assert page.status_code == 200, url
        assert f'Times in <bdi dir="ltr">{zone}</bdi>' in page.text, url  # the zone kept left to right


def test_the_overview_s_totals_agree_with_the_lab_s_and_the_inventory_s_homes(database):
    import re

    demo_data.load_demo(lambda: UnitOfWork(database, actor="demo"), donors=60, seed=7, appointments_per_site_day=1)
    overview = browser(database, "medical_director").get("/").text
    available = int(re.search(r'<strong id="available">([\d,]+)</strong>', overview).group(1).replace(",", ""))
    quarantined = int(re.search(r'<strong id="quarantined">([\d,]+)</strong>', overview).group(1).replace(",", ""))
    stock = browser(database, "inventory_manager").get("/inventory").text
    grid = stock[stock.index('id="stock-table"'):stock.index("</table>", stock.index('id="stock-table"'))]
    assert sum(int(n) for n in re.findall(r"<strong>(\d+)</strong> available", grid)) == available
    in_grid = sum(int(quarantine) for _reserved, quarantine in re.findall(r"(\d+) reserved · (\d+) quarantined", grid))
    lab = browser(database, "lab_technician").get("/lab").text
    caption = re.search(r"(\d+) unit\(s\) in quarantine", lab)
    assert int(caption.group(1)) == quarantined == in_grid
    assert available > 0 and quarantined > 0
