import json
from datetime import date, datetime, timezone

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bloodbank.adapters.db.models import Deferral, Visit
from bloodbank.config import get_settings
from bloodbank.domain.errors import DonorDeferred, InvalidInput, InvalidTransition, NotFound, VisitClosed
from bloodbank.service_layer.donors import screening
from bloodbank.service_layer.donors.consent import give_consent
from bloodbank.service_layer.donors.visits import check_in
from tests.integration.visit_fixtures import (
    FROZEN_AT, TODAY, all_clear, audit_entries, clerk, counts, get, make_deferral, make_donation, make_donor,
    make_site, make_visit, screen,
)

VERSION = get_settings().consent_text_version


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(FROZEN_AT, tick=False):
        yield


@pytest.fixture
def site(database):
    return make_site(database)


@pytest.fixture
def donor(database):
    return make_donor(database)


@pytest.fixture
def visit(database, site, donor):
    return check_in(clerk(database), donor_id=donor, site_id=site).id


def deferral_rows(database):
    with database.sessions() as s:
        return list(s.execute(select(Deferral).order_by(Deferral.id)).scalars())


def test_a_healthy_donor_is_checked_in_screened_eligible_and_gives_consent(database, visit):
    view = screen(database, visit)
    assert view.eligible and view.status == "screened" and view.reasons == ()
    assert view.rule_set == "who" and view.screened_at == FROZEN_AT and view.screened_by == "nurse.eve"
    # A first donation: the next whole blood donation of a woman may follow 16 weeks later (WHO).
    assert view.next_eligible_date == date(2026, 6, 30)
    row = get(database, Visit, visit)
    assert (row.status, row.eligible, row.weight_kg, row.hemoglobin_g_dl) == ("screened", True, 70, 14.5)
    assert row.questionnaire["version"] == "2026-01" and row.questionnaire["answers"]["feeling_well"] is True
    consent = give_consent(clerk(database), visit_id=visit, text_version=VERSION, confirmed_by_donor=True)
    assert consent.visit_id == visit and get(database, Visit, visit).status == "consented"


def test_ineligible_measurements_defer_the_visit_with_the_reasons_stored(database, visit):
    view = screen(database, visit, hemoglobin_g_dl=10.5, systolic=190)
    assert not view.eligible and view.status == "deferred"
    assert view.failed_rules == ("haemoglobin.minimum", "blood_pressure.systolic.high")
    assert "10.5" in view.reasons[0] and "190" in view.reasons[1]
    row = get(database, Visit, visit)
    assert row.status == "deferred" and row.eligible is False
    assert row.decision_reasons == list(view.reasons) and row.next_eligible_date is None
    # A measurement is taken again next time: no deferral row outlives the visit.
    assert deferral_rows(database) == []
    before = counts(database)
    with pytest.raises(VisitClosed, match="ended with a deferral"):
        give_consent(clerk(database), visit_id=visit, text_version=VERSION, confirmed_by_donor=True)
    assert counts(database) == before


def test_missing_measurements_become_reasons_not_errors(database, visit):
    view = screen(database, visit, weight_kg=None, hemoglobin_g_dl=None, systolic=None, diastolic=None,
                  pulse=None, temperature_c=None)
    assert view.status == "deferred"
    assert {"weight.missing", "haemoglobin.missing", "blood_pressure.missing", "pulse.missing",
            "temperature.missing"} <= set(view.failed_rules)
    assert any(reason.startswith("Weight not recorded") for reason in view.reasons)


@pytest.mark.parametrize("field, value, match", [
    ("weight_kg", 5000, r"Weight 5000 kg is not plausible: check the unit \(kg\)"),
    ("hemoglobin_g_dl", 135, r"Haemoglobin 135 g/dL is not plausible: check the unit \(g/dL\)"),
    ("temperature_c", 98.6, r"Temperature 98.6 °C is not plausible"),
    ("diastolic", 130, r"Blood pressure 120/130 is not plausible"),
])
def test_an_implausible_measurement_is_refused_naming_the_field_and_nothing_is_written(
        database, visit, field, value, match):
    before = counts(database)
    with pytest.raises(InvalidInput, match=match):
        screen(database, visit, **{field: value})
    assert counts(database) == before
    assert get(database, Visit, visit).status == "checked_in"


def test_a_tattoo_declared_defers_until_the_regime_says_and_blocks_the_next_check_in(database, site, donor, visit):
    view = screen(database, visit, answers=all_clear(tattoo="2026-01-15"))
    assert view.status == "deferred" and view.next_eligible_date == date(2027, 1, 15)
    [row] = deferral_rows(database)
    assert (row.code, row.kind, row.starts_on, row.ends_on) == ("tattoo", "temporary", TODAY, date(2027, 1, 15))
    assert (row.donor_id, row.visit_id, row.decided_by) == (donor, visit, "nurse.eve")
    assert view.deferral_ids == (row.id,)
    with pytest.raises(DonorDeferred, match="deferred until 2027-01-15"):
        check_in(clerk(database), donor_id=donor, site_id=site)
    with time_machine.travel(datetime(2027, 1, 15, 9, 0, tzinfo=timezone.utc), tick=False):
        assert check_in(clerk(database), donor_id=donor, site_id=site).status == "checked_in"


