"""A massive transfusion for an unidentified casualty: three coolers, one returned, the ratio and the report."""

import pytest

from bloodbank.adapters.db.models import Issue, Order, Unit
from bloodbank.domain.errors import Conflict, SignatureRefused
from bloodbank.domain.issue import IssueRefused
from bloodbank.service_layer.hospital import massive_transfusion, mtp_rounds
from tests.integration.issue_fixtures import clerk, din_scan, get
from tests.integration.mtp_fixtures import casualty, group_confirmed, trauma_bay
from tests.integration.web_fixtures import PASSWORD, make_user


def scans(database, round_view):
    return [din_scan(database, u.unit_id) for u in round_view.units]


def issue(database, round_view, number):
    return mtp_rounds.issue_round(clerk(database, "bms.ray"), round_id=round_view.id,
                                  scanned_units=scans(database, round_view), scanned_patient=number)


def test_an_unidentified_casualty_gets_three_coolers_and_one_comes_back_to_stock(database):
    bay = trauma_bay(database)
    patient_id, number = casualty(database, bay, sex="M")
    mtp = massive_transfusion.activate(clerk(database, "dr.lee"), patient_id=patient_id,
                                       reason="blast injury, trauma bay 1")
    assert mtp.ratio.text == "2:2:1" and mtp.patient.identifier("emergency") == number

    first = mtp_rounds.prepare_round(clerk(database, "bms.ray"), mtp_id=mtp.id)
    assert first.emergency and first.short == ()
    packed = {(u.kind, u.blood_group) for u in first.units}
    assert packed == {("red_cells", "O+"), ("plasma", "AB+"), ("platelets_apheresis", "AB+")}
    first = issue(database, first, number)

    group_confirmed(database, patient_id, "A+")
    second = mtp_rounds.prepare_round(clerk(database, "bms.ray"), mtp_id=mtp.id)
    assert not second.emergency
    assert {u.blood_group for u in second.units} == {"A+"}
    issue(database, second, number)
    third = mtp_rounds.prepare_round(clerk(database, "bms.ray"), mtp_id=mtp.id)
    issued = issue(database, third, number)
    assert all(get(database, Unit, u.unit_id).status == "issued" for u in issued.units)

    back = mtp_rounds.return_round(clerk(database, "bms.ray"), round_id=third.id, minutes_out_of_storage=20,
                                   kept_in_cold_chain=True, given=[scans(database, third)[0]])
    # Red cells and plasma kept cold go back on the shelf; platelets chilled in the cooler never do.
    assert [(u.kind, u.restocked) for u in back.units] == [
        ("red_cells", None), ("red_cells", True), ("plasma", True), ("plasma", True),
        ("platelets_apheresis", False)]
    assert [get(database, Unit, u.unit_id).status for u in back.units][1:] == ["available"] * 3 + ["discarded"]

    signer = make_user(database, "hospital_staff", "dr.lee")
    ended = massive_transfusion.deactivate(clerk(database, "dr.lee"), mtp_id=mtp.id, signer_id=signer.id,
                                           password=PASSWORD, note="bleeding controlled in theatre")
    assert not ended.active and len(ended.rounds) == 3
    counts = ended.counts
    assert (counts.red_cells, counts.plasma, counts.platelets) == (5, 4, 2)
    assert ended.returned_to_stock == 3 and ended.wasted == 1
    assert ended.achieved == (1, pytest.approx(0.8), pytest.approx(0.4))
    assert ended.o_negative_for_male == 0  # O-positive was chosen for him, the O-negative kept back
    with database.sessions() as session:
        orders = {session.get(Order, session.get(Issue, u.issue_id).order_id).urgency for u in first.units}
    assert orders == {"massive_transfusion"}


def test_a_cooler_back_too_late_is_discarded_under_the_return_rule(database):
    bay = trauma_bay(database)
    patient_id, number = casualty(database, bay)
    mtp = massive_transfusion.activate(clerk(database, "dr.lee"), patient_id=patient_id, reason="haemorrhage")
    first = mtp_rounds.prepare_round(clerk(database, "bms.ray"), mtp_id=mtp.id)
    assert {u.blood_group for u in first.units if u.kind == "red_cells"} == {"O-"}  # sex unknown: O-negative
    issue(database, first, number)
    back = mtp_rounds.return_round(clerk(database, "bms.ray"), round_id=first.id, minutes_out_of_storage=240,
                                   kept_in_cold_chain=False)
    red = [u for u in back.units if u.kind == "red_cells"]
    assert all(u.restocked is False and u.status == "discarded" for u in red)
    view = massive_transfusion.get(clerk(database), mtp_id=mtp.id)
    assert view.wasted >= 2 and view.counts.red_cells == 0


def test_a_cooler_is_refused_whole_when_one_unit_is_not_scanned_into_it(database):
    bay = trauma_bay(database)
    patient_id, number = casualty(database, bay)
    mtp = massive_transfusion.activate(clerk(database, "dr.lee"), patient_id=patient_id, reason="haemorrhage")
    first = mtp_rounds.prepare_round(clerk(database, "bms.ray"), mtp_id=mtp.id)
    with pytest.raises(IssueRefused, match="not scanned into the cooler"):
        mtp_rounds.issue_round(clerk(database), round_id=first.id, scanned_units=scans(database, first)[1:],
                               scanned_patient=number)
    assert {get(database, Unit, u.unit_id).status for u in first.units} == {"reserved"}
    with pytest.raises(IssueRefused, match="(?i)wrong patient|not this patient|does not"):
        mtp_rounds.issue_round(clerk(database), round_id=first.id, scanned_units=scans(database, first),
                               scanned_patient="EM-2026-9999")


def test_a_second_cooler_waits_until_the_first_is_issued_and_none_after_the_end(database):
    bay = trauma_bay(database)
    patient_id, number = casualty(database, bay)
    mtp = massive_transfusion.activate(clerk(database, "dr.lee"), patient_id=patient_id, reason="haemorrhage")
    with pytest.raises(Conflict, match="already active"):
        massive_transfusion.activate(clerk(database, "dr.lee"), patient_id=patient_id, reason="again")
    mtp_rounds.prepare_round(clerk(database), mtp_id=mtp.id)
    with pytest.raises(Conflict, match="not yet issued"):
        mtp_rounds.prepare_round(clerk(database), mtp_id=mtp.id)
    signer = make_user(database, "hospital_staff", "dr.lee")
    with pytest.raises(SignatureRefused):
        massive_transfusion.deactivate(clerk(database, "dr.lee"), mtp_id=mtp.id, signer_id=signer.id,
                                       password="not the password")
    assert massive_transfusion.get(clerk(database), mtp_id=mtp.id).active
    massive_transfusion.deactivate(clerk(database, "dr.lee"), mtp_id=mtp.id, signer_id=signer.id, password=PASSWORD)
    with pytest.raises(Conflict, match="has ended"):
        mtp_rounds.prepare_round(clerk(database), mtp_id=mtp.id)


def test_o_negative_given_to_a_man_is_flagged(database):
    bay = trauma_bay(database, ratio="2:0:0")
    patient_id, number = casualty(database, bay, sex="M")
    for unit_id in bay.units["red_cells O+"]:
        with database.sessions() as session, session.begin():
            session.get(Unit, unit_id).status = "discarded"
    mtp = massive_transfusion.activate(clerk(database, "dr.lee"), patient_id=patient_id, reason="haemorrhage")
    first = mtp_rounds.prepare_round(clerk(database), mtp_id=mtp.id)
    issue(database, first, number)
    assert massive_transfusion.get(clerk(database), mtp_id=mtp.id).o_negative_for_male == 2
