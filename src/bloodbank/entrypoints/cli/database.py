from __future__ import annotations

import typer

from bloodbank.adapters.db import migrate
from bloodbank.config import masked_url
from bloodbank.entrypoints.cli.context import console, database_url

app = typer.Typer(help="Create and upgrade the database schema.", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply every migration up to REVISION (default: the latest)."""
    url = database_url()
    migrate.upgrade(url, revision)
    console.print(f"Database at {masked_url(url)} is up to date.")


@app.command()
def current() -> None:
    """Show the schema revision the database is at."""
    console.print(migrate.revision_at(database_url()) or "empty (run `bloodbank db upgrade`)")
