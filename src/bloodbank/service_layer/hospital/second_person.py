"""The second person who checks a clinical act: a real colleague who may do the act and sees the patient.

Who they are is proved before the act by their own password (`staff.authentication.confirm_second_person`);
inside the act's transaction this checks what they may do and whose records they see, as for the person
doing it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Patient, User
from bloodbank.domain.access import Permission, may
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.hospital_scope import scope_of
from bloodbank.service_layer.hospital import scope
from bloodbank.service_layer.staff.memberships import hospitals_of


def check_second_person(session: Session, username: str, *, permission: Permission, person: Patient,
                        act: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not user.active:
        raise InvalidInput(f"There is no active account named {username!r} to check the {act}: nothing was done.")
    if not may(user.role, permission):
        raise InvalidInput(f"{user.username} may not check the {act}: it needs an account allowed to do it. "
                           "Nothing was done.")
    if not scope.sees_person(session, scope_of(user.role, hospitals_of(session, user.id)), person):
        raise InvalidInput(f"{user.username} may not check the {act}: they do not work for this patient's hospital. "
                           "Nothing was done.")
    return user
