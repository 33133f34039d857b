"""Revision 0027 seals the outbox's bodies stored in clear (and opens them again on the way down), and gives
the erasure requests on file an outcome, open until answered."""

from __future__ import annotations

from alembic import command
from sqlalchemy import select, text

from bloodbank.adapters.db.database import Database
from bloodbank.adapters.db.engine import make_engine
from bloodbank.adapters.db.migrate import alembic_config, upgrade
from bloodbank.adapters.db.models import DonorErasureRequest, OutboxMessage
from bloodbank.adapters.db.models.base import utcnow
from tests.integration.migration_fixtures import insert_row
from tests.integration.test_migrations import fresh_url  # noqa: F401 (a fixture)

BODY = "Your bloodbank sign-in code is 481516. It is valid for 15 minutes. Never share it."


def stored_bodies(url: str) -> list[str]:
    engine = make_engine(url)
    with engine.connect() as conn:
        bodies = list(conn.execute(text("SELECT body FROM outbox_message")).scalars())
    engine.dispose()
    return bodies


def test_revision_0027_seals_the_outbox_in_place_and_keeps_open_requests_open(fresh_url):
    upgrade(fresh_url, "0026")
    old = Database(fresh_url)
    now = utcnow()
    donor = insert_row(old, "donor", donor_number="OUT0000001", given_name="Ada", family_name="Waiting",
                       date_of_birth="1980-01-01", sex="F", address="", postcode="", appeals_opt_in=False,
                       group_discrepancy=False, blood_group_confirmed=False, notes="", created_at=now)
    insert_row(old, "outbox_message", idempotency_key="sign-in:1", channel="sms", donor_id=donor, subject="",
               body=BODY, status="pending", attempts=0, next_attempt_at=now, last_error="", created_at=now)
    insert_row(old, "donor_erasure_request", donor_id=donor, requested_at=now)
    old.dispose()

    upgrade(fresh_url)

    assert stored_bodies(fresh_url) != [BODY] and "481516" not in stored_bodies(fresh_url)[0]
    new = Database(fresh_url)
    with new.sessions() as s:
        assert s.execute(select(OutboxMessage.body)).scalar_one() == BODY
        assert s.execute(select(DonorErasureRequest.outcome)).scalar_one() is None
    new.dispose()
    command.downgrade(alembic_config(fresh_url), "0026")
    assert stored_bodies(fresh_url) == [BODY]
    upgrade(fresh_url)
