"""`bloodbank outbox`: send the messages waiting (once, or in a loop), and show what is waiting or failed."""

from __future__ import annotations

import time

import typer
from rich.markup import escape
from rich.table import Table

from bloodbank.domain.access import Permission as P
from bloodbank.entrypoints.cli.context import clerk_errors, console, uow
from bloodbank.entrypoints.cli.identity import Actor, needs
from bloodbank.service_layer.messaging import outbox

app = typer.Typer(help="Messages to donors: send what is due, show what waits or failed.", no_args_is_help=True)


@app.command()
@needs(P.INCIDENTS)
def send(limit: int = typer.Option(1000, "--limit", min=1, max=100_000, help="Messages to send at most a pass."),
         every: int = typer.Option(0, "--every", min=0, max=3600,
                                   help="Seconds between passes; 0 sends once and exits."),
         actor: str = Actor) -> None:
    """Send the messages due: each once, retrying with back-off, a failure shown."""
    while True:
        with clerk_errors():
            report = outbox.send_pending(uow(), limit=limit)
        console.print(f"Sent {report.sent}, retrying later {report.retrying}, failed {report.failed}, "
                      f"withdrawn {report.cancelled}.")
        for error in report.errors[:20]:
            console.print(escape(error))
        if not every:
            return
        time.sleep(every)


@app.command()
@needs(P.INCIDENTS)
def status(actor: str = Actor) -> None:
    """Messages by state, and the failed ones with their last error."""
    with clerk_errors():
        view = outbox.outbox_status(uow())
    console.print(", ".join(f"{k} {v}" for k, v in view.counts.items()) + f"; retrying {view.retrying}.")
    if view.failed:
        table = Table("Message", "Channel", "Attempts", "Last error", "Written (UTC)")
        for m in view.failed:
            table.add_row(str(m.id), m.channel, str(m.attempts), escape(m.last_error), f"{m.created_at:%Y-%m-%d %H:%M}")
        console.print(table)
