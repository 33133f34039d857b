"""Staff accounts from the command line, and how the first administrator of a new installation is made.

On a database with no account at all, `users create NAME --role administrator --as installer`
makes the first administrator (recorded under the `--as` name); every other use needs an
administrator's account.
"""

from __future__ import annotations

import typer

from bloodbank.domain.access import Permission as P, Role
from bloodbank.domain.errors import InvalidInput, NotFound
from bloodbank.domain.hospital_scope import HOSPITAL_ROLES
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
    hospital: list[str] = typer.Option([], "--hospital", help="Hospital staff only: a hospital (code) whose "
                                                              "patients and orders the account sees; repeat for each."),
    actor: str = Actor,
) -> None:
    """Create a staff account (or, with --service, a machine client's)."""
    with clerk_errors():
        if installing() and role != Role.ADMINISTRATOR.value:
            raise InvalidInput("This installation has no account yet: its first account is its administrator "
                               "(--role administrator), who then creates the others.")
        view = users.create_user(uow(), username=username, full_name=full_name, role=role, password=password,
                                 service_account=service, hospitals=hospital)
    console.print(f"Created [bold]{view.username}[/bold] ({view.role_label}){_of_hospitals(view)}.")


@app.command("list")
@needs(P.USERS)
def list_users(actor: str = Actor) -> None:
    """Every account with its role; disabled ones are marked."""
    for view in users.list_users(uow()):
        state = "" if view.active else "  (disabled)"
        console.print(f"{view.username:<20} {view.full_name:<30} {view.role_label}{_of_hospitals(view)}{state}")


def _of_hospitals(view: users.UserView) -> str:
    if view.role not in {r.value for r in HOSPITAL_ROLES}:
        return ""
    return f" of {', '.join(view.hospitals)}" if view.hospitals else " of no hospital (sees no patient)"


@app.command("hospitals")
@needs(P.USERS)
def hospitals(
    username: str = typer.Argument(..., help="The hospital staff account."),
    hospital: list[str] = typer.Option([], "--hospital", help="A hospital code; repeat for each. The account "
                                                              "then belongs to exactly these."),
    clear: bool = typer.Option(False, "--clear", help="Belong to no hospital: the account sees no patient."),
    reason: str = typer.Option("", "--reason", help="Recorded in the audit log."),
    actor: str = Actor,
) -> None:
    """Show or set the hospitals a hospital staff account belongs to (it sees only their patients and orders)."""
    with clerk_errors():
        found = _account(username)
        if hospital and clear:
            raise InvalidInput("Give hospitals with --hospital, or --clear for none: not both.")
        if hospital or clear:
            found = users.set_hospitals(uow(), user_id=found.id, hospitals=[] if clear else hospital, reason=reason)
    console.print(f"{found.username} ({found.role_label}){_of_hospitals(found) or ' sees every hospital'}.")


def _account(username: str) -> users.UserView:
    found = [u for u in users.list_users(uow()) if u.username == username.strip().lower()]
    if not found:
        raise NotFound(f"There is no user named {username}.")
    return found[0]


@app.command("token")
@needs(P.USERS)
def token(
    username: str = typer.Argument(..., help="The account the machine client acts as."),
    name: str = typer.Option(..., help="The system that will use the token, e.g. 'hospital LIS'."),
    actor: str = Actor,
) -> None:
    """Issue an API token (shown once: store it in the client's configuration)."""
    with clerk_errors():
        issued = authentication.issue_api_token(uow(), user_id=_account(username).id, name=name,
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
