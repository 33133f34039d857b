"""Who runs a command: an existing, active account, with the permission the command needs.

The command line obeys the same table of grants as the pages and the API
(`domain.access.GRANTS`). Each command that reads or changes records declares
its permission with `@needs(...)` and takes `--as` (or BLOODBANK_USER); the
account is checked as the option is read, before the command does anything,
and a refusal is written to the audit log. Signed acts ask for the signer's
own password, as the pages do.

The one exception: on an installation with no accounts at all, `users create`
may make the first administrator, recorded under the name given with `--as`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TypeVar

import typer
from rich.markup import escape

from bloodbank.domain.access import Permission
from bloodbank.entrypoints.cli.context import Running, database, err_console, running, start_running, uow
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.staff import authentication, signatures, users

T = TypeVar("T")
_PERMISSION = "__bloodbank_permission__"
_BOOTSTRAP = "__bloodbank_bootstrap__"


def needs(permission: Permission, *, first_account: bool = False):
    """Declare what a command needs; `first_account` lets it run on an installation with no accounts."""
    def mark(command):
        setattr(command, _PERMISSION, permission)
        setattr(command, _BOOTSTRAP, first_account)
        return command
    return mark


def permission_of(command) -> Permission | None:
    return getattr(command, _PERMISSION, None)


def _refuse(message: str) -> None:
    err_console.print(f"[red]{escape(message)}[/red]")
    raise typer.Exit(1)


def _authorise(ctx: typer.Context, value: str | None) -> str | None:
    if ctx.resilient_parsing or value is None:
        return value
    command = ctx.command.callback
    declared = getattr(command, "__wrapped__", command)
    permission = permission_of(declared)
    if permission is None:
        _refuse("This command declares no permission, so it runs for nobody. Report it as a defect.")
    db, where = database(), f"command line: {ctx.command_path}"
    found = authentication.account_principal(UnitOfWork(db, actor="cli"), username=value, via="cli")
    if found is None:
        if getattr(declared, _BOOTSTRAP, False) and not users.has_users(UnitOfWork(db, actor="cli")):
            start_running(ctx, Running(None, value.strip() or "installer"))
            return value
        authentication.record_denied(UnitOfWork(db, actor="cli"), username=value, permission=permission,
                                     where=where)
        _refuse(f"There is no active account named {value!r}. Run commands as yourself: "
                "--as YOUR-USER-NAME, or set BLOODBANK_USER.")
    if found.must_change_password and permission is not Permission.OWN_ACCOUNT:
        _refuse(f"{found.username}'s password was reset: choose your own first with `bloodbank users password "
                f"--as {found.username}`. Nothing was done.")
    if not found.may(permission):
        authentication.record_denied(UnitOfWork(db, actor=found.username), username=found.username,
                                     permission=permission, where=where)
        _refuse(f"{found.username} ({found.role_label}) may not do this: it needs the {permission.value!r} "
                "permission. Nothing was done.")
    start_running(ctx, Running(found))
    return value


Actor = typer.Option(
    ..., "--as", envvar="BLOODBANK_USER", callback=_authorise,
    help="Your user name: the command runs with your account's permissions and is recorded under it.",
)


PASSWORD_FD = "BLOODBANK_PASSWORD_FD"
PASSWORD_ENV = "BLOODBANK_PASSWORD"


SECOND_PASSWORD_ENV = "BLOODBANK_SECOND_PASSWORD"


def second_person_password(username: str) -> str:
    """The second checker's own password: typed by them at the terminal, or from the environment for scripts."""
    if SECOND_PASSWORD_ENV in os.environ:
        return os.environ[SECOND_PASSWORD_ENV]
    if sys.stdin.isatty():
        return typer.prompt(f"{username}, your password, to confirm your check", hide_input=True)
    _refuse(f"The second checker confirms with their password: run this at a terminal for them to type it, or give "
            f"it to a script through {SECOND_PASSWORD_ENV}.")
    return ""


def signing_password() -> str:
    """The signer's password: from a file descriptor or the environment for scripts, else asked for."""
    fd = os.environ.get(PASSWORD_FD)
    if fd:
        try:
            with os.fdopen(int(fd), "r", closefd=False) as stream:
                return stream.readline().rstrip("\n")
        except (ValueError, OSError) as error:
            _refuse(f"{PASSWORD_FD}={fd} could not be read: {error}.")
    if PASSWORD_ENV in os.environ:
        return os.environ[PASSWORD_ENV]
    if sys.stdin.isatty():
        return typer.prompt("Your password, to sign", hide_input=True)
    _refuse(f"This act is signed with your password: run it at a terminal to be asked, or give it to a script "
            f"through {PASSWORD_FD} (a file descriptor) or {PASSWORD_ENV}.")
    return ""


def signed(*, action: str, act: Callable[[], T], record: Callable[[T], tuple[str, str, object]]) -> T:
    """Run `act` under the signature of the account running the command, as the pages do."""
    principal = running().principal
    if principal is None:
        _refuse("Only an existing account can sign.")
    return signatures.signed_act(uow, user_id=principal.user_id, password=signing_password(),
                                 action=action, act=act, record=record)
