from __future__ import annotations

import inspect
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import func, select

from bloodbank.adapters.db.models import AdverseReaction
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.domain.isbt128 import InvalidDin
from bloodbank.service_layer.donors import collection
from bloodbank.service_layer.donors.collection import (
    abort_collection, find_by_din, finish_collection, get_donation, record_adverse_reaction, start_collection,
)
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from tests.integration.collection_fixtures import audit_entries, counts, make_site, make_visit

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def uow(database, actor="phleb.dan") -> UnitOfWork:
    return UnitOfWork(database, actor=actor)


def started(database, *, weight_kg=70.0, planned_volume_ml=None, bag_type="double"):
    visit_id = make_visit(database, site_id=make_site(database), weight_kg=weight_kg)
    return start_collection(uow(database), visit_id=visit_id, bag_type=bag_type, bag_lot="LOT-1",
                            planned_volume_ml=planned_volume_ml)


def reactions(database) -> int:
    with database.sessions() as session:
        return session.scalar(select(func.count()).select_from(AdverseReaction))


def test_finishing_records_the_volume_and_the_servers_end_time(database):
    with time_machine.travel(T0, tick=False):
        view = started(database)
    with time_machine.travel(T0 + timedelta(minutes=9), tick=False):
        done = finish_collection(uow(database), donation_id=view.donation_id, volume_ml=460)

    assert (done.status, done.volume_ml, done.volume_flag) == ("complete", 460, None)
    assert (done.started_at, done.ended_at) == (T0, T0 + timedelta(minutes=9))
    [_, finished] = audit_entries(database, "donation", view.donation_id)
    assert finished.action == "finish"
    assert finished.new == {"volume_ml": 460, "ended_at": "2026-03-02T09:09:00+00:00", "status": "complete"}
    assert finished.old == {"volume_ml": None, "ended_at": None, "status": "in_progress"}


def test_no_use_case_accepts_a_time_from_the_client():
    for use_case in (collection.start_collection, collection.finish_collection, collection.abort_collection,
                     collection.record_adverse_reaction):
        names = set(inspect.signature(use_case).parameters)
        assert not {n for n in names if n.endswith(("_at", "time", "date"))}, use_case.__name__


def test_an_over_volume_above_the_donors_maximum_is_kept_and_flagged_for_the_lab(database):
    # WHO: 13 % of 65 mL/kg at 50 kg = 422 mL; a 420 mL plan fits, the bag came back with 440 mL.
    view = started(database, weight_kg=50, planned_volume_ml=420)

    done = finish_collection(uow(database), donation_id=view.donation_id, volume_ml=440)

    assert (done.status, done.volume_ml, done.max_volume_ml) == ("complete", 440, 422)
    assert "OVER MAXIMUM" in done.volume_flag and "422 mL" in done.volume_flag
    assert get_donation(uow(database), view.donation_id).volume_flag == done.volume_flag
    assert "OVER MAXIMUM" in audit_entries(database, "donation", view.donation_id)[-1].reason


def test_an_under_filled_bag_is_flagged_for_its_anticoagulant_ratio(database):
    view = started(database)

    done = finish_collection(uow(database), donation_id=view.donation_id, volume_ml=380)

    assert done.status == "complete" and "UNDER-FILLED" in done.volume_flag


@pytest.mark.parametrize("volume, message", [(0, "more than 0 mL"), (-1, "more than 0 mL"), (1500, "not possible")])
def test_a_nonsense_volume_is_refused_and_the_collection_stays_open(database, volume, message):
    view = started(database)
    before = counts(database)

    with pytest.raises(InvalidInput, match=message):
        finish_collection(uow(database), donation_id=view.donation_id, volume_ml=volume)

    assert counts(database) == before
    assert get_donation(uow(database), view.donation_id).status == "in_progress"


def test_a_second_finish_is_refused(database):
    view = started(database)
    finish_collection(uow(database), donation_id=view.donation_id, volume_ml=455)
    before = counts(database)

    with pytest.raises(Conflict, match="cannot be finished: it was already complete"):
        finish_collection(uow(database), donation_id=view.donation_id, volume_ml=470)

    assert counts(database) == before
    assert get_donation(uow(database), view.donation_id).volume_ml == 455


def test_finishing_an_unknown_donation_is_refused(database):
    with pytest.raises(NotFound, match="No donation with id 404"):
        finish_collection(uow(database), donation_id=404, volume_ml=450)


