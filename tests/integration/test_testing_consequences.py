from sqlalchemy import func, select

from bloodbank.adapters.db.models import Deferral, Donor, Hospital, Order, Reservation, Unit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.second_entry import ANALYSER
from bloodbank.service_layer.blood.testing import correct_result, give_second_entry, record_result
from tests.integration.lab_fixtures import (
    audit_entries, donor_of, follow_ups, get, insert, lab, make_donation, make_donor, make_pool, make_site, make_unit,
    status_of, unit_events,
)


def donation_with_components(database, **unit_kw):
    site = make_site(database)
    donation = make_donation(database, site_id=site)
    units = [make_unit(database, donation_id=donation, site_id=site, kind=kind, division=div, **unit_kw)
             for kind, div in (("red_cells", "00"), ("plasma", "00"), ("platelets_apheresis", "00"))]
    return site, donation, units


def test_a_reactive_marker_discards_every_component_of_the_donation_at_once(database):
    _, donation, units = donation_with_components(database)
    view = record_result(lab(database), donation_id=donation, test="hcv", outcome="reactive")
    for unit_id in units:
        unit = get(database, Unit, unit_id)
        assert (unit.status, unit.discard_reason) == ("discarded", "reactive")
    assert "3 unit(s) discarded" in view.consequences


def test_a_pool_containing_a_reactive_donation_is_discarded_too(database):
    site = make_site(database)
    bad, good = make_donation(database, site_id=site), make_donation(database, site_id=site)
    bad_plt = make_unit(database, donation_id=bad, site_id=site, kind="platelets_apheresis", status="processed")
    good_plt = make_unit(database, donation_id=good, site_id=site, kind="platelets_apheresis", status="processed")
    pool = make_pool(database, parents=[bad_plt, good_plt], site_id=site)
    aliquot = make_pool(database, parents=[pool], site_id=site)
    record_result(lab(database), donation_id=bad, test="nat_hiv", outcome="reactive")
    assert (status_of(database, pool), status_of(database, aliquot)) == ("discarded", "discarded")
    assert status_of(database, bad_plt) == "processed"  # lives on only in its children, now discarded


def test_an_indeterminate_or_preliminary_reactive_result_discards_as_well(database):
    _, donation, units = donation_with_components(database)
    record_result(lab(database), donation_id=donation, test="syphilis", outcome="indeterminate", final=False)
    assert {status_of(database, u) for u in units} == {"discarded"}


def test_issued_units_are_recalled_transfused_ones_need_lookback_and_a_follow_up_is_opened(database):
    site = make_site(database)
    donation = make_donation(database, site_id=site)
    issued = make_unit(database, donation_id=donation, site_id=site, status="issued")
    transfused = make_unit(database, donation_id=donation, site_id=site, kind="plasma", status="transfused")
    record_result(lab(database), donation_id=donation, test="hbv", outcome="reactive")
    assert (status_of(database, issued), status_of(database, transfused)) == ("recalled", "transfused")
    [follow_up] = follow_ups(database)
    assert (follow_up.reason, follow_up.donor_id, follow_up.donation_id) == (
        "reactive_marker", donor_of(database, donation), donation)
    assert "lookback_needed" in follow_up.detail
    assert str(issued) in follow_up.detail and str(transfused) in follow_up.detail


def test_no_deferral_is_created_automatically_a_physician_confirms(database):
    _, donation, _ = donation_with_components(database)
    record_result(lab(database), donation_id=donation, test="hiv", outcome="reactive")
    with database.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Deferral)) == 0
    assert [f.reason for f in follow_ups(database)] == ["reactive_marker"]


def test_a_second_reactive_marker_adds_to_the_open_follow_up(database):
    _, donation, _ = donation_with_components(database)
    record_result(lab(database), donation_id=donation, test="hiv", outcome="reactive")
    record_result(lab(database), donation_id=donation, test="hcv", outcome="reactive")
    [follow_up] = follow_ups(database)
    assert "HIV reactive" in follow_up.detail and "HCV reactive" in follow_up.detail


def test_correcting_a_reactive_result_to_negative_does_not_bring_units_back(database):
    _, donation, units = donation_with_components(database)
    first = record_result(lab(database), donation_id=donation, test="hiv", outcome="reactive")
    correct_result(lab(database), result_id=first.id, outcome="negative", reason="sample mix-up")
    assert {status_of(database, u) for u in units} == {"discarded"}


def test_a_correction_from_negative_to_reactive_discards(database):
    _, donation, units = donation_with_components(database)
    first = record_result(lab(database), donation_id=donation, test="hiv", outcome="negative")
    correct_result(lab(database), result_id=first.id, outcome="reactive", reason="transcription error")
    assert {status_of(database, u) for u in units} == {"discarded"}


