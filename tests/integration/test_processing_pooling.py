from __future__ import annotations

from datetime import timedelta

import pytest

from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.domain.isbt128 import parse_din
from bloodbank.service_layer.blood import pooling
from bloodbank.service_layer.blood.unit_sources import source_donation_ids
from tests.integration.processing_fixtures import (
    FACILITY, clerk, counts, donation_row, end_of_day, events, make_site, processed, set_unit, unit_of, unit_row,
)


def buffy_coats(database, site_id, groups, ages=None):
    """Donations processed by the buffy-coat method, and their red cell units."""
    ages = ages or [timedelta(hours=3)] * len(groups)
    made = [processed(database, site_id=site_id, group=g, age=a) for g, a in zip(groups, ages)]
    return [donation_id for donation_id, _ in made], [unit_of(views, "red_cells") for _, views in made]


def test_four_buffy_coats_of_one_group_make_a_pool_with_its_own_din(database):
    site_id = make_site(database)
    ages = [timedelta(hours=h) for h in (2, 30, 5, 8)]
    donation_ids, red_cells = buffy_coats(database, site_id, ["A+"] * 4, ages)

    pool = pooling.pool_platelets(clerk(database), donation_ids=donation_ids, site_id=site_id)

    din = parse_din(pool.din)
    assert din.facility == FACILITY and pool.din not in {r.din for r in red_cells}
    assert pool.din_eye_readable == din.eye_readable
    assert (pool.kind, pool.product_code, pool.status, pool.blood_group) == (
        "platelets_pooled", "X0008", "quarantined", "A+")
    assert pool.donation_id is None and pool.leucoreduced and pool.volume_ml == 300
    earliest = donation_row(database, donation_ids[1])["started_at"]
    assert pool.collected_at == earliest and pool.expires_at == end_of_day(earliest, 5)
    assert set(pool.parent_ids) == {r.id for r in red_cells}
    with database.sessions() as session:
        assert source_donation_ids(session, pool.id) == sorted(donation_ids)
    (event, detail), = events(database, pool.id)
    assert event == "created" and detail["source_donation_ids"] == sorted(donation_ids)


def test_the_sources_of_an_ordinary_unit_are_its_own_donation(database):
    donation_id, views = processed(database, site_id=make_site(database))

    with database.sessions() as session:
        assert source_donation_ids(session, views[0].id) == [donation_id]
        with pytest.raises(NotFound, match="No unit with id 4242"):
            source_donation_ids(session, 4242)


@pytest.mark.parametrize("how_many", [3, 7])
def test_a_pool_needs_four_to_six_buffy_coats(database, how_many):
    site_id = make_site(database)
    donation_ids, _ = buffy_coats(database, site_id, ["O+"] * how_many)
    before = counts(database)

    with pytest.raises(InvalidInput, match=f"4 to 6 buffy coats; {how_many} given"):
        pooling.pool_platelets(clerk(database), donation_ids=donation_ids, site_id=site_id)

    assert counts(database) == before


def test_buffy_coats_of_different_groups_are_not_pooled(database):
    site_id = make_site(database)
    donation_ids, _ = buffy_coats(database, site_id, ["O+", "O+", "O-", "O+"])
    before = counts(database)

    with pytest.raises(InvalidInput, match="one ABO/RhD group; these are mixed"):
        pooling.pool_platelets(clerk(database), donation_ids=donation_ids, site_id=site_id)

    assert counts(database) == before


def test_a_buffy_coat_of_unknown_group_is_not_pooled(database):
    site_id = make_site(database)
    donation_ids, _ = buffy_coats(database, site_id, ["B+", None, "B+", "B+"])
    before = counts(database)

    with pytest.raises(InvalidInput, match="not known or not confirmed"):
        pooling.pool_platelets(clerk(database), donation_ids=donation_ids, site_id=site_id)

    assert counts(database) == before


def test_a_buffy_coat_already_pooled_is_not_pooled_again(database):
    site_id = make_site(database)
    donation_ids, _ = buffy_coats(database, site_id, ["AB+"] * 7)
    first = pooling.pool_platelets(clerk(database), donation_ids=donation_ids[:4], site_id=site_id)
    before = counts(database)

    with pytest.raises(Conflict, match=f"already in pool {first.din_eye_readable}"):
        pooling.pool_platelets(clerk(database), donation_ids=donation_ids[3:], site_id=site_id)

    assert counts(database) == before


