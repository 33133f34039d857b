from datetime import date

import pytest

from bloodbank.domain.errors import InvalidInput, NotFound
from bloodbank.service_layer.donors.merge import merge_donors
from bloodbank.service_layer.donors.registry import get_donor, set_appeals_opt_in, update_donor
from bloodbank.service_layer.donors.search import find_donor_by_number, search_donors
from tests.integration.donor_fixtures import audit_entries, clerk, counts, donor_row, make_site, register


@pytest.fixture
def people(database):
    return {
        "zofia": register(database, given_name="Zofia", family_name="Nowak", phone="+44 7700 900123"),
        "zoran": register(database, given_name="Zoran", family_name="Horvat", sex="M", date_of_birth=date(1980, 1, 31)),
        "ana": register(database, given_name="Ana Maria", family_name="Nowakowska", phone="0161 496 0777"),
    }


def names(views) -> list[str]:
    return [v.full_name for v in views]


def test_search_matches_any_part_of_a_name_whatever_the_case(database, people):
    assert names(search_donors(clerk(database), text="NOWAK")) == ["Zofia Nowak", "Ana Maria Nowakowska"]
    assert names(search_donors(clerk(database), text="zo")) == ["Zoran Horvat", "Zofia Nowak"]
    assert names(search_donors(clerk(database), text="maria nowak")) == ["Ana Maria Nowakowska"]


def test_search_finds_a_donor_by_number_or_phone(database, people):
    number = people["zoran"].donor_number
    assert names(search_donors(clerk(database), text=number.lower())) == ["Zoran Horvat"]
    assert names(search_donors(clerk(database), text="4960777")) == ["Ana Maria Nowakowska"]
    assert names(search_donors(clerk(database), phone="07700 900123")) == ["Zofia Nowak"]


def test_search_by_date_of_birth_narrows_the_text_search(database, people):
    assert names(search_donors(clerk(database), date_of_birth=date(1980, 1, 31))) == ["Zoran Horvat"]
    assert search_donors(clerk(database), text="nowak", date_of_birth=date(1980, 1, 31)) == []


def test_search_pages_through_results(database, people):
    first = search_donors(clerk(database), limit=2)
    rest = search_donors(clerk(database), limit=2, offset=2)
    assert len(first) == 2 and len(rest) == 1
    assert {v.id for v in first + rest} == {v.id for v in people.values()}


def test_search_treats_wildcards_as_plain_text(database, people):
    assert search_donors(clerk(database), text="%") == []
    assert search_donors(clerk(database), text="_") == []


@pytest.mark.parametrize("kwargs, problem", [
    (dict(limit=0), "between 1 and 200"), (dict(limit=1000), "between 1 and 200"), (dict(offset=-1), "from position 0"),
    (dict(phone="12"), "too few digits"),
])
def test_search_refuses_what_it_cannot_do(database, kwargs, problem):
    with pytest.raises(InvalidInput, match=problem):
        search_donors(clerk(database), **kwargs)


def test_a_merged_record_is_not_listed_and_leads_to_the_record_kept(database, people):
    survivor, duplicate = people["zofia"], people["ana"]
    merge_donors(clerk(database), survivor_id=survivor.id, duplicate_id=duplicate.id, reason="same person")
    assert names(search_donors(clerk(database), text="nowak")) == ["Zofia Nowak"]
    assert get_donor(clerk(database), duplicate.id).id == survivor.id
    assert find_donor_by_number(clerk(database), duplicate.donor_number).id == survivor.id


def test_a_donor_is_found_by_number_typed_loosely(database, people):
    number = people["zofia"].donor_number
    spaced = f"{number[:4]} {number[4:8]}-{number[8]}".lower()
    assert find_donor_by_number(clerk(database), spaced) == people["zofia"]


def test_a_mistyped_or_unknown_number_is_told_apart(database, people):
    number = people["zofia"].donor_number
    typo = number[:3] + str((int(number[3]) + 1) % 10) + number[4:]
    with pytest.raises(InvalidInput, match="mistyped"):
        find_donor_by_number(clerk(database), typo)
    with pytest.raises(NotFound, match="No donor has the number D9999999"):
        find_donor_by_number(clerk(database), "D99999993")
    with pytest.raises(NotFound, match="no donor record 424242"):
        get_donor(clerk(database), 424242)


