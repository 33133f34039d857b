from datetime import timedelta

import pytest
from sqlalchemy import select

from bloodbank.adapters.db.models import ExcursionUnit
from bloodbank.domain.errors import InvalidInput, InvalidTransition, NotFound
from bloodbank.service_layer.blood.excursions import discard_after_review, record_excursion
from tests.integration.inventory_fixtures import (
    clerk, counts, events, hours_ago, make_reservation, make_site, make_unit, reservation, unit,
)


def _record(database, site_id, *, location="room 1", low=20.5, high=23.5, started=3, ended=2, note=""):
    return record_excursion(clerk(database), site_id=site_id, storage_location=location,
                            started_at=hours_ago(started), ended_at=hours_ago(ended), lowest_c=low,
                            highest_c=high, note=note)


def _linked(database, excursion_id):
    with database.sessions() as session:
        return set(session.scalars(select(ExcursionUnit.unit_id).where(ExcursionUnit.excursion_id == excursion_id)))


def test_a_warm_room_quarantines_the_red_cells_there_but_not_the_platelets(database):
    site = make_site(database)
    platelets = make_unit(database, site_id=site, kind="platelets_apheresis", location="room 1",
                          expires_in=timedelta(days=3))
    stray_red = make_unit(database, site_id=site, kind="red_cells", location="room 1")
    view = _record(database, site, low=20.5, high=23.5)
    assert [(a.unit_id, a.status_before, a.status_after) for a in view.affected] == \
        [(stray_red, "available", "quarantined")]
    assert view.unaffected_unit_ids == (platelets,)
    assert unit(database, platelets).status == "available"
    assert unit(database, stray_red).status == "quarantined"
    assert _linked(database, view.id) == {stray_red}
    assert events(database, stray_red)[-1] == ("excursion_hold", "available", "quarantined")


def test_only_units_at_that_site_and_location_are_touched(database):
    site, other_site = make_site(database), make_site(database)
    here = make_unit(database, site_id=site, location="fridge 1")
    next_fridge = make_unit(database, site_id=site, location="fridge 2")
    other = make_unit(database, site_id=other_site, location="fridge 1")
    on_road = make_unit(database, site_id=None, status="in_transit", location="fridge 1")
    issued = make_unit(database, site_id=site, status="issued", location="fridge 1")
    view = _record(database, site, location="fridge 1", low=4.0, high=9.5)
    assert [a.unit_id for a in view.affected] == [here]
    for untouched, status in ((next_fridge, "available"), (other, "available"), (on_road, "in_transit"),
                              (issued, "issued")):
        assert unit(database, untouched).status == status


def test_a_reserved_unit_loses_its_reservation_and_goes_to_quarantine(database):
    site = make_site(database)
    held = make_unit(database, site_id=site, status="reserved")
    reservation_id = make_reservation(database, held, site_id=site)
    view = _record(database, site, location="fridge 1", low=1.0, high=5.0)
    assert [(a.status_before, a.status_after) for a in view.affected] == [("reserved", "quarantined")]
    released = reservation(database, reservation_id)
    assert released.released_at is not None and released.release_reason == "temperature excursion"
    # Straight to quarantine: never "available" on the way, not even inside the transaction.
    assert [e[1:] for e in events(database, held)] == [("reserved", "quarantined")]


def test_returned_quarantined_and_recalled_units_are_held_too(database):
    site = make_site(database)
    returned = make_unit(database, site_id=site, status="returned")
    quarantined = make_unit(database, site_id=site, status="quarantined")
    recalled = make_unit(database, site_id=site, status="recalled")
    view = _record(database, site, location="fridge 1", low=3.0, high=12.0)
    assert {(a.unit_id, a.status_after) for a in view.affected} == {
        (returned, "quarantined"), (quarantined, "quarantined"), (recalled, "recalled")}
    assert _linked(database, view.id) == {returned, quarantined, recalled}
    assert events(database, quarantined) == [("excursion_hold", None, None)]


def test_a_thawed_freezer_holds_the_plasma_and_cryo(database):
    site = make_site(database)
    plasma = make_unit(database, site_id=site, kind="plasma", location="freezer A", expires_in=timedelta(days=300))
    cryo = make_unit(database, site_id=site, kind="cryo", location="freezer A", expires_in=timedelta(days=300))
    view = _record(database, site, location="freezer A", low=-35.0, high=-15.0)
    assert {a.unit_id for a in view.affected} == {plasma, cryo}
    cold_enough = _record(database, site, location="freezer A", low=-40.0, high=-30.0)
    assert cold_enough.affected == () and set(cold_enough.unaffected_unit_ids) == {plasma, cryo}


@pytest.mark.parametrize("started, ended, message", [
    (2, 3, "before it starts"), (1, -1, "in the future"),
])
def test_impossible_excursion_times_are_refused_and_nothing_is_recorded(database, started, ended, message):
    site = make_site(database)
    make_unit(database, site_id=site, location="room 1")
    before = counts(database)
    with pytest.raises(InvalidInput, match=message):
        _record(database, site, started=started, ended=ended)
    assert counts(database) == before


def test_readings_location_and_site_are_checked(database):
    site = make_site(database)
    before = counts(database)
    with pytest.raises(InvalidInput, match="is above the highest"):
        _record(database, site, low=30.0, high=20.0)
    with pytest.raises(InvalidInput, match="Name the storage location"):
        _record(database, site, location="  ")
    with pytest.raises(NotFound, match="No site with id 999"):
        _record(database, 999)
    assert counts(database) == before


def test_a_held_unit_judged_unfit_is_discarded_for_temperature(database):
    site = make_site(database)
    held = make_unit(database, site_id=site)
    view = _record(database, site, location="fridge 1", low=4.0, high=11.0)
    discarded = discard_after_review(clerk(database), excursion_id=view.id, unit_id=held, note="above 10 °C")
    assert (discarded.status, discarded.discard_reason, discarded.discard_note) == \
        ("discarded", "temperature", "above 10 °C")


def test_only_a_unit_held_by_that_excursion_is_discarded_through_it(database):
    site = make_site(database)
    elsewhere = make_unit(database, site_id=site, location="fridge 9")
    view = _record(database, site, location="fridge 1", low=4.0, high=11.0)
    before = counts(database)
    with pytest.raises(InvalidInput, match=f"Unit {elsewhere} was not held by excursion {view.id}"):
        discard_after_review(clerk(database), excursion_id=view.id, unit_id=elsewhere)
    with pytest.raises(NotFound, match="No temperature excursion"):
        discard_after_review(clerk(database), excursion_id=999, unit_id=elsewhere)
    assert counts(database) == before


def test_a_held_unit_already_discarded_cannot_be_discarded_again(database):
    site = make_site(database)
    held = make_unit(database, site_id=site)
    view = _record(database, site, location="fridge 1", low=4.0, high=11.0)
    discard_after_review(clerk(database), excursion_id=view.id, unit_id=held)
    before = counts(database)
    with pytest.raises(InvalidTransition, match="discarded cannot become discarded"):
        discard_after_review(clerk(database), excursion_id=view.id, unit_id=held)
    assert counts(database) == before
