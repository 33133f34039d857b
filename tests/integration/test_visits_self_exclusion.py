import json

import pytest
import time_machine
from sqlalchemy import select

from bloodbank.adapters.db.models import ConfidentialAnswer, Visit
from bloodbank.domain.errors import NotFound
from bloodbank.service_layer.blood.self_exclusion import record_self_exclusion
from bloodbank.service_layer.donors.consent import is_self_excluded
from bloodbank.service_layer.donors.visits import check_in
from tests.integration.visit_fixtures import (
    FROZEN_AT, audit_entries, clerk, consented_visit, counts, make_donor, make_site, make_visit,
)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(FROZEN_AT, tick=False):
        yield


def excluded(database, visit_id):
    with database.sessions() as s:
        return is_self_excluded(s, visit_id)


def test_a_self_exclusion_after_collection_is_stored_with_only_the_link_the_time_and_the_sealed_answer(database):
    site, donor = make_site(database), make_donor(database)
    visit = make_visit(database, donor_id=donor, site_id=site, status="collected")
    record_self_exclusion(clerk(database, "kiosk.1"), visit_id=visit)
    assert excluded(database, visit)
    with database.sessions() as s:
        [row] = s.execute(select(ConfidentialAnswer)).scalars()
    assert (row.visit_id, row.recorded_at, row.answer) == (visit, FROZEN_AT, "not")


def test_a_self_exclusion_before_collection_is_allowed_too(database):
    _, _, visit = consented_visit(database)
    record_self_exclusion(clerk(database), visit_id=visit)
    assert excluded(database, visit)
    with database.sessions() as s:
        assert s.get(Visit, visit).status == "consented"  # nothing visible changes on the visit


def test_a_second_self_exclusion_is_a_silent_no_op(database):
    site, donor = make_site(database), make_donor(database)
    visit = make_visit(database, donor_id=donor, site_id=site, status="collected")
    record_self_exclusion(clerk(database), visit_id=visit)
    before = counts(database)
    assert record_self_exclusion(clerk(database), visit_id=visit) is None
    assert counts(database) == before


def test_the_audit_entry_reveals_neither_visit_nor_donor(database):
    site = make_site(database)
    donor = make_donor(database, donor_number="D424242")
    visit = check_in(clerk(database), donor_id=donor, site_id=site).id
    entries_before = len(audit_entries(database))
    record_self_exclusion(clerk(database), visit_id=visit)
    [entry] = audit_entries(database)[entries_before:]
    assert (entry.action, entry.entity, entry.entity_id) == ("record", "confidential", None)
    assert entry.new == {"recorded": True} and entry.old is None and entry.reason is None
    assert "D424242" not in json.dumps([entry.new, entry.reason])
    assert audit_entries(database, entity="self_exclusion") == []


def test_other_visits_are_not_excluded(database):
    site, donor = make_site(database), make_donor(database)
    first = make_visit(database, donor_id=donor, site_id=site, status="collected")
    second = make_visit(database, donor_id=donor, site_id=site, status="collected")
    record_self_exclusion(clerk(database), visit_id=first)
    assert excluded(database, first) and not excluded(database, second)


def test_an_unknown_visit_is_refused_and_nothing_is_written(database):
    before = counts(database)
    with pytest.raises(NotFound, match="No visit with id 999"):
        record_self_exclusion(clerk(database), visit_id=999)
    assert counts(database) == before
