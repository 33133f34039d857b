"""Revision 0016 seals in place what an installation stored in clear, with the key, and only with it."""

from __future__ import annotations

import json

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import select, text
from typer.testing import CliRunner

from bloodbank.adapters import data_keys
from bloodbank.adapters.db.database import Database
from bloodbank.adapters.db.engine import make_engine
from bloodbank.adapters.db.migrate import alembic_config, current_revision, head_revision, upgrade
from bloodbank.adapters.db.models import ConfidentialAnswer, Consent, Deferral, DonorFollowUp, Recall, TestResult, \
    Unit, UnitEvent, Visit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.config import get_settings
from bloodbank.domain.errors import DataKeyUnavailable
from bloodbank.entrypoints.cli import app
from bloodbank.service_layer.donors.consent import is_self_excluded
from tests.integration.migration_fixtures import insert_row, old_donation
from tests.integration.test_migrations import fresh_url  # noqa: F401 (a fixture)

# The revision just before the one that seals, whatever revisions come before or after it.
BEFORE_SEALING = ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision("0016").down_revision

QUESTIONNAIRE = {"version": "2025-01", "answers": {"feeling_well": True, "tattoo": "2025-11-02"}}
REASONS = ["Haemoglobin 11.0 g/dL is below 12.5 g/dL (WHO 2012)."]


def stored_in_clear(url: str) -> dict:
    """One row in every column 0016 seals, as a 0014 installation held it."""
    upgrade(url, BEFORE_SEALING)
    database = Database(url)
    try:
        ids = old_donation(database, questionnaire=QUESTIONNAIRE, reasons=REASONS)
        now = utcnow()
        ids["consent"] = insert_row(database, "consent", visit_id=ids["visit"], donor_id=ids["donor"],
                                    text_version="2026-01", given_at=now, recorded_by="nurse.cai",
                                    withdrawal_note="changed her mind", created_at=now)
        ids["deferral"] = insert_row(database, "deferral", donor_id=ids["donor"], code="hiv", kind="permanent",
                                     reason="partner tested positive", starts_on="2026-01-05", decided_by="dr.kim",
                                     created_at=now)
        ids["result"] = insert_row(database, "test_result", donation_id=ids["donation"], test="hiv",
                                   outcome="reactive", final=True, recorded_at=now, recorded_by="lab.lee",
                                   source="manual", second_entry_outcome="reactive", second_entry_at=now,
                                   second_entry_by="lab.kim")
        ids["follow_up"] = insert_row(database, "donor_follow_up", donor_id=ids["donor"],
                                      donation_id=ids["donation"], reason="reactive_marker",
                                      detail="HIV reactive on donation", opened_at=now, opened_by="lab.lee")
        ids["unit"] = insert_row(database, "unit", din="G123426000001", product_code="E0001", division="00",
                                 kind="red_cells", donation_id=ids["donation"], status="discarded",
                                 collected_at=now, expires_at=now, site_id=ids["site"], storage_location="",
                                 irradiated=False, leucoreduced=False, cmv_negative=False, low_titer=False,
                                 bacterial_screened=False, discard_reason="reactive", created_at=now)
        ids["event"] = insert_row(database, "unit_event", unit_id=ids["unit"], at=now, actor="lab.lee",
                                  event="discard", detail=json.dumps({"reason": "reactive", "note": None}))
        ids["recall"] = insert_row(database, "recall", reason="donor disclosed hepatitis", opened_at=now,
                                   opened_by="dr.kim", scope=json.dumps({"donor_id": ids["donor"]}))
        insert_row(database, "self_exclusion", visit_id=ids["visit"], recorded_at=now)
    finally:
        database.dispose()
    return ids


def raw_text(url: str) -> str:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return repr([conn.execute(text(f"SELECT * FROM {table}")).all() for table in (
                "visit", "consent", "deferral", "test_result", "donor_follow_up", "unit", "unit_event", "recall")])
    finally:
        engine.dispose()


