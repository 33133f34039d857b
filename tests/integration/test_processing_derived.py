"""Units made from units: aliquots, cryoprecipitate, and irradiation of a unit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.components import IrradiationTooLate
from bloodbank.domain.errors import Conflict, InvalidInput, InvalidTransition
from bloodbank.service_layer.blood import aliquots as derived, irradiation, pooling, processing
from bloodbank.service_layer.blood.unit_sources import source_donation_ids
from tests.integration.processing_fixtures import (
    clerk, counts, end_of_day, events, make_site, processed, set_unit, unit_of, unit_row,
)


def red_cells(database, *, age=timedelta(hours=3), method="buffy_coat", rule_set="eu"):
    donation_id, views = processed(database, site_id=make_site(database, rule_set=rule_set), method=method, age=age)
    return donation_id, views, unit_of(views, "red_cells")


def test_a_split_makes_aliquots_with_divisions_linked_to_their_parent(database):
    donation_id, _, parent = red_cells(database)

    aliquots = derived.split_unit(clerk(database), unit_id=parent.id, parts=3)

    assert [a.division for a in aliquots] == ["A0", "B0", "C0"]
    for aliquot in aliquots:
        assert (aliquot.din, aliquot.product_code, aliquot.expires_at, aliquot.kind) == (
            parent.din, parent.product_code, parent.expires_at, parent.kind)
        assert aliquot.parent_ids == (parent.id,) and aliquot.status == "quarantined"
        assert aliquot.volume_ml == 93 and aliquot.leucoreduced and aliquot.blood_group == parent.blood_group
        with database.sessions() as session:
            assert source_donation_ids(session, aliquot.id) == [donation_id]
    assert processing.get_unit(clerk(database), parent.id).status == "processed"
    assert events(database, parent.id)[-1] == ("split", {"parts": 3, "divisions": ["A0", "B0", "C0"],
                                                        "volume_each_ml": 93})


def test_an_aliquot_of_a_pool_still_leads_to_every_donation(database):
    site_id = make_site(database)
    donation_ids = [processed(database, site_id=site_id, group="O-")[0] for _ in range(4)]
    pool = pooling.pool_platelets(clerk(database), donation_ids=donation_ids, site_id=site_id)

    first, _ = derived.split_unit(clerk(database), unit_id=pool.id, parts=2, volume_each_ml=120)

    assert first.volume_ml == 120 and first.donation_id is None
    with database.sessions() as session:
        assert source_donation_ids(session, first.id) == sorted(donation_ids)


@pytest.mark.parametrize("parts, each, error, message", [
    (1, None, InvalidInput, "2 to 4 aliquots; got 1"),
    (5, None, InvalidInput, "2 to 4 aliquots; got 5"),
    (2, 200, InvalidInput, "need 400 mL; the unit holds 280 mL"),
])
def test_a_split_outside_the_limits_is_refused(database, parts, each, error, message):
    _, _, parent = red_cells(database)
    before = counts(database)

    with pytest.raises(error, match=message):
        derived.split_unit(clerk(database), unit_id=parent.id, parts=parts, volume_each_ml=each)

    assert counts(database) == before


def test_an_aliquot_or_a_split_unit_is_not_split_again(database):
    _, _, parent = red_cells(database)
    first, _ = derived.split_unit(clerk(database), unit_id=parent.id, parts=2)
    before = counts(database)

    with pytest.raises(InvalidInput, match="already an aliquot"):
        derived.split_unit(clerk(database), unit_id=first.id, parts=2)
    with pytest.raises(InvalidTransition, match="processed cannot become processed"):
        derived.split_unit(clerk(database), unit_id=parent.id, parts=2)

    assert counts(database) == before


def test_cryoprecipitate_is_made_from_plasma_which_becomes_processed(database):
    donation_id, views, _ = red_cells(database)
    plasma = unit_of(views, "plasma")

    cryo = derived.make_cryo(clerk(database), plasma_unit_id=plasma.id)

    assert (cryo.kind, cryo.product_code, cryo.din, cryo.division) == ("cryo", "X0009", plasma.din, "00")
    assert cryo.parent_ids == (plasma.id,) and cryo.donation_id == donation_id and cryo.status == "quarantined"
    assert cryo.expires_at == plasma.expires_at and cryo.volume_ml == 40
    assert processing.get_unit(clerk(database), plasma.id).status == "processed"


def test_cryoprecipitate_is_not_made_from_red_cells_or_twice_from_one_plasma(database):
    _, views, red = red_cells(database)
    plasma = unit_of(views, "plasma")
    derived.make_cryo(clerk(database), plasma_unit_id=plasma.id)
    before = counts(database)

    with pytest.raises(InvalidInput, match="made from plasma; unit .* is red cells"):
        derived.make_cryo(clerk(database), plasma_unit_id=red.id)
    with pytest.raises(InvalidTransition, match="processed cannot become processed"):
        derived.make_cryo(clerk(database), plasma_unit_id=plasma.id)

    assert counts(database) == before


def test_irradiation_gives_red_cells_the_irradiated_code_and_a_shorter_life(database):
    _, _, red = red_cells(database, age=timedelta(days=2))
    set_unit(database, red.id, label_printed_at=utcnow(), label_verified_at=utcnow(), label_verified_by="lab.eve")

    view = irradiation.irradiate(clerk(database), unit_id=red.id)

    row = unit_row(database, red.id)
    assert view.id == red.id and view.irradiated and view.product_code == "X0005"
    assert view.expires_at == end_of_day(row["irradiated_at"], 14) < red.expires_at
    assert not view.label_verified and row["label_printed_at"] is None
    event, detail = events(database, red.id)[-1]
    assert event == "irradiated"
    assert (detail["old_product_code"], detail["new_product_code"]) == ("X0003", "X0005")
    assert detail["new_expires_at"] == view.expires_at.isoformat()


def test_us_irradiation_allows_28_days_but_never_beyond_the_original_expiry(database):
    _, _, red = red_cells(database, age=timedelta(days=20), rule_set="us-fda")

    view = irradiation.irradiate(clerk(database), unit_id=red.id)

    assert view.expires_at == red.expires_at  # 42 days from collection comes before 28 days from today


def test_irradiation_too_late_after_collection_is_refused_and_nothing_changes(database):
    _, _, red = red_cells(database, age=timedelta(days=20))
    before, row = counts(database), unit_row(database, red.id)

    with pytest.raises(IrradiationTooLate, match="day 20 after collection"):
        irradiation.irradiate(clerk(database), unit_id=red.id)

    assert counts(database) == before and unit_row(database, red.id) == row


def test_a_unit_is_irradiated_once_and_only_if_it_can_be(database):
    _, views, red = red_cells(database, method="prp")
    irradiation.irradiate(clerk(database), unit_id=red.id)
    before = counts(database)

    with pytest.raises(Conflict, match="already irradiated"):
        irradiation.irradiate(clerk(database), unit_id=red.id)
    with pytest.raises(InvalidInput, match="Plasma is not irradiated"):
        irradiation.irradiate(clerk(database), unit_id=unit_of(views, "plasma").id)
    with pytest.raises(InvalidInput, match="Irradiate the pool, not the unit on its own: a single platelet "
                                           "concentrate is a fraction of an adult dose: pool it first"):
        irradiation.irradiate(clerk(database), unit_id=unit_of(views, "platelet_concentrate").id)

    assert counts(database) == before


def test_a_platelet_concentrate_is_not_split_into_aliquots_and_the_bench_does_not_offer_it(database):
    _, views, _ = red_cells(database, method="prp")
    concentrate = unit_of(views, "platelet_concentrate")
    before = counts(database)

    with pytest.raises(InvalidInput, match="not split into aliquots: a single platelet concentrate is a fraction"):
        derived.split_unit(clerk(database), unit_id=concentrate.id, parts=2)

    assert counts(database) == before
    work = processing.unit_work(clerk(database), unit_id=concentrate.id)
    assert not work.splittable and not work.irradiable and not work.cryo_possible


def test_a_processed_unit_is_not_irradiated(database):
    _, _, red = red_cells(database)
    derived.split_unit(clerk(database), unit_id=red.id, parts=2)
    before = counts(database)

    with pytest.raises(Conflict, match="is processed: only a unit in quarantine or available"):
        irradiation.irradiate(clerk(database), unit_id=red.id)

    assert counts(database) == before
