from datetime import timedelta

import pytest

from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.service_layer.blood.discards import discard
from bloodbank.service_layer.blood.transfers import dispatch, get_transfer, list_in_transit, receive
from tests.integration.inventory_fixtures import audit_actions, clerk, counts, events, make_site, make_unit, unit


@pytest.fixture
def sites(database):
    return make_site(database, code="NORTH"), make_site(database, code="SOUTH")


def test_dispatched_units_are_in_transit_with_no_site(database, sites):
    north, south = sites
    a, b = make_unit(database, site_id=north), make_unit(database, site_id=north, kind="plasma",
                                                         expires_in=timedelta(days=300))
    view = dispatch(clerk(database), from_site_id=north, to_site_id=south, unit_ids=[a, b], note="weekly top-up")
    assert (view.from_site_code, view.to_site_code, view.status, view.dispatched_by) == \
        ("NORTH", "SOUTH", "dispatched", "clerk.ann")
    assert [(u.unit_id, u.status, u.received_ok) for u in view.units] == \
        [(a, "in_transit", None), (b, "in_transit", None)]
    for unit_id in (a, b):
        row = unit(database, unit_id)
        assert (row.status, row.site_id, row.storage_location) == ("in_transit", None, "")
        assert events(database, unit_id)[-1] == ("dispatch", "available", "in_transit")
    assert audit_actions(database).count("dispatch") == 3  # two units and the transfer


@pytest.mark.parametrize("status", ["reserved", "quarantined", "issued", "discarded", "in_transit"])
def test_a_dispatch_with_one_unit_not_available_sends_nothing_and_names_it(database, sites, status):
    north, south = sites
    fine = make_unit(database, site_id=north)
    wrong = make_unit(database, site_id=north if status != "in_transit" else None, status=status)
    before = counts(database)
    refusal = rf"Nothing was sent.*unit {wrong} .* is {status.replace('_', ' ')}, not available"
    with pytest.raises(Conflict, match=refusal):
        dispatch(clerk(database), from_site_id=north, to_site_id=south, unit_ids=[fine, wrong])
    assert counts(database) == before


def test_a_dispatch_names_every_unit_that_cannot_go(database, sites):
    north, south = sites
    elsewhere = make_unit(database, site_id=south)
    expired = make_unit(database, site_id=north, expires_in=timedelta(hours=-1))
    before = counts(database)
    with pytest.raises(Conflict) as refused:
        dispatch(clerk(database), from_site_id=north, to_site_id=south, unit_ids=[elsewhere, expired, 9999])
    message = refused.value.message
    assert f"unit {elsewhere} " in message and "not in the stock of NORTH" in message
    assert f"unit {expired} " in message and "expired on" in message
    assert "no unit 9999" in message
    assert counts(database) == before


def test_a_dispatch_needs_two_different_sites_and_at_least_one_unit(database, sites):
    north, south = sites
    a = make_unit(database, site_id=north)
    before = counts(database)
    with pytest.raises(InvalidInput, match="the two sites are the same"):
        dispatch(clerk(database), from_site_id=north, to_site_id=north, unit_ids=[a])
    with pytest.raises(InvalidInput, match="at least one unit"):
        dispatch(clerk(database), from_site_id=north, to_site_id=south, unit_ids=[])
    with pytest.raises(NotFound, match="No receiving site"):
        dispatch(clerk(database), from_site_id=north, to_site_id=999, unit_ids=[a])
    assert counts(database) == before


def test_received_units_become_available_at_the_destination(database, sites):
    north, south = sites
    a, b = make_unit(database, site_id=north), make_unit(database, site_id=north)
    transfer = dispatch(clerk(database), from_site_id=north, to_site_id=south, unit_ids=[a, b])
    view = receive(clerk(database, "clerk.bea"), transfer_id=transfer.id, received_unit_ids=[a, b],
                   storage_location="fridge 3")
    assert (view.status, view.received_by, view.missing, view.quarantined) == ("received", "clerk.bea", (), ())
    for unit_id in (a, b):
        row = unit(database, unit_id)
        assert (row.status, row.site_id, row.storage_location) == ("available", south, "fridge 3")
        assert events(database, unit_id)[-1] == ("receive", "in_transit", "available")
    assert list_in_transit(clerk(database)) == []


