from __future__ import annotations

from datetime import timedelta

import pytest

from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.domain.isbt128 import parse_din
from bloodbank.service_layer.blood import processing
from bloodbank.service_layer.field import titres
from tests.integration.collection_fixtures import audit_entries
from tests.integration.processing_fixtures import (
    clerk, counts, donation_row, end_of_day, events, make_donation, make_donor, make_site, unit_of,
)


def test_the_buffy_coat_method_makes_red_cells_and_plasma_in_quarantine(database):
    site_id = make_site(database, rule_set="eu")
    donation_id = make_donation(database, site_id=site_id, group="A-")
    before = counts(database)

    views = processing.process_donation(clerk(database), donation_id=donation_id, method="buffy_coat")

    donation = donation_row(database, donation_id)
    assert [(v.kind, v.product_code, v.division) for v in views] == [("red_cells", "X0003", "00"),
                                                                      ("plasma", "X0006", "00")]
    for view in views:
        assert view.din == donation["din"] and view.donation_id == donation_id and view.site_id == site_id
        assert view.status == "quarantined" and view.blood_group == "A-" and not view.label_verified
        assert view.collected_at == donation["started_at"]
        assert events(database, view.id) == [("created", {"method": "buffy_coat", "donation_id": donation_id,
                                                          "regime": "eu"})]
    red, plasma = views
    assert red.leucoreduced and not plasma.leucoreduced
    assert red.expires_at == end_of_day(donation["started_at"], 35)
    assert plasma.expires_at == end_of_day(donation["started_at"], 1095)
    assert (red.volume_ml, plasma.volume_ml) == (280, 250)
    assert counts(database)["audit"] == before["audit"] + 3
    assert audit_entries(database, "donation", donation_id)[-1].new["unit_ids"] == [red.id, plasma.id]


def test_the_prp_method_makes_a_single_platelet_concentrate_that_lives_five_days_not_a_pooled_dose(database):
    site_id = make_site(database)
    donation_id = make_donation(database, site_id=site_id)

    views = processing.process_donation(clerk(database), donation_id=donation_id, method="prp")

    concentrate = unit_of(views, "platelet_concentrate")
    assert [v.kind for v in views] == ["red_cells", "plasma", "platelet_concentrate"]
    assert concentrate.product_code == "X0011" and concentrate.volume_ml == 60 and concentrate.leucoreduced
    assert "for pooling only" in concentrate.product_name
    assert concentrate.status == "quarantined" and concentrate.donation_id == donation_id
    assert concentrate.expires_at == end_of_day(donation_row(database, donation_id)["started_at"], 5)


def test_a_us_site_gives_red_cells_the_us_shelf_life(database):
    site_id = make_site(database, rule_set="us-fda")
    donation_id = make_donation(database, site_id=site_id)

    red = unit_of(processing.process_donation(clerk(database), donation_id=donation_id, method="buffy_coat"),
                  "red_cells")

    assert red.expires_at == end_of_day(donation_row(database, donation_id)["started_at"], 42)


def test_whole_blood_kept_whole_is_one_unfiltered_unit_of_the_donated_volume(database):
    donation_id = make_donation(database, site_id=make_site(database), volume_ml=470)

    (unit,) = processing.process_donation(clerk(database), donation_id=donation_id, method="whole_blood")

    assert (unit.kind, unit.product_code, unit.volume_ml, unit.leucoreduced) == ("whole_blood", "X0001", 470, False)


def test_a_smaller_donation_gives_proportionally_smaller_components(database):
    donation_id = make_donation(database, site_id=make_site(database), volume_ml=360)

    views = processing.process_donation(clerk(database), donation_id=donation_id, method="buffy_coat")

    assert [v.volume_ml for v in views] == [225, 200]


def test_low_titer_group_o_whole_blood_is_kept_as_ltowb(database):
    donation_id = make_donation(database, site_id=make_site(database), group="O-")
    titres.record_titre(clerk(database), donation_id=donation_id, anti_a=64, anti_b=128)

    (unit,) = processing.process_donation(clerk(database), donation_id=donation_id, method="whole_blood",
                                          low_titer=True)

    assert (unit.kind, unit.product_code, unit.low_titer) == ("ltowb", "X0010", True)


