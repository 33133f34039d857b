"""A blood group or infection marker typed by hand counts for release only once a blind second entry agrees."""

import pytest

from bloodbank.adapters.db.models import Donation, Donor, TestResult as ResultRow, Unit
from bloodbank.domain.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from bloodbank.domain.second_entry import ANALYSER, SecondEntryDisagrees
from bloodbank.service_layer.blood.quarantine import quarantine_list
from bloodbank.service_layer.blood.release import release_unit
from bloodbank.service_layer.blood.testing import (
    awaiting_second_entry, correct_result, give_second_entry, record_result, record_results_batch,
    record_results_csv, results_for_donation,
)
from tests.integration.lab_fixtures import (
    audit_entries, counts, donor_of, follow_ups, get, lab, make_donation, make_site, make_unit, pass_all_tests,
    status_of,
)


def tested_but_hiv(database, **unit_kw):
    """A labelled unit whose donation has every result from the analyser but HIV."""
    site = make_site(database)
    donation = make_donation(database, site_id=site)
    unit = make_unit(database, donation_id=donation, site_id=site, **unit_kw)
    pass_all_tests(database, donation, skip=("hiv",))
    return site, donation, unit


def refused_with(database, unit, message):
    before = counts(database)
    with pytest.raises(InvalidTransition, match="cannot be released") as error:
        release_unit(lab(database), unit_id=unit)
    assert message in error.value.message
    assert counts(database) == before
    return error.value.message


def test_a_hand_typed_negative_hiv_lets_the_unit_go_only_once_a_second_entry_agrees(database):
    site, donation, unit = tested_but_hiv(database)
    typed = record_result(lab(database), donation_id=donation, test="hiv", outcome="negative")
    assert typed.check == "awaiting_second_entry" and typed.source == "manual"
    din = get(database, Donation, donation).din
    refused_with(database, unit, f"HIV result typed by hand, awaiting a second entry (donation {din}).")
    [item] = quarantine_list(lab(database), site)
    assert (item.state, item.awaiting_second_entry) == ("awaiting second entry", ("HIV",))
    assert status_of(database, unit) == "quarantined"

    verified = give_second_entry(lab(database, "lab.kim"), result_id=typed.id, outcome="negative")

    assert (verified.check, verified.second_entry_by) == ("verified", "lab.kim")
    assert release_unit(lab(database), unit_id=unit).status == "available"
    [entry] = [e for e in audit_entries(database, "test_result") if e.action == "second_entry"]
    assert (entry.actor, entry.entity_id, entry.new["check"], entry.new["second_person"]) == (
        "lab.kim", str(typed.id), "verified", True)


def test_a_hand_typed_cmv_negative_marks_no_unit_cmv_negative_until_a_second_entry_agrees(database):
    site = make_site(database)
    donation = make_donation(database, site_id=site)
    unit = make_unit(database, donation_id=donation, site_id=site)
    pass_all_tests(database, donation)
    typed = record_result(lab(database), donation_id=donation, test="cmv", outcome="negative")
    assert typed.check == "awaiting_second_entry"
    assert get(database, Unit, unit).cmv_negative is False
    # The claim waits; the unit's release does not.
    assert release_unit(lab(database), unit_id=unit).status == "available"

    give_second_entry(lab(database, "lab.kim"), result_id=typed.id, outcome="negative")

    assert get(database, Unit, unit).cmv_negative is True


def test_the_same_person_may_give_the_second_entry_and_it_is_recorded_as_theirs(database):
    _, donation, unit = tested_but_hiv(database)
    typed = record_result(lab(database), donation_id=donation, test="hiv", outcome="negative")
    verified = give_second_entry(lab(database), result_id=typed.id, outcome="negative")
    assert (verified.recorded_by, verified.second_entry_by, verified.check) == ("lab.lee", "lab.lee", "verified")
    [entry] = [e for e in audit_entries(database, "test_result") if e.action == "second_entry"]
    assert entry.new["second_person"] is False
    assert release_unit(lab(database), unit_id=unit).status == "available"


