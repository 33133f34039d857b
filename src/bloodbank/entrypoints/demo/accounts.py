"""One demo account per role, so a new user of the demo can try every screen.

The password is printed by `make run`: these accounts are for a demo database only. Hospital staff
see only their own hospitals' patients and orders: `hospital` works at two of the demo hospitals,
`hospital2` at the other two, so logging in as each shows the same region from two wards.
"""

from __future__ import annotations

from typing import Callable

from bloodbank.domain.access import ROLE_LABELS, Role
from bloodbank.service_layer.hospital import hospitals
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.staff import users

DEMO_PASSWORD = "bloodbank-demo"

DEMO_ACCOUNTS = (
    ("clerk", "Dana Desk", Role.CLERK),
    ("phlebotomist", "Pat Needle", Role.PHLEBOTOMIST),
    ("lab", "Lee Lab", Role.LAB_TECHNICIAN),
    ("inventory", "Ira Stock", Role.INVENTORY_MANAGER),
    ("hospital", "Hana Ward", Role.HOSPITAL_STAFF),
    ("hospital2", "Sam Vale", Role.HOSPITAL_STAFF),
    ("director", "Dr Mira Director", Role.MEDICAL_DIRECTOR),
    ("admin", "Ada Admin", Role.ADMINISTRATOR),
)


# The demo hospitals (`demo.blood.DEMO_HOSPITALS`) each hospital account belongs to.
DEMO_MEMBERSHIPS = {
    "hospital": ("DRI", "TUH"),
    "hospital2": ("SVGH", "PVH"),
}


def refusal(make_uow: Callable[[], UnitOfWork], *, has_records: bool) -> str | None:
    """Why the demo must not write into this database, if it must not: it holds what the demo did not make."""
    kinds = users.account_kinds(make_uow())
    if kinds.real:
        return (f"This database holds {kinds.real} account(s) the demo did not create: the demo writes only into "
                "a database of its own. Point --database (or BLOODBANK_DATABASE_URL) at a new file.")
    if has_records and not kinds.demo:
        return ("This database holds donors the demo did not create: the demo writes only into a database of its "
                "own. Point --database (or BLOODBANK_DATABASE_URL) at a new file.")
    return None


def ensure_demo_users(make_uow: Callable[[], UnitOfWork]) -> list[tuple[str, str]]:
    """Create whichever demo accounts are missing, hospital staff in their hospitals once these exist; every demo
    account as (user name, role label)."""
    existing = {user.username: user for user in users.list_users(make_uow())}
    for username, full_name, role in DEMO_ACCOUNTS:
        if username not in existing:
            existing[username] = users.create_user(make_uow(), username=username, full_name=full_name,
                                                   role=role.value, password=DEMO_PASSWORD, demo=True)
    on_file = {h.code for h in hospitals.list_hospitals(make_uow())}
    for username, codes in DEMO_MEMBERSHIPS.items():
        if not existing[username].hospitals and set(codes) <= on_file:
            users.set_hospitals(make_uow(), user_id=existing[username].id, hospitals=list(codes))
    return [(username, ROLE_LABELS[role]) for username, _, role in DEMO_ACCOUNTS]
