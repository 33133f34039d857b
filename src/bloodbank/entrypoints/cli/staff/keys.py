"""`bloodbank keys`: the data keys that seal donors' confidences in the database."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bloodbank.domain.access import Permission as P
from bloodbank.entrypoints.cli.context import clerk_errors, console, err_console, uow
from bloodbank.entrypoints.cli.identity import Actor, needs
from bloodbank.service_layer.staff import data_keys

app = typer.Typer(help="The keys that seal donors' confidences in the database: create, rotate, retire.",
                  no_args_is_help=True)


@app.command()
def init(
    file: Optional[Path] = typer.Option(None, "--file", help="Where to create the key file (default: "
                                                            "BLOODBANK_DATA_KEY_FILE)."),
    print_keys: bool = typer.Option(False, "--print", help="Print a BLOODBANK_DATA_KEYS value with a new key "
                                                           "first, instead of writing a file."),
) -> None:
    """Create the key file with a new key, unless it exists. Touches no record, so it asks for no account."""
    with clerk_errors():
        if print_keys:
            # Only the key list: a script may pipe it straight into its secret store.
            typer.echo(data_keys.new_environment_key(os.environ.get("BLOODBANK_DATA_KEYS", "")))
            return
        if file is None and os.environ.get("BLOODBANK_DATA_KEYS", "").strip():
            console.print("The data keys come from BLOODBANK_DATA_KEYS: nothing to create.")
            return
        made = data_keys.create_key_file(file)
    if not made.created:
        console.print(f"The data key file {escape(made.path)} is there already (current key {made.key_id}).")
        return
    console.print(f"Created the data key file {escape(made.path)} (key {made.key_id}), readable by you only.")
    console.print("Back it up apart from the database: without it, what donors confided cannot be read.")


@app.command()
@needs(P.BACKUP)
def status(actor: str = Actor) -> None:
    """Where the keys come from, and how many stored values each key seals."""
    with clerk_errors():
        found = data_keys.key_status(uow())
    where = f" ({escape(found.path)})" if found.path else ""
    console.print(f"Keys from: {found.source}{where}")
    if found.problem:
        err_console.print(f"[red]{escape(found.problem)}[/red]")
        raise typer.Exit(1)
    for key in found.keys:
        mark = " (current)" if key == found.current else ""
        console.print(f"  {key}{mark}: {found.values_by_key.get(key, 0):,} value(s)")
    if found.unknown_key_values:
        err_console.print(f"[red]{found.unknown_key_values:,} value(s) are sealed with a key the ring does not "
                          "hold.[/red]")
        raise typer.Exit(1)
    if found.under_older_keys:
        console.print(f"[yellow]{found.under_older_keys:,} value(s) are still under an older key: run "
                      "`bloodbank keys reseal`.[/yellow]")


def _with_progress(run):
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as bar:
        task = bar.add_task("Sealing stored values under the current key", total=None)
        return run(lambda done, total: bar.update(task, completed=done, total=total))


def _report(made: data_keys.ResealReport) -> None:
    console.print(f"{made.resealed:,} value(s) sealed under the key {made.key_id}.")
    if made.left:
        console.print(f"[yellow]{made.left:,} value(s) were written under an older key meanwhile: run "
                      "`bloodbank keys reseal` again.[/yellow]")


@app.command()
@needs(P.BACKUP)
def rotate(actor: str = Actor) -> None:
    """Add a new current key to the key file and seal every stored value again under it (resumable: see reseal)."""
    with clerk_errors():
        made = _with_progress(lambda progress: data_keys.rotate(uow(), progress=progress))
    _report(made)
    console.print("Retire the old key once no value uses it: `bloodbank keys retire ID`.")


@app.command()
@needs(P.BACKUP)
def reseal(actor: str = Actor) -> None:
    """Seal every stored value not yet under the current key: finishes a rotation that was interrupted."""
    with clerk_errors():
        made = _with_progress(lambda progress: data_keys.reseal(uow(), progress=progress))
    _report(made)


@app.command()
@needs(P.BACKUP)
def retire(key_id: str = typer.Argument(..., help="The id of the old key."), actor: str = Actor) -> None:
    """Remove an old key from the key file; refused while any stored value is sealed with it."""
    with clerk_errors():
        found = data_keys.retire(uow(), key_id=key_id)
    console.print(f"Retired the data key {escape(key_id)}; the ring holds {', '.join(found.keys)}.")
