"""The database adapter: SQLAlchemy tables, engine set-up and migrations."""
