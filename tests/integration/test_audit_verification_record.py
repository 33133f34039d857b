"""A full verification written to the chain, and a view of the log that checks only the entries since."""

from bloodbank.service_layer.shared import audit
from bloodbank.service_layer.shared.audit import chain_status, filter_choices, list_entries_for, record_verification
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from tests.integration.test_audit_chain import tamper, write_entries


def test_a_full_verification_is_an_entry_of_the_chain_it_verified(database):
    write_entries(database, 4)
    found = record_verification(UnitOfWork(database, actor="auditor.ida"))
    assert (found.ok, found.entries, found.last_id, found.actor) == (True, 4, 4, "auditor.ida")
    assert found.entry_id == 5
    assert audit.verify_chain(UnitOfWork(database)).entries == 5


def test_with_no_full_verification_a_view_checks_the_whole_chain(database):
    write_entries(database, 3)
    status = chain_status(UnitOfWork(database))
    assert status.last_full is None and status.since.ok and status.since.entries == 3 and not status.broken


def test_a_view_after_a_full_verification_checks_the_entries_written_since(database):
    write_entries(database, 3)
    record_verification(UnitOfWork(database, actor="auditor.ida"))
    write_entries(database, 2)
    status = chain_status(UnitOfWork(database))
    # The verification's own entry and the two after it.
    assert status.last_full.entries == 3 and status.since.ok and status.since.entries == 3


def test_a_change_after_the_last_full_verification_shows_on_the_next_view(database):
    write_entries(database, 3)
    record_verification(UnitOfWork(database, actor="auditor.ida"))
    write_entries(database, 2)
    tamper(database, "UPDATE audit_payload SET reason = 'nothing happened' WHERE entry_id = 5")
    status = chain_status(UnitOfWork(database))
    assert status.broken and status.first_broken_id == 5 and status.entries_good == 4


def test_a_change_to_the_verifications_own_entry_shows_on_the_next_view(database):
    write_entries(database, 3)
    record_verification(UnitOfWork(database, actor="auditor.ida"))
    tamper(database, "UPDATE audit_entry SET actor = 'someone.else' WHERE id = 4")
    status = chain_status(UnitOfWork(database))
    assert status.broken and status.first_broken_id == 4


def test_a_change_before_the_last_full_verification_is_found_by_the_next_one_and_then_shown(database):
    write_entries(database, 3)
    record_verification(UnitOfWork(database, actor="auditor.ida"))
    tamper(database, "UPDATE audit_payload SET reason = 'nothing happened' WHERE entry_id = 2")
    assert not chain_status(UnitOfWork(database)).broken  # not read again until the next full verification
    found = record_verification(UnitOfWork(database, actor="auditor.ida"))
    assert not found.ok and found.first_broken_id == 2
    status = chain_status(UnitOfWork(database))
    assert status.broken and status.first_broken_id == 2 and "changed" in status.problem


def test_too_many_entries_since_the_last_full_verification_are_counted_not_checked(database, monkeypatch):
    monkeypatch.setattr(audit, "CHECKED_ON_VIEW", 3)
    write_entries(database, 2)
    record_verification(UnitOfWork(database, actor="auditor.ida"))
    write_entries(database, 4)
    status = chain_status(UnitOfWork(database))
    assert status.since is None and status.unchecked == 5 and not status.broken


def test_the_count_of_a_long_log_stops_past_the_cap(database, monkeypatch):
    monkeypatch.setattr(audit, "COUNT_CAP", 4)
    write_entries(database, 6)
    entries, total = list_entries_for(UnitOfWork(database), role="administrator", limit=2)
    assert [e.id for e in entries] == [6, 5] and total == 5
    entries, total = list_entries_for(UnitOfWork(database), role="administrator", limit=2, action="nothing")
    assert (entries, total) == ([], 0)


def test_the_filters_offer_each_actor_action_and_record_once_in_order(database):
    write_entries(database, 3)
    with UnitOfWork(database, actor="admin.bo") as uow:
        uow.audit("create", "user", 9, new={"name": "x"})
        uow.commit()
    choices = filter_choices(UnitOfWork(database))
    assert choices.actors == ("admin.bo", "clerk.ann")
    assert choices.actions == ("create", "update") and choices.entities == ("donor", "user")


