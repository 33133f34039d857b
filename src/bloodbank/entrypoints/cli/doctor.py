from __future__ import annotations

import typer

from bloodbank.config import get_settings
from bloodbank.domain.access import Permission as P
from bloodbank.domain.deployment import DANGER
from bloodbank.entrypoints.cli.context import clerk_errors, console, uow
from bloodbank.entrypoints.cli.identity import Actor, needs
from bloodbank.entrypoints.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from bloodbank.service_layer.staff import doctor as checks


@needs(P.USERS)
def doctor(actor: str = Actor) -> None:
    """Check this installation for what makes it unsafe with real donors; exit 1 if anything is dangerous."""
    with clerk_errors():
        findings = checks.check(uow(), get_settings(), demo_usernames=frozenset(n for n, _, _ in DEMO_ACCOUNTS),
                                demo_password=DEMO_PASSWORD)
    if not findings:
        console.print("[green]No problem found.[/green]")
        return
    for finding in findings:
        colour = "red" if finding.level == DANGER else "yellow"
        console.print(f"[{colour}]{finding.level.upper()}[/{colour}] {finding.message}", highlight=False)
    if any(f.level == DANGER for f in findings):
        raise typer.Exit(1)
