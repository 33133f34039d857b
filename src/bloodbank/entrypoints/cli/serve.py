from __future__ import annotations

import os

import typer
from rich.markup import escape

from bloodbank.adapters.db.database import Database
from bloodbank.config import get_settings
from bloodbank.entrypoints.cli.context import console, database_url, err_console


def _start_sender(url: str, every: int) -> None:
    """Beside the server, one thread tops up running appeals and sends the outbox every `every` seconds.

    One thread in the parent process, whatever the number of workers, so passes never overlap; a second
    sender elsewhere (`bloodbank outbox send`) is still safe, since a message is claimed before it is sent.
    """
    import threading
    import time

    from bloodbank.service_layer.crisis import appeals
    from bloodbank.service_layer.messaging import outbox
    from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

    database = Database(url)

    def loop() -> None:
        while True:
            try:
                appeals.top_up_running(UnitOfWork(database, actor="appeal top-up"))
                outbox.send_pending(UnitOfWork(database, actor="outbox sender"))
            except Exception as error:  # a pass that fails (database restarting) must not end the loop
                err_console.print(f"[red]Outbox pass failed: {escape(type(error).__name__)}[/red]")
            time.sleep(every)

    threading.Thread(target=loop, name="outbox-sender", daemon=True).start()


def serve(
    host: str = typer.Option(None, help="Address to listen on (default 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (default 8000)."),
    workers: int = typer.Option(None, min=1, max=64,
                                help="Worker processes (default BLOODBANK_WORKERS, or 1). On PostgreSQL, one per "
                                     "core; on SQLite readers run side by side and writers take turns."),
) -> None:
    """Serve the web application and REST API."""
    settings = get_settings()
    if settings.password_hashing == "test":
        err_console.print("[red]BLOODBANK_PASSWORD_HASHING=test makes passwords cheap to guess: it is for the test "
                          "suite only. Unset it to serve.[/red]")
        raise typer.Exit(2)
    from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
    from bloodbank.service_layer.staff import data_keys, users

    database = Database(database_url())
    try:
        # Without its key a server could neither read what donors confided nor seal what they say next.
        unready = data_keys.readiness_problem(UnitOfWork(database, actor="serve"))
        kinds = users.account_kinds(UnitOfWork(database, actor="serve"), active_only=True)
    finally:
        database.dispose()
    if unready:
        err_console.print(f"[red]{escape(unready)} The server was not started.[/red]")
        raise typer.Exit(2)
    if kinds.demo and kinds.real:
        err_console.print(f"[red]This database holds {kinds.demo} demo account(s), whose password is public, beside "
                          f"{kinds.real} real one(s). Deactivate or remove the demo accounts, or serve the demo from "
                          "its own database.[/red]")
        raise typer.Exit(2)
    import uvicorn

    from bloodbank.entrypoints.web.app import create_app

    host, port, workers = host or settings.host, port or settings.port, workers or settings.workers
    if settings.outbox_interval_seconds:
        _start_sender(database_url(), settings.outbox_interval_seconds)
    console.print(f"bloodbank is running: open [bold]http://{host}:{port}/[/bold]  (Ctrl+C to stop)")
    if workers == 1:
        uvicorn.run(create_app(database_url()), host=host, port=port, log_level="warning")
        return
    # Each worker is a process of its own that builds its app from the environment: the database chosen here
    # travels to it there.
    os.environ["BLOODBANK_DATABASE_URL"] = database_url()
    uvicorn.run("bloodbank.entrypoints.web.app:app_from_environment", factory=True, workers=workers, host=host,
                port=port, log_level="warning")
