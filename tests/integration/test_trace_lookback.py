from __future__ import annotations

import json

import pytest

from bloodbank.domain.errors import NotFound
from bloodbank.service_layer.traceability.trace import lookback
from tests.integration.trace_fixtures import (
    audit_actions, build_chain, clerk, counts, issue_unit, make_donation, make_donor, make_patient, make_unit,
)


def _recipients(result):
    return {(line.unit_id, line.recipient.patient_id, line.pooled) for d in result.donations for line in d.recipients}


def test_a_donor_whose_unit_went_into_a_pool_leads_to_the_pool_recipient(database):
    chain = build_chain(database)

    result = lookback(clerk(database), chain.donor_numbers["B"])

    assert _recipients(result) == {(chain.units["POOL"], chain.patients["P3"], True)}
    [line] = result.donations[0].recipients
    assert line.recipient.issued_at is not None and line.recipient.transfusion_started_at is not None


def test_a_donor_with_a_split_unit_leads_to_both_aliquot_recipients_and_the_pool(database):
    chain = build_chain(database)

    result = lookback(clerk(database), chain.donors["A"])

    assert _recipients(result) == {
        (chain.units["RC_A1"], chain.patients["P1"], False),
        (chain.units["RC_A2"], chain.patients["P2"], False),
        (chain.units["POOL"], chain.patients["P3"], True),
    }
    assert result.patient_ids == tuple(sorted(chain.patients[p] for p in ("P1", "P2", "P3")))


def test_donations_under_a_merged_donor_record_are_looked_back_too(database):
    chain = build_chain(database)
    old_id, old_number = make_donor(database, merged_into_id=chain.donors["A"])
    donation_id, din = make_donation(database, chain.site_id, old_id, days_ago=400)
    unit_id = make_unit(database, din=din, kind="red_cells", site_id=chain.site_id, donation_id=donation_id)
    patient_id, _ = make_patient(database, chain.hospital_id)
    issue_unit(database, unit_id, patient_id, chain.hospital_id, transfused=True)

    by_survivor = lookback(clerk(database), chain.donor_numbers["A"])
    by_old_number = lookback(clerk(database), old_number)

    assert (unit_id, patient_id, False) in _recipients(by_survivor)
    assert by_old_number.donor.donor_id == chain.donors["A"]
    assert _recipients(by_old_number) == _recipients(by_survivor)
    assert set(by_survivor.donor_records) == {chain.donor_numbers["A"], old_number}
    assert by_survivor.donations[0].din == str(din)  # oldest first


def test_a_lookback_is_a_sensitive_read_of_the_donor_and_of_every_patient_shown(database):
    chain = build_chain(database)

    result = lookback(clerk(database, "dr.haemovigilance"), chain.donor_numbers["A"])

    assert [int(e.entity_id) for e in audit_actions(database, "donor")] == [chain.donors["A"]]
    assert {int(e.entity_id) for e in audit_actions(database, "patient")} == set(result.patient_ids)
    assert json.loads(json.dumps(result.to_dict()))["donor"]["donor_number"] == chain.donor_numbers["A"]


def test_an_unknown_donor_is_refused_and_nothing_is_recorded(database):
    build_chain(database)
    before = counts(database)

    with pytest.raises(NotFound, match="No donor D9999999X"):
        lookback(clerk(database), "D9999999X")

    assert counts(database) == before
