from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bloodbank.domain.blood_groups import ALL_GROUPS
from bloodbank.domain.issue import SAMPLE_VALIDITY, IssueRefused, Refusal, electronic_issue_allowed, issue_checks
from bloodbank.domain.patient_profile import AntibodyScreenResult, Grouping, PatientProfile
from bloodbank.domain.requirements import UnitFacts, compatible_with_patient

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
DIN = "G123426000001"
SCAN = "=G12342600000100"


def ready(group="A+", **changes):
    """A patient who meets every electronic issue criterion."""
    profile = PatientProfile(
        patient_id=7, sex="M", date_of_birth=date(1960, 1, 1),
        identifiers=(("mrn", "RXH:123456"), ("emergency", "EM-2026-0001")),
        groupings=(Grouping(group, None, NOW - timedelta(days=700), historical=True),
                   Grouping(group, 11, NOW - timedelta(hours=5))),
        antibody_screens=(AntibodyScreenResult(False, 11, NOW - timedelta(hours=5)),),
    )
    return replace(profile, **changes)


def unit(group="A+", kind="red_cells", **kw):
    fields = dict(id=3, din=DIN, kind=kind, blood_group=group, expires_at=NOW + timedelta(days=10),
                  status="reserved", product_code="X0002")
    fields.update(kw)
    return UnitFacts(**fields)


def checks(unit_=None, profile=None, *, scanned_unit=SCAN, scanned_patient="mrn:RXH:123456", crossmatch=None,
           emergency=False, reserved_for=7, **kw):
    return issue_checks(unit_ or unit(), profile or ready(), now=NOW, scanned_unit_din=scanned_unit,
                        scanned_patient_id=scanned_patient, crossmatch=crossmatch, emergency=emergency,
                        reserved_for=reserved_for, **kw)


def codes(refusals):
    return [r.code for r in refusals]


# ---------------------------------------------------------------- electronic issue

def test_electronic_issue_is_allowed_when_every_criterion_is_met():
    assert electronic_issue_allowed(ready(), now=NOW) == (True, ())


@pytest.mark.parametrize("changes, reason", [
    ({"antibodies": ("anti-K",)}, "history of clinically significant antibodies (anti-K)"),
    ({"groupings": (Grouping("A+", 11, NOW),)}, "one sample only"),
    ({"groupings": (Grouping("A+", 10, NOW), Grouping("A+", 11, NOW, manually_edited=True))}, "edited by hand"),
    ({"groupings": (Grouping("A+", 10, NOW), Grouping("O+", 11, NOW))}, "groupings disagree"),
    ({"antibody_screens": ()}, "no antibody screen"),
    ({"antibody_screens": (AntibodyScreenResult(False, 11, NOW, manually_edited=True),)},
     "screen was entered or edited by hand"),
    ({"antibody_screens": (AntibodyScreenResult(True, 11, NOW),)}, "latest antibody screen is positive"),
    ({"antibody_screens": (AntibodyScreenResult(True, 9, NOW - timedelta(days=90)),
                           AntibodyScreenResult(False, 11, NOW))}, "earlier antibody screen was positive"),
    ({"antibody_screens": (AntibodyScreenResult(False, 11, NOW - SAMPLE_VALIDITY - timedelta(minutes=1)),)},
     "more than 3 days old"),
])
def test_electronic_issue_is_refused_and_a_crossmatch_required(changes, reason):
    allowed, reasons = electronic_issue_allowed(ready(**changes), now=NOW)
    assert not allowed
    assert any(reason in r for r in reasons), reasons
    assert reasons[-1] == "A serological crossmatch is required."


# ---------------------------------------------------------------- issue checks

def test_a_correct_issue_has_no_refusal():
    assert checks() == []
    assert checks(scanned_unit="G1234 26 000001") == []
    assert checks(scanned_patient="EM-2026-0001") == []


def test_a_scan_of_another_unit_is_a_hard_stop():
    refusals = checks(scanned_unit="=G12342600000200")
    assert codes(refusals) == ["wrong_unit"] and refusals[0].hard_stop
    assert refusals[0].message.startswith("Scanned unit G1234 26 000002 ")
    assert "is not the unit allocated (G1234 26 000001" in refusals[0].message


def test_an_unreadable_unit_scan_is_refused_with_the_reason():
    refusals = checks(scanned_unit="G1234 26 000001 Z")
    assert codes(refusals) == ["unit_scan_unreadable"] and "Check character 'Z'" in refusals[0].message


def test_the_right_donation_but_another_product_is_a_hard_stop():
    assert checks(scanned_product="=<X0002V00") == []
    assert checks(scanned_product="X0002V00") == []
    assert codes(checks(scanned_product="=<X0002VAa")) == ["wrong_unit"]
    assert codes(checks(scanned_product="=<X0002\x00V00")) == ["unit_scan_unreadable"]
    refusals = checks(scanned_product="=<X0006V00")
    assert codes(refusals) == ["wrong_unit"] and "is not the product allocated" in refusals[0].message


