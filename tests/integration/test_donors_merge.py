from datetime import date

import pytest

from bloodbank.adapters.db.models import Appointment, Consent, Deferral, Donation, Donor, Visit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.errors import Conflict, DonorDeferred, InvalidInput, NotFound
from bloodbank.service_layer.donors.deferral_lookup import ensure_not_deferred
from bloodbank.service_layer.donors.merge import merge_donors
from bloodbank.service_layer.donors.registry import get_donor, update_donor
from tests.integration.donor_fixtures import (
    audit_entries, clerk, counts, donor_row, make_appointment, make_consent, make_deferral, make_donation,
    make_site, make_visit, owners, register,
)


@pytest.fixture
def pair(database):
    """One person registered twice: the second time with a typo and a different birthday."""
    survivor = register(database, given_name="Jonas", family_name="Eriksen", date_of_birth=date(1983, 5, 19),
                        sex="M", blood_group="O+")
    duplicate = register(database, given_name="Jonas", family_name="Eriksson", date_of_birth=date(1983, 5, 29),
                         sex="M", phone="0161 496 0123", email="jonas@example.org", postcode="DE1 2AB")
    return survivor, duplicate


def test_a_merge_moves_every_piece_of_history_and_deletes_nothing(database, pair):
    survivor, duplicate = pair
    site = make_site(database)
    old_visit = make_visit(database, survivor.id, site)
    visit = make_visit(database, duplicate.id, site)
    consent = make_consent(database, duplicate.id, visit)
    donation = make_donation(database, duplicate.id, visit, site)
    appointment = make_appointment(database, duplicate.id, site)
    deferral = make_deferral(database, duplicate.id)
    before = counts(database)

    merge_donors(clerk(database), survivor_id=survivor.id, duplicate_id=duplicate.id, reason="same person, typo")

    after = counts(database)
    assert after["audit"] == before["audit"] + 2
    assert {k: v for k, v in after.items() if k != "audit"} == {k: v for k, v in before.items() if k != "audit"}
    assert owners(database, Visit, [old_visit, visit]) == {survivor.id}
    for model, row in ((Consent, consent), (Donation, donation), (Appointment, appointment), (Deferral, deferral)):
        assert owners(database, model, [row]) == {survivor.id}
    kept = donor_row(database, duplicate.id)
    assert kept.merged_into_id == survivor.id and kept.family_name == "Eriksson"
    assert donor_row(database, survivor.id).merged_into_id is None


def test_after_a_merge_a_deferral_of_the_duplicate_blocks_the_survivor(database, pair):
    survivor, duplicate = pair
    make_deferral(database, duplicate.id, kind="permanent")
    with database.sessions() as session:
        ensure_not_deferred(session, survivor.id, utcnow().date())  # not yet the same person
    merge_donors(clerk(database), survivor_id=survivor.id, duplicate_id=duplicate.id, reason="same person")
    with database.sessions() as session, pytest.raises(DonorDeferred, match="permanently deferred"):
        ensure_not_deferred(session, survivor.id, utcnow().date())


def test_the_survivor_takes_only_the_details_it_lacks_and_keeps_its_number(database, pair):
    survivor, duplicate = pair
    view = merge_donors(clerk(database), survivor_id=survivor.id, duplicate_id=duplicate.id, reason="same person")
    assert view.donor_number == survivor.donor_number
    assert (view.family_name, view.date_of_birth) == ("Eriksen", date(1983, 5, 19))
    assert (view.phone, view.email, view.postcode) == ("01614960123", "jonas@example.org", "DE1 2AB")
    assert view.blood_group == "O+"


def test_a_merge_is_audited_with_both_records_and_what_moved(database, pair):
    survivor, duplicate = pair
    site = make_site(database)
    visits = [make_visit(database, duplicate.id, site) for _ in range(2)]
    deferral = make_deferral(database, duplicate.id)
    merge_donors(clerk(database, "sup.dee"), survivor_id=survivor.id, duplicate_id=duplicate.id,
                 reason="donor confirmed both cards are theirs")
    [entry] = audit_entries(database, survivor.id, "merge")
    assert entry.actor == "sup.dee" and entry.reason == "donor confirmed both cards are theirs"
    assert entry.old["survivor"]["phone"] is None and entry.old["duplicate"]["merged_into_id"] is None
    assert entry.new["survivor"]["phone"] == "01614960123"
    assert entry.new["duplicate"]["merged_into_id"] == survivor.id
    assert entry.new["moved"] == {"visit": 2, "deferral": 1}
    assert entry.new["moved_ids"] == {"visit": visits, "deferral": [deferral]}
    [marked] = audit_entries(database, duplicate.id, "merged_into")
    assert (marked.old, marked.new) == ({"merged_into_id": None}, {"merged_into_id": survivor.id})
    assert marked.reason.startswith(f"merged into {survivor.donor_number}")


