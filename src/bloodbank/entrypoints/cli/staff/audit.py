from __future__ import annotations

import typer

from bloodbank.domain.access import Permission as P
from bloodbank.entrypoints.cli.context import console, err_console, uow
from bloodbank.entrypoints.cli.identity import Actor, needs
from bloodbank.service_layer.shared import audit

app = typer.Typer(help="Inspect the hash-chained audit log.", no_args_is_help=True)


@app.command()
@needs(P.AUDIT_READ)
def verify(actor: str = Actor) -> None:
    """Recompute the audit chain and report the first broken entry, if any (exit 1)."""
    report = audit.verify_chain(uow())
    if report.ok:
        console.print(f"Audit chain intact: {report.entries} entries verified.")
        if report.erased_payloads:
            by = ", ".join(f"{count} by entry {entry}" for entry, count in sorted(report.erased_by.items()))
            console.print(f"The values of {report.erased_payloads} entries were erased ({by}); "
                          "each erasure lists them and the chain around them is intact.")
        return
    err_console.print(
        f"[red]Audit chain BROKEN at entry {report.first_broken_id}: {report.problem}.[/red] "
        f"{report.entries} entries before it verified."
    )
    raise typer.Exit(1)
