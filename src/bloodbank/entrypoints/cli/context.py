"""What every command needs: the database chosen by --database or the environment."""

from __future__ import annotations

from contextlib import contextmanager

import typer
from rich.console import Console
from rich.markup import escape

from bloodbank.adapters.db.database import Database
from bloodbank.config import get_settings
from bloodbank.domain.errors import DomainError
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

console = Console()
err_console = Console(stderr=True)

_state: dict[str, str | None] = {"database_url": None}


def set_database_url(url: str | None) -> None:
    _state["database_url"] = url


def database_url() -> str:
    return _state["database_url"] or get_settings().database_url


def database() -> Database:
    return Database(database_url())


def uow(actor: str = "cli") -> UnitOfWork:
    return UnitOfWork(database(), actor=actor)


@contextmanager
def clerk_errors():
    """Domain errors end the command with their message and exit code 1, never a traceback."""
    try:
        yield
    except DomainError as error:
        err_console.print(f"[red]{escape(error.message)}[/red]")
        raise typer.Exit(1) from None
