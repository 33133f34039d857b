"""A trace shows each role what it may read: units, fates and places to everyone who traces; names, results
and recipients' identifiers only to the roles that read them."""

from __future__ import annotations

import json

from bloodbank.service_layer.traceability import trace as tracing
from tests.integration.trace_fixtures import build_chain, clerk, make_unit


def chain_with_a_reactive_discard(database):
    chain = build_chain(database)
    make_unit(database, din=chain.dins["A"], kind="plasma", site_id=chain.site_id, status="discarded",
              donation_id=chain.donations["A"], parents=(chain.units["WB_A"],), discard_reason="reactive",
              division="P0")
    return chain


def text_of(view) -> str:
    return json.dumps(view.to_dict(), default=str)


def test_an_inventory_manager_traces_units_and_fates_without_names_results_or_recipients(database):
    chain = chain_with_a_reactive_discard(database)
    seen = tracing.trace_din_as(clerk(database), str(chain.dins["A"]), role="inventory_manager")
    text = text_of(seen)
    assert str(chain.units["RC_A1"]) in text and "discarded" in text  # every unit and its fate
    assert "DonorA" not in text  # no donor's name
    assert "reactive" not in text.lower() and '"hbv"' not in text  # no result, not even as a discard reason
    assert "RXH:" not in text and chain.wristbands["P1"].split(":", 1)[1] not in text  # no recipient identifier


def test_the_medical_director_sees_the_whole_trace(database):
    chain = chain_with_a_reactive_discard(database)
    text = text_of(tracing.trace_din_as(clerk(database), str(chain.dins["A"]), role="medical_director"))
    assert "DonorA" in text and "reactive" in text.lower() and "RXH:" in text


def test_a_lookback_by_an_inventory_manager_names_no_donor_and_no_recipient(database):
    chain = chain_with_a_reactive_discard(database)
    seen = tracing.lookback_as(clerk(database), chain.donor_numbers["A"], role="inventory_manager")
    text = text_of(seen)
    assert seen.donations and "DonorA" not in text and "RXH:" not in text
