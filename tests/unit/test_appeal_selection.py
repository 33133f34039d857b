"""Whom an appeal asks: the grid cells around a site hold everyone within the radius; limits and contact
hours refuse; ranking puts the most useful, nearest, longest-rested donor first."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st

from bloodbank.domain import appeal_links, appeal_messages
from bloodbank.domain import appeal_selection as sel
from bloodbank.domain.errors import LinkInvalid

NOW = datetime(2026, 12, 6, 10, tzinfo=timezone.utc)
LIMITS = sel.Limits(radius_km=25, cooldown_days=14, monthly_limit=2, contact_from_hour=8, contact_until_hour=21)
lat = st.floats(-80, 80)
lon = st.floats(-179.9, 179.9)


@settings(max_examples=400, deadline=None)
@given(lat, lon, st.floats(0, 1), st.floats(0, 1), st.floats(1, 60), st.sampled_from([0.05, 0.1, 0.25]))
def test_everyone_within_the_radius_is_in_the_cells_around_the_site(la, lo, fa, fb, radius, degrees):
    # A point somewhere within the radius, on a random bearing.
    d = radius * fa * 0.999
    bearing = fb * 360
    pla = la + d / sel.KM_PER_DEGREE * math.cos(math.radians(bearing)) * 0.99
    plo = lo + d / (sel.KM_PER_DEGREE * max(math.cos(math.radians(pla)), 0.01)) \
        * math.sin(math.radians(bearing)) * 0.99
    if plo > 180 or plo < -180 or sel.distance_km(la, lo, pla, plo) > radius:
        return
    assert sel.grid_cell(pla, plo, degrees) in sel.cells_within(la, lo, radius, degrees)


@pytest.mark.parametrize("hour, start, end, inside", [
    (8, 8, 21, True), (21, 8, 21, False), (7, 8, 21, False), (23, 22, 7, True), (3, 22, 7, True),
    (12, 22, 7, False), (5, 5, 5, False)])
def test_contact_hours(hour, start, end, inside):
    assert sel.within_contact_hours(hour, start, end) is inside


def candidate(**kw):
    base = dict(donor_id=1, group="O-", latitude=52.0, longitude=-1.0)
    return sel.Candidate(**{**base, **kw})


@pytest.mark.parametrize("kw, why", [
    ({}, None),
    ({"group": "A+"}, "group not needed"),
    ({"last_appealed_at": NOW - timedelta(days=3)}, "asked recently"),
    ({"appeals_last_30_days": 2}, "monthly limit reached"),
    ({"appeals_last_30_days": 1, "monthly_limit": 1}, "monthly limit reached"),
    ({"contact_from_hour": 18, "contact_until_hour": 20}, "outside contact hours"),
])
def test_who_may_not_be_asked_now(kw, why):
    assert sel.refusal(candidate(**kw), now=NOW, local_hour=10, wanted={"O-"}, limits=LIMITS) == why


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["O-", "O+", "A+", "AB+"]), st.floats(-0.3, 0.3), st.floats(-0.3, 0.3),
                          st.integers(0, 2000) | st.none()), min_size=1, max_size=30))
def test_ranking_is_by_usefulness_then_distance_and_keeps_only_donors_in_reach(rows):
    site = sel.SiteInReach(1, "S", 52.0, -1.0)
    today = date(2026, 12, 6)
    cands = [candidate(donor_id=i, group=g, latitude=52 + a, longitude=-1 + b,
                       last_donation=None if days is None else today - timedelta(days=days))
             for i, (g, a, b, days) in enumerate(rows)]
    ranked = sel.rank(cands, [site], 25, today)
    assert all(d <= 25 for _, _, d in ranked)
    keys = [sel.rank_key(c, d, today) for c, _, d in ranked]
    assert keys == sorted(keys)
    # In reach is judged on the flat map around the site (the ranking's own measure), which stays within 1 %
    # of the great circle; a donor on the very edge may fall either side of it by the other measure.
    from_site = sel.flat_km(52.0, -1.0)
    assert len(ranked) == sum(1 for c in cands if from_site(c.latitude, c.longitude) <= 25)
    for c in cands:
        great_circle = sel.distance_km(c.latitude, c.longitude, 52, -1)
        assert abs(from_site(c.latitude, c.longitude) - great_circle) <= 0.01 * great_circle + 1e-9


def test_a_link_is_read_back_until_it_expires_and_not_once_altered():
    secret = b"k" * 32
    token = appeal_links.make_token(secret, 42, NOW + timedelta(hours=1))
    assert appeal_links.read_token(secret, token, NOW) == 42
    with pytest.raises(LinkInvalid):
        appeal_links.read_token(secret, token.replace("42.", "43.", 1), NOW)
    with pytest.raises(LinkInvalid):
        appeal_links.read_token(b"x" * 32, token, NOW)
    with pytest.raises(LinkInvalid, match="expired"):
        appeal_links.read_token(secret, token, NOW + timedelta(hours=2))


@pytest.mark.parametrize("text, command", [("yes", "YES"), (" Yes!", "YES"), ("STOP", "STOP"), ("no thanks", "NO"),
                                           ("maybe", None), ("", None)])
def test_sms_replies(text, command):
    assert appeal_messages.reply_command(text) == command


def test_the_message_says_how_to_decline_and_stop():
    text = appeal_messages.sms_text(site_name="Derby", day=date(2026, 12, 7), link="https://x/a/1")
    assert "STOP" in text and "NO" in text and "no consequence" in text and len(text) < 300


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["O-", "O+", "A+", "AB+"]), st.floats(-0.3, 0.3), st.floats(-0.3, 0.3),
                          st.integers(0, 2000) | st.none(), st.sampled_from([None, -2.0, 0.0, 3.0, 20.0])),
                min_size=1, max_size=30))
def test_who_can_come_now_is_asked_first_within_their_group_and_otherwise_nothing_changes(rows):
    site = sel.SiteInReach(1, "S", 52.0, -1.0)
    today = date(2026, 12, 6)
    cands = [candidate(donor_id=i, group=g, latitude=52 + a, longitude=-1 + b,
                       last_donation=None if days is None else today - timedelta(days=days),
                       available_until=None if hours is None else NOW + timedelta(hours=hours))
             for i, (g, a, b, days, hours) in enumerate(rows)]
    ranked = sel.rank(cands, [site], 25, today, NOW)
    plain = sel.rank(cands, [site], 25, today)
    # The same donors, in reach by the same measure: the switch adds no one and drops no one.
    assert sorted(c.donor_id for c, _, _ in ranked) == sorted(c.donor_id for c, _, _ in plain)
    for group in {c.group for c in cands}:
        mine = [c for c, _, _ in ranked if c.group == group]
        ready = [sel.available_now(c, NOW) for c in mine]
        # Within the group, everyone whose word still holds before anyone else (a lapsed word counts for nothing) …
        assert ready == sorted(ready, reverse=True)
        # … and among each part, the order is the usual one.
        usual = [c.donor_id for c, _, _ in plain if c.group == group]
        for part in (True, False):
            ids = [c.donor_id for c, r in zip(mine, ready) if r is part]
            assert ids == [i for i in usual if i in ids]
    # Groups keep their order by usefulness whatever anyone said.
    assert [sel.usefulness(c.group) for c, _, _ in ranked] == [sel.usefulness(c.group) for c, _, _ in plain]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([{}, {"group": "A+"}, {"last_appealed_at": NOW - timedelta(days=3)},
                        {"appeals_last_30_days": 2}, {"appeals_last_30_days": 1, "monthly_limit": 1},
                        {"contact_from_hour": 18, "contact_until_hour": 20}]),
       st.integers(0, 23), st.floats(0.1, 24))
def test_saying_i_can_come_now_lifts_no_limit_nor_quiet_hours(kw, hour, hours):
    said = candidate(available_until=NOW + timedelta(hours=hours), **kw)
    assert sel.refusal(said, now=NOW, local_hour=hour, wanted={"O-"}, limits=LIMITS) == \
        sel.refusal(candidate(**kw), now=NOW, local_hour=hour, wanted={"O-"}, limits=LIMITS)