@pytest.mark.parametrize("scan", ["mrn:RXH:999999", "9434765919", "", "EM-2026-0002"])
def test_a_scan_of_another_patient_is_a_hard_stop(scan):
    refusals = checks(scanned_patient=scan)
    assert codes(refusals) == ["wrong_patient"] and refusals[0].hard_stop
    assert "atient" in refusals[0].message


def test_a_unit_reserved_for_someone_else_or_not_reserved_is_refused():
    assert codes(checks(reserved_for=8)) == ["reserved_for_another"]
    assert codes(checks(unit(status="available"), reserved_for=None)) == ["not_reserved"]
    assert codes(checks(unit("O+", status="quarantined"), reserved_for=None, emergency=True)) == ["not_reserved"]


def test_an_expired_unit_is_refused():
    refusals = checks(unit(expires_at=NOW - timedelta(minutes=1)))
    assert codes(refusals) == ["expired"] and "expired at 2026-03-02 09:59 UTC" in refusals[0].message


def test_an_incompatible_unit_is_a_hard_stop():
    refusals = checks(unit("B+"))
    assert codes(refusals) == ["incompatible"]
    assert "is NOT compatible with the patient's group A+" in refusals[0].message


def test_an_ignored_special_requirement_is_refused():
    refusals = checks(profile=ready(requirements=frozenset({"irradiated", "cmv_negative"})))
    assert codes(refusals) == ["requirement_not_met", "requirement_not_met"]


def test_an_incompatible_crossmatch_is_a_hard_stop_even_with_electronic_criteria_met():
    refusals = checks(crossmatch="incompatible")
    assert codes(refusals) == ["crossmatch_incompatible"] and refusals[0].hard_stop


def test_a_compatible_crossmatch_replaces_electronic_issue():
    antibodies = ready(antibodies=("anti-E",))
    refusals = checks(profile=antibodies)
    assert codes(refusals) == ["crossmatch_required"] and not refusals[0].hard_stop
    assert "anti-E" in refusals[0].message
    assert checks(profile=antibodies, crossmatch="compatible") == []


def test_plasma_needs_no_crossmatch_only_a_compatible_group():
    antibodies = ready(antibodies=("anti-E",))
    assert checks(unit("AB+", kind="plasma"), antibodies) == []
    assert codes(checks(unit("O+", kind="plasma"), antibodies)) == ["incompatible"]


def test_every_reason_is_reported_at_once():
    refusals = checks(unit("B+", expires_at=NOW - timedelta(days=1)), scanned_unit="=G12342600000200",
                      scanned_patient="mrn:RXH:999999", reserved_for=8)
    assert codes(refusals) == ["wrong_unit", "wrong_patient", "reserved_for_another", "expired", "incompatible"]
    error = IssueRefused(refusals)
    assert error.message.startswith("STOP: do not issue this unit.") and error.code == "issue_refused"
    assert error.message.count("\n- ") == 5


def test_a_refusal_that_can_be_put_right_is_not_called_a_stop():
    error = IssueRefused([Refusal("crossmatch_required", "Electronic issue is not allowed.")])
    assert error.message.startswith("This unit cannot be issued yet.")


# ---------------------------------------------------------------- emergency release

def unknown_woman():
    return PatientProfile(patient_id=7, sex="F", date_of_birth=None, identifiers=(("emergency", "EM-2026-0001"),))


def test_emergency_release_of_o_negative_red_cells_needs_no_crossmatch_but_the_scans_must_match():
    available = unit("O-", status="available")
    assert checks(available, unknown_woman(), scanned_patient="EM-2026-0001", emergency=True, reserved_for=None) == []
    wrong = checks(available, unknown_woman(), scanned_patient="EM-2026-0002", emergency=True, reserved_for=None)
    assert codes(wrong) == ["wrong_patient"]


def test_emergency_release_to_a_woman_of_unknown_age_is_never_o_positive():
    refusals = checks(unit("O+", status="available"), unknown_woman(), scanned_patient="EM-2026-0001",
                      emergency=True, reserved_for=None)
    assert codes(refusals) == ["incompatible"]


def test_emergency_release_allows_ab_plasma_but_not_group_specific_units():
    woman = unknown_woman()
    scan = dict(scanned_patient="EM-2026-0001", emergency=True, reserved_for=None)
    assert checks(unit("AB+", kind="plasma", status="available"), woman, **scan) == []
    known = ready("A+")
    refusals = checks(unit("A+", status="available"), known, emergency=True, reserved_for=None)
    assert codes(refusals) == ["emergency_group"]
    assert "group O red cells" in refusals[0].message