def test_units_received_with_the_cold_chain_broken_are_quarantined_at_the_destination(database, sites):
    north, south = sites
    a = make_unit(database, site_id=north)
    transfer = dispatch(clerk(database), from_site_id=north, to_site_id=south, unit_ids=[a])
    view = receive(clerk(database), transfer_id=transfer.id, received_unit_ids=[a], cold_chain_ok=False)
    assert view.quarantined == (a,)
    assert (unit(database, a).status, unit(database, a).site_id) == ("quarantined", south)
    assert events(database, a)[-1] == ("receive", "in_transit", "quarantined")


def test_units_not_in_the_box_stay_in_transit_and_are_reported_missing(database, sites):
    north, south = sites
    a, b = make_unit(database, site_id=north), make_unit(database, site_id=north)
    transfer = dispatch(clerk(database), from_site_id=north, to_site_id=south, unit_ids=[a, b])
    assert [t.id for t in list_in_transit(clerk(database))] == [transfer.id]
    view = receive(clerk(database), transfer_id=transfer.id, received_unit_ids=[a])
    assert view.missing == (b,)
    assert (unit(database, b).status, unit(database, b).site_id) == ("in_transit", None)
    still = list_in_transit(clerk(database))
    assert [t.id for t in still] == [transfer.id] and still[0].missing == (b,)
    # A lost unit is closed by discarding it; then nothing is on the road.
    discard(clerk(database), unit_id=b, reason_code="other", note="lost in transit")
    assert list_in_transit(clerk(database)) == []
    assert get_transfer(clerk(database), transfer.id).missing == ()


def test_a_transfer_is_received_only_once(database, sites):
    north, south = sites
    a = make_unit(database, site_id=north)
    transfer = dispatch(clerk(database), from_site_id=north, to_site_id=south, unit_ids=[a])
    receive(clerk(database), transfer_id=transfer.id, received_unit_ids=[a])
    before = counts(database)
    with pytest.raises(Conflict, match=rf"Transfer {transfer.id} was already received .* by clerk.ann"):
        receive(clerk(database), transfer_id=transfer.id, received_unit_ids=[a])
    assert counts(database) == before


def test_a_unit_not_in_the_transfer_is_refused_and_nothing_is_booked_in(database, sites):
    north, south = sites
    a, other = make_unit(database, site_id=north), make_unit(database, site_id=north)
    transfer = dispatch(clerk(database), from_site_id=north, to_site_id=south, unit_ids=[a])
    before = counts(database)
    with pytest.raises(InvalidInput, match=rf"unit\(s\) {other} are not part of transfer {transfer.id}"):
        receive(clerk(database), transfer_id=transfer.id, received_unit_ids=[a, other])
    assert counts(database) == before
    with pytest.raises(NotFound, match="No transfer with id 999"):
        receive(clerk(database), transfer_id=999, received_unit_ids=[a])
    assert counts(database) == before


def test_a_unit_discarded_on_the_road_cannot_be_booked_back_in(database, sites):
    north, south = sites
    a, b = make_unit(database, site_id=north), make_unit(database, site_id=north)
    transfer = dispatch(clerk(database), from_site_id=north, to_site_id=south, unit_ids=[a, b])
    discard(clerk(database), unit_id=b, reason_code="broken", note="bag split in the box")
    before = counts(database)
    with pytest.raises(Conflict, match=rf"Unit {b} .* is discarded, no longer in transit"):
        receive(clerk(database), transfer_id=transfer.id, received_unit_ids=[a, b])
    assert counts(database) == before


def test_a_unit_received_and_sent_on_is_on_the_road_only_under_its_new_transfer(database, sites):
    north, south = sites
    a, b = make_unit(database, site_id=north), make_unit(database, site_id=north)
    first = dispatch(clerk(database), from_site_id=north, to_site_id=south, unit_ids=[a, b])
    receive(clerk(database), transfer_id=first.id, received_unit_ids=[a])
    back = dispatch(clerk(database), from_site_id=south, to_site_id=north, unit_ids=[a])
    on_road = {t.id: t.in_transit for t in list_in_transit(clerk(database))}
    assert on_road == {first.id: (b,), back.id: (a,)}
