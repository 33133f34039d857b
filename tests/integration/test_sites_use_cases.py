import pytest

from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.service_layer.donors import sites
from tests.integration.appointment_fixtures import audit_entries, clerk, counts

LUNCH = {"mon": [["08:00", "12:00"], ["13:00", "17:00"]], "tue": ["08:00", "16:00"]}


def create(database, **overrides):
    fields = dict(code="north", name="North Centre", kind="fixed", facility_code="A9999", opening_hours=LUNCH,
                  time_zone="Asia/Damascus")
    return sites.create_site(clerk(database), **{**fields, **overrides})


def test_a_site_is_created_with_its_hours_and_the_creation_is_audited(database):
    site = create(database, latitude=52.1, longitude=5.2, chairs=6, slot_minutes=20, address="1 High St")
    assert site.code == "NORTH"
    assert (site.kind, site.facility_code, site.rule_set, site.chairs, site.slot_minutes) == (
        "fixed", "A9999", "who", 6, 20)
    assert site.opening_hours == LUNCH
    assert site.active
    assert site.hours_text == "Mon 08:00-12:00, 13:00-17:00; Tue 08:00-16:00"
    [entry] = audit_entries(database, entity="site")
    assert (entry.action, entry.actor, entry.entity_id) == ("create", "clerk.ann", str(site.id))
    assert entry.new["facility_code"] == "A9999"


def test_a_mobile_drive_under_the_eu_rules_is_created(database):
    site = create(database, code="drive-7", kind="mobile", rule_set="EU", opening_hours={"sat": ["09:00", "13:00"]})
    assert (site.kind, site.rule_set) == ("mobile", "eu")


@pytest.mark.parametrize("facility, message", [
    ("O1234", "cannot start with 'O'"),
    ("01234", "cannot start with '0'"),
    ("A123", "has 5 characters; got 4"),
    ("A12345", "has 5 characters; got 6"),
    ("AB123", "letter or digit followed by four digits"),
])
def test_a_facility_code_that_is_not_an_isbt_128_fin_is_refused(database, facility, message):
    with pytest.raises(InvalidInput, match=message):
        create(database, facility_code=facility)
    assert counts(database)["site"] == 0


def test_a_lower_case_facility_code_is_read_as_upper_case(database):
    assert create(database, facility_code=" b1234 ").facility_code == "B1234"


@pytest.mark.parametrize("overrides, error, message", [
    (dict(rule_set="martian"), InvalidInput, "Unknown rule set 'martian'"),
    (dict(kind="floating"), InvalidInput, "'fixed'"),
    (dict(name="  "), InvalidInput, "Give the site a name"),
    (dict(code="no spaces"), InvalidInput, "site code"),
    (dict(chairs=0), InvalidInput, "number of chairs"),
    (dict(slot_minutes=0), InvalidInput, "slot length"),
    (dict(latitude=52.0), InvalidInput, "both latitude and longitude"),
    (dict(latitude=91.0, longitude=0.0), InvalidInput, "latitude must be between"),
    (dict(opening_hours={"mon": ["16:00", "08:00"]}), InvalidInput, "open before it closes"),
])
def test_invalid_site_details_are_refused_and_nothing_is_written(database, overrides, error, message):
    with pytest.raises(error, match=message):
        create(database, **overrides)
    assert counts(database) == {"site": 0, "appointment": 0, "audit": 0, "booked_chairs": 0}


def test_a_site_code_already_in_use_is_a_conflict(database):
    create(database)
    before = counts(database)
    with pytest.raises(Conflict, match="site code NORTH is already used by North Centre"):
        create(database, code="North", name="Another")
    assert counts(database) == before


def test_an_update_records_only_the_changed_fields_with_the_reason(database):
    site = create(database)
    updated = sites.update_site(clerk(database, "supervisor.sam"), site.id, reason="two more chairs delivered",
                                chairs=6, name="North Centre")
    assert updated.chairs == 6
    entry = audit_entries(database, entity="site")[-1]
    assert (entry.action, entry.actor, entry.reason) == ("update", "supervisor.sam", "two more chairs delivered")
    assert (entry.old, entry.new) == ({"chairs": 4}, {"chairs": 6})


