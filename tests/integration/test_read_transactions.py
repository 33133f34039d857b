"""A read takes no write lock: on SQLite a page or a GET answers while a writer holds the database."""

import sqlite3

import pytest
from sqlalchemy import select

from bloodbank.adapters.db.database import Database
from bloodbank.adapters.db.migrate import upgrade
from bloodbank.adapters.db.models import AuditEntry, Site
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from tests.integration.donor_fixtures import make_site, register
from tests.integration.web_fixtures import api, browser


@pytest.fixture
def sqlite_database(tmp_path):
    """The write lock readers must not wait for is SQLite's: PostgreSQL readers never take one."""
    url = f"sqlite:///{tmp_path / 'locks.db'}"
    upgrade(url)
    database = Database(url)
    yield database
    database.dispose()


def hold_the_write_lock(database) -> sqlite3.Connection:
    writer = sqlite3.connect(database.engine.url.database, isolation_level=None, timeout=0)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE site SET name = name")
    return writer


def test_a_get_through_the_api_answers_while_another_connection_holds_the_write_lock(sqlite_database):
    donor = register(sqlite_database, given_name="Nadia", family_name="Karam")
    client = api(sqlite_database, "clerk")
    client.get("/api/donors/%d" % donor.id)  # the token's last use is recorded before the lock is taken
    writer = hold_the_write_lock(sqlite_database)
    try:
        response = client.get(f"/api/donors/{donor.id}")
        found = client.get("/api/donors", params={"q": "kara"})
    finally:
        writer.rollback()
        writer.close()
    assert response.status_code == 200 and response.json()["family_name"] == "Karam"
    assert [d["family_name"] for d in found.json()["items"]] == ["Karam"]


def test_a_page_answers_while_another_connection_holds_the_write_lock(sqlite_database):
    client = browser(sqlite_database, "clerk")
    writer = hold_the_write_lock(sqlite_database)
    try:
        page = client.get("/desk", params={"q": "anyone"})
    finally:
        writer.rollback()
        writer.close()
    assert page.status_code == 200


def test_a_unit_of_work_opened_to_read_refuses_to_write(database):
    with pytest.raises(RuntimeError, match="opened to read"):
        with UnitOfWork(database, read_only=True) as uow:
            uow.session.add(Site(code="RO1", name="Read only", facility_code="B1234", time_zone="UTC"))
            uow.session.flush()
    with UnitOfWork(database) as uow:
        assert uow.session.execute(select(Site).where(Site.code == "RO1")).first() is None


def test_a_read_that_is_audited_is_recorded_by_a_write_of_its_own_when_it_commits(database):
    site = make_site(database)
    with UnitOfWork(database, actor="dr.reader", read_only=True) as uow:
        assert uow.session.get(Site, site) is not None
        uow.audit("read", "site", site)
        uow.commit()
    with UnitOfWork(database) as uow:
        entry = uow.session.execute(select(AuditEntry.action, AuditEntry.entity, AuditEntry.entity_id)
                                    .where(AuditEntry.actor == "dr.reader")).one()
    assert tuple(entry) == ("read", "site", str(site))
