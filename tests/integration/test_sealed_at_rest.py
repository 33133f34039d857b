"""A copy of the database, read without the key, shows nothing a donor confided; with the key, all of it reads."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text

from bloodbank.adapters.data_keys import key_id_of
from bloodbank.adapters.db.database import Database
from bloodbank.adapters.db.migrate import upgrade
from bloodbank.adapters.db.models import ConfidentialAnswer, Deferral, DonorFollowUp, TestResult, Unit, Visit
from bloodbank.adapters.db.sealed_types import SealedColumnCompared
from bloodbank.domain.errors import DataKeyUnavailable, InvalidInput
from bloodbank.service_layer.donors.consent import is_self_excluded
from bloodbank.service_layer.donors.deferrals import add_deferral, list_deferrals
from tests.integration.lab_fixtures import get
from tests.integration.sealed_fixtures import confide_everything, raw_rows, raw_sealed_values
from tests.integration.visit_fixtures import clerk, make_donor

# What a leaked copy would show if these were stored in clear. The audit log (its entries and their values,
# audit_payload) is left out of the row scan: it still copies results, deferral codes and follow-ups in clear,
# and is sealed apart.
RESULTS_AND_REASONS = ("reactive", "indeterminate", "self_excluded", "reactive_marker", "feeling_well",
                       "Haemoglobin", "partner tested positive", "plate read upside down", "disclosed hepatitis")


def test_every_sealed_column_holds_only_sealed_values_under_the_current_key(database):
    confide_everything(database)
    stored = raw_sealed_values(database)
    filled = {column for column, values in stored.items() if values}
    assert filled >= {"visit.questionnaire", "visit.decision_reasons", "deferral.code", "deferral.reason",
                      "deferral.lift_reason", "test_result.outcome", "test_result.correction_reason",
                      "donor_follow_up.reason", "donor_follow_up.detail", "unit.discard_reason", "unit_event.detail",
                      "confidential_answer.answer", "recall.reason"}
    assert {key_id_of(value) for values in stored.values() for value in values} == {"suite"}


def test_a_copy_of_the_rows_read_without_the_key_shows_no_answer_reason_or_result(database):
    confided = confide_everything(database)
    rows = raw_rows(database, leave_out=frozenset({"audit_entry", "audit_payload"}))
    found = {word: [table for table, lines in rows.items() if any(word in line for line in lines)]
             for word in (*RESULTS_AND_REASONS, *confided.free_texts.values())}
    assert {word: tables for word, tables in found.items() if tables} == {}
    # The test names stay in clear (every donation has the same panel); what they found does not.
    assert any("'hiv'" in line for line in rows["test_result"])


def test_with_the_key_every_confidence_reads_back_as_it_was_given(database):
    c = confide_everything(database)
    with database.sessions() as s:
        visit = s.get(Visit, c.visit_id)
        assert visit.questionnaire["answers"]["feeling_well"] is True
        assert any("aemoglobin" in reason for reason in visit.decision_reasons)
        deferral = s.get(Deferral, c.deferral_id)
        assert (deferral.code, deferral.reason, deferral.lift_reason) == (
            "hiv", c.free_texts["deferral.reason"], c.free_texts["deferral.lift_reason"])
        outcomes = {(r.test, r.outcome) for r in s.execute(select(TestResult).where(
            TestResult.donation_id == c.reactive_donation, TestResult.superseded_by_id.is_(None))).scalars()}
        assert outcomes == {("hiv", "reactive"), ("hbv", "negative")}
        assert s.get(TestResult, c.corrected_result).correction_reason == c.free_texts["test_result.correction_reason"]
        [follow_up] = s.execute(select(DonorFollowUp)).scalars()
        assert follow_up.reason == "reactive_marker" and "HIV reactive" in follow_up.detail
        assert s.get(Unit, c.reactive_unit).discard_reason == "reactive"
        assert s.get(Unit, c.excluded_unit).discard_reason == "self_excluded"
        assert [is_self_excluded(s, v) for v in (c.excluded_visit, c.kept_visit)] == [True, False]
    [listed] = list_deferrals(clerk(database, "dr.kim"), c.donor_id, include_reasons=True)
    assert listed.reason == c.free_texts["deferral.reason"]


def test_both_private_answers_are_stored_alike(database):
    c = confide_everything(database)
    with database.engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT visit_id, answer FROM confidential_answer")).all())
    assert set(stored) == {c.excluded_visit, c.kept_visit}
    assert len(stored[c.excluded_visit]) == len(stored[c.kept_visit])


def test_a_sealed_column_compared_in_sql_is_refused_rather_than_matching_nothing(database):
    with database.sessions() as s, pytest.raises(SealedColumnCompared, match="test_result.outcome is sealed"):
        s.execute(select(TestResult.id).where(TestResult.outcome == "reactive"))
    with database.sessions() as s:  # whether a value is there at all is still a question SQL may ask
        assert s.execute(select(TestResult.id).where(TestResult.value.is_not(None))).all() == []


def test_a_value_moved_into_another_column_is_refused_in_words(database):
    c = confide_everything(database)
    with database.engine.begin() as conn:
        reason = conn.execute(text("SELECT reason FROM deferral WHERE id = :id"), {"id": c.deferral_id}).scalar()
        conn.execute(text("UPDATE test_result SET outcome = :v WHERE id = :id"), {"v": reason, "id": c.corrected_result})
    with pytest.raises(DataKeyUnavailable, match="does not open"):
        get(database, TestResult, c.corrected_result)


def test_the_database_file_and_its_journal_hold_none_of_the_words(tmp_path):
    """Read as a thief would: the bytes of a fresh SQLite file and its write-ahead log."""
    url = f"sqlite:///{tmp_path / 'copy.db'}"
    upgrade(url)
    database = Database(url)
    try:
        confided = confide_everything(database)
    finally:
        database.dispose()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("copy.db"))
    # What the audit log keeps out as well: answers, reasons in words, deferral reasons, the private answer.
    words = ("feeling_well", "heart_disease", "aemoglobin", "self_excluded",
             confided.free_texts["deferral.reason"], confided.free_texts["deferral.lift_reason"])
    assert [w for w in words if w.encode() in raw] == []
    assert b"s1:suite:" in raw


def test_a_sealed_text_refuses_what_every_text_refuses_and_nothing_is_written(database):
    # The engine's last guard sees a sealed value only as ciphertext: the column checks it before sealing.
    donor = make_donor(database)
    for reason in ("tattoo\x00left arm", "tattoo \u202eleft arm"):
        with pytest.raises(InvalidInput, match="control character|NUL"):
            add_deferral(clerk(database, "dr.kim"), donor_id=donor, code="tattoo", kind="temporary",
                         reason=reason, ends_on=date(2099, 1, 1))
    with database.sessions() as s:
        assert s.execute(select(Deferral)).all() == []
