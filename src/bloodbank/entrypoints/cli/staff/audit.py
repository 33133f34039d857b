from __future__ import annotations

import typer

from bloodbank.domain.access import Permission as P
from bloodbank.entrypoints.cli.context import console, err_console, uow
from bloodbank.entrypoints.cli.identity import Actor, needs
from bloodbank.service_layer.shared import audit

app = typer.Typer(help="Inspect the hash-chained audit log.", no_args_is_help=True)


@app.command()
@needs(P.AUDIT_READ)
def verify(record: bool = typer.Option(False, "--record", help="Write the result to the log as an entry: the "
                                                                  "audit page then checks only the entries after it."),
           actor: str = Actor) -> None:
    """Recompute the audit chain and report the first broken entry, if any (exit 1)."""
    if record:
        found = audit.record_verification(uow())
        console.print(f"Result written to the log as entry {found.entry_id}.")
        ok, entries, first_broken_id, problem = found.ok, found.entries, found.first_broken_id, found.problem
        erased = f"The values of {found.erased_payloads} entries were erased by {found.erasures} erasure entries" \
            if found.erased_payloads else ""
    else:
        report = audit.verify_chain(uow())
        ok, entries, first_broken_id, problem = report.ok, report.entries, report.first_broken_id, report.problem
        by = ", ".join(f"{count} by entry {entry}" for entry, count in sorted(report.erased_by.items()))
        erased = f"The values of {report.erased_payloads} entries were erased ({by})" if report.erased_payloads else ""
    if ok:
        console.print(f"Audit chain intact: {entries} entries verified.")
        if erased:
            console.print(f"{erased}; each erasure lists them and the chain around them is intact.")
        return
    err_console.print(
        f"[red]Audit chain BROKEN at entry {first_broken_id}: {problem}.[/red] "
        f"{entries} entries before it verified."
    )
    raise typer.Exit(1)