def test_only_donations_processed_by_the_buffy_coat_method_have_a_buffy_coat(database):
    site_id = make_site(database)
    donation_ids, _ = buffy_coats(database, site_id, ["A-"] * 3)
    kept_whole, _ = processed(database, site_id=site_id, method="whole_blood", group="A-")
    before = counts(database)

    with pytest.raises(Conflict, match="no buffy coat or platelet concentrate: it was not processed by the "
                                       "buffy-coat method nor by the platelet-rich plasma method"):
        pooling.pool_platelets(clerk(database), donation_ids=[*donation_ids, kept_whole], site_id=site_id)

    assert counts(database) == before


# ---------------------------------------------------------------- platelet concentrates (PRP method)


def concentrates(database, site_id, groups, ages=None):
    """Donations processed by the platelet-rich plasma method, and their platelet concentrates."""
    ages = ages or [timedelta(hours=3)] * len(groups)
    made = [processed(database, site_id=site_id, method="prp", group=g, age=a) for g, a in zip(groups, ages)]
    return [donation_id for donation_id, _ in made], [unit_of(views, "platelet_concentrate") for _, views in made]


def test_four_platelet_concentrates_of_one_group_make_a_pool_with_its_own_din(database):
    site_id = make_site(database)
    ages = [timedelta(hours=h) for h in (2, 30, 5, 8)]
    donation_ids, singles = concentrates(database, site_id, ["A+"] * 4, ages)
    set_unit(database, singles[0].id, status="available")  # released or not, a concentrate may be pooled

    pool = pooling.pool_platelets(clerk(database), donation_ids=donation_ids, site_id=site_id)

    din = parse_din(pool.din)
    assert din.facility == FACILITY and pool.din not in {c.din for c in singles}
    assert (pool.kind, pool.product_code, pool.status, pool.blood_group) == (
        "platelets_pooled", "X0012", "quarantined", "A+")
    assert "from platelet concentrates" in pool.product_name
    assert pool.donation_id is None and pool.leucoreduced and pool.volume_ml == 4 * 60
    earliest = donation_row(database, donation_ids[1])["started_at"]
    assert pool.collected_at == earliest and pool.expires_at == end_of_day(earliest, 5)
    assert set(pool.parent_ids) == {c.id for c in singles}
    with database.sessions() as session:
        assert source_donation_ids(session, pool.id) == sorted(donation_ids)
    (event, detail), = events(database, pool.id)
    assert event == "created" and detail["source_donation_ids"] == sorted(donation_ids)
    assert detail["method"] == "concentrate_pool"
    for single in singles:
        assert unit_row(database, single.id)["status"] == "processed"
        assert events(database, single.id)[-1] == ("pooled", {"into_unit_id": pool.id, "into_din": pool.din})


def test_concentrates_are_pooled_by_the_dins_on_their_bags(database):
    site_id = make_site(database)
    _, singles = concentrates(database, site_id, ["O-"] * 5)

    pool = pooling.pool_platelets_by_din(clerk(database), dins=[c.din_eye_readable for c in singles],
                                         site_id=site_id)

    assert pool.kind == "platelets_pooled" and pool.blood_group == "O-" and len(pool.parent_ids) == 5


@pytest.mark.parametrize("how_many", [3, 7])
def test_a_pool_needs_four_to_six_platelet_concentrates(database, how_many):
    site_id = make_site(database)
    donation_ids, _ = concentrates(database, site_id, ["B+"] * how_many)
    before = counts(database)

    with pytest.raises(InvalidInput, match=f"4 to 6 platelet concentrates; {how_many} given"):
        pooling.pool_platelets(clerk(database), donation_ids=donation_ids, site_id=site_id)

    assert counts(database) == before


def test_concentrates_of_different_groups_are_not_pooled(database):
    site_id = make_site(database)
    donation_ids, _ = concentrates(database, site_id, ["O+", "O+", "A+", "O+"])
    before = counts(database)

    with pytest.raises(InvalidInput, match="platelet concentrates of one ABO/RhD group; these are mixed"):
        pooling.pool_platelets(clerk(database), donation_ids=donation_ids, site_id=site_id)

    assert counts(database) == before


