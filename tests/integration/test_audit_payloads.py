"""An entry's values live in a payload the chain holds by digest: erased by the erasure path only, the chain verifies."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError
from typer.testing import CliRunner

from bloodbank.adapters.db import audit_payloads
from bloodbank.adapters.db.models import AuditEntry, AuditErasure, AuditPayload
from bloodbank.entrypoints.cli import app
from bloodbank.service_layer.shared.audit import entry_for, verify_chain
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from tests.integration.test_audit_chain import tamper, write_entries
from tests.integration.web_fixtures import make_user


def erase(database, ids, actor="dr.kim"):
    with UnitOfWork(database, actor=actor) as uow:
        entry, count = audit_payloads.erase(uow.session, actor=actor, entity="donor", entity_id=7, entry_ids=ids,
                                            new={"why": "test"}, reason="the donor asked")
        uow.commit()
        return entry.id, count


def payload_ids(database) -> set[int]:
    with database.sessions() as session:
        return set(session.execute(select(AuditPayload.entry_id)).scalars())


def test_every_new_entry_keeps_its_values_in_a_salted_payload_and_only_their_digest_in_the_entry(database):
    write_entries(database, 1)
    with database.sessions() as session:
        entry = session.execute(select(AuditEntry)).unique().scalar_one()
        payload = session.get(AuditPayload, entry.id)
    assert entry.format == 2 and len(entry.payload_digest) == 64 and len(payload.salt) == 32
    assert (entry.old, entry.new, entry.reason) == ({"phone": "1"}, {"phone": "0"}, "moved")
    assert (payload.old, payload.new) == ({"phone": "1"}, {"phone": "0"})


def test_the_application_can_neither_update_nor_delete_a_payload(database):
    write_entries(database, 1)
    for statement in ("UPDATE audit_payload SET reason = 'nothing happened'", "DELETE FROM audit_payload"):
        with pytest.raises(DatabaseError, match="append-only"):
            with database.engine.begin() as conn:
                conn.execute(text(statement))
    assert payload_ids(database) == {1}


def test_an_erasure_row_is_append_only_too(database):
    write_entries(database, 3)
    erase(database, [2])
    for statement in ("UPDATE audit_erasure SET erased_by_id = 1", "DELETE FROM audit_erasure"):
        with pytest.raises(DatabaseError, match="append-only"):
            with database.engine.begin() as conn:
                conn.execute(text(statement))


def test_erased_payloads_are_gone_the_chain_verifies_and_says_which_erasure_erased_them(database):
    write_entries(database, 5)
    eraser, count = erase(database, [2, 4])
    assert count == 2 and payload_ids(database) == {1, 3, 5, eraser}
    report = verify_chain(UnitOfWork(database))
    assert report.ok and report.entries == 6
    assert report.erased_payloads == 2 and dict(report.erased_by) == {eraser: 2}
    with database.sessions() as session:
        erasure = session.execute(select(AuditEntry).where(AuditEntry.id == eraser)).unique().scalar_one()
    assert erasure.action == "erase" and erasure.new["erased_entries"] == [2, 4]
    shown = entry_for(UnitOfWork(database), 2, role="medical_director")
    assert shown.new is None and shown.withheld == f"erased by entry {eraser}"


def test_an_erasure_entry_keeps_its_own_payload_even_when_asked_to_erase_it(database):
    write_entries(database, 2)
    first, _ = erase(database, [1])
    second, count = erase(database, [first, 2])
    assert count == 1 and first in payload_ids(database)
    assert verify_chain(UnitOfWork(database)).ok


def test_a_payload_deleted_by_hand_is_reported_even_with_a_forged_erasure_row(database):
    write_entries(database, 4)
    tamper(database, "INSERT INTO audit_erasure (entry_id, erased_by_id) VALUES (2, 4)",
           "DELETE FROM audit_payload WHERE entry_id = 2")
    report = verify_chain(UnitOfWork(database))
    assert not report.ok and report.first_broken_id == 2 and "no erasure" in report.problem


def test_a_changed_payload_is_reported_at_its_entry_and_is_not_erased(database):
    write_entries(database, 3)
    tamper(database, "UPDATE audit_payload SET new = :v WHERE entry_id = 2", v='{"phone": "forged"}')
    with pytest.raises(audit_payloads.PayloadDoesNotVerify):
        erase(database, [2])
    assert payload_ids(database) == {1, 2, 3}
    report = verify_chain(UnitOfWork(database))
    assert not report.ok and report.first_broken_id == 2 and "changed" in report.problem


def test_a_changed_field_of_an_erased_entry_is_still_reported(database):
    write_entries(database, 3)
    erase(database, [2])
    tamper(database, "UPDATE audit_entry SET actor = 'nobody' WHERE id = 2")
    report = verify_chain(UnitOfWork(database))
    assert not report.ok and report.first_broken_id == 2


def test_the_audit_verify_command_says_how_many_values_were_erased_and_by_which_entry(database):
    make_user(database, "administrator", "admin.ada")
    write_entries(database, 3)
    eraser, _ = erase(database, [1, 3])
    result = CliRunner().invoke(app, ["--database", database.url, "audit", "verify", "--as", "admin.ada"])
    assert result.exit_code == 0, result.output
    assert "Audit chain intact" in result.output
    assert f"The values of 2 entries were erased (2 by entry {eraser})" in result.output


def test_erasure_rows_name_the_erasure_entry(database):
    write_entries(database, 3)
    eraser, _ = erase(database, [1, 3])
    with database.sessions() as session:
        rows = session.execute(select(AuditErasure.entry_id, AuditErasure.erased_by_id)).all()
    assert sorted(map(tuple, rows)) == [(1, eraser), (3, eraser)]
