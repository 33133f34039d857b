"""The incident's report: forecast against what was issued for its patients, invitations against donations,
and the fate of every unit the appeal brought in, the unused share first; the same figures as CSV."""

from __future__ import annotations

import pytest

import csv
import io
from datetime import timedelta

from sqlalchemy import select

from bloodbank.adapters.db.models import Unit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.service_layer.crisis import appeals, incidents
from bloodbank.service_layer.crisis.incident_report import csv_text, incident_report
from tests.integration.appeal_donation_fixtures import accept, decline, give_blood, invitation_ids, issue_for
from tests.integration.appeal_fixtures import (
    booked_ten_hours_on, appeal_params, link_secret, make_appeal_donor, make_appeal_site,
)
from tests.integration.crisis_fixtures import o_negative_only
from tests.integration.inventory_fixtures import clerk, make_unit
from tests.integration.web_fixtures import api

__all__ = ["link_secret", "booked_ten_hours_on"]
# The appeal sized against a known first booking, whatever the hour the suite runs at.
pytestmark = pytest.mark.usefixtures("booked_ten_hours_on")
MC = o_negative_only(per_severe=5.0)  # 10 severe: 50 O- red cells over 72 h, 10 of them in 24-72 h, 6 reached
PAST = timedelta(days=-1)


def _appeal_with_every_fate(database):
    """Seven donors invited; one declines; six give, and their units meet every fate."""
    site = make_appeal_site(database, chairs=10)
    for k in range(1, 8):
        make_appeal_donor(database, km_north=k)
    incident = incidents.declare(clerk(database, "inventory"), place="Central station", kind="explosion",
                                 expected={"severe": 10}).id
    appeals.start(clerk(database, "inventory"), incident_id=incident,
                  params=appeal_params(response_rate=1.0, show_up_rate=1.0), forecast_params=MC)
    ids = invitation_ids(database)
    assert len(ids) == 7
    now = utcnow()
    fates = [
        ({"status": "issued"}, {"kind": "plasma", "status": "available"}),  # used; in stock
        ({"status": "available"},),  # in stock
        ({"status": "available", "expires_in": PAST},),  # expired on the shelf
        ({"status": "discarded", "expires_in": PAST, "changed_at": now},),  # discarded once expired
        ({"status": "discarded", "changed_at": now},),  # discarded before expiry
        ({"status": "quarantined"}, {"status": "processed"}),  # still in quarantine; a split parent is not counted
    ]
    for invitation, units in zip(ids, fates):
        accept(database, invitation)
        give_blood(database, invitation, units=units)
    decline(database, ids[6])
    stock = make_unit(database, site_id=site, group="O-")
    issue_for(database, incident, stock)
    return incident


def test_every_appeal_unit_has_one_fate_and_the_unused_share_counts_expired_and_discarded(database, link_secret):
    incident = _appeal_with_every_fate(database)

    report = incident_report(clerk(database, "inventory"), incident_id=incident, forecast_params=MC)

    assert report.fate_totals == {"used": 1, "in_stock": 2, "expired": 2, "discarded": 1, "in_quarantine": 1}
    assert report.units_total == 7 and report.unused == 3 and report.undecided == 3
    assert report.unused_share == 3 / 7
    red = next(f for f in report.fates if f.kind == "red_cells")
    assert (red.used, red.in_stock, red.expired, red.discarded, red.in_quarantine) == (1, 1, 2, 1, 1)
    assert [(i.group, i.invited, i.accepted, i.declined, i.arrived, i.collected) for i in report.invitations] == [
        ("O-", 7, 6, 1, 6, 6)]
    assert [(f.kind, f.group, f.forecast, f.issued) for f in report.forecast] == [("red_cells", "O-", 50, 1)]
    assert report.forecast_total == 50 and report.issued_total == 1


def test_a_unit_s_fate_moves_as_it_becomes_known(database, link_secret):
    incident = _appeal_with_every_fate(database)
    with database.sessions() as s, s.begin():
        for unit in s.execute(select(Unit).where(Unit.status == "quarantined")).scalars():
            unit.status = "available"
    report = incident_report(clerk(database, "inventory"), incident_id=incident, forecast_params=MC)
    assert report.fate_totals["in_quarantine"] == 0 and report.fate_totals["in_stock"] == 3


def test_the_report_s_tables_as_csv(database, link_secret):
    incident = _appeal_with_every_fate(database)
    report = incident_report(clerk(database, "inventory"), incident_id=incident, forecast_params=MC)
    fates = list(csv.reader(io.StringIO(csv_text(report, "fates"))))
    assert fates[0] == ["incident", "component", "blood_group", "used", "in_stock", "expired", "discarded",
                        "in_quarantine", "total"]
    assert [str(incident), "red_cells", "O-", "1", "1", "2", "1", "1", "6"] in fates
    invitations = list(csv.reader(io.StringIO(csv_text(report, "invitations"))))
    assert invitations[1] == [str(incident), "O-", "7", "6", "1", "6", "6"]


def test_the_report_and_the_dashboard_through_the_api_for_the_blood_service_only(database, link_secret):
    incident = _appeal_with_every_fate(database)
    manager = api(database, "inventory_manager")
    body = manager.get(f"/api/incidents/{incident}/report").json()
    assert body["fate_totals"]["expired"] == 2 and round(body["unused_share"], 3) == round(3 / 7, 3)
    answer = manager.get(f"/api/incidents/{incident}/report/fates.csv")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert answer.text.splitlines()[0].startswith("incident,component,blood_group,used")
    assert manager.get(f"/api/incidents/{incident}/report/other.csv").status_code == 422
    board = manager.get(f"/api/incidents/{incident}/appeal/dashboard").json()
    assert board["status"] == "running" and [w["window"] for w in board["windows"]] == [
        "0-6h", "6-24h", "24-72h", "after 72h"]
    assert sum(w["collected"] for w in board["windows"]) == 6
    assert manager.get("/api/incidents/999999/report").status_code == 404
    for role in ("clerk", "hospital_staff"):
        outsider = api(database, role)
        assert outsider.get(f"/api/incidents/{incident}/report").status_code == 403
        assert outsider.get(f"/api/incidents/{incident}/appeal/dashboard").status_code == 403
