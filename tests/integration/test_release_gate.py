from datetime import timedelta

import pytest

from bloodbank.adapters.db.models import Donor, Unit
from bloodbank.domain.errors import InvalidTransition
from bloodbank.service_layer.blood.release import release_blockers_for, release_unit
from bloodbank.service_layer.blood.testing import (
    correct_result, give_second_entry, record_result, results_for_donation,
)
from bloodbank.service_layer.shared.unit_moves import load_unit, move
from tests.integration.lab_fixtures import (
    audit_entries, counts, get, lab, make_donation, make_donor, make_pool, make_site, make_unit, pass_all_tests,
    status_of, unit_events,
)


def make_tested_unit(database, *, site=None, group="A+", skip=(), donation_kw=None, **unit_kw):
    site = site or make_site(database)
    donation = make_donation(database, site_id=site, **(donation_kw or {}))
    unit = make_unit(database, donation_id=donation, site_id=site, blood_group=group, **unit_kw)
    pass_all_tests(database, donation, group=group, skip=skip)
    return donation, unit


def refused(database, unit, *messages):
    """Release is refused with every message, and nothing at all is written."""
    before = counts(database)
    with pytest.raises(InvalidTransition, match="cannot be released") as error:
        release_unit(lab(database), unit_id=unit)
    for message in messages:
        assert message in error.value.message
    assert counts(database) == before
    assert status_of(database, unit) == "quarantined"
    return error.value.message


def test_a_unit_that_passes_every_check_is_released_by_whoever_releases_it(database):
    _, unit = make_tested_unit(database)
    view = release_unit(lab(database, "lab.kim"), unit_id=unit)
    row = get(database, Unit, unit)
    assert (view.status, row.status, row.released_by) == ("available", "available", "lab.kim")
    assert row.released_at is not None
    assert unit_events(database, unit)[-1].event == "released"
    entry = audit_entries(database, "unit")[-1]
    assert (entry.action, entry.actor, entry.old, entry.new["status"]) == (
        "released", "lab.kim", {"status": "quarantined"}, "available")


def test_a_missing_mandatory_test_refuses_release_and_changes_nothing(database):
    _, unit = make_tested_unit(database, skip=("hiv",))
    refused(database, unit, "HIV test has no final result")


def test_every_reason_is_given_in_one_refusal(database):
    _, unit = make_tested_unit(database, skip=("hiv", "abo_rh"), label_verified=False,
                          donation_kw={"consent_withdrawn": True})
    refused(database, unit, "HIV test has no final result", "No ABO/RhD typing", "label has not been verified",
            "was withdrawn")


def test_a_preliminary_result_refuses_release(database):
    donation, unit = make_tested_unit(database, skip=("hcv",))
    record_result(lab(database), donation_id=donation, test="hcv", outcome="negative", final=False)
    refused(database, unit, "HCV result is only preliminary")


def test_a_reactive_unit_can_never_be_released_by_any_route(database):
    donation, unit = make_tested_unit(database)
    first_hiv = [r for r in _current(database, donation) if r.test == "hiv"][0]
    correct_result(lab(database), result_id=first_hiv.id, outcome="reactive", reason="repeat reactive")
    assert status_of(database, unit) == "discarded"
    before = counts(database)
    with pytest.raises(InvalidTransition, match="(?s)discarded, not in quarantine.*infection marker is not negative"):
        release_unit(lab(database), unit_id=unit)
    # Not even by moving it directly: a discarded unit cannot become anything.
    uow = lab(database)
    with uow, pytest.raises(InvalidTransition, match="cannot become available"):
        move(uow, load_unit(uow.session, unit, lock=True), "available", event="released")
    with uow, pytest.raises(InvalidTransition, match="cannot become quarantined"):
        move(uow, load_unit(uow.session, unit, lock=True), "quarantined", event="requarantine")
    # And a correction back to negative does not revive it.
    current = [r for r in _current(database, donation) if r.test == "hiv"][0]
    correct_result(lab(database), result_id=current.id, outcome="negative", reason="lab error")
    with pytest.raises(InvalidTransition):
        release_unit(lab(database), unit_id=unit)
    assert status_of(database, unit) == "discarded"
    assert counts(database)["units"] == before["units"]


