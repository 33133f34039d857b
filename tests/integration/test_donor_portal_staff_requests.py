"""What donors said on their page, as staff see and act on it from the pages, the API and the command line:
open erasure requests (closed by the erasure, or declined with a reason the donor reads) and who can come now."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from sqlalchemy import select
from typer.testing import CliRunner

from bloodbank.adapters.db.models import AuditEntry, DonorErasureRequest, DonorPortalChoice
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.entrypoints.cli import app
from bloodbank.service_layer.donor_portal import my_data
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from tests.integration.appeal_fixtures import sms_gateway
from tests.integration.portal_fixtures import home_browser, make_home_donor, sign_in_by_sms
from tests.integration.web_fixtures import PASSWORD, api, browser, make_user

__all__ = ["sms_gateway"]
runner = CliRunner()


def text_of(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def cli(database, *args):
    result = runner.invoke(app, ["--database", database.url, *args], env={"BLOODBANK_PASSWORD": PASSWORD})
    result.text = " ".join(result.output.split())
    return result


def filed(database) -> tuple[int, str]:
    donor_id = make_home_donor(database)
    view = my_data.request_erasure(UnitOfWork(database, actor="donor"), donor_id=donor_id)
    return donor_id, view.statement.donor_number


def request_row(database, donor_id: int) -> DonorErasureRequest:
    with database.sessions() as s:
        return s.execute(select(DonorErasureRequest).where(DonorErasureRequest.donor_id == donor_id)).scalar_one()


def available(database, donor_id: int, *, for_hours: float = 5) -> None:
    with database.sessions() as s, s.begin():
        s.add(DonorPortalChoice(donor_id=donor_id, blood_used_opt_in=False,
                                available_until=utcnow() + timedelta(hours=for_hours)))


def test_the_requests_page_lists_open_requests_with_the_erasure_and_refuses_a_clerk(database):
    donor_id, number = filed(database)
    director = browser(database, "medical_director", "dr.kim")
    home = director.get("/").text
    assert 'href="/desk/erasure-requests"' in home and 'href="/desk/available-now"' in home
    page = director.get("/desk/erasure-requests")
    assert page.status_code == 200 and number in page.text
    assert f'href="/desk/donors/{donor_id}/erasure"' in page.text
    clerk = browser(database, "clerk", "clerk.ann")
    assert clerk.get("/desk/erasure-requests").status_code == 403
    assert 'href="/desk/erasure-requests"' not in clerk.get("/desk").text


def test_a_decline_needs_a_reason_and_the_donor_reads_it_on_their_page(database, sms_gateway):
    donor_id = make_home_donor(database)
    donor = sign_in_by_sms(home_browser(database), database, donor_id, sms_gateway)
    assert donor.post("/my/erasure", data={"csrf_token": donor.csrf, "understood": "yes"}).status_code == 200
    director = browser(database, "medical_director", "dr.kim")
    empty = director.post(f"/desk/erasure-requests/{donor_id}/decline",
                          data={"csrf_token": director.csrf, "reason": "  "})
    assert empty.status_code == 422 and "Say why the request is declined" in empty.text
    assert request_row(database, donor_id).outcome is None
    reason = "Your donation of last week is under a lookback investigation; we must keep it until it ends."
    done = director.post(f"/desk/erasure-requests/{donor_id}/decline",
                         data={"csrf_token": director.csrf, "reason": reason})
    assert done.status_code == 303
    assert "No erasure request is waiting" in director.get(done.headers["location"]).text
    row = request_row(database, donor_id)
    assert (row.outcome, row.closed_by, row.decline_reason) == ("declined", "dr.kim", reason)
    mine = donor.get("/api/my/erasure").json()
    assert mine["decline_reason"] == reason and mine["declined_at"]
    assert reason in text_of(donor.get("/my/data").text)
    # The copy of their data holds the answer too.
    held = donor.get("/api/my/data").json()["sections"]["donor_page"]
    assert [r["reason_declined"] for r in held if "erasure_asked_at" in r] == [reason]
    with database.sessions() as s:
        entry = s.execute(select(AuditEntry).where(AuditEntry.action == "decline_erasure_request")).scalar_one()
        assert entry.actor == "dr.kim" and entry.entity_id == str(donor_id)
    # Asked again, the request is open again and the old answer is gone from the donor's page.
    donor.post("/my/erasure", data={"csrf_token": donor.csrf, "understood": "yes"})
    assert donor.get("/api/my/erasure").json()["decline_reason"] is None
    assert [r["donor_id"] for r in api(database, "medical_director", "dr.lee").get("/api/erasure-requests").json()] \
        == [donor_id]


def test_the_api_declines_once_under_the_erasure_permission(database):
    donor_id, number = filed(database)
    refused = api(database, "clerk", "clerk.ann").post(f"/api/erasure-requests/{donor_id}/decline",
                                                       json={"reason": "no"})
    assert refused.status_code == 403 and request_row(database, donor_id).outcome is None
    director = api(database, "medical_director", "dr.kim")
    done = director.post(f"/api/erasure-requests/{donor_id}/decline", json={"reason": "A recall is open."})
    assert done.status_code == 200, done.text
    assert done.json()["donor_number"] == number
    again = director.post(f"/api/erasure-requests/{donor_id}/decline", json={"reason": "Again."})
    assert again.status_code == 409
    other = make_home_donor(database)
    assert director.post(f"/api/erasure-requests/{other}/decline", json={"reason": "x"}).status_code == 404
    assert director.get("/api/erasure-requests").json() == []


def test_the_erasure_closes_the_request(database):
    donor_id, number = filed(database)
    director = api(database, "medical_director", "dr.kim")
    today = utcnow().date().isoformat()
    erased = director.post(f"/api/donors/{donor_id}/erasure",
                           json={"requested_on": today, "channel": "portal", "signature_password": PASSWORD})
    assert erased.status_code == 201, erased.text
    assert request_row(database, donor_id).outcome == "erased"
    assert director.get("/api/erasure-requests").json() == []
    late = director.post(f"/api/erasure-requests/{donor_id}/decline", json={"reason": "Too late."})
    assert late.status_code == 409


def test_the_command_line_lists_and_declines_requests_and_refuses_a_clerk(database):
    donor_id, number = filed(database)
    make_user(database, "medical_director", "dr.kim")
    make_user(database, "clerk", "clerk.ann")
    listed = cli(database, "donors", "erasure-requests", "--as", "dr.kim")
    assert listed.exit_code == 0, listed.output
    assert number in listed.text and f"bloodbank donors erase {number}" in listed.text
    refused = cli(database, "donors", "erasure-requests", "--as", "clerk.ann")
    assert refused.exit_code == 1 and "may not do this" in refused.text
    refused = cli(database, "donors", "decline-erasure", number, "--reason", "no", "--as", "clerk.ann")
    assert refused.exit_code == 1 and request_row(database, donor_id).outcome is None
    done = cli(database, "donors", "decline-erasure", number, "--reason", "A recall is open.", "--as", "dr.kim")
    assert done.exit_code == 0, done.output
    assert request_row(database, donor_id).decline_reason == "A recall is open."
    assert "No erasure request is waiting" in cli(database, "donors", "erasure-requests", "--as", "dr.kim").text


def test_who_can_come_now_on_the_page_and_the_command_line_under_donors_read(database):
    soon, later, lapsed = make_home_donor(database), make_home_donor(database, group="A+"), make_home_donor(database)
    available(database, soon, for_hours=2)
    available(database, later, for_hours=20)
    available(database, lapsed, for_hours=-1)
    clerk = browser(database, "clerk", "clerk.ann")
    assert 'href="/desk/available-now"' in clerk.get("/desk").text
    page = clerk.get("/desk/available-now")
    assert page.status_code == 200
    rows = re.findall(r'href="/desk/donors/(\d+)"', page.text)
    assert rows == [str(soon), str(later)]
    assert browser(database, "inventory_manager", "inv.ian").get("/desk/available-now").status_code == 403
    make_user(database, "inventory_manager", "inv.joe")
    listed = cli(database, "donors", "available-now", "--as", "clerk.ann")
    assert listed.exit_code == 0, listed.output
    assert "A+" in listed.text and "O-" in listed.text
    refused = cli(database, "donors", "available-now", "--as", "inv.joe")
    assert refused.exit_code == 1 and "may not do this" in refused.text


def test_the_command_line_erasure_takes_the_day_and_channel_of_the_request_and_closes_it(database):
    donor_id, number = filed(database)
    make_user(database, "medical_director", "dr.kim")
    done = cli(database, "donors", "erase", number, "--yes", "--as", "dr.kim")
    assert done.exit_code == 0, done.output
    row = request_row(database, donor_id)
    assert row.outcome == "erased" and row.closed_by == "dr.kim"
    assert "No erasure request is waiting" in cli(database, "donors", "erasure-requests", "--as", "dr.kim").text