def test_a_disagreeing_second_entry_is_kept_blocks_the_unit_and_names_the_group(database):
    site = make_site(database)
    donation = make_donation(database, site_id=site)
    unit = make_unit(database, donation_id=donation, site_id=site, blood_group=None)
    pass_all_tests(database, donation, skip=("abo_rh",))
    typed = record_result(lab(database), donation_id=donation, test="abo_rh", outcome="typed", value="A+")

    with pytest.raises(SecondEntryDisagrees) as error:
        give_second_entry(lab(database, "lab.kim"), result_id=typed.id, outcome="typed", value="A-")

    assert error.value.field == "group"
    assert ("Second entry disagrees on the ABO/RhD group: first A+, second A-; the result is blocked until it is "
            "re-tested or corrected.") in error.value.message
    with database.sessions() as s:
        row = s.get(ResultRow, typed.id)
        assert (row.value, row.second_entry_value, row.second_entry_by) == ("A+", "A-", "lab.kim")
    assert get(database, Unit, unit).blood_group is None  # no group goes on a unit from a disputed typing
    assert get(database, Donor, donor_of(database, donation)).blood_group_confirmed is False
    refused_with(database, unit, "The two entries of the ABO/RhD group disagree (first A+, second A-")
    [item] = quarantine_list(lab(database), site)
    assert item.state == "held"
    [entry] = [e for e in audit_entries(database, "test_result") if e.action == "second_entry"]
    assert entry.new["check"] == "disputed" and "first A+, second A-" in entry.reason


def test_a_disputed_result_is_resolved_by_a_correction_that_needs_its_own_second_entry(database):
    site = make_site(database)
    donation = make_donation(database, site_id=site)
    unit = make_unit(database, donation_id=donation, site_id=site, blood_group=None)
    pass_all_tests(database, donation, skip=("abo_rh",))
    typed = record_result(lab(database), donation_id=donation, test="abo_rh", outcome="A+")
    with pytest.raises(SecondEntryDisagrees):
        give_second_entry(lab(database, "lab.kim"), result_id=typed.id, outcome="A-")
    # The first entry was right: it is confirmed as a correction, typed by hand, so it waits again.
    repeat = correct_result(lab(database), result_id=typed.id, outcome="A+", reason="re-tested: the card reads A+")
    assert repeat.check == "awaiting_second_entry"
    refused_with(database, unit, "ABO/RhD typed by hand, awaiting a second entry")
    [waiting] = awaiting_second_entry(lab(database))
    assert (waiting.result_id, waiting.correction) == (repeat.id, True)
    give_second_entry(lab(database, "lab.kim"), result_id=repeat.id, outcome="A+")
    assert get(database, Unit, unit).blood_group == "A+"


def test_two_entries_of_a_marker_that_disagree_block_and_name_its_outcome(database):
    site, donation, unit = tested_but_hiv(database)
    typed = record_result(lab(database), donation_id=donation, test="hiv", outcome="negative")
    with pytest.raises(SecondEntryDisagrees, match="disagrees on the HIV outcome: first negative, second reactive"):
        give_second_entry(lab(database, "lab.kim"), result_id=typed.id, outcome="reactive")
    message = refused_with(database, unit, "The two entries of an infection marker disagree on its outcome")
    assert "HIV" not in message
    [item] = quarantine_list(lab(database), site)
    assert item.state == "blocked" and item.holds == () and item.awaiting_second_entry == ()


def test_a_reactive_marker_typed_by_hand_discards_the_blood_at_once_without_waiting(database):
    site = make_site(database)
    donation = make_donation(database, site_id=site)
    unit = make_unit(database, donation_id=donation, site_id=site)
    typed = record_result(lab(database), donation_id=donation, test="hcv", outcome="reactive")
    assert typed.check == "awaiting_second_entry"
    assert status_of(database, unit) == "discarded"
    assert [f.reason for f in follow_ups(database)] == ["reactive_marker"]


def test_a_typing_typed_by_hand_groups_the_units_and_the_donor_only_once_verified(database):
    site = make_site(database)
    donation = make_donation(database, site_id=site)
    unit = make_unit(database, donation_id=donation, site_id=site, blood_group=None)
    typed = record_result(lab(database), donation_id=donation, test="abo_rh", outcome="O-")
    assert "typed by hand: it counts for release once a second entry agrees" in typed.consequences
    assert get(database, Unit, unit).blood_group is None
    assert get(database, Donor, donor_of(database, donation)).blood_group is None
    verified = give_second_entry(lab(database, "lab.kim"), result_id=typed.id, outcome="O-")
    assert f"unit {unit} grouped O-" in verified.consequences
    assert get(database, Unit, unit).blood_group == "O-"
    donor = get(database, Donor, donor_of(database, donation))
    assert (donor.blood_group, donor.blood_group_confirmed) == ("O-", True)


