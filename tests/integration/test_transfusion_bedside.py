from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from bloodbank.adapters.db.models import Unit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.errors import Conflict, InvalidInput, SecondCheckRefused
from bloodbank.service_layer.hospital.transfusion import end_transfusion, get_transfusion, record_vitals, start_transfusion
from tests.integration.trace_fixtures import (
    VITALS, audit_actions, build_chain, clerk, counts, issue_unit, make_patient, make_unit, unit_status,
)
from tests.integration.web_fixtures import PASSWORD, make_user


@pytest.fixture
def ward(database):
    """Chain plus one red cell unit of donor B issued (not transfused) to a new patient."""
    chain = build_chain(database)
    chain.patients["P9"], chain.wristbands["P9"] = make_patient(database, chain.hospital_id)
    unit_id = make_unit(database, din=chain.dins["B"], kind="plasma", site_id=chain.site_id,
                        donation_id=chain.donations["B"], parents=(chain.units["WB_B"],), volume_ml=280)
    chain.units["ISSUED"] = unit_id
    chain.issues["ISSUED"], _ = issue_unit(database, unit_id, chain.patients["P9"], chain.hospital_id, minutes_ago=5)
    # The second checker: a nurse of the same hospital, with an account and a password of her own.
    make_user(database, "hospital_staff", "nurse.lou", hospitals=(chain.hospital_id,))
    return chain


def _start(database, ward, *, unit=None, patient=None, actor="nurse.kim", **kwargs):
    return start_transfusion(
        clerk(database, actor), issue_id=ward.issues["ISSUED"], scanned_unit=unit or ward.dins["B"].barcode,
        scanned_patient=patient or ward.wristbands["P9"], vitals_before=kwargs.pop("vitals", VITALS),
        checked_by=kwargs.pop("checked_by", "nurse.lou"), checker_password=kwargs.pop("checker_password", PASSWORD))


def test_a_matching_bedside_check_starts_the_transfusion_and_the_unit_stays_issued(database, ward):
    before = utcnow()

    view = _start(database, ward)

    assert view.administered_by == "nurse.kim" and view.checked_by == "nurse.lou"
    assert before <= view.started_at <= utcnow() and view.ended_at is None
    assert view.unit_status == "issued" and unit_status(database, ward.units["ISSUED"]) == "issued"
    assert view.vitals["before"]["pulse"] == 72 and view.vitals["before"]["recorded_by"] == "nurse.kim"
    assert [e.action for e in audit_actions(database, "transfusion")] == ["create"]


def test_the_unit_may_be_typed_with_its_check_character_and_scanned_with_its_product_code(database, ward):
    typed_with_product = f"{ward.dins['B'].eye_readable} =<X0006V00"
    assert _start(database, ward, unit=typed_with_product).unit_status == "issued"


def test_a_patient_other_than_the_one_the_unit_was_issued_for_is_a_hard_stop_and_nothing_is_recorded(
        database, ward):
    before = counts(database)

    with pytest.raises(Conflict, match="Stop: this unit was issued for another patient"):
        _start(database, ward, patient=ward.wristbands["P1"])

    assert counts(database) == before


def test_a_unit_issued_to_someone_else_scanned_for_this_issue_is_a_hard_stop(database, ward):
    other_patient, _ = make_patient(database, ward.hospital_id)
    other = make_unit(database, din=ward.dins["C"], kind="plasma", site_id=ward.site_id,
                      donation_id=ward.donations["C"], parents=(ward.units["WB_C"],))
    issue_unit(database, other, other_patient, ward.hospital_id)
    before = counts(database)

    with pytest.raises(Conflict, match="Stop: this unit was issued for another patient"):
        _start(database, ward, unit=ward.dins["C"].barcode)
    with pytest.raises(Conflict, match="Stop: the unit scanned is not the unit of this issue"):
        _start(database, ward, unit=ward.dins["D"].barcode)
    with pytest.raises(Conflict, match="Stop: the unit scanned is not the unit of this issue"):
        _start(database, ward, unit=ward.dins["B"].barcode + "=<E0398V00")

    assert counts(database) == before


@pytest.mark.parametrize("patient, error, message", [
    ("mrn:RXH:999999", Conflict, "Stop: no patient has the identifier"),
    ("", InvalidInput, "patient identifier"),
])
def test_an_unknown_or_empty_wristband_is_a_hard_stop(database, ward, patient, error, message):
    before = counts(database)

    with pytest.raises(error, match=message):
        start_transfusion(clerk(database, "nurse.kim"), issue_id=ward.issues["ISSUED"],
                          scanned_unit=ward.dins["B"].barcode, scanned_patient=patient, vitals_before=VITALS,
                          checked_by=None)

    assert counts(database) == before


@pytest.mark.parametrize("vitals, checked_by, message", [
    ({**VITALS, "temperature_c": 52}, None, "temperature of 52"),
    ({k: v for k, v in VITALS.items() if k != "pulse"}, None, "Also record: pulse"),
    ({**VITALS, "temp": 37}, None, "Unknown vital sign temp"),
    (VITALS, "nurse.kim", "another person"),
])
def test_bad_observations_or_a_self_check_are_refused_before_anything_is_recorded(
        database, ward, vitals, checked_by, message):
    before = counts(database)

    with pytest.raises(InvalidInput, match=message):
        _start(database, ward, vitals=vitals, checked_by=checked_by)

    assert counts(database) == before


