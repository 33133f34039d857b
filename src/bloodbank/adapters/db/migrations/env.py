"""Alembic environment: the project's metadata, batch mode for SQLite ALTERs."""

from alembic import context
from sqlalchemy import text

from bloodbank.adapters.db.engine import make_engine
from bloodbank.adapters.db.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode rebuilds a table to change a column; SQLite refuses to drop the old one while other
        # tables' rows point at it, unless foreign keys are off, which can only be set outside a
        # transaction. They are checked in full before the migrations commit, and turned on again after.
        _sqlite_foreign_keys(connection, "OFF")
    try:
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.execute(text("PRAGMA foreign_key_check")).all()
                if broken:
                    raise RuntimeError(f"the migrations would leave rows pointing at nothing: {broken[:5]}")
    finally:
        if sqlite:
            _sqlite_foreign_keys(connection, "ON")


def _sqlite_foreign_keys(connection, state: str) -> None:
    # On the driver's own connection, outside SQLAlchemy's transaction (which would make the PRAGMA a no-op).
    connection.connection.dbapi_connection.execute(f"PRAGMA foreign_keys={state}")


run_migrations_online()
