from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer

from bloodbank.adapters.db import migrate
from bloodbank.config import masked_url
from bloodbank.domain.access import Permission as P
from bloodbank.domain.errors import InvalidInput
from bloodbank.entrypoints.cli.context import clerk_errors, console, database_url, err_console, uow
from bloodbank.entrypoints.cli.identity import Actor, needs
from bloodbank.service_layer.staff import backups
from bloodbank.service_layer.staff.backups import backup_kind

app = typer.Typer(help="Create and upgrade the database schema; back it up and restore it.",
                  no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply every migration up to REVISION (default: the latest)."""
    url = database_url()
    with clerk_errors():  # a revision that needs the data key says so, instead of a traceback
        migrate.upgrade(url, revision)
    console.print(f"Database at {masked_url(url)} is up to date.")


@app.command()
def current() -> None:
    """Show the schema revision the database is at."""
    console.print(migrate.revision_at(database_url()) or "empty (run `bloodbank db upgrade`)")


PASSPHRASE_ENV = "BLOODBANK_BACKUP_PASSPHRASE"


def _passphrase(file: Optional[Path], *, confirm: bool) -> str:
    """From a file (first line), the environment, or typed twice; never from the command line itself."""
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8").splitlines()[0] if file.stat().st_size else ""
        except (OSError, UnicodeDecodeError) as error:
            raise InvalidInput(f"Cannot read the passphrase file {file}: {error}.") from None
        return text
    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV]
    return typer.prompt("Backup passphrase", hide_input=True, confirmation_prompt=confirm)


@app.command()
@needs(P.BACKUP)
def backup(
    target: Path = typer.Argument(..., help="The file to write, e.g. /srv/backups/bloodbank-2026-12-04.bak."),
    seal: bool = typer.Option(False, "--seal", help="Seal the file with a passphrase (asked twice, or from "
                                                     f"{PASSPHRASE_ENV} or --passphrase-file)."),
    passphrase_file: Optional[Path] = typer.Option(None, "--passphrase-file", help="Read the passphrase from here."),
    actor: str = Actor,
) -> None:
    """Copy the whole database, while it runs, to one file readable by you only; the copy is audited."""
    with clerk_errors():
        passphrase = _passphrase(passphrase_file, confirm=True) if seal or passphrase_file else None
        if (seal or passphrase_file) and not passphrase:
            raise InvalidInput("The passphrase is empty: nothing was written.")
        made = backups.take_backup(uow(), target=target, passphrase=passphrase)
    sealed = "sealed, " if made.sealed else ""
    console.print(f"Backup written to {made.path} ({made.kind}, {sealed}{made.size:,} bytes).")
    console.print(f"SHA-256 {made.sha256}")


@app.command()
def restore(
    source: Path = typer.Argument(..., help="The backup file."),
    passphrase_file: Optional[Path] = typer.Option(None, "--passphrase-file", help="Read the passphrase from here."),
) -> None:
    """Put a backup into the empty database named by --database; its audit chain is verified after."""
    url = database_url()
    with clerk_errors():
        passphrase = None
        if source.is_file() and backup_kind(source)[1]:
            passphrase = _passphrase(passphrase_file, confirm=False)
        report = backups.restore_backup(source=source, database_url=url, passphrase=passphrase)
    console.print(f"Restored a {report.kind} backup into {masked_url(url)}.")
    if not report.chain_intact:
        err_console.print(f"[red]The restored audit chain does not verify: {report.problem}.[/red]")
        raise typer.Exit(1)
    console.print(f"Audit chain intact: {report.audit_entries} entries verified.")