def test_an_update_records_old_and_new_values(database, people):
    site = make_site(database)
    donor = people["zofia"]
    view = update_donor(clerk(database, "clerk.bob"), donor.id, reason="", phone="0161 496 0999",
                        postcode="DE22 1AB", preferred_site_id=site)
    assert (view.phone, view.postcode, view.preferred_site_id) == ("01614960999", "DE22 1AB", site)
    entry = audit_entries(database, donor.id, "update")[-1]
    assert entry.actor == "clerk.bob" and entry.reason == "details updated"
    assert entry.old == {"phone": "+447700900123", "postcode": "", "preferred_site_id": None}
    assert entry.new == {"phone": "01614960999", "postcode": "DE22 1AB", "preferred_site_id": site}


def test_a_blood_group_change_needs_a_reason_and_the_audit_keeps_both_groups(database, people):
    donor = people["zoran"]
    update_donor(clerk(database), donor.id, reason="grouped at first donation", blood_group="A pos")
    before = counts(database)
    with pytest.raises(InvalidInput, match="blood group needs a reason"):
        update_donor(clerk(database), donor.id, reason=" ", blood_group="A neg")
    assert counts(database) == before and donor_row(database, donor.id).blood_group == "A+"
    update_donor(clerk(database), donor.id, reason="lab regrouped: RhD weak D", blood_group="A-")
    entry = audit_entries(database, donor.id, "update")[-1]
    assert (entry.old, entry.new) == ({"blood_group": "A+"}, {"blood_group": "A-"})
    assert entry.reason == "blood group changed from A+ to A-: lab regrouped: RhD weak D"


def test_identity_changes_need_a_reason_too(database, people):
    with pytest.raises(InvalidInput, match="date of birth, family name needs a reason"):
        update_donor(clerk(database), people["ana"].id, reason="", family_name="Nowak", date_of_birth=date(1990, 2, 14))


def test_an_update_that_changes_nothing_writes_nothing(database, people):
    before = counts(database)
    view = update_donor(clerk(database), people["zofia"].id, reason="", given_name=" Zofia ")
    assert view == people["zofia"] and counts(database) == before


@pytest.mark.parametrize("fields, problem", [
    (dict(donor_number="D00000019"), "cannot be changed here: donor_number"),
    (dict(merged_into_id=1), "cannot be changed here: merged_into_id"),
    (dict(appeals_opt_in=True), "cannot be changed here: appeals_opt_in"),
    (dict(sex="female"), "Sex must be F or M"),
    (dict(longitude=200.0, latitude=1.0), "longitude must be a number"),
    (dict(latitude=50.0), "both latitude and longitude"),
])
def test_an_update_of_something_that_cannot_change_or_is_invalid_is_refused(database, people, fields, problem):
    before = counts(database)
    with pytest.raises(InvalidInput, match=problem):
        update_donor(clerk(database), people["zofia"].id, reason="correction", **fields)
    assert counts(database) == before


def test_a_merged_record_cannot_be_updated(database, people):
    merge_donors(clerk(database), survivor_id=people["zofia"].id, duplicate_id=people["ana"].id, reason="same")
    with pytest.raises(InvalidInput, match=f"merged into {people['zofia'].donor_number}: change that record"):
        update_donor(clerk(database), people["ana"].id, reason="", phone="0161 496 0000")


def test_the_donor_chooses_appeals_and_each_change_is_audited(database, people):
    donor = people["zofia"]
    assert set_appeals_opt_in(clerk(database), donor.id, True).appeals_opt_in
    assert set_appeals_opt_in(clerk(database), donor.id, True).appeals_opt_in  # no change, no entry
    assert not set_appeals_opt_in(clerk(database), donor.id, False).appeals_opt_in
    entries = audit_entries(database, donor.id, "appeals_opt_in")
    assert [(e.old, e.new) for e in entries] == [
        ({"appeals_opt_in": False}, {"appeals_opt_in": True}), ({"appeals_opt_in": True}, {"appeals_opt_in": False}),
    ]
    assert entries[1].reason == "donor asked to receive no appeals"
