from __future__ import annotations

import json

import pytest

from bloodbank.domain.errors import InvalidInput, NotFound
from bloodbank.service_layer.traceability.trace import trace_din
from tests.integration.trace_fixtures import (
    add_event, audit_actions, build_chain, clerk, counts, make_donation, make_donor, make_site, make_unit,
)


def _all_units(units):
    for unit in units:
        yield unit
        yield from _all_units(unit.children)


def _units_of(trace):
    return [u for d in trace.donations for u in _all_units(d.units)] + list(_all_units(trace.other_units))


def test_a_donation_trace_shows_the_donor_every_component_the_split_children_the_pool_and_each_recipient(database):
    chain = build_chain(database)

    trace = trace_din(clerk(database), chain.dins["A"].eye_readable)

    assert [d.din for d in trace.donations] == [str(chain.dins["A"])]
    donation = trace.donations[0]
    assert donation.donor.donor_number == chain.donor_numbers["A"] and donation.donor.name.startswith("DonorA ")
    assert donation.volume_ml == 470 and donation.site_code.startswith("T")
    [whole_blood] = donation.units
    assert whole_blood.unit_id == chain.units["WB_A"] and whole_blood.fate == "processed"
    children = {c.unit_id: c for c in whole_blood.children}
    assert set(children) == {chain.units["RC_A"], chain.units["PL_A"], chain.units["POOL"]}
    aliquots = children[chain.units["RC_A"]].children
    assert [(a.division, a.fate) for a in aliquots] == [("Aa", "transfused"), ("Ab", "transfused")]
    assert [a.recipients[0].identifiers for a in aliquots] == [(chain.wristbands["P1"],), (chain.wristbands["P2"],)]
    pool = children[chain.units["POOL"]]
    assert pool.din == str(chain.dins["POOL"])
    assert {s.din for s in pool.sources} == {str(chain.dins[k]) for k in "ABCD"}
    assert pool.recipients[0].patient_id == chain.patients["P3"]
    assert pool.recipients[0].transfusion_ended_at is not None and pool.recipients[0].outcome == "completed"


def test_a_pool_trace_goes_up_to_every_source_donation_and_its_donor(database):
    chain = build_chain(database)

    trace = trace_din(clerk(database), chain.dins["POOL"].barcode)

    assert {d.donor.donor_number for d in trace.donations} == {chain.donor_numbers[k] for k in "ABCD"}
    shown = _units_of(trace)
    pools = [u for u in shown if u.unit_id == chain.units["POOL"]]
    assert len([p for p in pools if not p.shown_above]) == 1 and len(pools) == 4
    # Only the path to the pool: the sources' own red cells are not this DIN's business.
    assert chain.units["RC_B"] not in {u.unit_id for u in shown}
    full = next(p for p in pools if not p.shown_above)
    assert {t.din for t in full.tests} == {str(chain.dins[k]) for k in "ABCD"}


def test_tests_are_the_current_results_and_events_come_in_time_order(database):
    chain = build_chain(database)
    add_event(database, chain.units["PL_A"], "released", from_status="quarantined", to_status="available",
              minutes_ago=60 * 24 * 8)

    trace = trace_din(clerk(database), str(chain.dins["A"]))

    plasma = next(u for u in _units_of(trace) if u.unit_id == chain.units["PL_A"])
    assert sorted((t.test, t.outcome) for t in plasma.tests) == [("hbv", "negative"), ("hiv", "negative")]
    assert [e.event for e in plasma.events] == ["created", "released"]
    assert [e.at for e in plasma.events] == sorted(e.at for e in plasma.events)


def test_a_self_excluded_unit_is_shown_only_as_not_suitable_for_transfusion(database):
    site_id = make_site(database)
    donor_id, _ = make_donor(database)
    donation_id, din = make_donation(database, site_id, donor_id)
    unit_id = make_unit(database, din=din, kind="red_cells", site_id=site_id, status="discarded",
                        donation_id=donation_id, discard_reason="self_excluded", discard_note="donor said so")
    add_event(database, unit_id, "discard", from_status="quarantined", to_status="discarded",
              detail={"note": "confidential"})

    [unit] = _units_of(trace_din(clerk(database), str(din)))

    assert unit.fate == "discarded: not suitable for transfusion"
    assert "confidential" not in json.dumps(unit.to_dict()) and "donor said so" not in json.dumps(unit.to_dict())


def test_showing_a_trace_is_a_sensitive_read_recorded_for_each_donor_and_recipient(database):
    chain = build_chain(database)

    trace_din(clerk(database, "bms.lee"), str(chain.dins["POOL"]))

    donor_reads = audit_actions(database, "donor")
    assert {int(e.entity_id) for e in donor_reads} == {chain.donors[k] for k in "ABCD"}
    assert all(e.action == "read" and e.actor == "bms.lee" for e in donor_reads)
    assert {int(e.entity_id) for e in audit_actions(database, "patient")} == {chain.patients["P3"]}


def test_the_trace_converts_to_plain_json(database):
    chain = build_chain(database)

    data = trace_din(clerk(database), str(chain.dins["A"])).to_dict()

    assert json.loads(json.dumps(data))["donations"][0]["din"] == str(chain.dins["A"])


def test_an_unknown_or_unreadable_din_is_refused_and_nothing_is_recorded(database):
    build_chain(database)
    before = counts(database)

    with pytest.raises(NotFound, match="No donation and no unit has DIN G123426999999"):
        trace_din(clerk(database), "G123426999999")
    with pytest.raises(InvalidInput, match="13 characters"):
        trace_din(clerk(database), "G1234")

    assert counts(database) == before


def test_a_donation_not_yet_processed_is_traced_with_its_donor_and_no_units(database):
    site_id = make_site(database)
    donor_id, number = make_donor(database)
    _, din = make_donation(database, site_id, donor_id)

    trace = trace_din(clerk(database), din.barcode)

    assert [(d.donor.donor_number, d.units) for d in trace.donations] == [(number, ())]
    assert trace.other_units == ()
