"""The demo's field hospital: the hospital served by the panel's site keeps its own massive transfusion ratio
(small rounds, for little stock) and has a pack of emergency identities printed for its trauma bay."""

from __future__ import annotations

from collections.abc import Callable

from bloodbank.service_layer.hospital import hospitals, identity_packs, massive_transfusion
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

PACK_SIZE = 10


def load_field_hospital(make_uow: Callable[[], UnitOfWork], site_id: int) -> bool:
    """Once: a second run finds the pack and adds nothing. Returns whether anything was made."""
    if identity_packs.list_packs(make_uow(), limit=1):
        return False
    served = [h for h in hospitals.list_hospitals(make_uow()) if h.site_id == site_id]
    if not served:
        return False
    hospital = served[0]
    massive_transfusion.set_hospital_ratio(make_uow(), hospital_id=hospital.id, ratio="1:1:1-small",
                                           reason="field hospital: little stock on the shelf, balanced small rounds")
    identity_packs.print_pack(make_uow(), hospital_id=hospital.id, count=PACK_SIZE, place="trauma bay 1")
    return True
