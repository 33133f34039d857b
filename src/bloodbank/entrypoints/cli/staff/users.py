"""Staff accounts from the command line: how the first administrator of a new installation is made."""

from __future__ import annotations

import typer

from bloodbank.domain.access import Role
from bloodbank.domain.errors import NotFound
from bloodbank.entrypoints.cli.context import clerk_errors, console, uow
from bloodbank.service_layer.staff import authentication, users

app = typer.Typer(help="Staff accounts and API tokens.", no_args_is_help=True)

Actor = typer.Option(..., "--as", envvar="BLOODBANK_USER", help="Your user name, recorded in the audit log.")
ROLES = ", ".join(r.value for r in Role)


@app.command("create")
def create(
    username: str = typer.Argument(..., help="Lower-case login name, e.g. a.smith."),
    full_name: str = typer.Option(..., "--name", help="Full name, shown on every signature."),
    role: str = typer.Option(..., help=f"One of: {ROLES}."),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True,
                                 help="At least 10 characters (asked for when not given)."),
    actor: str = Actor,
) -> None:
    """Create a staff account."""
    with clerk_errors():
        view = users.create_user(uow(actor), username=username, full_name=full_name, role=role, password=password)
    console.print(f"Created [bold]{view.username}[/bold] ({view.role_label}).")


@app.command("list")
def list_users() -> None:
    """Every account with its role; disabled ones are marked."""
    for view in users.list_users(uow()):
        state = "" if view.active else "  (disabled)"
        console.print(f"{view.username:<20} {view.full_name:<30} {view.role_label}{state}")


@app.command("token")
def token(
    username: str = typer.Argument(..., help="The account the machine client acts as."),
    name: str = typer.Option(..., help="The system that will use the token, e.g. 'hospital LIS'."),
    actor: str = Actor,
) -> None:
    """Issue an API token (shown once: store it in the client's configuration)."""
    with clerk_errors():
        found = [u for u in users.list_users(uow()) if u.username == username.strip().lower()]
        if not found:
            raise NotFound(f"There is no user named {username}.")
        issued = authentication.issue_api_token(uow(actor), user_id=found[0].id, name=name)
    console.print(f"Token {issued.id} for {username}: [bold]{issued.token}[/bold]")
