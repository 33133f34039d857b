from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bloodbank.adapters.db.models import Unit, UnitEvent
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from bloodbank.domain.haemovigilance import RETURN_RULES
from bloodbank.service_layer.hospital.returns import return_unit
from bloodbank.service_layer.hospital.transfusion import start_transfusion
from tests.integration.trace_fixtures import (
    VITALS, build_chain, clerk, counts, issue_unit, live_reservations, make_donation, make_donor, make_patient,
    make_unit, unit_row,
)


@pytest.fixture
def issued(database):
    """(chain, {kind: (unit id, issue id)}): red cells and apheresis platelets issued, not transfused."""
    chain = build_chain(database)
    chain.patients["P9"], chain.wristbands["P9"] = make_patient(database, chain.hospital_id)
    donor_id, _ = make_donor(database)
    donation_id, chain.dins["E"] = make_donation(database, chain.site_id, donor_id)
    units = {}
    for kind in ("red_cells", "platelets_apheresis"):
        unit_id = make_unit(database, din=chain.dins["E"], kind=kind, site_id=chain.site_id, donation_id=donation_id)
        units[kind] = unit_id, issue_unit(database, unit_id, chain.patients["P9"], chain.hospital_id)[0]
    return chain, units


def _return(database, issue_id, minutes, cold=False, **kwargs):
    return return_unit(clerk(database, "bms.lee"), issue_id=issue_id, minutes_out_of_storage=minutes,
                       kept_in_cold_chain=cold, **kwargs)


def _events(database, unit_id):
    with database.sessions() as session:
        return [e.event for e in session.execute(
            select(UnitEvent).where(UnitEvent.unit_id == unit_id).order_by(UnitEvent.at, UnitEvent.id)).scalars()]


def test_red_cells_back_within_30_minutes_go_back_in_stock_at_their_site(database, issued):
    chain, units = issued
    unit_id, issue_id = units["red_cells"]

    view = _return(database, issue_id, 25, note="patient went to theatre")

    assert view.restocked and view.unit_status == "available"
    row = unit_row(database, unit_id)
    assert row.status == "available" and row.site_id == chain.site_id
    assert _events(database, unit_id)[-2:] == ["returned", "restocked"]
    assert live_reservations(database, unit_id) == 0


def test_red_cells_out_too_long_are_discarded_as_returned_too_warm(database, issued):
    _, units = issued
    unit_id, issue_id = units["red_cells"]

    view = _return(database, issue_id, 45)

    assert not view.restocked and "more than 30 min" in view.explanation
    row = unit_row(database, unit_id)
    assert row.status == "discarded" and row.discard_reason == "returned_too_warm"
    assert live_reservations(database, unit_id) == 0


def test_a_60_minute_rule_set_as_data_keeps_red_cells_out_45_minutes_restockable(database, issued):
    _, units = issued

    assert _return(database, units["red_cells"][1], 45, rule=RETURN_RULES["60-minute"]).restocked


def test_red_cells_kept_in_a_validated_cold_box_go_back_in_stock_after_longer(database, issued):
    _, units = issued

    view = _return(database, units["red_cells"][1], 120, cold=True)

    assert view.restocked and "cold box" in view.explanation


def test_refrigerated_platelets_are_discarded_whatever_the_time(database, issued):
    _, units = issued
    unit_id, issue_id = units["platelets_apheresis"]

    view = _return(database, issue_id, 10, cold=True)

    assert not view.restocked and "refrigerated" in view.explanation
    assert unit_row(database, unit_id).discard_reason == "returned_too_warm"


def test_an_expired_unit_is_discarded_as_expired(database, issued):
    _, units = issued
    unit_id, issue_id = units["red_cells"]
    with database.sessions() as session, session.begin():
        session.execute(update(Unit).where(Unit.id == unit_id).values(expires_at=utcnow() - timedelta(minutes=1)))

    assert not _return(database, issue_id, 5, cold=True).restocked
    assert unit_row(database, unit_id).discard_reason == "expired"


def test_a_transfused_unit_cannot_be_returned_and_nothing_changes(database, issued):
    chain, _ = issued
    before = counts(database)

    with pytest.raises(InvalidTransition, match="transfused cannot become returned"):
        _return(database, chain.issues["RC_A1"], 5)

    assert counts(database) == before


def test_a_unit_never_issued_or_already_returned_is_refused(database, issued):
    _, units = issued
    _return(database, units["red_cells"][1], 5)
    before = counts(database)

    with pytest.raises(NotFound, match="only a unit that was issued can be returned"):
        _return(database, 999999, 5)
    with pytest.raises(Conflict, match="already returned"):
        _return(database, units["red_cells"][1], 5)
    with pytest.raises(InvalidInput, match="whole number of minutes"):
        _return(database, units["platelets_apheresis"][1], -3)

    assert counts(database) == before


def test_a_unit_whose_transfusion_started_cannot_go_back_into_stock(database, issued):
    chain, units = issued
    unit_id, issue_id = units["red_cells"]
    start_transfusion(clerk(database, "nurse.kim"), issue_id=issue_id, scanned_unit=chain.dins["E"].barcode,
                      scanned_patient=chain.wristbands["P9"], vitals_before=VITALS, checked_by=None)
    before = counts(database)

    with pytest.raises(Conflict, match="transfusion of this unit was started"):
        _return(database, issue_id, 5)

    assert counts(database) == before


def test_a_recalled_unit_sent_back_by_the_ward_stays_recalled_for_the_investigation(database, issued):
    _, units = issued
    unit_id, issue_id = units["red_cells"]
    with database.sessions() as session, session.begin():
        session.execute(update(Unit).where(Unit.id == unit_id).values(status="recalled"))

    view = _return(database, issue_id, 5)

    assert not view.restocked and "under recall" in view.explanation
    assert unit_row(database, unit_id).status == "recalled" and _events(database, unit_id)[-1] == "returned"