CLEAR = ("feeling_well", "Haemoglobin", "changed her mind", "partner tested positive", "reactive",
         "HIV reactive", "donor disclosed hepatitis")


def test_what_was_stored_in_clear_is_sealed_in_place_and_reads_back_the_same(fresh_url):
    ids = stored_in_clear(fresh_url)
    upgrade(fresh_url)
    assert [word for word in CLEAR if word in raw_text(fresh_url)] == []
    database = Database(fresh_url)
    try:
        with database.sessions() as s:
            visit = s.get(Visit, ids["visit"])
            assert (visit.questionnaire, visit.decision_reasons) == (QUESTIONNAIRE, REASONS)
            assert s.get(Consent, ids["consent"]).withdrawal_note == "changed her mind"
            deferral = s.get(Deferral, ids["deferral"])
            assert (deferral.code, deferral.reason) == ("hiv", "partner tested positive")
            result = s.get(TestResult, ids["result"])
            assert (result.outcome, result.second_entry_outcome, result.value) == ("reactive", "reactive", None)
            follow_up = s.get(DonorFollowUp, ids["follow_up"])
            assert (follow_up.reason, follow_up.detail) == ("reactive_marker", "HIV reactive on donation")
            assert s.get(Unit, ids["unit"]).discard_reason == "reactive"
            assert s.get(UnitEvent, ids["event"]).detail == {"reason": "reactive", "note": None}
            assert s.get(Recall, ids["recall"]).reason == "donor disclosed hepatitis"
            [answer] = s.execute(select(ConfidentialAnswer)).scalars()
            assert (answer.visit_id, answer.answer) == (ids["visit"], "not")
            assert is_self_excluded(s, ids["visit"])
    finally:
        database.dispose()
    engine = make_engine(fresh_url)
    try:
        with pytest.raises(Exception, match="unit_event is append-only"):
            with engine.begin() as conn:
                conn.execute(text("UPDATE unit_event SET actor = 'x'"))
    finally:
        engine.dispose()


@pytest.fixture
def no_key(monkeypatch):
    monkeypatch.delenv("BLOODBANK_DATA_KEYS")
    get_settings.cache_clear()
    data_keys.reload_ring()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()
    data_keys.reload_ring()


def test_without_the_key_a_database_with_confidences_is_not_touched(fresh_url, no_key):
    stored_in_clear(fresh_url)
    before = raw_text(fresh_url)
    with pytest.raises(DataKeyUnavailable, match=r"holds \d+ stored confidence\(s\) to seal.*Nothing was changed"):
        upgrade(fresh_url)
    said = CliRunner().invoke(app, ["--database", fresh_url, "db", "upgrade"])
    assert said.exit_code == 1 and "No data key is configured" in " ".join(said.output.split())
    engine = make_engine(fresh_url)
    try:
        assert current_revision(engine) == BEFORE_SEALING
    finally:
        engine.dispose()
    assert raw_text(fresh_url) == before


def test_a_new_installation_needs_no_key_to_create_its_tables(fresh_url, no_key):
    upgrade(fresh_url)
    engine = make_engine(fresh_url)
    try:
        assert current_revision(engine) == head_revision(fresh_url)
    finally:
        engine.dispose()


def test_going_back_to_0014_opens_every_value_again(fresh_url):
    ids = stored_in_clear(fresh_url)
    before = raw_text(fresh_url)
    upgrade(fresh_url)
    command.downgrade(alembic_config(fresh_url), BEFORE_SEALING)
    engine = make_engine(fresh_url)
    try:
        with engine.connect() as conn:
            excluded = conn.execute(text("SELECT visit_id FROM self_exclusion")).scalars().all()
            questionnaire = conn.execute(text("SELECT questionnaire FROM visit")).scalar_one()
    finally:
        engine.dispose()
    assert excluded == [ids["visit"]]
    assert (json.loads(questionnaire) if isinstance(questionnaire, str) else questionnaire) == QUESTIONNAIRE
    assert raw_text(fresh_url) == before