def test_an_aborted_collection_keeps_its_din_and_the_reason_is_audited(database):
    view = started(database)

    aborted = abort_collection(uow(database), donation_id=view.donation_id, reason="vein lost", volume_ml=120)

    assert (aborted.status, aborted.din, aborted.volume_ml) == ("aborted", view.din, 120)
    assert "UNDER-FILLED" in aborted.volume_flag and aborted.ended_at >= aborted.started_at
    entry = audit_entries(database, "donation", view.donation_id)[-1]
    assert (entry.action, entry.reason, entry.new["status"]) == ("abort", "vein lost", "aborted")
    assert find_by_din(uow(database), view.din).status == "aborted"


def test_an_abort_needs_a_reason_and_an_open_collection(database):
    view = started(database)
    with pytest.raises(InvalidInput, match="Say why"):
        abort_collection(uow(database), donation_id=view.donation_id, reason=" ")
    finish_collection(uow(database), donation_id=view.donation_id, volume_ml=450)
    before = counts(database)

    with pytest.raises(Conflict, match="cannot be aborted: it was already complete"):
        abort_collection(uow(database), donation_id=view.donation_id, reason="donor withdrew")

    assert counts(database) == before


def test_an_aborted_collection_cannot_be_finished(database):
    view = started(database)
    abort_collection(uow(database), donation_id=view.donation_id, reason="donor withdrew")

    with pytest.raises(Conflict, match="already aborted"):
        finish_collection(uow(database), donation_id=view.donation_id, volume_ml=450)


def test_an_adverse_reaction_is_recorded_and_audited(database):
    view = started(database)

    reaction = record_adverse_reaction(uow(database, "nurse.eve"), donation_id=view.donation_id,
                                       kind="vasovagal", severity="moderate", outcome="Recovered lying down.")

    assert (reaction.kind, reaction.severity, reaction.din) == ("vasovagal", "moderate", view.din)
    assert reaction.recorded_by == "nurse.eve" and reactions(database) == 1
    [entry] = audit_entries(database, "adverse_reaction", reaction.id)
    assert (entry.action, entry.actor) == ("create", "nurse.eve")
    assert entry.new["kind"] == "vasovagal" and entry.new["outcome"] == "Recovered lying down."


def test_a_reaction_may_be_recorded_after_the_collection_ended(database):
    view = started(database)
    finish_collection(uow(database), donation_id=view.donation_id, volume_ml=450)

    reaction = record_adverse_reaction(uow(database), donation_id=view.donation_id, kind="haematoma",
                                       severity="mild", outcome="Cold pack; advice leaflet.")

    assert reaction.donation_id == view.donation_id


@pytest.mark.parametrize("kwargs, error, message", [
    ({"kind": "hiccups"}, InvalidInput, "Unknown reaction"),
    ({"severity": "fatal"}, InvalidInput, "Unknown severity"),
    ({"outcome": ""}, InvalidInput, "Describe the outcome"),
    ({"donation_id": 404}, NotFound, "No donation with id 404"),
])
def test_an_unusable_reaction_report_is_refused_and_nothing_is_written(database, kwargs, error, message):
    view = started(database)
    before = counts(database)
    report = {"donation_id": view.donation_id, "kind": "vasovagal", "severity": "mild", "outcome": "Fine.", **kwargs}

    with pytest.raises(error, match=message):
        record_adverse_reaction(uow(database), **report)

    assert counts(database) == before and reactions(database) == 0


def test_a_donation_is_found_by_any_form_of_its_din(database):
    view = started(database)
    compact_lower = view.din.lower()

    for text in (view.din, view.din_eye_readable, view.din_barcode, f"  {compact_lower} "):
        assert find_by_din(uow(database), text).donation_id == view.donation_id


def test_an_unreadable_din_is_refused_with_its_reason(database):
    view = started(database)
    wrong_check = view.din + ("A" if view.din_check_character != "A" else "B")

    with pytest.raises(InvalidDin, match="does not match DIN"):
        find_by_din(uow(database), wrong_check)
    with pytest.raises(InvalidDin, match="13 characters"):
        find_by_din(uow(database), "G1234")


def test_a_valid_din_that_was_never_assigned_is_not_found(database):
    with pytest.raises(NotFound, match="No donation with DIN G1234 26 999999"):
        find_by_din(uow(database), "G123426999999")
