from __future__ import annotations

import pytest
from sqlalchemy import select

from bloodbank.adapters.db.models import Donation
from bloodbank.domain.errors import (
    ConsentMissing, ConsentWithdrawn, Conflict, DonorDeferred, DonorIneligible, InvalidInput, NotFound,
    VolumeTooHigh,
)
from bloodbank.domain.isbt128 import check_character, parse_din
from bloodbank.service_layer.donors.collection import start_collection
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from tests.integration.collection_fixtures import (
    FACILITY, audit_entries, counts, defer, donor_of, make_site, make_visit, visit_status,
)

PHLEBOTOMIST = "phleb.dan"


def uow(database) -> UnitOfWork:
    return UnitOfWork(database, actor=PHLEBOTOMIST)


def start(database, visit_id, **kwargs):
    kwargs.setdefault("bag_type", "double")
    kwargs.setdefault("bag_lot", "LOT-2026-0417")
    return start_collection(uow(database), visit_id=visit_id, **kwargs)


def test_a_consented_eligible_visit_is_collected_with_a_valid_din(database):
    visit_id = make_visit(database, site_id=make_site(database))

    view = start(database, visit_id)

    assert len(view.din) == 13 and view.din.startswith(FACILITY)
    din = parse_din(view.din_eye_readable)
    assert str(din) == view.din == str(parse_din(view.din)) == str(parse_din(view.din_barcode))
    assert view.din_check_character == check_character(view.din)
    assert view.din_eye_readable.endswith(" " + view.din_check_character)
    assert view.din_barcode == f"={view.din}00"
    assert view.din[7:] == "000001"
    assert (view.status, view.bag_type, view.bag_lot) == ("in_progress", "double", "LOT-2026-0417")
    assert view.phlebotomist == PHLEBOTOMIST
    assert view.planned_volume_ml == 450 and view.max_volume_ml == 591  # 13 % of 65 mL/kg at 70 kg
    assert view.ended_at is None and view.volume_ml is None
    assert visit_status(database, visit_id) == "collected"


def test_starting_a_collection_is_audited_with_the_din_and_the_visits_new_status(database):
    visit_id = make_visit(database, site_id=make_site(database))

    view = start(database, visit_id)

    [created] = audit_entries(database, "donation", view.donation_id)
    assert (created.action, created.actor) == ("create", PHLEBOTOMIST)
    assert created.new["din"] == view.din and created.new["bag_lot"] == "LOT-2026-0417"
    assert created.new["phlebotomist"] == PHLEBOTOMIST
    [visit_change] = audit_entries(database, "visit", visit_id)
    assert (visit_change.old, visit_change.new) == ({"status": "consented"}, {"status": "collected"})


def test_the_default_planned_volume_follows_the_bag(database):
    visit_id = make_visit(database, site_id=make_site(database), weight_kg=50)

    view = start(database, visit_id, bag_type="low_volume")

    assert view.planned_volume_ml == 350 and view.max_volume_ml == 422


def test_an_apheresis_collection_uses_the_apheresis_kit_and_no_whole_blood_cap(database):
    visit_id = make_visit(database, site_id=make_site(database), kind="plasma")

    view = start(database, visit_id, bag_type="apheresis", planned_volume_ml=650)

    assert (view.kind, view.planned_volume_ml, view.max_volume_ml) == ("plasma", 650, None)


def _one_collection_then_counts(database) -> tuple[int, dict]:
    """A site with one collection done, so that the DIN counter exists and must not move."""
    site_id = make_site(database)
    start(database, make_visit(database, site_id=site_id))
    return site_id, counts(database)


def test_a_deferred_donor_is_refused_and_nothing_is_written(database):
    site_id, before = _one_collection_then_counts(database)
    visit_id = make_visit(database, site_id=site_id)
    defer(database, donor_of(database, visit_id))

    with pytest.raises(DonorDeferred, match="deferred until"):
        start(database, visit_id)

    assert counts(database) == before
    assert visit_status(database, visit_id) == "consented"


def test_a_permanently_deferred_donor_is_refused(database):
    site_id, before = _one_collection_then_counts(database)
    visit_id = make_visit(database, site_id=site_id)
    defer(database, donor_of(database, visit_id), kind="permanent")

    with pytest.raises(DonorDeferred, match="permanently deferred"):
        start(database, visit_id)

    assert counts(database) == before


def test_a_visit_without_consent_is_refused(database):
    site_id, before = _one_collection_then_counts(database)
    visit_id = make_visit(database, site_id=site_id, status="screened", consent=False)

    with pytest.raises(ConsentMissing, match="No consent is recorded"):
        start(database, visit_id)

    assert counts(database) == before
    assert visit_status(database, visit_id) == "screened"


def test_a_visit_whose_consent_was_withdrawn_is_refused(database):
    site_id, before = _one_collection_then_counts(database)
    visit_id = make_visit(database, site_id=site_id, consent_withdrawn=True)

    with pytest.raises(ConsentWithdrawn, match="withdrawn consent"):
        start(database, visit_id)

    assert counts(database) == before


