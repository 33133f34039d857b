"""A unit's ABO/RhD comes from the laboratory's typing; a group the donor declared is only a hint."""

import pytest

from bloodbank.adapters.db.models import Donor, Unit
from bloodbank.domain.errors import InvalidInput
from bloodbank.service_layer.blood import follow_up, processing
from bloodbank.service_layer.blood.release import release_blockers_for
from bloodbank.service_layer.blood.testing import (
    correct_result, give_second_entry, record_result, results_for_donation,
)
from bloodbank.service_layer.donors.registry import update_donor
from tests.integration.lab_fixtures import follow_ups, get, lab
from tests.integration.processing_fixtures import clerk, make_donation, make_donor, make_site


def declared(database, group: str) -> int:
    return make_donor(database, group=group, confirmed=False)


def test_a_declared_group_is_never_put_on_a_unit(database):
    site = make_site(database)
    donation = make_donation(database, site_id=site, donor_id=declared(database, "B+"))
    units = processing.process_donation(clerk(database), donation_id=donation, method="buffy_coat")
    assert {u.blood_group for u in units} == {None}


def test_the_typing_groups_the_units_and_confirms_the_donor_over_a_declared_group(database):
    site, donor = make_site(database), declared(database, "B+")
    donation = make_donation(database, site_id=site, donor_id=donor)
    units = processing.process_donation(clerk(database), donation_id=donation, method="buffy_coat")
    typed = record_result(lab(database), donation_id=donation, test="abo_rh", outcome="O+")
    # Typed by hand: nothing is grouped until the second entry agrees.
    assert (get(database, Donor, donor).blood_group_confirmed, get(database, Unit, units[0].id).blood_group) == (
        False, None)
    view = give_second_entry(lab(database, "lab.kim"), result_id=typed.id, outcome="O+")
    row = get(database, Donor, donor)
    assert (row.blood_group, row.blood_group_confirmed, row.group_discrepancy) == ("O+", True, False)
    assert {get(database, Unit, u.id).blood_group for u in units} == {"O+"}
    assert not [b for b in release_blockers_for(lab(database), units[0].id) if "group" in b.code]
    assert any("had declared B+" in note for note in view.consequences)


def test_a_clerk_cannot_change_a_group_the_laboratory_confirmed(database):
    donor = make_donor(database, group="A+")
    with pytest.raises(InvalidInput, match="confirmed by the laboratory"):
        update_donor(clerk(database), donor, reason="donor says B+", blood_group="B+")
    assert get(database, Donor, donor).blood_group == "A+"


def discrepancy(database):
    """A repeat donor confirmed A+ whose new donation types B+: flagged, release blocked."""
    site, donor = make_site(database), make_donor(database, group="A+")
    donation = make_donation(database, site_id=site, donor_id=donor)
    units = processing.process_donation(clerk(database), donation_id=donation, method="buffy_coat")
    record_result(lab(database), donation_id=donation, test="abo_rh", outcome="B+")
    [case] = follow_ups(database)
    return donor, donation, units, case


def test_a_resolution_must_agree_with_the_repeat_typing(database):
    _, _, _, case = discrepancy(database)
    with pytest.raises(InvalidInput, match="current typing is B\\+, not A\\+"):
        follow_up.close_follow_up(lab(database), follow_up_id=case.id, outcome="regrouped", confirmed_group="A+")


def test_the_resolution_confirms_the_group_and_regroups_the_held_units_for_a_new_label(database):
    donor, donation, units, case = discrepancy(database)
    [typing] = [r for r in results_for_donation(lab(database), donation) if r.test == "abo_rh"]
    repeat = correct_result(lab(database), result_id=typing.id, outcome="A+", reason="repeat typing on a fresh sample")
    give_second_entry(lab(database, "lab.kim"), result_id=repeat.id, outcome="A+")
    follow_up.close_follow_up(lab(database), follow_up_id=case.id, outcome="repeat typing A+; first tube mislabelled",
                              confirmed_group="A+")
    row = get(database, Donor, donor)
    assert (row.blood_group, row.blood_group_confirmed, row.group_discrepancy) == ("A+", True, False)
    for unit in units:
        stored = get(database, Unit, unit.id)
        assert (stored.blood_group, stored.label_printed_at, stored.label_verified_at) == ("A+", None, None)


def test_confirming_a_group_through_the_api_is_signed(database):
    from bloodbank.adapters.db.models import Signature
    from tests.integration.web_fixtures import PASSWORD, api

    donor, donation, _, case = discrepancy(database)
    client = api(database, "lab_technician")
    [typing] = [r for r in results_for_donation(lab(database), donation) if r.test == "abo_rh"]
    second = client.post(f"/api/lab/results/{typing.id}/second-entry", json={"outcome": "typed", "value": "B+"})
    assert second.status_code == 201, second.text
    body = {"outcome": "repeat typing B+", "confirmed_group": "B+"}
    unsigned = client.post(f"/api/lab/follow-ups/{case.id}/close", json=body)
    assert unsigned.status_code == 403 and unsigned.json()["code"] == "signature_refused"
    assert get(database, Donor, donor).group_discrepancy
    signed = client.post(f"/api/lab/follow-ups/{case.id}/close", json={**body, "signature_password": PASSWORD})
    assert signed.status_code == 200, signed.text
    with database.sessions() as s:
        [signature] = s.query(Signature).all()
    assert signature.action == "confirm_group" and signature.meaning.startswith("I confirm blood group B+ for donor")


def test_a_group_is_not_confirmed_from_a_repeat_typing_still_awaiting_its_second_entry(database):
    donor, donation, units, case = discrepancy(database)
    [typing] = [r for r in results_for_donation(lab(database), donation) if r.test == "abo_rh"]
    correct_result(lab(database), result_id=typing.id, outcome="A+", reason="repeat typing on a fresh sample")
    with pytest.raises(InvalidInput, match="second entry has not agreed"):
        follow_up.close_follow_up(lab(database), follow_up_id=case.id, outcome="repeat typing A+",
                                  confirmed_group="A+")
    row = get(database, Donor, donor)
    assert (row.blood_group, row.group_discrepancy) == ("A+", True)
    assert {get(database, Unit, u.id).blood_group for u in units} == {"A+"}