def test_results_from_an_analysers_file_or_batch_need_no_second_entry(database):
    site = make_site(database)
    donation = make_donation(database, site_id=site)
    unit = make_unit(database, donation_id=donation, site_id=site, blood_group="B+")
    plasma = make_unit(database, donation_id=donation, site_id=site, kind="plasma", blood_group=None)
    din = get(database, Donation, donation).din
    report = record_results_csv(lab(database), f"din,test,outcome,value\n{din},abo_rh,typed,B+\n{din},hiv,negative\n"
                                               f"{din},hbv,negative\n")
    assert {v.source for _, v in report.accepted} == {"analyser"}
    batch = record_results_batch(lab(database), [{"din": din, "test": t, "outcome": "negative"}
                                                 for t in ("hcv", "syphilis")], source=ANALYSER)
    assert {v.check for _, v in (*report.accepted, *batch.accepted)} == {"not_needed"}
    assert awaiting_second_entry(lab(database)) == []
    assert get(database, Unit, plasma).blood_group == "B+"  # grouped as the file arrived
    result_id = report.accepted[1][1].id
    with pytest.raises(InvalidInput, match="came from an analyser's file: it needs no second entry"):
        give_second_entry(lab(database), result_id=result_id, outcome="negative")
    assert release_unit(lab(database), unit_id=unit).status == "available"


def test_the_list_of_results_awaiting_a_second_entry_never_shows_what_the_first_said(database):
    site = make_site(database)
    donation = make_donation(database, site_id=site)
    typing = record_result(lab(database), donation_id=donation, test="abo_rh", outcome="AB-")
    marker = record_result(lab(database), donation_id=donation, test="syphilis", outcome="negative")
    record_result(lab(database), donation_id=donation, test="hiv", outcome="negative", final=False)
    cmv = record_result(lab(database), donation_id=donation, test="cmv", outcome="negative")
    record_result(lab(database), donation_id=donation, test="antibody_screen", outcome="negative")

    waiting = awaiting_second_entry(lab(database))

    assert [(w.result_id, w.test) for w in waiting] == [(typing.id, "abo_rh"), (marker.id, "syphilis"),
                                                        (cmv.id, "cmv")]
    shown = repr(waiting)
    assert "AB-" not in shown and "negative" not in shown
    assert not any(hasattr(w, name) for w in waiting for name in ("outcome", "value"))
    din = get(database, Donation, donation).din
    assert [w.result_id for w in awaiting_second_entry(lab(database), din=din, site_id=site)] == [
        typing.id, marker.id, cmv.id]
    assert awaiting_second_entry(lab(database), site_id=make_site(database)) == []


@pytest.mark.parametrize(("test", "outcome", "final", "error", "words"), [
    ("antibody_screen", "negative", True, InvalidInput, "only ABO/RhD groupings, infection markers and CMV"),
    ("hiv", "negative", False, InvalidInput, "preliminary"),
])
def test_a_result_that_needs_no_second_entry_refuses_one_in_words(database, test, outcome, final, error, words):
    donation = make_donation(database, site_id=make_site(database))
    view = record_result(lab(database), donation_id=donation, test=test, outcome=outcome, final=final)
    before = counts(database)
    with pytest.raises(error, match=words):
        give_second_entry(lab(database), result_id=view.id, outcome=outcome)
    assert counts(database) == before


def test_a_second_entry_is_refused_in_words_for_a_wrong_id_a_verified_or_replaced_result_and_bad_input(database):
    _, donation, _ = tested_but_hiv(database)
    typed = record_result(lab(database), donation_id=donation, test="hiv", outcome="negative")
    before = counts(database)
    with pytest.raises(NotFound, match="No test result with id 999999"):
        give_second_entry(lab(database), result_id=999999, outcome="negative")
    with pytest.raises(InvalidInput, match="'negitive' is not a HIV outcome"):
        give_second_entry(lab(database), result_id=typed.id, outcome="negitive")
    assert counts(database) == before
    give_second_entry(lab(database, "lab.kim"), result_id=typed.id, outcome="negative")
    with pytest.raises(Conflict, match="already has its second entry, given by lab.kim"):
        give_second_entry(lab(database), result_id=typed.id, outcome="negative")
    newer = correct_result(lab(database), result_id=typed.id, outcome="reactive", reason="sample mix-up")
    with pytest.raises(Conflict, match=f"was replaced by result {newer.id}"):
        give_second_entry(lab(database), result_id=typed.id, outcome="reactive")


def test_every_result_of_a_donation_shows_its_source_and_both_entries(database):
    donation = make_donation(database, site_id=make_site(database))
    typed = record_result(lab(database), donation_id=donation, test="hbv", outcome="negative")
    with pytest.raises(SecondEntryDisagrees):
        give_second_entry(lab(database, "lab.kim"), result_id=typed.id, outcome="indeterminate")
    [view] = results_for_donation(lab(database), donation)
    assert (view.source, view.check, view.outcome, view.second_entry_outcome) == (
        "manual", "disputed", "negative", "indeterminate")
    assert view.disagreement.startswith("Second entry disagrees on the HBV outcome")