def test_an_ineligible_decision_is_refused_with_the_stored_reasons(database):
    site_id, before = _one_collection_then_counts(database)
    reasons = ["Haemoglobin 11.9 g/dL is below 12.5 g/dL"]
    visit_id = make_visit(database, site_id=site_id, eligible=False, decision_reasons=reasons)

    with pytest.raises(DonorIneligible, match="not eligible: Haemoglobin 11.9") as refused:
        start(database, visit_id)

    assert refused.value.reasons == reasons
    assert counts(database) == before


def test_an_unscreened_visit_is_refused(database):
    site_id, before = _one_collection_then_counts(database)
    visit_id = make_visit(database, site_id=site_id, eligible=None)

    with pytest.raises(DonorIneligible, match="has not been screened"):
        start(database, visit_id)

    assert counts(database) == before


def test_a_second_collection_of_the_same_visit_is_refused(database):
    site_id = make_site(database)
    visit_id = make_visit(database, site_id=site_id)
    first = start(database, visit_id)
    before = counts(database)

    with pytest.raises(Conflict, match=f"already has a donation \\(DIN {first.din_eye_readable}"):
        start(database, visit_id)

    assert counts(database) == before


def test_a_planned_volume_above_the_donors_weight_based_maximum_is_refused_with_both_figures(database):
    # WHO: 13 % of 65 mL/kg for a woman of 45 kg is 380 mL; a standard 450 mL bag is too much.
    site_id, before = _one_collection_then_counts(database)
    visit_id = make_visit(database, site_id=site_id, weight_kg=45)

    with pytest.raises(VolumeTooHigh, match="Planned volume 450 mL is above this donor's maximum of 380 mL"):
        start(database, visit_id)

    assert counts(database) == before
    assert visit_status(database, visit_id) == "consented"


def test_the_same_light_donor_may_give_with_the_low_volume_bag(database):
    visit_id = make_visit(database, site_id=make_site(database), weight_kg=45)

    view = start(database, visit_id, bag_type="low_volume")

    assert (view.planned_volume_ml, view.max_volume_ml) == (350, 380)


def test_a_visit_without_a_recorded_weight_is_refused(database):
    site_id, before = _one_collection_then_counts(database)
    visit_id = make_visit(database, site_id=site_id, weight_kg=None)

    with pytest.raises(DonorIneligible, match="No weight was recorded"):
        start(database, visit_id)

    assert counts(database) == before


@pytest.mark.parametrize("kwargs, error, message", [
    ({"bag_type": "apheresis"}, InvalidInput, "cannot be used for a whole blood donation"),
    ({"bag_type": "sextuple"}, InvalidInput, "Unknown bag type"),
    ({"bag_lot": "  "}, InvalidInput, "lot number is missing"),
    ({"bag_lot": "L" * 41}, InvalidInput, "longer than 40"),
    ({"planned_volume_ml": 0}, InvalidInput, "more than 0 mL"),
    ({"planned_volume_ml": 1200}, InvalidInput, "not possible"),
    ({"bag_type": "double", "planned_volume_ml": 350}, InvalidInput, "wrong anticoagulant ratio"),
])
def test_unusable_bag_details_are_refused_and_nothing_is_written(database, kwargs, error, message):
    site_id, before = _one_collection_then_counts(database)
    visit_id = make_visit(database, site_id=site_id)

    with pytest.raises(error, match=message):
        start(database, visit_id, **kwargs)

    assert counts(database) == before


def test_an_unknown_visit_is_refused(database):
    with pytest.raises(NotFound, match="No visit with id 999"):
        start(database, 999)


def test_a_site_with_a_malformed_facility_code_gets_no_din_and_no_counter(database):
    site_id = make_site(database, facility_code="O1234")  # no FIN starts with the letter O
    visit_id = make_visit(database, site_id=site_id)
    before = counts(database)

    with pytest.raises(InvalidInput, match="never the letter O"):
        start(database, visit_id)

    assert counts(database) == before == {**before, "din_counter": []}


def test_a_failure_after_the_din_was_taken_rolls_the_counter_back_with_everything_else(database, monkeypatch):
    site_id, before = _one_collection_then_counts(database)
    visit_id = make_visit(database, site_id=site_id)

    def broken_audit(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(UnitOfWork, "audit", broken_audit)
    with pytest.raises(RuntimeError, match="disk full"):
        start(database, visit_id)
    monkeypatch.undo()

    assert counts(database) == before
    # The serial was never committed to a donation, so it is the one handed out next.
    assert start(database, visit_id).din[7:] == "000002"


def test_the_din_is_stored_with_its_parts(database):
    view = start(database, make_visit(database, site_id=make_site(database)))

    with database.sessions() as session:
        row = session.execute(select(Donation).where(Donation.id == view.donation_id)).scalar_one()
    assert (row.facility_code, row.din_year, row.serial) == (FACILITY, int(view.din[5:7]), 1)
