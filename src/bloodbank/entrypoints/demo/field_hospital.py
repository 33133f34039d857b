"""The demo's field hospital: the hospital served by the panel's site keeps its own massive transfusion ratio
(small rounds, for little stock) and has a pack of emergency identities printed for its trauma bay; one
low-titre O volunteer of the panel has the typings and full screen that make them callable.

The demo's donation history is imported without results, so without this nobody on the panel could be called;
their results come in as an analyser's file would bring them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone

from bloodbank.domain import walking_blood_bank as wbb
from bloodbank.domain.errors import Conflict
from bloodbank.domain.lab_tests import GROUPING
from bloodbank.domain.second_entry import ANALYSER
from bloodbank.service_layer.blood import testing
from bloodbank.service_layer.field import panel, titres
from bloodbank.service_layer.hospital import hospitals, identity_packs, massive_transfusion
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

PACK_SIZE = 10
SCREEN_WITHIN = timedelta(days=80)  # inside the panel's default screen validity (90 days), with a margin


def load_field_hospital(make_uow: Callable[[], UnitOfWork], site_id: int, donors: Sequence = ()) -> bool:
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
    _one_callable_volunteer(make_uow, site_id, donors)
    return True


def _one_callable_volunteer(make_uow: Callable[[], UnitOfWork], site_id: int, donors: Sequence) -> None:
    """The O volunteer who gave most recently (within the screen's validity) and whose titre is not high: re-titred
    if their titre lapsed, their last two donations typed and screened."""
    now = datetime.now(timezone.utc)
    rules = wbb.rules()
    history = {d.donor_id: d for d in donors}
    candidates = []
    for member in panel.panel_board(make_uow(), site_id=site_id).members:
        donor, titre = history.get(member.donor_id), member.facts.titre
        if donor is None or len(donor.donations) < 2 or not (donor.blood_group or "").startswith("O"):
            continue
        if titre is not None and max(titre.anti_a, titre.anti_b) >= rules.titre_threshold:
            continue  # high titre: a group-specific donor, not the one for a patient of unknown group
        if now - donor.donations[-1][1] <= SCREEN_WITHIN:
            candidates.append((member, donor))
    if not candidates:
        return
    member, chosen = max(candidates, key=lambda pair: pair[1].donations[-1][1])
    titre = member.facts.titre
    if titre is None or now - titre.tested_at > SCREEN_WITHIN:
        titres.record_titre(make_uow(), donor_id=chosen.donor_id, anti_a=64, anti_b=32,
                            tested_at=now - timedelta(days=2))
    results = [(GROUPING, "typed", chosen.blood_group)] + [(m, "negative", None) for m in rules.screen_markers]
    for donation_id, _ in chosen.donations[-2:]:
        for test, outcome, value in results:
            try:
                testing.record_result(make_uow(), donation_id=donation_id, test=test, outcome=outcome, value=value,
                                      source=ANALYSER)
            except Conflict:
                continue  # a result the demo's lab already gave
