from __future__ import annotations

import typer

from bloodbank.config import get_settings
from bloodbank.entrypoints.cli.context import console, database_url, err_console


def serve(
    host: str = typer.Option(None, help="Address to listen on (default 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (default 8000)."),
) -> None:
    """Serve the web application and REST API."""
    settings = get_settings()
    if settings.password_hashing == "test":
        err_console.print("[red]BLOODBANK_PASSWORD_HASHING=test makes passwords cheap to guess: it is for the test "
                          "suite only. Unset it to serve.[/red]")
        raise typer.Exit(2)
    import uvicorn

    from bloodbank.entrypoints.web.app import create_app

    host, port = host or settings.host, port or settings.port
    console.print(f"bloodbank is running: open [bold]http://{host}:{port}/[/bold]  (Ctrl+C to stop)")
    uvicorn.run(create_app(database_url()), host=host, port=port, log_level="warning")
