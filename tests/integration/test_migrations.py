import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from bloodbank.adapters.db.database import Database
from bloodbank.adapters.db.engine import make_engine
from bloodbank.adapters.db.migrate import alembic_config, current_revision, head_revision, upgrade
from bloodbank.adapters.db.models import Base
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.patient_profile import Grouping
from bloodbank.domain.second_entry import Entry, check
from tests.conftest import PG_SKIP, PG_URL, _drop_pg_database, _pg_database_url
from tests.integration.migration_fixtures import old_donation
from tests.integration.patient_fixtures import make_patient
from tests.tools import missing_tool


def test_the_database_is_at_the_head_revision_after_upgrade(database):
    assert current_revision(database.engine) == head_revision(database.url)


def test_the_migrations_create_exactly_what_the_models_describe(database):
    with database.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_the_revision_chain_is_linear():
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(scripts.get_heads()) == 1
    for revision in scripts.walk_revisions():
        assert not revision.is_merge_point


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_url(request, tmp_path):
    """An empty database of its own: these tests walk the revisions themselves."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'walk.db'}"
        return
    if not PG_URL:
        missing_tool(PG_SKIP)
    url, name = _pg_database_url()
    yield url
    _drop_pg_database(name)


def test_results_and_groupings_recorded_before_0010_keep_counting_as_they_did(fresh_url):
    upgrade(fresh_url, "0009")
    old = Database(fresh_url)
    donation = old_donation(old)["donation"]
    patient = make_patient(old, ("mrn", "RXH:1"))
    with old.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO test_result (donation_id, test, outcome, value, final, recorded_at, recorded_by) "
            "VALUES (:donation, 'abo_rh', 'typed', 'A+', :yes, :at, 'lab.lee')"),
            {"donation": donation, "yes": True, "at": utcnow()})
        conn.execute(text(
            "INSERT INTO patient_grouping (patient_id, sample_id, blood_group, tested_at, recorded_by, "
            "manually_edited, historical) VALUES (:patient, NULL, 'A+', :at, 'bms.lee', :yes, :no)"),
            {"patient": patient, "yes": True, "no": False, "at": utcnow()})
    old.dispose()
    upgrade(fresh_url)
    engine = make_engine(fresh_url)
    with engine.connect() as conn:
        result = conn.execute(text("SELECT source, second_entry_at FROM test_result")).one()
        grouping = conn.execute(text("SELECT source, second_entry_at, manually_edited FROM patient_grouping")).one()
    engine.dispose()
    assert tuple(result) == ("unrecorded", None)
    assert (grouping[0], grouping[1], bool(grouping[2])) == ("unrecorded", None, True)
    assert check("abo_rh", result[0], True, Entry("typed", "A+"), None).counts
    assert Grouping("A+", None, utcnow(), manually_edited=True, source=grouping[0]).entry_check.counts


def test_revision_0010_downgrades_to_0009_and_up_again(fresh_url):
    upgrade(fresh_url)
    command.downgrade(alembic_config(fresh_url), "0009")
    engine = make_engine(fresh_url)
    columns = {c["name"] for c in inspect(engine).get_columns("test_result")}
    engine.dispose()
    assert "source" not in columns and "second_entry_at" not in columns
    upgrade(fresh_url)
    engine = make_engine(fresh_url)
    assert current_revision(engine) == head_revision(fresh_url)
    engine.dispose()


def test_revision_0020_gives_donors_on_file_their_grid_cell_and_downgrades_to_0019(fresh_url):
    from bloodbank.domain.appeal_rules import default_parameters
    from bloodbank.domain.appeal_selection import grid_cell
    from tests.integration.migration_fixtures import insert_row

    upgrade(fresh_url, "0019")
    old = Database(fresh_url)
    located = insert_row(old, "donor", donor_number="LOC0000001", given_name="Ada", family_name="Near",
                         date_of_birth="1980-01-01", sex="F", address="", postcode="", appeals_opt_in=True,
                         group_discrepancy=False, blood_group_confirmed=False, notes="", created_at=utcnow(),
                         latitude=52.95, longitude=-1.15)
    unlocated = insert_row(old, "donor", donor_number="LOC0000002", given_name="Bo", family_name="Nowhere",
                           date_of_birth="1980-01-01", sex="M", address="", postcode="", appeals_opt_in=True,
                           group_discrepancy=False, blood_group_confirmed=False, notes="", created_at=utcnow())
    old.dispose()
    upgrade(fresh_url)
    engine = make_engine(fresh_url)
    with engine.connect() as conn:
        cells = dict(conn.execute(text("SELECT id, grid_cell FROM donor")).all())
    engine.dispose()
    assert cells == {located: grid_cell(52.95, -1.15, default_parameters().grid_degrees), unlocated: None}
    command.downgrade(alembic_config(fresh_url), "0019")
    engine = make_engine(fresh_url)
    assert "grid_cell" not in {c["name"] for c in inspect(engine).get_columns("donor")}
    assert not {"appeal", "appeal_invitation", "outbox_message"} & set(inspect(engine).get_table_names())
    engine.dispose()
    upgrade(fresh_url)


def test_revision_0023_writes_arabic_names_search_keys_in_their_folded_form(fresh_url):
    from tests.integration.migration_fixtures import insert_row

    upgrade(fresh_url, "0022")
    old = Database(fresh_url)
    fatima = insert_row(old, "donor", donor_number="ARB0000001", given_name="فاطمة", family_name="الكبيـر",
                        date_of_birth="1980-01-01", sex="F", address="", postcode="", appeals_opt_in=False,
                        group_discrepancy=False, blood_group_confirmed=False, notes="", created_at=utcnow())
    latin = insert_row(old, "donor", donor_number="ARB0000002", given_name="Anna", family_name="Berg",
                       date_of_birth="1980-01-01", sex="F", address="", postcode="", appeals_opt_in=False,
                       group_discrepancy=False, blood_group_confirmed=False, notes="", created_at=utcnow())
    with old.engine.begin() as conn:  # the keys as written before: the letters unfolded
        for donor_id, stale in ((fatima, "فاطمة"), (fatima, "الكبيـر"), (latin, "anna"), (latin, "berg")):
            conn.execute(text("INSERT INTO donor_name_token (donor_id, token) VALUES (:d, :t)"),
                         {"d": donor_id, "t": stale})
    old.dispose()
    upgrade(fresh_url)
    engine = make_engine(fresh_url)
    with engine.connect() as conn:
        tokens = conn.execute(text("SELECT donor_id, token FROM donor_name_token ORDER BY token")).all()
    engine.dispose()
    assert {t for d, t in tokens if d == fatima} == {"فاطمه", "الكبير"}
    assert {t for d, t in tokens if d == latin} == {"anna", "berg"}  # untouched: no letter it folds
