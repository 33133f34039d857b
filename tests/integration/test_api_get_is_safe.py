"""No GET changes a record: a link, an image tag or a prefetch on another site can make a browser send one."""

from __future__ import annotations

import re

from sqlalchemy import select

from bloodbank.adapters.db.models import Base
from bloodbank.entrypoints.demo import region as demo_data
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from tests.integration.web_fixtures import browser

# What a read may write: the audit of a sensitive read (an entry and its values), and the session's own bookkeeping.
BOOKKEEPING = {"audit_entry", "audit_payload", "audit_head", "user_session", "api_token", "login_attempt"}


def records(database) -> dict[str, list[tuple]]:
    with database.sessions() as session:
        return {t.name: [tuple(r) for r in session.execute(select(t).order_by(*t.primary_key.columns)).all()]
                for t in Base.metadata.sorted_tables if t.name not in BOOKKEEPING}


def test_no_get_of_the_api_changes_a_record_even_with_a_session_cookie(database):
    demo_data.load_demo(lambda: UnitOfWork(database, actor="demo"), donors=30, seed=3, appointments_per_site_day=1)
    client = browser(database, "medical_director", "dr.mira")
    spec = client.get("/openapi.json").json()
    before = records(database)
    called = 0
    for path, operations in spec["paths"].items():
        if "get" not in operations:
            continue
        for identifier in ("1", "2"):
            client.get(re.sub(r"\{[^}]+\}", identifier, path))
            called += 1
    assert called > 50
    assert records(database) == before
