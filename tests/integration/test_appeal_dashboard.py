"""The appeal's dashboard counts need, supply and the appeal's donors by window and group; the appeal tops up
while the gap is open, invites nobody once the donations collected close it, and nobody while it is paused."""

from __future__ import annotations

import pytest

from sqlalchemy import func, select

from bloodbank.adapters.db.models import OutboxMessage
from bloodbank.service_layer.crisis import appeals, incidents
from bloodbank.service_layer.crisis.appeal_dashboard import dashboard
from tests.integration.appeal_donation_fixtures import accept, decline, give_blood, invitation_ids
from tests.integration.appeal_fixtures import (
    booked_ten_hours_on, appeal_params, link_secret, make_appeal_donor, make_appeal_site,
)
from tests.integration.crisis_fixtures import o_negative_only
from tests.integration.inventory_fixtures import clerk
from tests.integration.query_budget import statements

__all__ = ["link_secret", "booked_ten_hours_on"]
# The appeal sized against a known first booking, whatever the hour the suite runs at.
pytestmark = pytest.mark.usefixtures("booked_ten_hours_on")
EXACT = appeal_params(response_rate=1.0, show_up_rate=1.0)
MC = o_negative_only()  # 10 severe: 5 O- red cells in 0-6 h, 3 in 6-24 h, 2 in 24-72 h; nothing in stock


def _incident(database) -> int:
    return incidents.declare(clerk(database, "inventory"), place="Central station", kind="explosion",
                             expected={"severe": 10}).id


def _board(database, incident):
    return dashboard(clerk(database, "inventory"), incident_id=incident, params=EXACT, forecast_params=MC)


def _top_up(database, incident):
    return appeals.top_up(clerk(database, "appeal top-up"), incident_id=incident, params=EXACT, forecast_params=MC)


def _window(board, label):
    return next(w for w in board.windows if w.window == label)


def _messages_by_donor(database) -> dict[int, int]:
    with database.sessions() as s:
        return dict(s.execute(select(OutboxMessage.donor_id, func.count()).group_by(OutboxMessage.donor_id)).all())


def test_the_gap_by_window_and_the_appeal_s_donors_land_only_where_an_appeal_reaches(database, link_secret):
    make_appeal_site(database)
    for k in (1, 2, 3):
        make_appeal_donor(database, km_north=k)
    incident = _incident(database)
    appeals.start(clerk(database, "inventory"), incident_id=incident, params=EXACT, forecast_params=MC)

    board = _board(database, incident)

    assert [(w.window, w.need, w.gap, w.appeal_reaches) for w in board.windows[:3]] == [
        ("0-6h", 5, 5, False), ("6-24h", 3, 3, False), ("24-72h", 2, 2, True)]
    assert _window(board, "24-72h").donors_to_cover == 3  # 2 units at 0.85 usable
    assert _window(board, "0-6h").invited == _window(board, "6-24h").invited == 0
    assert sum(w.invited for w in board.windows) == 3
    assert {c.group for c in board.cells} == {"O-"}
    assert board.status == "running" and not board.closed and board.still_to_collect == 3
    assert any(s.message.startswith("No appeal reaches the 0-6h window") for s in board.statements)
    assert [p.hours for p in board.points] == [0, 6, 24, 72]
    assert [p.need for p in board.points] == [0, 5, 8, 10] and board.points[-1].on_hand == 0
    assert board.points[-1].with_appeal > 0  # three invitations expected to bring blood by 72 h


def test_answers_and_donations_close_the_gap_and_then_the_appeal_invites_nobody(database, link_secret):
    make_appeal_site(database)
    for k in (1, 2, 3):
        make_appeal_donor(database, km_north=k)
    incident = _incident(database)
    appeals.start(clerk(database, "inventory"), incident_id=incident, params=EXACT, forecast_params=MC)
    first, second, third = invitation_ids(database)
    accept(database, first)
    accept(database, second)
    decline(database, third)
    give_blood(database, first, units=({"status": "available"},))
    give_blood(database, second)

    board = _board(database, incident)
    o_neg = board.appeal.groups[0]
    assert (o_neg.invited, o_neg.accepted, o_neg.declined, o_neg.arrived, o_neg.collected, o_neg.released) == (
        3, 2, 1, 2, 2, 1)
    cell = next(c for c in board.cells if c.window == "24-72h" and c.group == "O-")
    assert (cell.collected, cell.released) == (2, 1)  # given now: usable at 36 h, in the 24-72 h window
    assert board.still_to_collect == 1 and not board.closed

    make_appeal_donor(database, km_north=4)
    make_appeal_donor(database, km_north=5)
    _top_up(database, incident)
    # One donor still missing, and one in three has declined so far: two more invitations.
    assert len(invitation_ids(database)) == 5
    fourth = invitation_ids(database)[3]
    accept(database, fourth)
    give_blood(database, fourth)

    board = _board(database, incident)
    assert board.closed and board.still_to_collect == 0
    assert board.statements[0].message.startswith("The gap is closed")
    make_appeal_donor(database, km_north=6)
    _top_up(database, incident)
    _top_up(database, incident)
    assert len(invitation_ids(database)) == 5
    assert set(_messages_by_donor(database).values()) == {1}  # nobody messaged twice


def test_a_paused_appeal_invites_nobody_until_it_is_resumed(database, link_secret):
    make_appeal_site(database)
    make_appeal_donor(database, km_north=1)
    incident = _incident(database)
    appeals.start(clerk(database, "inventory"), incident_id=incident, params=EXACT, forecast_params=MC)
    appeals.pause(clerk(database, "inventory"), incident_id=incident)
    make_appeal_donor(database, km_north=2)
    make_appeal_donor(database, km_north=3)

    assert appeals.top_up_running(clerk(database, "appeal top-up")) == 0
    _top_up(database, incident)
    board = _board(database, incident)
    assert board.status == "paused" and len(invitation_ids(database)) == 1
    assert board.statements[0].message.startswith("Still to collect: 3 donations")

    appeals.resume(clerk(database, "inventory"), incident_id=incident, params=EXACT, forecast_params=MC)
    assert len(invitation_ids(database)) == 3
    assert set(_messages_by_donor(database).values()) == {1}


def test_the_dashboard_s_queries_do_not_grow_with_the_donors_invited(database, link_secret):
    make_appeal_site(database, chairs=40)
    for k in range(1, 4):
        make_appeal_donor(database, km_north=k)
    incident = _incident(database)
    appeals.start(clerk(database, "inventory"), incident_id=incident, params=EXACT, forecast_params=MC)
    with statements(database) as few:
        _board(database, incident)
    for k in range(4, 30):
        make_appeal_donor(database, km_north=k / 3)
    mc = o_negative_only(per_severe=5.0)
    appeals.top_up(clerk(database, "appeal top-up"), incident_id=incident, params=EXACT, forecast_params=mc)
    assert len(invitation_ids(database)) > 6
    with statements(database) as many:
        dashboard(clerk(database, "inventory"), incident_id=incident, params=EXACT, forecast_params=mc)
    assert len(many) == len(few)


def test_before_an_appeal_the_dashboard_shows_the_donors_it_would_need(database, link_secret):
    make_appeal_site(database)
    incident = _incident(database)
    board = _board(database, incident)
    assert board.status == "none" and not board.closed
    assert [(g.group, g.donors_needed, g.collected, g.still_to_collect) for g in board.groups] == [("O-", 3, 0, 3)]
    assert sum(w.invited for w in board.windows) == 0