def test_buffy_coats_and_concentrates_are_never_mixed_in_one_pool(database):
    site_id = make_site(database)
    buffy_ids, _ = buffy_coats(database, site_id, ["A-"] * 2)
    prp_ids, _ = concentrates(database, site_id, ["A-"] * 2)
    before = counts(database)

    with pytest.raises(InvalidInput, match="from buffy coats or from platelet concentrates, never both"):
        pooling.pool_platelets(clerk(database), donation_ids=[*buffy_ids, *prp_ids], site_id=site_id)

    assert counts(database) == before


def test_a_concentrate_already_pooled_is_not_pooled_again(database):
    site_id = make_site(database)
    donation_ids, _ = concentrates(database, site_id, ["AB+"] * 7)
    first = pooling.pool_platelets(clerk(database), donation_ids=donation_ids[:4], site_id=site_id)
    before = counts(database)

    with pytest.raises(Conflict, match=f"platelet concentrate of .* is already in pool {first.din_eye_readable}"):
        pooling.pool_platelets(clerk(database), donation_ids=donation_ids[3:], site_id=site_id)

    assert counts(database) == before


def test_a_discarded_or_expired_concentrate_is_not_pooled(database):
    site_id = make_site(database)
    donation_ids, singles = concentrates(database, site_id, ["O+"] * 5)
    set_unit(database, singles[0].id, status="discarded")
    set_unit(database, singles[1].id, expires_at=singles[1].collected_at + timedelta(minutes=1))
    before = counts(database)

    with pytest.raises(Conflict, match="platelet concentrate of .* is discarded: only one in quarantine or available"):
        pooling.pool_platelets(clerk(database), donation_ids=donation_ids[:4], site_id=site_id)
    with pytest.raises(InvalidInput, match="would already be expired"):
        pooling.pool_platelets(clerk(database), donation_ids=donation_ids[1:], site_id=site_id)

    assert counts(database) == before


def test_the_bench_lists_free_concentrates_beside_buffy_coats_and_forgets_them_once_pooled(database):
    site_id = make_site(database)
    buffy_ids, _ = buffy_coats(database, site_id, ["B-"])
    prp_ids, _ = concentrates(database, site_id, ["B-"] * 4)

    listed = {c.donation_id: c.source for c in pooling.pool_candidates(clerk(database), site_id=site_id)}
    assert listed == {buffy_ids[0]: "buffy_coat", **{d: "prp" for d in prp_ids}}

    pooling.pool_platelets(clerk(database), donation_ids=prp_ids, site_id=site_id)
    assert [c.donation_id for c in pooling.pool_candidates(clerk(database), site_id=site_id)] == buffy_ids


def test_a_pool_of_nothing_is_refused(database):
    site_id = make_site(database)
    before = counts(database)

    with pytest.raises(InvalidInput, match="buffy coats or platelet concentrates; none given"):
        pooling.pool_platelets(clerk(database), donation_ids=[], site_id=site_id)

    assert counts(database) == before


def test_a_donation_listed_twice_is_refused(database):
    site_id = make_site(database)
    donation_ids, _ = buffy_coats(database, site_id, ["A+"] * 3)

    with pytest.raises(InvalidInput, match="listed twice"):
        pooling.pool_platelets(clerk(database), donation_ids=[*donation_ids, donation_ids[0]], site_id=site_id)


def test_a_pool_whose_oldest_buffy_coat_is_too_old_is_refused(database):
    site_id = make_site(database)
    donation_ids, _ = buffy_coats(database, site_id, ["O+"] * 4,
                                  [timedelta(hours=2)] * 3 + [timedelta(days=6)])
    before = counts(database)

    with pytest.raises(InvalidInput, match="would already be expired"):
        pooling.pool_platelets(clerk(database), donation_ids=donation_ids, site_id=site_id)

    assert counts(database) == before


def test_an_unknown_donation_or_site_is_refused(database):
    site_id = make_site(database)
    donation_ids, _ = buffy_coats(database, site_id, ["O+"] * 3)

    with pytest.raises(NotFound, match="No donation with id 9999"):
        pooling.pool_platelets(clerk(database), donation_ids=[*donation_ids, 9999], site_id=site_id)
    with pytest.raises(NotFound, match="No site with id 777"):
        pooling.pool_platelets(clerk(database), donation_ids=[*donation_ids, 9999], site_id=777)