@pytest.mark.parametrize("titre", [None, (256, 64)])
def test_low_titer_whole_blood_needs_a_low_titre_on_record(database, titre):
    donation_id = make_donation(database, site_id=make_site(database), group="O-")
    if titre:
        titres.record_titre(clerk(database), donation_id=donation_id, anti_a=titre[0], anti_b=titre[1])
    before = counts(database)

    with pytest.raises(InvalidInput, match="No low titre current at this collection"):
        processing.process_donation(clerk(database), donation_id=donation_id, method="whole_blood", low_titer=True)

    assert counts(database) == before


@pytest.mark.parametrize("group, message", [("A+", "must be group O; this donor is A+"),
                                            (None, "group is not known yet")])
def test_low_titer_whole_blood_is_refused_unless_the_donor_is_group_o(database, group, message):
    donation_id = make_donation(database, site_id=make_site(database), group=group)
    before = counts(database)

    with pytest.raises(InvalidInput, match=message):
        processing.process_donation(clerk(database), donation_id=donation_id, method="whole_blood", low_titer=True)

    assert counts(database) == before


def test_units_of_an_ungrouped_or_disputed_donor_carry_no_group(database):
    site_id = make_site(database)
    ungrouped = make_donation(database, site_id=site_id, group=None)
    disputed = make_donation(database, site_id=site_id, donor_id=make_donor(database, group="B+", discrepancy=True))

    for donation_id in (ungrouped, disputed):
        views = processing.process_donation(clerk(database), donation_id=donation_id, method="buffy_coat")
        assert {v.blood_group for v in views} == {None}


@pytest.mark.parametrize("status, message", [("aborted", "it is aborted"),
                                             ("in_progress", "still in progress")])
def test_only_a_complete_donation_is_processed(database, status, message):
    donation_id = make_donation(database, site_id=make_site(database), status=status)
    before = counts(database)

    with pytest.raises(Conflict, match=message):
        processing.process_donation(clerk(database), donation_id=donation_id, method="buffy_coat")

    assert counts(database) == before


def test_a_donation_is_processed_only_once(database):
    donation_id = make_donation(database, site_id=make_site(database))
    processing.process_donation(clerk(database), donation_id=donation_id, method="buffy_coat")
    before = counts(database)

    with pytest.raises(Conflict, match="already been processed"):
        processing.process_donation(clerk(database), donation_id=donation_id, method="prp")

    assert counts(database) == before


def test_an_apheresis_donation_is_not_processed_as_whole_blood(database):
    donation_id = make_donation(database, site_id=make_site(database), kind="platelets")
    before = counts(database)

    with pytest.raises(InvalidInput, match="only whole blood donations"):
        processing.process_donation(clerk(database), donation_id=donation_id, method="buffy_coat")

    assert counts(database) == before


def test_a_combination_missing_from_the_product_table_is_refused_and_nothing_is_made(database):
    donation_id = make_donation(database, site_id=make_site(database))
    before = counts(database)

    with pytest.raises(InvalidInput, match="no product for whole blood, not irradiated, leucocyte-reduced"):
        processing.process_donation(clerk(database), donation_id=donation_id, method="whole_blood",
                                    leucoreduced=True)

    assert counts(database) == before


def test_a_donation_too_old_for_its_red_cells_is_refused(database):
    donation_id = make_donation(database, site_id=make_site(database), age=timedelta(days=40))
    before = counts(database)

    with pytest.raises(InvalidInput, match="would already be expired"):
        processing.process_donation(clerk(database), donation_id=donation_id, method="buffy_coat")

    assert counts(database) == before


def test_an_unknown_method_or_donation_is_refused(database):
    with pytest.raises(InvalidInput, match="not a processing method"):
        processing.process_donation(clerk(database), donation_id=1, method="centrifuge")
    with pytest.raises(NotFound, match="No donation with id 999"):
        processing.process_donation(clerk(database), donation_id=999, method="prp")


def test_units_are_found_by_any_form_of_their_din(database):
    donation_id = make_donation(database, site_id=make_site(database))
    views = processing.process_donation(clerk(database), donation_id=donation_id, method="buffy_coat")
    din = parse_din(views[0].din)

    for form in (din.barcode, din.eye_readable, str(din).lower()):
        assert [v.id for v in processing.find_units_by_din(clerk(database), form)] == [v.id for v in views]
    assert processing.get_unit(clerk(database), views[1].id) == views[1]
    with pytest.raises(NotFound, match="No unit with id 12345"):
        processing.get_unit(clerk(database), 12345)
