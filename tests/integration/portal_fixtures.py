"""A donor at home: a record with a contact on file, their browser, and signing in through the real outbox."""

from __future__ import annotations

import re
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from bloodbank.adapters.db.models import Donation, OutboxMessage, Visit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.entrypoints.web.app import create_app
from bloodbank.service_layer.messaging import outbox
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from tests.integration.appeal_fixtures import make_appeal_donor
from tests.integration.inventory_fixtures import insert

BORN = date(1985, 3, 1)
CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")  # the code, in whatever language the message is
LINK = re.compile(r"/my/link/(\S+)")


def home_browser(database, **headers) -> TestClient:
    client = TestClient(create_app(database.url), follow_redirects=False, headers=headers)
    client.csrf = None
    return client


def make_home_donor(database, **extra) -> int:
    return make_appeal_donor(database, born=BORN, **extra)


def contact_of(database, donor_id: int, channel: str) -> tuple[str, str]:
    from bloodbank.adapters.db.models import Donor
    with database.sessions() as s:
        donor = s.get(Donor, donor_id)
        return donor.donor_number, donor.email if channel == "email" else donor.phone


def ask(client: TestClient, database, donor_id: int, channel: str = "sms", **changes):
    number, contact = contact_of(database, donor_id, channel)
    body = {"donor_number": number, "date_of_birth": BORN.isoformat(), "channel": channel, "contact": contact,
            **changes}
    return client.post("/api/my/sign-in", json=body)


def send_outbox(database):
    return outbox.send_pending(UnitOfWork(database, actor="outbox"))


def sign_in_by_sms(client: TestClient, database, donor_id: int, gateway) -> TestClient:
    answer = ask(client, database, donor_id, "sms")
    assert answer.status_code == 202, answer.text
    send_outbox(database)
    code = CODE.search(list(gateway.delivered.values())[-1]["text"]).group(1)
    signed = client.post("/api/my/sign-in/code", json={"challenge": answer.json()["challenge"], "code": code})
    assert signed.status_code == 200, signed.text
    client.csrf = signed.json()["csrf_token"]
    client.headers["X-CSRF-Token"] = client.csrf
    return client


def messages(database) -> list[OutboxMessage]:
    with database.sessions() as s:
        return list(s.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


def make_donation(database, donor_id: int, site_id: int, *, days_ago: int = 3) -> int:
    """A visit that ended in a collected donation, `days_ago` days ago."""
    at = utcnow() - timedelta(days=days_ago)
    visit = insert(database, Visit(donor_id=donor_id, site_id=site_id, status="collected", kind="whole_blood",
                                   checked_in_at=at, checked_in_by="clerk.ann"))
    from bloodbank.domain.isbt128 import make_din
    serial = 900000 + visit
    return insert(database, Donation(din=str(make_din("G1234", 26, serial)), facility_code="G1234", din_year=26,
                                     serial=serial, visit_id=visit, donor_id=donor_id, site_id=site_id,
                                     kind="whole_blood", bag_type="triple", bag_lot="L1", phlebotomist="phleb.jo",
                                     started_at=at, status="complete"))
