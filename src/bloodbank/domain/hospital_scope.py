"""Which hospitals' records a person sees: each hospital its own, the blood service every one.

Hospital staff belong to one or more hospitals (an administrator says which).
The patients, orders, reservations, crossmatches, issues, transfusions,
reactions and returns of other hospitals are invisible to them: asked for by
id they are "not found", exactly as a record that does not exist, so a
refusal does not tell that it exists. The blood service's roles (medical
director, lab, inventory) work for every hospital and see them all. Units are
the blood service's stock, not a hospital's record: what happened to them on
a ward (issue, transfusion) is.

Whose record is what:
- an order, its reservations and what was issued against it: the order's hospital;
- an issue without an order (recorded before orders were required): its patient's hospital;
- a transfusion, its reactions and a return: their issue's;
- a patient, and their samples, groupings, screens, antibodies, requirements and crossmatches: the patient's
  hospital, and every hospital that has ordered blood for them (a patient moved between hospitals is treated
  at both). A patient of no hospital that no hospital has ordered for (a record older than hospitals) is seen
  by the blood service only. A merged record is seen as the person it was merged into.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bloodbank.domain.access import Role, role as known_role
from bloodbank.domain.errors import InvalidInput

# The roles whose accounts belong to hospitals; every other role works for the blood service as a whole.
HOSPITAL_ROLES = frozenset({Role.HOSPITAL_STAFF})


@dataclass(frozen=True)
class HospitalScope:
    """The hospitals whose records one may see: None for every hospital, else exactly these (maybe none)."""

    hospital_ids: frozenset[int] | None = None

    @property
    def everything(self) -> bool:
        return self.hospital_ids is None

    @property
    def nothing(self) -> bool:
        return self.hospital_ids is not None and not self.hospital_ids

    def includes(self, hospital_id: int | None) -> bool:
        """A record of this hospital is in scope; a record of no hospital only for the blood service."""
        if self.hospital_ids is None:
            return True
        return hospital_id is not None and hospital_id in self.hospital_ids

    def sees_patient(self, hospital_id: int | None, ordering_hospitals: Iterable[int | None] = ()) -> bool:
        """The patient's own hospital, or any hospital that has ordered blood for them."""
        return self.includes(hospital_id) or any(self.includes(h) for h in ordering_hospitals if h is not None)

    def sees_issue(self, order_hospital_id: int | None, patient_hospital_id: int | None) -> bool:
        """An issue is its order's hospital's; one issued without an order, its patient's hospital's."""
        return self.includes(order_hospital_id if order_hospital_id is not None else patient_hospital_id)


EVERY_HOSPITAL = HospitalScope(None)


def scope_of(role: Role | str, memberships: Iterable[int]) -> HospitalScope:
    """Hospital staff see the hospitals they belong to, and nothing when they belong to none; every other role
    sees every hospital (whether it may read patients at all is its permissions' business)."""
    try:
        hospital_role = Role(role) in HOSPITAL_ROLES
    except ValueError:
        return HospitalScope(frozenset())  # an unknown role sees nothing
    return HospitalScope(frozenset(memberships)) if hospital_role else EVERY_HOSPITAL


def check_memberships(role: Role | str, hospital_ids: Iterable[int]) -> frozenset[int]:
    """The hospitals an account may be given: only hospital staff belong to hospitals."""
    wanted = frozenset(hospital_ids)
    if wanted and known_role(role) not in HOSPITAL_ROLES:
        raise InvalidInput("Only hospital staff accounts belong to hospitals: the blood service's roles work for "
                           "every hospital. Leave the hospitals out, or choose the hospital staff role.")
    return wanted