def test_the_first_typing_sets_the_donors_group_and_the_units_group(database):
    site = make_site(database)
    donation = make_donation(database, site_id=site)
    unit = make_unit(database, donation_id=donation, site_id=site, blood_group=None)
    record_result(lab(database), donation_id=donation, test="abo_rh", outcome="O-", source=ANALYSER)
    assert get(database, Donor, donor_of(database, donation)).blood_group == "O-"
    row = get(database, Unit, unit)
    # A label verified before the group was known cannot carry it: verify again.
    assert (row.blood_group, row.label_verified_at) == ("O-", None)
    donor_audit = [e for e in audit_entries(database, "donor") if e.action == "update"]
    assert donor_audit[-1].new == {"blood_group": "O-", "blood_group_confirmed": True}
    assert [e.event for e in unit_events(database, unit)] == ["lab_update"]


def test_a_preliminary_typing_does_not_set_the_donors_group(database):
    site = make_site(database)
    donation = make_donation(database, site_id=site)
    record_result(lab(database), donation_id=donation, test="abo_rh", outcome="O-", final=False)
    assert get(database, Donor, donor_of(database, donation)).blood_group is None


def test_a_typing_that_disagrees_with_the_donors_record_flags_the_donor_and_opens_a_follow_up(database):
    site = make_site(database)
    donor = make_donor(database, blood_group="A+")
    donation = make_donation(database, site_id=site, donor_id=donor)
    unit = make_unit(database, donation_id=donation, site_id=site, blood_group=None)
    view = record_result(lab(database), donation_id=donation, test="abo_rh", outcome="B+")
    row = get(database, Donor, donor)
    assert (row.blood_group, row.group_discrepancy) == ("A+", True)
    assert get(database, Unit, unit).blood_group is None
    [follow_up] = follow_ups(database)
    assert follow_up.reason == "group_discrepancy" and "B+" in follow_up.detail and "A+" in follow_up.detail
    assert any("donor flagged" in note for note in view.consequences)


def test_a_typing_that_disagrees_with_an_earlier_donation_flags_the_donor(database):
    site = make_site(database)
    donor = make_donor(database)
    earlier, later = (make_donation(database, site_id=site, donor_id=donor) for _ in range(2))
    record_result(lab(database), donation_id=earlier, test="abo_rh", outcome="O+", final=False)
    record_result(lab(database), donation_id=later, test="abo_rh", outcome="O-")
    assert get(database, Donor, donor).group_discrepancy


def test_a_final_cmv_negative_marks_the_units_and_a_positive_correction_unmarks_them(database):
    _, donation, units = donation_with_components(database)
    first = record_result(lab(database), donation_id=donation, test="cmv", outcome="negative", source=ANALYSER)
    assert all(get(database, Unit, u).cmv_negative for u in units)
    correct_result(lab(database), result_id=first.id, outcome="positive", reason="wrong sample read")
    assert not any(get(database, Unit, u).cmv_negative for u in units)
    assert {status_of(database, u) for u in units} == {"quarantined"}  # CMV is not a reason to discard


def test_a_preliminary_cmv_negative_marks_nothing(database):
    _, donation, units = donation_with_components(database)
    record_result(lab(database), donation_id=donation, test="cmv", outcome="negative", final=False)
    assert not any(get(database, Unit, u).cmv_negative for u in units)


def test_a_reserved_unit_loses_its_reservation_when_a_marker_is_reactive(database):
    site = make_site(database)
    donation = make_donation(database, site_id=site)
    unit = make_unit(database, donation_id=donation, site_id=site, status="reserved")
    hospital = insert(database, Hospital(code="H-LAB", name="General", site_id=site))
    order = insert(database, Order(hospital_id=hospital, kind="red_cells", quantity=1, needed_by=utcnow(),
                                   ordered_by="dr.who"))
    reservation = insert(database, Reservation(order_id=order, unit_id=unit, reserved_at=utcnow(),
                                               reserved_by="lab.kim"))
    record_result(lab(database), donation_id=donation, test="hiv", outcome="reactive")
    assert status_of(database, unit) == "discarded"
    assert get(database, Reservation, reservation).released_at is not None


def test_history_is_read_across_merged_donor_records(database):
    site = make_site(database)
    survivor = make_donor(database, blood_group="O+")
    duplicate = make_donor(database)
    with database.sessions() as s, s.begin():
        s.get(Donor, duplicate).merged_into_id = survivor
    donation = make_donation(database, site_id=site, donor_id=duplicate)
    record_result(lab(database), donation_id=donation, test="abo_rh", outcome="A+")
    assert get(database, Donor, duplicate).group_discrepancy
