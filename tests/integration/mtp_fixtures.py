"""A trauma hospital's blood bank for massive transfusion tests: emergency and group-specific stock, and a patient
registered by scanning a pre-printed wristband."""

from __future__ import annotations

from dataclasses import dataclass

from bloodbank.service_layer.hospital import identity_packs, massive_transfusion
from tests.integration.issue_fixtures import Ward, add_grouping, clerk, make_unit, make_ward
from tests.integration.patient_fixtures import make_screen

# Enough for three rounds of 2 red cells, 2 plasma and 1 platelet dose: emergency groups first, then group A.
STOCK = (("red_cells", "O-", 2), ("red_cells", "O+", 2), ("plasma", "AB+", 2), ("platelets_apheresis", "AB+", 1),
         ("red_cells", "A+", 4), ("plasma", "A+", 4), ("platelets_apheresis", "A+", 2))


@dataclass(frozen=True)
class TraumaBay:
    ward: Ward
    units: dict[str, list[int]]  # "kind group" → unit ids


def trauma_bay(database, *, ratio: str = "2:2:1") -> TraumaBay:
    ward = make_ward(database)
    units: dict[str, list[int]] = {}
    for kind, group, n in STOCK:
        units[f"{kind} {group}"] = [make_unit(database, ward.site, group, kind=kind) for _ in range(n)]
    massive_transfusion.set_hospital_ratio(clerk(database, "dr.director"), hospital_id=ward.hospital, ratio=ratio,
                                           reason="transfusion committee, small field stock")
    return TraumaBay(ward, units)


def casualty(database, bay: TraumaBay, *, sex: str | None = None) -> tuple[int, str]:
    """An unidentified casualty: a pack printed for the bay, its first wristband scanned. (patient id, number)"""
    pack = identity_packs.print_pack(clerk(database, "nurse.kim"), hospital_id=bay.ward.hospital, count=3,
                                     place="trauma bay 1")
    scanned = identity_packs.register_scanned(clerk(database, "nurse.kim"), scanned=pack.numbers[0], sex=sex)
    return scanned.patient.id, pack.numbers[0]


def group_confirmed(database, patient_id: int, group: str = "A+") -> None:
    """Two groupings on two samples and a negative antibody screen: group-specific blood may be issued."""
    add_grouping(database, patient_id, group)
    add_grouping(database, patient_id, group)
    make_screen(database, patient_id, positive=False)