def test_a_permanent_condition_declared_creates_a_permanent_deferral(database, site, donor, visit):
    view = screen(database, visit, answers=all_clear(hepatitis_c="yes"))
    assert view.permanent and view.next_eligible_date is None
    [row] = deferral_rows(database)
    assert (row.code, row.kind, row.ends_on) == ("hcv", "permanent", None)
    with pytest.raises(DonorDeferred, match="permanently deferred"):
        check_in(clerk(database), donor_id=donor, site_id=site)


def test_a_declared_event_whose_deferral_has_passed_defers_nothing(database, visit):
    view = screen(database, visit, answers=all_clear(tattoo="2025-01-02", transfusion="2024-05-01"))
    assert view.eligible and deferral_rows(database) == []


def test_a_yes_the_regime_has_no_rule_for_defers_the_visit_for_a_physician_without_a_row(database, visit):
    view = screen(database, visit, answers=all_clear(sexual_risk="2026-02-20"))
    assert view.status == "deferred"
    assert view.failed_rules == ("deferral.new_sexual_partner",)
    assert deferral_rows(database) == []


def test_screening_and_its_deferral_are_audited_without_the_health_detail(database, visit):
    screen(database, visit, answers=all_clear(tattoo="2026-01-15"), hemoglobin_g_dl=11.0)
    [entry] = audit_entries(database, entity="visit", action="screen")
    assert entry.old == {"status": "checked_in"} and entry.new["status"] == "deferred"
    assert entry.new["declared_deferral_codes"] == ["tattoo"] and entry.new["hemoglobin_g_dl"] == 11.0
    assert entry.actor == "nurse.eve"
    [created] = audit_entries(database, entity="deferral", action="create")
    assert created.new["code"] == "tattoo" and "reason" not in created.new
    text = json.dumps([entry.new, created.new, entry.reason, created.reason])
    assert "2026-01-15" not in text and "11.0 g/dL" not in text


def test_a_recent_donation_defers_until_the_interval_has_passed(database, site, donor, visit):
    make_donation(database, donor_id=donor, site_id=site, on=date(2026, 1, 20))
    view = screen(database, visit)
    assert not view.eligible and view.next_eligible_date == date(2026, 5, 12)
    assert deferral_rows(database) == []


def test_a_donation_under_a_merged_record_counts(database, site, donor, visit):
    merged = make_donor(database, merged_into_id=donor)
    make_donation(database, donor_id=merged, site_id=site, on=date(2026, 2, 1))
    assert screen(database, visit).status == "deferred"


def test_the_site_rule_set_is_the_one_applied(database, donor):
    eu_site = make_site(database, rule_set="eu")
    visit = check_in(clerk(database), donor_id=donor, site_id=eu_site).id
    assert screen(database, visit).rule_set == "eu"
    assert get(database, Visit, visit).rule_set == "eu"


def test_a_deferral_added_after_check_in_defers_at_screening(database, donor, visit):
    make_deferral(database, donor_id=donor, code="hiv", kind="permanent", starts_on=TODAY)
    view = screen(database, visit)
    assert view.status == "deferred" and view.permanent


def test_a_staff_permanent_deferral_stands_even_for_a_code_the_regime_times(database, donor, visit):
    make_deferral(database, donor_id=donor, code="tattoo", kind="permanent", starts_on=date(2020, 1, 1))
    view = screen(database, visit)
    assert view.status == "deferred" and view.permanent
    assert "record.permanent_deferral" in view.failed_rules
    assert screening.PERMANENT_ON_RECORD in view.reasons


def test_a_failing_deferral_lookup_refuses_the_screening(database, visit, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("SELECT", {}, Exception("timeout"))

    monkeypatch.setattr(screening, "active_deferrals", broken)
    before = counts(database)
    with pytest.raises(DonorDeferred, match="Could not confirm"):
        screen(database, visit)
    assert counts(database) == before


def test_unknown_or_missing_answers_are_refused_and_nothing_is_written(database, visit):
    before = counts(database)
    with pytest.raises(InvalidInput, match="Unknown question id.*shoe_size"):
        screen(database, visit, answers=all_clear(shoe_size="42"))
    answers = all_clear()
    del answers["malaria_area"]
    with pytest.raises(InvalidInput, match="Answer missing for: malaria_area"):
        screen(database, visit, answers=answers)
    assert counts(database) == before


def test_a_man_is_not_asked_the_pregnancy_question(database, site):
    man = make_donor(database, sex="M")
    visit = check_in(clerk(database), donor_id=man, site_id=site).id
    answers = all_clear()
    del answers["pregnancy"]
    assert screen(database, visit, answers=answers).eligible


def test_a_visit_is_screened_once(database, visit):
    screen(database, visit)
    before = counts(database)
    with pytest.raises(InvalidTransition, match="already screened"):
        screen(database, visit)
    assert counts(database) == before


@pytest.mark.parametrize("status, match", [
    ("withdrawn", "donor withdrew"), ("deferred", "ended with a deferral"), ("collected", "is complete"),
])
def test_a_closed_visit_cannot_be_screened(database, site, donor, status, match):
    visit = make_visit(database, donor_id=donor, site_id=site, status=status)
    with pytest.raises(VisitClosed, match=match):
        screen(database, visit)


def test_an_unknown_visit_cannot_be_screened(database):
    with pytest.raises(NotFound, match="No visit with id 999"):
        screen(database, 999)
