"""Staff accounts from the command line, and how the first administrator of a new installation is made.

On a database with no account at all, `users create NAME --role administrator --as installer`
makes the first administrator (recorded under the `--as` name); every other use needs an
administrator's account.
"""

from __future__ import annotations

import typer

from bloodbank.domain.access import Permission as P, Role
from bloodbank.domain.errors import InvalidInput, NotFound
from bloodbank.entrypoints.cli.context import clerk_errors, console, installing, running, uow
from bloodbank.entrypoints.cli.identity import Actor, needs
from bloodbank.service_layer.staff import authentication, users

app = typer.Typer(help="Staff accounts and API tokens.", no_args_is_help=True)

ROLES = ", ".join(r.value for r in Role)


@app.command("create")
@needs(P.USERS, first_account=True)
def create(
    username: str = typer.Argument(..., help="Lower-case login name, e.g. a.smith."),
    full_name: str = typer.Option(..., "--name", help="Full name, shown on every signature."),
    role: str = typer.Option(..., help=f"One of: {ROLES}."),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True,
                                 help="At least 10 characters (asked for when not given)."),
    service: bool = typer.Option(False, "--service", help="A machine client's account: API tokens only, no "
                                                          "browser login, never a signature."),
    actor: str = Actor,
) -> None:
    """Create a staff account (or, with --service, a machine client's)."""
    with clerk_errors():
        if installing() and role != Role.ADMINISTRATOR.value:
            raise InvalidInput("This installation has no account yet: its first account is its administrator "
                               "(--role administrator), who then creates the others.")
        view = users.create_user(uow(), username=username, full_name=full_name, role=role, password=password,
                                 service_account=service)
    console.print(f"Created [bold]{view.username}[/bold] ({view.role_label}).")


@app.command("list")
@needs(P.USERS)
def list_users(actor: str = Actor) -> None:
    """Every account with its role; disabled ones are marked."""
    for view in users.list_users(uow()):
        state = "" if view.active else "  (disabled)"
        console.print(f"{view.username:<20} {view.full_name:<30} {view.role_label}{state}")


@app.command("token")
@needs(P.USERS)
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
        issued = authentication.issue_api_token(uow(), user_id=found[0].id, name=name,
                                                issuer_id=running().principal.user_id)
    console.print(f"Token {issued.id} for {username}: [bold]{issued.token}[/bold]")


@app.command("password")
@needs(P.OWN_ACCOUNT)
def change_password(actor: str = Actor) -> None:
    """Choose your own password (required after an administrator reset it); asks for the current one first."""
    current = typer.prompt("Current password", hide_input=True)
    new = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    with clerk_errors():
        users.change_own_password(uow(), user_id=running().principal.user_id, current=current, new=new)
    console.print("Password changed.")
