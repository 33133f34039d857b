import pytest

from bloodbank.adapters.db.models import Donor
from bloodbank.domain.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from bloodbank.service_layer.blood.follow_up import close_follow_up, list_follow_ups, open_follow_up
from bloodbank.service_layer.blood.release import release_unit
from bloodbank.service_layer.blood.testing import record_result
from tests.integration.lab_fixtures import (
    audit_entries, counts, get, lab, make_donation, make_donor, make_site, make_unit, pass_all_tests,
)


def discrepant(database):
    """A donor on record as O+ whose new donation types A+."""
    site = make_site(database)
    donor = make_donor(database, blood_group="O+")
    donation = make_donation(database, site_id=site, donor_id=donor)
    unit = make_unit(database, donation_id=donation, site_id=site)
    pass_all_tests(database, donation, group="A+")
    [view] = list_follow_ups(lab(database))
    return donor, donation, unit, view


def test_listing_follow_ups_is_an_audited_read(database):
    donor, donation, _, view = discrepant(database)
    assert (view.donor_id, view.donation_id, view.reason) == (donor, donation, "group_discrepancy")
    entry = audit_entries(database)[-1]
    assert (entry.action, entry.entity, entry.actor, entry.new["ids"]) == ("read", "donor_follow_up", "lab.lee",
                                                                           [view.id])


def test_closing_needs_the_outcome_and_changes_nothing_without_it(database):
    _, _, _, view = discrepant(database)
    before = counts(database)
    with pytest.raises(InvalidInput, match="outcome of the follow-up is required"):
        close_follow_up(lab(database), follow_up_id=view.id, outcome="  ")
    assert counts(database) == before


def test_closing_a_grouping_follow_up_with_the_confirmed_group_lifts_the_flag_and_allows_release(database):
    donor, _, unit, view = discrepant(database)
    closed = close_follow_up(lab(database, "dr.ray"), follow_up_id=view.id, outcome="Regrouped: A+; record was wrong",
                             confirmed_group="A pos")
    assert (closed.closed_by, closed.outcome) == ("dr.ray", "Regrouped: A+; record was wrong")
    row = get(database, Donor, donor)
    assert (row.blood_group, row.group_discrepancy) == ("A+", False)
    donor_audit = audit_entries(database, "donor")[-1]
    assert donor_audit.old == {"blood_group": "O+", "group_discrepancy": True}
    assert donor_audit.new == {"blood_group": "A+", "group_discrepancy": False}
    assert release_unit(lab(database), unit_id=unit).status == "available"


def test_closing_without_correcting_the_record_still_blocks_release(database):
    donor, _, unit, view = discrepant(database)
    close_follow_up(lab(database), follow_up_id=view.id, outcome="Donor could not be reached")
    assert not get(database, Donor, donor).group_discrepancy
    with pytest.raises(InvalidTransition, match="Typed A\\+ but the donor's history says O\\+"):
        release_unit(lab(database), unit_id=unit)


def test_a_follow_up_is_closed_once(database):
    _, _, _, view = discrepant(database)
    close_follow_up(lab(database), follow_up_id=view.id, outcome="seen")
    with pytest.raises(Conflict, match="already closed by lab.lee"):
        close_follow_up(lab(database), follow_up_id=view.id, outcome="seen again")


def test_a_confirmed_group_belongs_only_to_a_grouping_follow_up(database):
    site = make_site(database)
    donation = make_donation(database, site_id=site)
    record_result(lab(database), donation_id=donation, test="hiv", outcome="reactive")
    [view] = list_follow_ups(lab(database))
    with pytest.raises(InvalidInput, match="only be recorded when closing a grouping follow-up"):
        close_follow_up(lab(database), follow_up_id=view.id, outcome="referred", confirmed_group="O+")


def test_a_follow_up_can_be_opened_by_hand_and_is_audited(database):
    donor = make_donor(database)
    view = open_follow_up(lab(database), donor_id=donor, reason="other", detail="Donor reported illness after donation")
    assert (view.reason, view.opened_by) == ("other", "lab.lee")
    assert audit_entries(database, "donor_follow_up")[-1].action == "open"
    with pytest.raises(NotFound, match="No donor with id 999"):
        open_follow_up(lab(database), donor_id=999, reason="other", detail="x")
    with pytest.raises(InvalidInput, match="Unknown follow-up reason"):
        open_follow_up(lab(database), donor_id=donor, reason="gossip", detail="x")
