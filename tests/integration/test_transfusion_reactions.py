from __future__ import annotations

import pytest
from sqlalchemy import select

from bloodbank.adapters.db.models import Transfusion
from bloodbank.domain.errors import InvalidInput, NotFound
from bloodbank.service_layer.hospital.transfusion import get_transfusion, report_reaction
from tests.integration.trace_fixtures import (
    audit_actions, build_chain, clerk, counts, follow_ups, issue_unit, make_donation, make_donor, make_patient,
    make_unit,
)


def _transfusion_of(database, chain, unit_key):
    with database.sessions() as session:
        return session.execute(select(Transfusion.id).where(Transfusion.unit_id == chain.units[unit_key])).scalar_one()


def _report(database, transfusion_id, category, severity, imputability="probable"):
    return report_reaction(clerk(database, "nurse.kim"), transfusion_id=transfusion_id, category=category,
                           severity=severity, imputability=imputability,
                           description="Rigors 40 min into the transfusion; stopped, paracetamol given.")


def test_a_serious_reaction_to_a_pool_is_linked_to_every_source_and_opens_a_follow_up_for_each_donor(database):
    chain = build_chain(database)
    transfusion_id = _transfusion_of(database, chain, "POOL")

    view = _report(database, transfusion_id, "fnhtr", "severe")

    assert view.serious and view.transfusion_id == transfusion_id and view.unit_id == chain.units["POOL"]
    assert set(view.donation_dins) == {str(chain.dins[k]) for k in "ABCD"}
    assert set(view.donor_ids) == {chain.donors[k] for k in "ABCD"}
    assert follow_ups(database) == sorted(
        (chain.donors[k], chain.donations[k], "transfusion_reaction") for k in "ABCD")
    assert len(view.follow_up_ids) == 4
    assert len(audit_actions(database, "donor_follow_up")) == 4
    assert [r.reaction_id for r in get_transfusion(clerk(database), transfusion_id).reactions] == [view.reaction_id]
    assert get_transfusion(clerk(database), transfusion_id).reactions[0].follow_up_ids == view.follow_up_ids


def test_a_non_severe_allergic_reaction_is_recorded_without_a_donor_follow_up(database):
    chain = build_chain(database)

    view = _report(database, _transfusion_of(database, chain, "RC_A1"), "allergic", "non_severe")

    assert not view.serious and view.donation_dins == (str(chain.dins["A"]),) and view.follow_up_ids == ()
    assert follow_ups(database) == []
    assert [e.action for e in audit_actions(database, "transfusion_reaction")] == ["create"]


def test_trali_opens_a_donor_follow_up_even_when_not_severe_but_not_when_excluded(database):
    chain = build_chain(database)
    transfusion_id = _transfusion_of(database, chain, "RC_A2")

    _report(database, transfusion_id, "trali", "non_severe", imputability="possible")
    assert follow_ups(database) == [(chain.donors["A"], chain.donations["A"], "transfusion_reaction")]

    _report(database, transfusion_id, "trali", "life_threatening", imputability="excluded")
    assert len(follow_ups(database)) == 1


def test_the_follow_up_of_a_merged_donor_record_goes_to_the_record_that_holds_the_person(database):
    chain = build_chain(database)
    old_id, _ = make_donor(database, merged_into_id=chain.donors["A"])
    donation_id, din = make_donation(database, chain.site_id, old_id, days_ago=400)
    unit_id = make_unit(database, din=din, kind="red_cells", site_id=chain.site_id, donation_id=donation_id)
    patient_id, _ = make_patient(database, chain.hospital_id)
    _, transfusion_id = issue_unit(database, unit_id, patient_id, chain.hospital_id, transfused=True)

    view = _report(database, transfusion_id, "bacterial", "severe", imputability="definite")

    assert view.donor_ids == (chain.donors["A"],)
    assert follow_ups(database) == [(chain.donors["A"], donation_id, "transfusion_reaction")]


@pytest.mark.parametrize("category, severity, imputability, error, message", [
    ("sneezing", "severe", "probable", InvalidInput, "not a reaction category"),
    ("fnhtr", "mild", "probable", InvalidInput, "not a severity grade"),
    ("fnhtr", "severe", "sure", InvalidInput, "not an imputability level"),
])
def test_an_unknown_code_is_refused_and_nothing_is_recorded(database, category, severity, imputability, error,
                                                            message):
    chain = build_chain(database)
    before = counts(database)

    with pytest.raises(error, match=message):
        _report(database, _transfusion_of(database, chain, "POOL"), category, severity, imputability)

    assert counts(database) == before


def test_a_reaction_to_an_unknown_transfusion_is_refused(database):
    build_chain(database)
    before = counts(database)

    with pytest.raises(NotFound, match="No transfusion 999999"):
        _report(database, 999999, "fnhtr", "severe")

    assert counts(database) == before
