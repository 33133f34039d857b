"""The audit viewer shows an entry's values only to a role that may read that kind of record: an allow-list."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bloodbank.service_layer.shared import audit
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

SOURCE = Path(audit.__file__).parents[2]
WRITTEN = re.compile(r'\.audit\(\s*"[a-z_]+",\s*"([a-z_]+)"')


def test_every_kind_of_record_the_code_audits_is_on_the_allow_list():
    written = {m.group(1) for path in SOURCE.rglob("*.py") for m in WRITTEN.finditer(path.read_text())}
    assert written, "the scan found no audit call"
    assert written - set(audit.VALUES_READ_WITH) - audit.NEVER_SHOWN == set()


def write(database, entity: str, values: dict) -> None:
    uow = UnitOfWork(database, actor="nurse.eve")
    with uow:
        uow.audit("update", entity, 7, new=values)
        uow.commit()


@pytest.mark.parametrize("entity", ["visit", "consent", "donation", "adverse_reaction", "visit_reasons"])
def test_an_administrator_sees_that_a_donor_record_changed_but_not_its_values(database, entity):
    write(database, entity, {"answer": "new sexual partner"})
    [shown], _ = audit.list_entries_for(UnitOfWork(database), role="administrator")
    assert (shown.entity, shown.actor) == (entity, "nurse.eve")
    assert shown.new is None and shown.withheld


def test_the_medical_director_sees_a_screenings_values(database):
    write(database, "visit", {"answer": "new sexual partner"})
    [shown], _ = audit.list_entries_for(UnitOfWork(database), role="medical_director")
    assert shown.new == {"answer": "new sexual partner"} and shown.withheld is None


def test_a_kind_of_record_nobody_has_placed_shows_no_values_to_anyone(database):
    write(database, "something_new", {"secret": "x"})
    for role in ("administrator", "medical_director"):
        [shown], _ = audit.list_entries_for(UnitOfWork(database), role=role)
        assert shown.new is None and shown.withheld
