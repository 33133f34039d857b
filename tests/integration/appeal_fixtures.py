"""An appeal's world in small: a site with chairs, donors around it, and real servers standing in for the
mail server (aiosmtpd) and the SMS gateway (http.server in a thread)."""

from __future__ import annotations

import copy
import itertools
import json
import socket
import threading
import time
import tomllib
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources

import pytest
from aiosmtpd.controller import Controller

from bloodbank.adapters.db.models import Donor, Site
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.config import get_settings
from bloodbank.domain import appeal_rules
from tests.integration.inventory_fixtures import insert

SITE_AT = (52.0, -1.0)
OPEN_ALL_WEEK = {d: [["08:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
_numbers = itertools.count(1)


@pytest.fixture
def link_secret(monkeypatch):
    monkeypatch.setenv("BLOODBANK_APPEAL_LINK_SECRET", "a-secret-for-the-suite-only-0123456789")
    monkeypatch.setenv("BLOODBANK_APPEAL_LINK_BASE_URL", "https://blood.example.org")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def booked_ten_hours_on(monkeypatch):
    """Invitations book from ten hours after now, as when an incident is declared at 22:00 and the sites open at
    08:00: the appeal then reaches the last 26 h of the 24-72 h window whatever the hour the suite runs at (the
    first booking otherwise follows the clock: tomorrow's opening)."""
    from bloodbank.service_layer.crisis import shortfall
    monkeypatch.setattr(shortfall, "first_booking", lambda s, now, params: now + timedelta(hours=10))


def appeal_params(**changes) -> appeal_rules.AppealParameters:
    """The packaged figures with a few changed: `response_rate=0.5` etc."""
    path = resources.files("bloodbank.domain") / "rules" / "appeals.toml"
    document = copy.deepcopy(tomllib.loads(path.read_text(encoding="utf-8")))
    for key, value in {"usual_daily_use": 0, **changes}.items():
        section = next(name for name, table in document.items() if key in table)
        document[section][key]["value"] = value
    return appeal_rules.parameters_from(document)


def make_appeal_site(database, *, code="APL", chairs=2, at=SITE_AT, time_zone="UTC") -> int:
    n = next(_numbers)
    return insert(database, Site(code=f"{code}{n}", name=f"Donor centre {n}", facility_code="G1234", rule_set="eu",
                                 time_zone=time_zone, latitude=at[0], longitude=at[1], chairs=chairs,
                                 slot_minutes=60, opening_hours=OPEN_ALL_WEEK))


def make_appeal_donor(database, *, group="O-", opt_in=True, km_north=2.0, phone=True, email=True,
                      contact=(0, 24), born=date(1985, 3, 1), **extra) -> int:
    n = next(_numbers)
    return insert(database, Donor(
        donor_number=f"AP{n:08d}", given_name="Sam", family_name=f"Donor{n}", date_of_birth=born, sex="F",
        phone=f"+44 7700 9{n:05d}" if phone else None, email=f"donor{n}@example.org" if email else None,
        blood_group=group, blood_group_confirmed=True, appeals_opt_in=opt_in,
        latitude=SITE_AT[0] + km_north / 111.2, longitude=SITE_AT[1],
        appeal_contact_from_hour=contact[0], appeal_contact_until_hour=contact[1], **extra))


def outside_contact_hours_now() -> tuple[int, int]:
    hour = utcnow().hour
    return ((hour + 2) % 24, (hour + 4) % 24 or 24)


# ---------------------------------------------------------------- a mail server


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(monkeypatch):
    inbox = _Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("BLOODBANK_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("BLOODBANK_SMTP_PORT", str(port))
    get_settings.cache_clear()
    yield inbox
    controller.stop()
    get_settings.cache_clear()


# ---------------------------------------------------------------- an SMS gateway


class Gateway:
    """Accepts a message once per idempotency key, as a real gateway does; can be told to fail or to stall."""

    def __init__(self):
        self.delivered: dict[str, dict] = {}  # key -> body: what reached phones
        self.posts = 0
        self.mode = "ok"  # ok | fail | slow
        self.lock = threading.Lock()


def _handler(gateway: Gateway):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with gateway.lock:
                gateway.posts += 1
                mode = gateway.mode
            if mode == "slow":
                time.sleep(1.5)
            if mode == "fail":
                self.send_response(503)
                self.end_headers()
                return
            with gateway.lock:
                gateway.delivered.setdefault(self.headers["Idempotency-Key"], body)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"status": "queued"}')

        def log_message(self, *args):
            pass
    return Handler


@pytest.fixture
def sms_gateway(monkeypatch):
    gateway = Gateway()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(gateway))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("BLOODBANK_SMS_GATEWAY_URL", f"http://127.0.0.1:{server.server_address[1]}/send")
    monkeypatch.setenv("BLOODBANK_SMS_TIMEOUT_SECONDS", "0.5")
    monkeypatch.setenv("BLOODBANK_SMS_INBOUND_SECRET", "gateway-shared-secret")
    get_settings.cache_clear()
    yield gateway
    server.shutdown()
    server.server_close()
    get_settings.cache_clear()


def tomorrow() -> date:
    return utcnow().date() + timedelta(days=1)