def test_a_recalled_or_expired_unit_is_a_hard_stop(database, ward):
    with database.sessions() as session, session.begin():
        session.execute(update(Unit).where(Unit.id == ward.units["ISSUED"]).values(status="recalled"))
    with pytest.raises(Conflict, match="Stop: this unit was recalled"):
        _start(database, ward)
    with database.sessions() as session, session.begin():
        session.execute(update(Unit).where(Unit.id == ward.units["ISSUED"])
                        .values(status="issued", expires_at=utcnow() - timedelta(hours=1)))
    with pytest.raises(Conflict, match="Stop: this unit expired"):
        _start(database, ward)


def test_observations_during_are_kept_in_order_and_a_fever_is_flagged(database, ward):
    started = _start(database, ward)

    record_vitals(clerk(database, "nurse.kim"), transfusion_id=started.transfusion_id, vitals={"pulse": 80})
    view = record_vitals(clerk(database, "nurse.kim"), transfusion_id=started.transfusion_id,
                         vitals={"temperature_c": 38.4, "pulse": 104})

    assert [v["pulse"] for v in view.vitals["during"]] == [80, 104]
    assert any("possible febrile" in w for w in view.warnings)


def test_ending_the_transfusion_makes_the_unit_transfused(database, ward):
    started = _start(database, ward)

    view = end_transfusion(clerk(database, "nurse.kim"), transfusion_id=started.transfusion_id,
                           volume_given_ml=270, outcome="completed", vitals_after=VITALS)

    assert view.unit_status == "transfused" and unit_status(database, ward.units["ISSUED"]) == "transfused"
    assert view.outcome == "completed" and view.volume_given_ml == 270 and view.ended_at >= view.started_at
    assert get_transfusion(clerk(database), started.transfusion_id).vitals["after"]["systolic"] == 124
    assert [e.action for e in audit_actions(database, "unit")][-1] == "transfused"


def test_an_impossible_end_is_refused_and_nothing_changes(database, ward):
    started = _start(database, ward)
    before = counts(database)
    end = dict(transfusion_id=started.transfusion_id, outcome="completed", vitals_after=VITALS)

    with pytest.raises(InvalidInput, match="more than the unit held"):
        end_transfusion(clerk(database, "nurse.kim"), volume_given_ml=500, **end)
    with pytest.raises(InvalidInput, match="not an outcome"):
        end_transfusion(clerk(database, "nurse.kim"), volume_given_ml=200, **{**end, "outcome": "fine"})
    assert counts(database) == before

    end_transfusion(clerk(database, "nurse.kim"), volume_given_ml=200, **end)
    with pytest.raises(Conflict, match="already ended"):
        end_transfusion(clerk(database, "nurse.kim"), volume_given_ml=200, **end)


def test_a_second_transfusion_on_the_same_issue_is_refused(database, ward):
    _start(database, ward)
    with pytest.raises(Conflict, match="already started"):
        _start(database, ward)


@pytest.mark.parametrize("checker, password", [("nurse.lou", "not her password"), ("nobody.here", PASSWORD)])
def test_a_second_checker_whose_password_does_not_match_is_refused_and_nothing_is_recorded(
        database, ward, checker, password):
    before = counts(database)

    with pytest.raises(SecondCheckRefused, match="user name or password is wrong"):
        _start(database, ward, checked_by=checker, checker_password=password)

    # Only the refusal itself is written: the audit log keeps who tried to check, and failed.
    assert counts(database) == {**before, "audit_entry": before["audit_entry"] + 1}
    assert [e.action for e in audit_actions(database, "user")][-1] == "second_check_refused"


def test_a_second_checker_must_confirm_with_a_password(database, ward):
    with pytest.raises(InvalidInput, match="confirms with their own password"):
        _start(database, ward, checker_password="")


def test_five_wrong_passwords_lock_the_checker_s_name_as_failed_logins_do(database, ward):
    for _ in range(5):
        with pytest.raises(SecondCheckRefused, match="wrong"):
            _start(database, ward, checker_password="guess")
    with pytest.raises(SecondCheckRefused, match="Too many failed attempts for nurse.lou"):
        _start(database, ward)  # the right password, too late


def test_a_second_checker_who_may_not_transfuse_or_works_elsewhere_is_refused(database, ward):
    make_user(database, "clerk", "clerk.cal")
    make_user(database, "hospital_staff", "nurse.far")  # of no hospital: does not see this patient
    before = counts(database)

    with pytest.raises(InvalidInput, match="clerk.cal may not check the transfusion: it needs an account"):
        _start(database, ward, checked_by="clerk.cal")
    with pytest.raises(InvalidInput, match="nurse.far may not check the transfusion: they do not work for"):
        _start(database, ward, checked_by="nurse.far")

    assert counts(database) == before
