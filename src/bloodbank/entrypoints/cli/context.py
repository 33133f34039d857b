"""What every command needs: the database chosen by --database or the environment, and who runs it."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import typer
from rich.console import Console
from rich.markup import escape

from bloodbank.adapters.db.database import Database
from bloodbank.config import get_settings
from bloodbank.domain.errors import DomainError
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.staff.authentication import Principal

console = Console()
err_console = Console(stderr=True)

_state: dict[str, str | None] = {"database_url": None}


def set_database_url(url: str | None) -> None:
    _state["database_url"] = url


def database_url() -> str:
    return _state["database_url"] or get_settings().database_url


def database() -> Database:
    return Database(database_url())


@dataclass(frozen=True)
class Running:
    """The account a command runs as, for this invocation only."""

    principal: Principal | None
    installer: str | None = None

    @property
    def actor(self) -> str:
        return self.principal.username if self.principal else str(self.installer)


# Set by `--as` once the account is checked (identity.py), cleared when the command's context closes,
# so no invocation ever runs as the account of the one before it.
_running: dict[str, Running | None] = {"now": None}


def start_running(ctx: typer.Context, who: Running) -> None:
    _running["now"] = who
    ctx.call_on_close(lambda: _running.update(now=None))


def running() -> Running:
    who = _running["now"]
    if who is None:
        raise RuntimeError("a command touched records before its --as account was checked")
    return who


def installing() -> bool:
    """True while the first account of an empty installation is being made."""
    return running().principal is None


def uow() -> UnitOfWork:
    """A unit of work run as the account checked by the command's `--as` (seeing only its hospitals' records,
    as on the pages); refused before that check."""
    who = running()
    if who.principal is not None:
        return who.principal.unit_of_work(database())
    return UnitOfWork(database(), actor=who.actor)  # the installer making the first administrator


@contextmanager
def clerk_errors():
    """Domain errors end the command with their message and exit code 1, never a traceback."""
    try:
        yield
    except DomainError as error:
        err_console.print(f"[red]{escape(error.message)}[/red]")
        raise typer.Exit(1) from None