def test_an_update_of_the_hours_is_validated_and_stored_normalised(database):
    site = create(database)
    updated = sites.update_site(clerk(database), site.id, reason="summer hours",
                                opening_hours={"wed": [["13:00", "17:00"], ["08:00", "12:00"]]})
    assert updated.opening_hours == {"wed": [["08:00", "12:00"], ["13:00", "17:00"]]}
    with pytest.raises(InvalidInput, match="Unknown day 'xyz'"):
        sites.update_site(clerk(database), site.id, reason="typo", opening_hours={"xyz": ["08:00", "12:00"]})


def test_moving_one_coordinate_is_checked_against_the_other(database):
    site = create(database, latitude=52.0, longitude=5.0)
    assert sites.update_site(clerk(database), site.id, reason="survey", latitude=52.5).longitude == 5.0


def test_an_update_needs_a_reason_and_known_fields_and_writes_nothing_otherwise(database):
    site = create(database)
    before = counts(database)
    with pytest.raises(InvalidInput, match="reason"):
        sites.update_site(clerk(database), site.id, reason=" ", chairs=5)
    with pytest.raises(InvalidInput, match="Cannot change active"):
        sites.update_site(clerk(database), site.id, reason="x", active=False)
    with pytest.raises(InvalidInput, match="Nothing to change"):
        sites.update_site(clerk(database), site.id, reason="x")
    with pytest.raises(InvalidInput, match="rule set"):
        sites.update_site(clerk(database), site.id, reason="x", rule_set="nope")
    assert counts(database) == before
    assert sites.get_site(clerk(database), site.id).chairs == 4


def test_renaming_a_site_to_a_code_in_use_is_a_conflict(database):
    create(database, code="A")
    other = create(database, code="B")
    with pytest.raises(Conflict, match="site code A is already used"):
        sites.update_site(clerk(database), other.id, reason="rename", code="a")


def test_an_update_that_changes_nothing_writes_no_audit_entry(database):
    site = create(database)
    before = counts(database)
    sites.update_site(clerk(database), site.id, reason="check", chairs=4)
    assert counts(database) == before


def test_a_deactivated_site_leaves_the_active_list_and_can_be_reactivated(database):
    north, south = create(database, code="N"), create(database, code="S")
    sites.deactivate_site(clerk(database), north.id, reason="building closed")
    assert [s.code for s in sites.list_sites(clerk(database))] == ["S"]
    assert [s.code for s in sites.list_sites(clerk(database), active_only=False)] == ["N", "S"]
    with pytest.raises(Conflict, match="already inactive"):
        sites.deactivate_site(clerk(database), north.id, reason="again")
    assert sites.reactivate_site(clerk(database), north.id, reason="reopened").active
    entries = audit_entries(database, entity="site", entity_id=str(north.id))
    assert [(e.old, e.new, e.reason) for e in entries[1:]] == [
        ({"active": True}, {"active": False}, "building closed"),
        ({"active": False}, {"active": True}, "reopened"),
    ]
    assert south.active


def test_a_site_is_found_by_id_or_by_code(database):
    site = create(database)
    assert sites.get_site(clerk(database), site.id) == site
    assert sites.site_by_code(clerk(database), " north ") == site
    with pytest.raises(NotFound, match="No site with code 'west'"):
        sites.site_by_code(clerk(database), "west")
    with pytest.raises(NotFound, match="No site with id 999"):
        sites.get_site(clerk(database), 999)


@pytest.mark.parametrize("zone", ["", "  ", "Mars/Olympus", "Etc/GMT+3", "EST", 3])
def test_a_site_needs_a_real_place_time_zone_and_a_refused_one_writes_nothing(database, zone):
    with pytest.raises(InvalidInput, match="time zone"):
        create(database, time_zone=zone)
    assert counts(database)["site"] == 0


def test_a_site_keeps_its_time_zone_and_a_change_of_zone_is_audited(database):
    site = create(database, time_zone=" Asia/Damascus ")
    assert site.time_zone == "Asia/Damascus"
    changed = sites.update_site(clerk(database), site.id, reason="moved", time_zone="America/New_York")
    assert changed.time_zone == "America/New_York"
    entry = audit_entries(database)[-1]
    assert (entry.old, entry.new) == ({"time_zone": "Asia/Damascus"}, {"time_zone": "America/New_York"})