def test_records_already_merged_into_the_duplicate_follow_it_to_the_survivor(database, pair):
    survivor, duplicate = pair
    older = register(database, given_name="Jonas", family_name="Eriksenn", date_of_birth=date(1983, 6, 19), sex="M")
    merge_donors(clerk(database), survivor_id=duplicate.id, duplicate_id=older.id, reason="same person")
    merge_donors(clerk(database), survivor_id=survivor.id, duplicate_id=duplicate.id, reason="same person")
    assert donor_row(database, older.id).merged_into_id == survivor.id
    assert get_donor(clerk(database), older.id).id == survivor.id


def typed(database, donor_id: int, group: str) -> None:
    """The laboratory's typing confirms the group (as `testing` does on a donation's ABO/RhD result)."""
    with database.sessions() as session, session.begin():
        row = session.get(Donor, donor_id)
        row.blood_group, row.blood_group_confirmed = group, True


def test_conflicting_blood_groups_must_be_resolved_by_the_lab_before_a_merge(database, pair):
    survivor, duplicate = pair
    typed(database, survivor.id, "O+")
    typed(database, duplicate.id, "A+")
    before = counts(database)
    with pytest.raises(Conflict, match="disagree on blood group.*O\\+.*A\\+.*resolved by the lab first"):
        merge_donors(clerk(database), survivor_id=survivor.id, duplicate_id=duplicate.id, reason="same person")
    assert counts(database) == before
    assert donor_row(database, duplicate.id).merged_into_id is None


def test_a_group_discrepancy_on_either_record_stays_on_the_survivor(database, pair):
    survivor, duplicate = pair
    with database.sessions() as session, session.begin():
        session.get(Donor, duplicate.id).group_discrepancy = True
    view = merge_donors(clerk(database), survivor_id=survivor.id, duplicate_id=duplicate.id, reason="same person")
    assert view.group_discrepancy


def test_a_record_cannot_be_merged_into_itself(database, pair):
    survivor, _ = pair
    before = counts(database)
    with pytest.raises(InvalidInput, match="cannot be merged into itself"):
        merge_donors(clerk(database), survivor_id=survivor.id, duplicate_id=survivor.id, reason="oops")
    assert counts(database) == before


def test_a_merged_record_can_neither_be_merged_again_nor_receive_a_merge(database, pair):
    survivor, duplicate = pair
    other = register(database)
    merge_donors(clerk(database), survivor_id=survivor.id, duplicate_id=duplicate.id, reason="same person")
    before = counts(database)
    with pytest.raises(Conflict, match=f"{duplicate.donor_number} was already merged"):
        merge_donors(clerk(database), survivor_id=other.id, duplicate_id=duplicate.id, reason="same person")
    with pytest.raises(Conflict, match=f"{duplicate.donor_number} was itself merged.*merge into that record"):
        merge_donors(clerk(database), survivor_id=duplicate.id, duplicate_id=other.id, reason="same person")
    assert counts(database) == before


def test_a_merge_needs_a_reason_and_two_existing_records(database, pair):
    survivor, duplicate = pair
    with pytest.raises(InvalidInput, match="needs a reason"):
        merge_donors(clerk(database), survivor_id=survivor.id, duplicate_id=duplicate.id, reason="  ")
    with pytest.raises(NotFound, match="no donor record 9999 \\(the duplicate record\\)"):
        merge_donors(clerk(database), survivor_id=survivor.id, duplicate_id=9999, reason="same person")
    assert donor_row(database, duplicate.id).merged_into_id is None


def test_a_declared_group_gives_way_to_the_confirmed_group_of_the_other_record(database, pair):
    survivor, duplicate = pair  # the survivor only declared O+
    update_donor(clerk(database), duplicate.id, reason="card shown by donor", blood_group="A+")
    typed(database, duplicate.id, "A+")
    view = merge_donors(clerk(database), survivor_id=survivor.id, duplicate_id=duplicate.id, reason="same person")
    assert (view.blood_group, view.blood_group_confirmed) == ("A+", True)
