from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from bloodbank.adapters.db.migrate import alembic_config, current_revision, head_revision
from bloodbank.adapters.db.models import Base


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
