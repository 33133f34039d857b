import pytest
import time_machine
from sqlalchemy import select

from bloodbank.adapters.db.models import Consent, Donation, Visit
from bloodbank.config import get_settings
from bloodbank.domain.errors import (
    ConsentMissing, ConsentWithdrawn, Conflict, DonorDeferred, InvalidInput, InvalidTransition, NotFound, VisitClosed,
)
from bloodbank.service_layer.donors.consent import ensure_consent_for_collection, give_consent, withdraw
from bloodbank.service_layer.donors.visits import check_in
from tests.integration.visit_fixtures import (
    FROZEN_AT, audit_entries, clerk, consented_visit, counts, get, make_deferral, make_donation, make_donor,
    make_site, screen,
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
def screened(database, site, donor):
    visit = check_in(clerk(database), donor_id=donor, site_id=site).id
    screen(database, visit)
    return visit


def consent(database, visit, **overrides):
    fields = dict(visit_id=visit, text_version=VERSION, confirmed_by_donor=True)
    return give_consent(clerk(database), **{**fields, **overrides})


def collection_check(database, visit_id):
    with database.sessions() as s:
        ensure_consent_for_collection(s, s.get(Visit, visit_id))


def test_consent_is_recorded_for_a_screened_visit_and_audited(database, donor, screened):
    view = consent(database, screened)
    assert (view.donor_id, view.text_version, view.recorded_by) == (donor, VERSION, "clerk.ann")
    assert view.given_at == FROZEN_AT and view.withdrawn_at is None
    assert get(database, Visit, screened).status == "consented"
    assert [e.entity for e in audit_entries(database, reason="consent given by the donor")] == ["consent", "visit"]
    collection_check(database, screened)  # nothing stops the collection


def test_consent_not_confirmed_by_the_donor_is_refused(database, screened):
    before = counts(database)
    with pytest.raises(ConsentMissing, match="donor has confirmed it themselves"):
        consent(database, screened, confirmed_by_donor=False)
    assert counts(database) == before


def test_consent_to_an_old_text_is_refused(database, screened):
    before = counts(database)
    with pytest.raises(InvalidInput, match=f"'2019-01' is not the current one \\({VERSION}\\)"):
        consent(database, screened, text_version="2019-01")
    assert counts(database) == before


def test_a_second_consent_for_the_same_visit_is_a_conflict(database, screened):
    consent(database, screened)
    before = counts(database)
    with pytest.raises(Conflict, match="already recorded"):
        consent(database, screened)
    assert counts(database) == before


def test_consent_before_screening_is_refused(database, site, donor):
    visit = check_in(clerk(database), donor_id=donor, site_id=site).id
    before = counts(database)
    with pytest.raises(InvalidTransition, match="must be screened"):
        consent(database, visit)
    assert counts(database) == before
    with pytest.raises(ConsentMissing, match="No consent is recorded"):
        collection_check(database, visit)


def test_consent_is_refused_for_a_donor_deferred_since_screening(database, donor, screened):
    make_deferral(database, donor_id=donor, code="hiv", kind="permanent", starts_on=FROZEN_AT.date())
    before = counts(database)
    with pytest.raises(DonorDeferred, match="permanently deferred"):
        consent(database, screened)
    assert counts(database) == before


def test_consent_for_an_unknown_visit_is_refused(database):
    with pytest.raises(NotFound, match="No visit with id 999"):
        consent(database, 999)


@pytest.mark.parametrize("step", ["check_in", "screening", "consent"])
def test_a_donor_may_withdraw_at_every_step_and_the_visit_stops(database, site, donor, step):
    visit = check_in(clerk(database), donor_id=donor, site_id=site).id
    if step in ("screening", "consent"):
        screen(database, visit)
    if step == "consent":
        consent(database, visit)
    view = withdraw(clerk(database), visit_id=visit, step=step)
    row = get(database, Visit, visit)
    assert (row.status, row.withdrawn_at, row.withdrawn_step) == ("withdrawn", FROZEN_AT, step)
    assert view.consent_withdrawn == (step == "consent")
    before = counts(database)
    with pytest.raises(VisitClosed, match="donor withdrew"):
        consent(database, visit)
    with pytest.raises(VisitClosed, match="donor withdrew"):
        screen(database, visit)
    assert counts(database) == before
    with pytest.raises(ConsentWithdrawn, match="withdrawn consent: do not collect"):
        collection_check(database, visit)
    # Free to come back another day, or even later the same day.
    assert check_in(clerk(database), donor_id=donor, site_id=site).status == "checked_in"


def test_a_withdrawal_records_no_reason_and_a_neutral_audit_entry(database):
    _, _, visit = consented_visit(database)
    withdraw(clerk(database), visit_id=visit, step="consent")
    consent_row = next(iter(_consents(database)))
    assert consent_row.withdrawn_at == FROZEN_AT and consent_row.withdrawal_note is None
    entries = audit_entries(database, action="withdraw")
    assert [e.entity for e in entries] == ["visit", "consent"]
    assert {e.reason for e in entries} == {"The donor chose not to continue."}
    assert entries[0].old == {"status": "consented"} and entries[0].new["withdrawn_step"] == "consent"


def test_a_donor_may_withdraw_with_the_needle_in(database, site):
    _, donor, visit = consented_visit(database)
    with database.sessions() as s:
        s.get(Visit, visit).status = "collected"  # as the collection step leaves it
        s.commit()
    _start_donation(database, donor, site, visit)
    withdraw(clerk(database), visit_id=visit, step="collection")
    assert get(database, Visit, visit).withdrawn_step == "collection"
    with pytest.raises(ConsentWithdrawn):
        collection_check(database, visit)


def test_a_finished_visit_cannot_be_withdrawn_from(database, site, donor):
    visit = check_in(clerk(database), donor_id=donor, site_id=site).id
    screen(database, visit, hemoglobin_g_dl=9.0)
    before = counts(database)
    with pytest.raises(VisitClosed, match="ended with a deferral"):
        withdraw(clerk(database), visit_id=visit, step="screening")
    assert counts(database) == before


def test_a_collected_visit_without_a_bag_in_progress_cannot_be_withdrawn_from(database, site):
    _, donor, visit = consented_visit(database)
    make_donation(database, donor_id=donor, site_id=site, on=FROZEN_AT.date())
    with database.sessions() as s:
        s.get(Visit, visit).status = "collected"
        s.commit()
    with pytest.raises(VisitClosed, match="is complete"):
        withdraw(clerk(database), visit_id=visit, step="collection")


def test_an_unknown_step_is_refused(database, screened):
    with pytest.raises(InvalidInput, match="Unknown step 'coffee'"):
        withdraw(clerk(database), visit_id=screened, step="coffee")
    assert get(database, Visit, screened).status == "screened"


def test_a_deferred_visit_is_closed_for_collection(database, site, donor):
    visit = check_in(clerk(database), donor_id=donor, site_id=site).id
    screen(database, visit, weight_kg=41)
    with pytest.raises(VisitClosed, match="ended with a deferral"):
        collection_check(database, visit)


def _consents(database):
    with database.sessions() as s:
        return list(s.execute(select(Consent)).scalars())


def _start_donation(database, donor, site, visit):
    with database.sessions() as s:
        s.add(Donation(din="A999926000001", facility_code="A9999", din_year=2026, serial=1, visit_id=visit,
                       donor_id=donor, site_id=site, kind="whole_blood", bag_type="triple", bag_lot="L1",
                       phlebotomist="nurse.eve", started_at=FROZEN_AT, status="in_progress"))
        s.commit()