def test_emergency_release_still_stops_on_an_incompatible_crossmatch_or_a_known_rhd_negative_patient():
    assert codes(checks(unit("O-", status="available"), ready("A-"), emergency=True, reserved_for=None,
                        crossmatch="incompatible")) == ["crossmatch_incompatible"]
    assert codes(checks(unit("O+", status="available"), ready("O-"), emergency=True,
                        reserved_for=None)) == ["incompatible"]


@pytest.mark.parametrize("emergency, status, reserved_for", [
    (False, "reserved", 7),  # held for this very patient: still not a dose
    (True, "available", None),
    (True, "reserved", 7),
])
@pytest.mark.parametrize("group", ["O-", "A+", "AB+"])
def test_a_single_platelet_concentrate_is_never_issued_to_a_patient(emergency, status, reserved_for, group):
    facts = unit(group, kind="platelet_concentrate", status=status)
    refusals = checks(facts, ready(group), crossmatch="compatible", emergency=emergency, reserved_for=reserved_for)
    concentrate = [r for r in refusals if r.code == "not_a_dose"]
    assert len(concentrate) == 1 and concentrate[0].hard_stop
    assert concentrate[0].message == (f"Unit {facts.label}: a single platelet concentrate is a fraction of an adult "
                                      "dose: pool it first (4 to 6 of one ABO/RhD group make one adult dose).")
    assert "STOP: do not issue" in IssueRefused(refusals).message


def test_pooled_platelets_are_issued_where_a_concentrate_is_not():
    assert codes(checks(unit("A+", kind="platelets_pooled"), ready("A+"))) == []
    assert codes(checks(unit("A+", kind="platelet_concentrate"), ready("A+"))) == ["not_a_dose"]


@given(donor=st.sampled_from(ALL_GROUPS), recipient=st.sampled_from(ALL_GROUPS),
       kind=st.sampled_from(["red_cells", "plasma", "platelets_apheresis", "cryo", "whole_blood"]),
       emergency=st.booleans())
def test_no_incompatible_unit_ever_passes_the_issue_checks(donor, recipient, kind, emergency):
    profile, facts = ready(str(recipient)), unit(str(donor), kind=kind)
    refusals = checks(facts, profile, crossmatch="compatible", emergency=emergency)
    if not compatible_with_patient(facts, profile, now=NOW):
        assert "incompatible" in codes(refusals)


@pytest.mark.parametrize("scan", ["=G1234260000\x0001", "=G12342600000100' OR 1=1 --", "G" * 500, "", "=<X0002V00"])
def test_malformed_or_hostile_unit_scans_are_refused_safely(scan):
    refusals = checks(scanned_unit=scan)
    assert codes(refusals) in (["unit_scan_unreadable"], ["wrong_unit"])
    assert all(r.hard_stop for r in refusals)


@pytest.mark.parametrize("scan", ["mrn:RXH:123456\x07", "mrn:RXH:123456' OR '1'='1", "x" * 500, "\u200b"])
def test_malformed_or_hostile_patient_scans_are_refused_safely(scan):
    assert codes(checks(scanned_patient=scan)) == ["wrong_patient"]


@given(group=st.sampled_from(ALL_GROUPS), unit_group=st.sampled_from(ALL_GROUPS),
       kind=st.sampled_from(["red_cells", "plasma", "platelets_pooled", "platelet_concentrate", "cryo", "ltowb"]),
       hours_left=st.integers(-48, 48), irradiated=st.booleans(), needs_irradiated=st.booleans(),
       crossmatch=st.sampled_from([None, "compatible", "incompatible"]), emergency=st.booleans(),
       antibodies=st.booleans(), status=st.sampled_from(["reserved", "available", "issued"]))
def test_nothing_unsafe_ever_passes_the_issue_checks(group, unit_group, kind, hours_left, irradiated,
                                                     needs_irradiated, crossmatch, emergency, antibodies, status):
    profile = ready(str(group), antibodies=("anti-K",) if antibodies else (),
                    requirements=frozenset({"irradiated"}) if needs_irradiated else frozenset())
    facts = unit(str(unit_group), kind=kind, expires_at=NOW + timedelta(hours=hours_left), irradiated=irradiated,
                 status=status, low_titer=kind == "ltowb")
    if checks(facts, profile, crossmatch=crossmatch, emergency=emergency):
        return
    assert compatible_with_patient(facts, profile, now=NOW)
    assert kind != "platelet_concentrate"
    assert facts.expires_at > NOW and crossmatch != "incompatible"
    assert not (needs_irradiated and kind != "plasma" and kind != "cryo" and not irradiated)
    assert status == "reserved" or (emergency and status == "available")
    if emergency:
        assert (kind, unit_group.abo.value) in {("red_cells", "O"), ("plasma", "AB")}
    elif kind in ("red_cells", "ltowb") and antibodies:
        assert crossmatch == "compatible"
