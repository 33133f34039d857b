from __future__ import annotations

import pytest

from bloodbank.domain.errors import InvalidInput, NotFound
from bloodbank.service_layer.hospital.transfusion import end_transfusion, start_transfusion
from bloodbank.service_layer.traceability.recall import list_recalls, recall
from tests.integration.trace_fixtures import (
    VITALS, audit_actions, build_chain, clerk, counts, issue_unit, live_reservations, make_patient, make_unit,
    reserve_unit, unit_status,
)


def _actions(view):
    return {u.unit_id: (u.status_before, u.action, u.status_now) for u in view.units}


def test_a_donor_recall_takes_stock_out_calls_back_issued_units_and_lists_transfused_ones(database):
    chain = build_chain(database)
    reserved = make_unit(database, din=chain.dins["B"], kind="plasma", site_id=chain.site_id, status="available",
                         donation_id=chain.donations["B"], parents=(chain.units["WB_B"],))
    patient_id, _ = make_patient(database, chain.hospital_id)
    issue_unit(database, reserved, patient_id, chain.hospital_id)  # issued, not yet transfused

    view = recall(clerk(database, "dr.qa"), reason="donor reported hepatitis", donor_id=chain.donors["B"])

    assert _actions(view) == {
        chain.units["WB_B"]: ("processed", "already_out", "processed"),
        chain.units["RC_B"]: ("available", "recalled", "recalled"),
        reserved: ("issued", "recalled_from_ward", "recalled"),
        chain.units["POOL"]: ("transfused", "listed", "transfused"),
    }
    assert unit_status(database, chain.units["RC_B"]) == "recalled"
    assert unit_status(database, chain.units["RC_C"]) == "available"  # another donor in the pool: untouched
    assert view.scope == {"donor_id": chain.donors["B"]} and view.opened_by == "dr.qa"
    assert [e.action for e in audit_actions(database, "recall")] == ["create"]


def test_a_reserved_unit_is_recalled_and_its_reservation_released(database):
    chain = build_chain(database)
    unit_id = make_unit(database, din=chain.dins["C"], kind="plasma", site_id=chain.site_id,
                        donation_id=chain.donations["C"], parents=(chain.units["WB_C"],))
    patient_id, _ = make_patient(database, chain.hospital_id)
    reserve_unit(database, unit_id, patient_id, chain.hospital_id)

    view = recall(clerk(database), reason="bacterial contamination in a co-component", din=str(chain.dins["C"]))

    assert _actions(view)[unit_id] == ("reserved", "recalled", "recalled")
    assert live_reservations(database, unit_id) == 0


def test_a_recall_by_donation_din_follows_the_split_and_the_pool(database):
    chain = build_chain(database)

    view = recall(clerk(database), reason="look-back positive", din=chain.dins["A"].eye_readable)

    actions = _actions(view)
    assert actions[chain.units["PL_A"]] == ("available", "recalled", "recalled")
    assert actions[chain.units["RC_A1"]][1] == actions[chain.units["RC_A2"]][1] == "listed"
    assert actions[chain.units["POOL"]][1] == "listed"
    assert chain.units["RC_B"] not in actions


def test_a_recall_by_list_of_donations_and_the_list_of_recalls(database):
    chain = build_chain(database)

    first = recall(clerk(database), reason="bag lot defect", donation_ids=[chain.donations["C"], chain.donations["D"]])
    recalled = recall(clerk(database), reason="second look", donation_ids=[chain.donations["C"]])

    assert {u.unit_id for u in first.units if u.action == "recalled"} == {chain.units["RC_C"], chain.units["RC_D"]}
    assert _actions(recalled)[chain.units["RC_C"]] == ("recalled", "already_out", "recalled")
    listed = list_recalls(clerk(database))
    assert [v.recall_id for v in listed] == [recalled.recall_id, first.recall_id]
    assert listed[1].scope == {"donation_ids": sorted([chain.donations["C"], chain.donations["D"]])}


def test_a_unit_running_into_a_patient_is_flagged_not_moved_so_the_transfusion_can_still_be_ended(database):
    chain = build_chain(database)
    unit_id = make_unit(database, din=chain.dins["D"], kind="plasma", site_id=chain.site_id,
                        donation_id=chain.donations["D"], parents=(chain.units["WB_D"],))
    patient_id, wristband = make_patient(database, chain.hospital_id)
    issue_id, _ = issue_unit(database, unit_id, patient_id, chain.hospital_id, minutes_ago=5)
    started = start_transfusion(clerk(database, "nurse.kim"), issue_id=issue_id, scanned_unit=str(chain.dins["D"]),
                                scanned_patient=wristband, vitals_before=VITALS, checked_by=None)

    view = recall(clerk(database), reason="donor called back", donor_id=chain.donors["D"])

    assert _actions(view)[unit_id] == ("issued", "in_transfusion", "issued")
    end_transfusion(clerk(database, "nurse.kim"), transfusion_id=started.transfusion_id, volume_given_ml=90,
                    outcome="stopped_other", vitals_after=VITALS)
    assert unit_status(database, unit_id) == "transfused"


@pytest.mark.parametrize("kwargs, error, message", [
    ({"reason": "", "donor_id": 1}, InvalidInput, "Give the reason"),
    ({"reason": "x", "donor_id": 1, "din": "G123426000001"}, InvalidInput, "exactly one"),
    ({"reason": "x"}, InvalidInput, "exactly one"),
    ({"reason": "x", "donor_number": "D9999999X"}, NotFound, "No donor D9999999X"),
    ({"reason": "x", "din": "G123426999999"}, NotFound, "No donation and no unit"),
    ({"reason": "x", "donation_ids": [999999]}, NotFound, "No donation with id 999999"),
])
def test_a_refused_recall_changes_nothing(database, kwargs, error, message):
    build_chain(database)
    before = counts(database)

    with pytest.raises(error, match=message):
        recall(clerk(database), **kwargs)

    assert counts(database) == before