def _current(database, donation):
    return [r for r in results_for_donation(lab(database), donation) if r.current]


def test_a_grouping_that_disagrees_with_the_donors_history_blocks_release(database):
    site = make_site(database)
    donor = make_donor(database, blood_group="O+")
    _, unit = make_tested_unit(database, site=site, group="A+", donation_kw={"donor_id": donor})
    assert get(database, Donor, donor).group_discrepancy
    refused(database, unit, "Typed A+ but the donor's history says O+", "flagged for a blood group discrepancy")


def test_a_label_group_that_agrees_with_the_typing_is_released(database):
    site = make_site(database)
    donation = make_donation(database, site_id=site)
    unit = make_unit(database, donation_id=donation, site_id=site, blood_group="B+")
    typing = record_result(lab(database), donation_id=donation, test="abo_rh", outcome="B+")
    give_second_entry(lab(database, "lab.kim"), result_id=typing.id, outcome="B+")
    for marker in ("hiv", "hbv", "hcv", "syphilis"):
        typed = record_result(lab(database), donation_id=donation, test=marker, outcome="negative")
        give_second_entry(lab(database, "lab.kim"), result_id=typed.id, outcome="negative")
    assert release_unit(lab(database), unit_id=unit).blood_group == "B+"


def test_a_label_group_that_differs_from_the_typing_blocks_release(database):
    site = make_site(database)
    donation = make_donation(database, site_id=site)
    unit = make_unit(database, donation_id=donation, site_id=site, blood_group="B+")
    record_result(lab(database), donation_id=donation, test="abo_rh", outcome="O+")
    for marker in ("hiv", "hbv", "hcv", "syphilis"):
        record_result(lab(database), donation_id=donation, test=marker, outcome="negative")
    refused(database, unit, "The unit is labelled B+ but donation")


def test_an_unverified_label_refuses_release(database):
    _, unit = make_tested_unit(database, label_verified=False)
    refused(database, unit, "The label has not been verified")


def test_an_expired_unit_is_not_released(database):
    _, unit = make_tested_unit(database, expires_in=timedelta(minutes=-1))
    refused(database, unit, "The unit expired at")


@pytest.mark.parametrize("donation_kw, message", [
    ({"consent_withdrawn": True}, "was withdrawn"),
    ({"consent": False}, "No consent is recorded"),
    ({"volume_flag": "560 ml drawn; at most 500 ml"}, "collected volume"),
])
def test_a_donation_without_standing_consent_or_with_a_volume_flag_is_not_released(database, donation_kw, message):
    _, unit = make_tested_unit(database, donation_kw=donation_kw)
    refused(database, unit, message)


def test_a_marker_added_to_the_sites_panel_is_mandatory(database):
    site = make_site(database, panel=["hiv", "hbv", "hcv", "syphilis", "htlv"])
    _, unit = make_tested_unit(database, site=site)
    refused(database, unit, "HTLV test has no final result")


def test_a_pool_is_released_only_when_every_source_donation_passes(database):
    site = make_site(database)
    (d1, p1), (d2, p2) = (make_tested_unit(database, site=site, kind="platelets_apheresis", status="processed")
                          for _ in range(2))
    d3 = make_donation(database, site_id=site)
    p3 = make_unit(database, donation_id=d3, site_id=site, kind="platelets_apheresis", status="processed")
    pass_all_tests(database, d3, skip=("syphilis",))
    pool = make_pool(database, parents=[p1, p2, p3], site_id=site, blood_group="A+")
    message = refused(database, pool, "Syphilis test has no final result")
    din3 = get(database, Unit, p3).din
    assert din3 in message
    syphilis = record_result(lab(database), donation_id=d3, test="syphilis", outcome="negative")
    message = refused(database, pool, "Syphilis result typed by hand, awaiting a second entry")
    assert din3 in message
    give_second_entry(lab(database, "lab.kim"), result_id=syphilis.id, outcome="negative")
    assert release_unit(lab(database), unit_id=pool).status == "available"


def test_release_blockers_for_explains_a_hold_and_writes_nothing(database):
    _, unit = make_tested_unit(database, skip=("hbv",), label_verified=False)
    before = counts(database)
    assert [b.code for b in release_blockers_for(lab(database), unit)] == ["label_not_verified", "missing_result"]
    assert counts(database) == before