def test_the_pages_button_verifies_the_whole_chain_and_the_page_then_says_when_and_by_whom(database):
    from tests.integration.web_fixtures import browser
    from tests.integration.test_ui_admin import text_of

    client = browser(database, "administrator", "admin.ada")
    done = client.post("/admin/audit/verify", data={"csrf_token": client.csrf})
    assert done.status_code == 303 and done.headers["location"] == "/admin/audit"
    page = text_of(client.get("/admin/audit").text)
    assert "Audit chain intact: verified in full on" in page and "by admin.ada" in page
    assert "1 entry written since was checked now." in page  # the verification's own entry


def test_a_long_log_not_checked_on_view_says_so_and_offers_the_full_verification(database, monkeypatch):
    from tests.integration.web_fixtures import browser
    from tests.integration.test_ui_admin import text_of

    monkeypatch.setattr(audit, "CHECKED_ON_VIEW", 2)
    write_entries(database, 4)
    client = browser(database, "administrator", "admin.ada")
    page = text_of(client.get("/admin/audit").text)
    assert "has never been verified in full, and is too long to check each time this page opens" in page
    assert "Verify the whole chain now" in page


def test_the_api_and_the_command_line_write_a_full_verification_as_the_page_does(database):
    from typer.testing import CliRunner

    from bloodbank.entrypoints.cli import app
    from tests.integration.web_fixtures import api, make_user

    write_entries(database, 2)
    answer = api(database, "administrator").post("/api/audit/verify")
    assert answer.status_code == 200 and answer.json()["ok"] and answer.json()["entries"] >= 2
    make_user(database, "administrator", "admin.cli")
    result = CliRunner().invoke(app, ["--database", database.url, "audit", "verify", "--record", "--as", "admin.cli"])
    assert result.exit_code == 0 and "Result written to the log as entry" in result.output
    assert chain_status(UnitOfWork(database)).last_full.actor == "admin.cli"
    assert api(database, "clerk").post("/api/audit/verify").status_code == 403


def test_a_full_verification_reads_without_the_write_lock_and_then_writes_its_entry(database):
    from sqlalchemy import event

    write_entries(database, 3)
    begun: list[str] = []
    listener = lambda conn, cursor, statement, *rest: begun.append(statement)  # noqa: E731
    event.listen(database.engine, "before_cursor_execute", listener)
    try:
        found = record_verification(UnitOfWork(database, actor="auditor.ida"))
    finally:
        event.remove(database.engine, "before_cursor_execute", listener)
    walked = next(i for i, s in enumerate(begun) if "audit_payload" in s and "LEFT OUTER JOIN" in s)
    written = next(i for i, s in enumerate(begun) if s.lstrip().upper().startswith("INSERT INTO AUDIT_ENTRY"))
    assert walked < written and found.ok and found.entries == 3
    if database.engine.dialect.name == "sqlite":
        # The walk's transaction is a reader's (BEGIN), the entry's a writer's (BEGIN IMMEDIATE).
        opened = [s for s in begun[:walked] if s.startswith("BEGIN")]
        assert opened and opened[-1] == "BEGIN"


def test_the_entries_checked_since_are_counted_in_the_singular_or_plural_of_the_readers_language(database):
    from tests.integration.web_fixtures import browser
    from tests.integration.test_ui_admin import text_of

    client = browser(database, "administrator", "admin.ada")
    client.post("/admin/audit/verify", data={"csrf_token": client.csrf})

    def page(language):
        return text_of(client.get("/admin/audit", headers={"Accept-Language": language}).text)

    assert "1 entry written since was checked now." in page("en")
    assert "1 entrée écrite depuis vient d'être contrôlée." in page("fr")
    assert "فُحص الآن 1 إدخال مكتوب منذ ذلك الحين." in page("ar")
    write_entries(database, 2)
    assert "3 entries written since were checked now." in page("en")
    assert "3 entrées écrites depuis viennent d'être contrôlées." in page("fr")
    assert "فُحصت الآن 3 إدخالات مكتوبة منذ ذلك الحين." in page("ar")


def test_the_page_counts_erased_values_and_their_erasure_entries_each_in_its_own_number(database):
    from tests.integration.test_audit_payloads import erase
    from tests.integration.test_ui_admin import text_of
    from tests.integration.web_fixtures import browser

    write_entries(database, 3)
    erase(database, [2])
    client = browser(database, "administrator", "admin.ada")
    page = text_of(client.get("/admin/audit").text)
    assert "The values of 1 entry were erased (personal data, at a donor's request or by retention); " \
           "its place in the chain is intact. 1 erasure entry in the chain says so." in page
    erase(database, [1, 3])
    page = text_of(client.get("/admin/audit").text)
    assert "The values of 3 entries were erased (personal data, at donors' requests or by retention); " \
           "their place in the chain is intact. 2 erasure entries in the chain say so." in page
