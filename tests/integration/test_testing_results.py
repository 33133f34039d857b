import pytest

from bloodbank.adapters.db.models import Donation, TestResult as ResultRow
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.domain.second_entry import ANALYSER
from bloodbank.service_layer.blood.testing import (
    BatchRow, correct_result, record_result, record_results_batch, results_for_donation,
)
from tests.integration.lab_fixtures import audit_entries, counts, get, lab, make_donation, make_site


@pytest.fixture
def donation(database):
    return make_donation(database, site_id=make_site(database))


def test_a_result_is_stored_with_who_recorded_it_and_audited(database, donation):
    view = record_result(lab(database), donation_id=donation, test="hiv", outcome="negative")
    assert (view.test, view.outcome, view.final, view.recorded_by, view.current) == (
        "hiv", "negative", True, "lab.lee", True)
    [entry] = audit_entries(database, "test_result")
    assert (entry.action, entry.entity_id, entry.actor) == ("record", str(view.id), "lab.lee")
    assert entry.new["outcome"] == "negative"


def test_a_second_result_for_the_same_test_is_refused_and_points_to_correction(database, donation):
    first = record_result(lab(database), donation_id=donation, test="hiv", outcome="negative")
    before = counts(database)
    with pytest.raises(Conflict, match=f"already has a HIV result \\(result {first.id}.*correct that result"):
        record_result(lab(database), donation_id=donation, test="hiv", outcome="negative")
    assert counts(database) == before


@pytest.mark.parametrize("test, outcome, message", [
    ("hiv1", "negative", "Unknown test 'hiv1'"),
    ("hiv", "negitive", "is not a HIV outcome"),
    ("abo_rh", "typed", "needs the group"),
])
def test_an_unreadable_result_is_refused_and_nothing_is_written(database, donation, test, outcome, message):
    before = counts(database)
    with pytest.raises(InvalidInput, match=message):
        record_result(lab(database), donation_id=donation, test=test, outcome=outcome)
    assert counts(database) == before


def test_a_result_for_an_unknown_donation_is_refused(database):
    with pytest.raises(NotFound, match="No donation with id 999"):
        record_result(lab(database), donation_id=999, test="hiv", outcome="negative")


def test_a_correction_adds_a_row_and_keeps_the_old_value(database, donation):
    first = record_result(lab(database), donation_id=donation, test="hbv", outcome="negative", final=False)
    fixed = correct_result(lab(database, "lab.mo"), result_id=first.id, outcome="negative",
                           reason="repeat test done in duplicate")
    old = get(database, ResultRow, first.id)
    assert (old.outcome, old.final, old.superseded_by_id) == ("negative", False, fixed.id)
    assert (fixed.final, fixed.correction_reason, fixed.recorded_by) == (
        True, "repeat test done in duplicate", "lab.mo")
    [entry] = [e for e in audit_entries(database, "test_result") if e.action == "correct"]
    assert entry.old == {"result_id": first.id, "outcome": "negative", "value": None, "final": False}
    assert entry.new == {"result_id": fixed.id, "outcome": "negative", "value": None, "final": True}
    assert (entry.reason, entry.actor) == ("repeat test done in duplicate", "lab.mo")


def test_a_corrected_typing_keeps_the_old_group_on_file(database, donation):
    first = record_result(lab(database), donation_id=donation, test="abo_rh", outcome="typed", value="A+",
                          final=False)
    correct_result(lab(database), result_id=first.id, outcome="typed", value="A+", reason="confirmed")
    views = results_for_donation(lab(database), donation)
    assert [(v.value, v.final, v.current) for v in views] == [("A+", False, False), ("A+", True, True)]


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_correction_without_a_reason_is_refused(database, donation, reason):
    first = record_result(lab(database), donation_id=donation, test="hcv", outcome="negative")
    before = counts(database)
    with pytest.raises(InvalidInput, match="needs a reason"):
        correct_result(lab(database), result_id=first.id, outcome="reactive", reason=reason)
    assert counts(database) == before


def test_a_replaced_result_cannot_be_corrected_again(database, donation):
    first = record_result(lab(database), donation_id=donation, test="syphilis", outcome="negative", final=False)
    second = correct_result(lab(database), result_id=first.id, outcome="negative", reason="final")
    before = counts(database)
    with pytest.raises(Conflict, match=f"already corrected \\(by result {second.id}\\)"):
        correct_result(lab(database), result_id=first.id, outcome="negative", reason="again", final=False)
    assert counts(database) == before


def test_a_correction_that_changes_nothing_is_refused(database, donation):
    first = record_result(lab(database), donation_id=donation, test="syphilis", outcome="negative")
    with pytest.raises(InvalidInput, match="nothing to correct"):
        correct_result(lab(database), result_id=first.id, outcome="negative", reason="typo")


def test_reading_a_donations_results_is_an_audited_sensitive_read(database, donation):
    record_result(lab(database), donation_id=donation, test="hiv", outcome="negative")
    before = len(audit_entries(database))
    views = results_for_donation(lab(database, "dr.ray"), donation)
    assert [v.test for v in views] == ["hiv"]
    entries = audit_entries(database)
    assert len(entries) == before + 1
    assert (entries[-1].action, entries[-1].entity, entries[-1].actor) == ("read", "test_result", "dr.ray")
    assert entries[-1].new == {"donation_id": donation, "result_ids": [views[0].id]}


def test_a_batch_keeps_the_good_rows_and_reports_each_bad_one_with_its_line(database, donation):
    din = get(database, Donation, donation).din
    rows = [
        BatchRow(2, din, "hiv", "negative"),
        BatchRow(3, din, "hbv", "negitive"),
        BatchRow(4, "not-a-din", "hcv", "negative"),
        BatchRow(5, din, "abo_rh", "typed", "O+"),
        BatchRow(6, din, "hiv", "negative"),
    ]
    report = record_results_batch(lab(database), rows, source=ANALYSER)
    assert [(line, v.test) for line, v in report.accepted] == [(2, "hiv"), (5, "abo_rh")]
    assert [r.line for r in report.refused] == [3, 4, 6]
    assert "negitive" in report.refused[0].message
    assert "already has a HIV result" in report.refused[2].message
    assert sorted(v.test for v in results_for_donation(lab(database), donation)) == ["abo_rh", "hiv"]


def test_a_batch_accepts_plain_mappings(database, donation):
    din = get(database, Donation, donation).din
    report = record_results_batch(lab(database), [{"din": din, "test": "cmv", "outcome": "positive"}],
                                  source=ANALYSER)
    assert [(line, v.outcome) for line, v in report.accepted] == [(1, "positive")]
