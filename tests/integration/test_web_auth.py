"""Logging in, sessions, CSRF, throttling, API tokens and signatures, through the app as a browser would."""

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from bloodbank.adapters.db.models import AuditEntry
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.errors import SignatureRefused
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.staff import authentication, signatures

from tests.integration.patient_fixtures import make_site
from tests.integration.web_fixtures import PASSWORD, api, browser, make_user, log_in


def audit_actions(database) -> list[str]:
    with database.sessions() as s:
        return list(s.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars())


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(database):
    make_user(database, "clerk")
    client = browser(database)
    answer = log_in(client, "clerk", "not the password")
    assert answer.status_code == 401
    assert "user name or password is wrong" in answer.text
    assert "bloodbank_session" not in answer.cookies
    assert "login_refused" in audit_actions(database)


def test_the_session_cookie_is_http_only_and_same_site(database):
    make_user(database, "clerk")
    answer = log_in(browser(database), "clerk", PASSWORD)
    assert answer.status_code == 303 and answer.headers["location"] == "/desk"
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_five_failures_lock_the_name_even_against_the_right_password(database):
    make_user(database, "lab_technician", "lab")
    client = browser(database)
    for _ in range(5):
        assert log_in(client, "lab", "wrong password!").status_code == 401
    locked = log_in(client, "lab", PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.text
    with time_machine.travel(utcnow() + timedelta(minutes=16)):
        assert log_in(client, "lab", PASSWORD).status_code == 303


def test_a_form_posted_without_the_session_csrf_token_is_refused_and_logged(database):
    client = browser(database, "administrator", "admin")
    answer = client.post("/logout", data={})
    assert answer.status_code == 403
    assert "did not come from bloodbank" in answer.text
    assert "access_denied" in audit_actions(database)
    assert client.get("/").status_code == 200  # still logged in: the forged logout did nothing


def test_an_api_call_with_the_session_cookie_needs_the_csrf_header(database):
    client = browser(database, "administrator", "admin")
    body = {"username": "new-clerk", "full_name": "New Clerk", "role": "clerk", "password": "long enough pw"}
    assert client.post("/api/users", json=body).status_code == 403
    assert client.post("/api/users", json=body, headers={"X-CSRF-Token": client.csrf}).status_code == 201
    assert "access_denied" in audit_actions(database)


def test_an_idle_session_expires(database):
    client = browser(database, "clerk")
    assert client.get("/").status_code == 200
    with time_machine.travel(utcnow() + timedelta(minutes=31)):
        answer = client.get("/")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    assert "session_expired" in audit_actions(database)
    assert client.get("/").status_code == 303  # an expired session does not come back


def test_logging_out_ends_the_session(database):
    client = browser(database, "clerk")
    assert client.post("/logout", data={"csrf_token": client.csrf}).status_code == 303
    assert client.get("/").status_code == 303


def test_the_api_answers_401_in_json_without_a_token_and_with_a_revoked_one(database):
    answer = browser(database).get("/api/me")
    assert answer.status_code == 401 and answer.json()["code"] == "not_authenticated"
    client = api(database, "clerk")
    assert client.get("/api/me").json()["role"] == "clerk"
    authentication.revoke_api_token(UnitOfWork(database), token_id=client.token_id)
    assert client.get("/api/me").status_code == 401


def test_a_role_without_the_permission_gets_403_and_the_refusal_is_logged(database):
    client = api(database, "clerk")
    answer = client.get("/api/audit/verify")
    assert answer.status_code == 403
    assert answer.json() == {"code": "forbidden", "message": "Your role (Donor-desk clerk) does not allow this."}
    with database.sessions() as s:
        entry = s.execute(select(AuditEntry).where(AuditEntry.action == "access_denied")).scalar_one()
    assert entry.actor == "clerk" and entry.entity_id == "audit.read"


def test_a_person_reads_times_on_their_sites_clock_by_session_token_and_command_line(database):
    site = make_site(database, time_zone="Asia/Damascus")
    make_user(database, "clerk", "damascus-clerk", site_id=site)

    ticket = authentication.login(UnitOfWork(database), username="damascus-clerk", password=PASSWORD)
    client = api(database, "hospital_staff", "damascus-ward", site_id=site)

    assert ticket.principal.time_zone == "Asia/Damascus"
    assert authentication.resolve_session(UnitOfWork(database), ticket.token).time_zone == "Asia/Damascus"
    assert authentication.resolve_api_token(UnitOfWork(database), client.headers["authorization"][7:]).time_zone \
        == "Asia/Damascus"
    assert authentication.account_principal(UnitOfWork(database), username="damascus-clerk",
                                            via="cli").time_zone == "Asia/Damascus"


def test_a_person_of_no_site_reads_times_in_utc(database):
    make_user(database, "clerk")
    ticket = authentication.login(UnitOfWork(database), username="clerk", password=PASSWORD)
    assert ticket.principal.time_zone == "UTC"
    assert authentication.resolve_session(UnitOfWork(database), ticket.token).time_zone == "UTC"


def test_a_login_link_cannot_send_the_person_to_another_site(database):
    make_user(database, "clerk")
    answer = log_in(browser(database), "clerk", PASSWORD, next="//evil.example/phish")
    assert answer.headers["location"] == "/desk"


@pytest.mark.parametrize("role, home", [("clerk", "/desk"), ("phlebotomist", "/collection"), ("lab_technician", "/lab"),
                                        ("inventory_manager", "/inventory"), ("hospital_staff", "/hospital"),
                                        ("administrator", "/admin"), ("medical_director", "/")])
def test_a_person_sent_to_log_in_from_the_bare_address_lands_on_their_roles_home(database, role, home):
    make_user(database, role)
    client = browser(database)
    assert client.get("/").headers["location"].startswith("/login")
    answer = log_in(client, role.replace("_", "-"), PASSWORD, next="/")
    assert answer.headers["location"] == home
    assert client.get("/login").headers["location"] == home  # already logged in: the same home
    assert log_in(browser(database), role.replace("_", "-"), PASSWORD, next="/desk?q=x").headers["location"] \
        == "/desk?q=x"


def test_a_signature_with_the_wrong_password_is_refused_and_logged(database):
    user = make_user(database, "lab_technician", "lab")
    with pytest.raises(SignatureRefused):
        signatures.check_signer(UnitOfWork(database), user_id=user.id, password="not mine at all", action="release")
    assert "signature_refused" in audit_actions(database)


def test_a_signature_records_name_time_and_meaning(database):
    user = make_user(database, "lab_technician", "lab")
    signatures.check_signer(UnitOfWork(database), user_id=user.id, password=PASSWORD, action="release")
    signed = signatures.sign(UnitOfWork(database, actor="lab"), user_id=user.id, action="release",
                             subject="G123498654321 E0398V00", entity="unit", entity_id=7)
    assert signed.signer_name == "Test lab_technician"
    assert signed.meaning.startswith("I confirm that unit G123498654321 E0398V00 meets every release requirement")
    assert signatures.signatures_for(UnitOfWork(database), entity="unit", entity_id=7) == [signed]
