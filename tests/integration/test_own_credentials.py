"""Nobody acts as someone else: tokens by their owner (or for service accounts that never sign), a reset
password opens nothing until replaced, tokens expire, and sessions end after a shift however active."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from typer.testing import CliRunner

from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.errors import Conflict, SignatureRefused
from bloodbank.entrypoints.cli import app
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.staff import authentication, signatures, users
from tests.integration.web_fixtures import PASSWORD, api, browser, log_in, make_user

NEW = "my very own secret"


def reset(database, user_id: int, password: str = "set by the admin") -> None:
    users.reset_password(UnitOfWork(database, actor="admin.ada"), user_id=user_id, password=password,
                         reason="forgot it")


def test_an_administrator_cannot_make_a_token_in_a_persons_name(database):
    admin = api(database, "administrator", "admin.ada")
    dana = make_user(database, "clerk", "dana")
    answer = admin.post(f"/api/users/{dana.id}/tokens", json={"name": "to act as dana"})
    assert answer.status_code == 409 and "nobody makes one in another person's name" in answer.json()["message"]
    with pytest.raises(Conflict):
        authentication.issue_api_token(UnitOfWork(database), user_id=dana.id, name="x", issuer_id=admin.user.id)


def test_a_person_makes_their_own_token_and_a_service_account_gets_one_from_the_administrator(database):
    dana = api(database, "clerk", "dana")
    own = dana.post("/api/me/tokens", json={"name": "my script"})
    assert own.status_code == 201 and own.json()["token"]
    lis = make_user(database, "hospital_staff", "lis", service=True)
    admin = api(database, "administrator", "admin.ada")
    assert admin.post(f"/api/users/{lis.id}/tokens", json={"name": "hospital LIS"}).status_code == 201


def test_a_service_account_never_logs_in_with_a_browser_and_never_signs(database):
    lis = make_user(database, "hospital_staff", "lis", service=True)
    assert log_in(browser(database), "lis", PASSWORD).status_code == 401
    with pytest.raises(SignatureRefused, match="never signs"):
        signatures.check_signer(UnitOfWork(database), user_id=lis.id, password=PASSWORD, action="release")


def test_a_reset_password_opens_only_the_page_to_choose_ones_own(database):
    dana = make_user(database, "clerk", "dana")
    reset(database, dana.id)
    client = browser(database)
    assert log_in(client, "dana", "set by the admin").status_code == 303
    desk = client.get("/desk")
    assert desk.status_code == 303 and desk.headers["location"] == "/account/password"
    page = client.get("/account/password")
    assert "An administrator set your password" in page.text
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    changed = client.post("/account/password", data={"current_password": "set by the admin", "new_password": NEW,
                                                       "repeat_password": NEW, "csrf_token": csrf})
    assert changed.status_code == 303
    assert client.get("/desk").status_code == 200


def test_a_reset_password_signs_nothing_and_the_api_says_to_choose_ones_own(database):
    director = make_user(database, "medical_director", "dr.kim")
    reset(database, director.id)
    with pytest.raises(SignatureRefused, match="Choose your own password first"):
        signatures.check_signer(UnitOfWork(database), user_id=director.id, password="set by the admin",
                                action="release")
    token = authentication.issue_api_token(UnitOfWork(database), user_id=director.id, name="own",
                                           issuer_id=director.id).token
    client = browser(database)
    answer = client.get("/api/units", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403 and answer.json()["code"] == "must_change_password"
    users.change_own_password(UnitOfWork(database), user_id=director.id, current="set by the admin", new=NEW)
    signatures.check_signer(UnitOfWork(database), user_id=director.id, password=NEW, action="release")


def test_a_reset_password_runs_no_command_but_the_password_change(database):
    admin = make_user(database, "administrator", "admin.ada")
    reset(database, admin.id)
    refused = CliRunner().invoke(app, ["--database", database.url, "users", "list", "--as", "admin.ada"])
    assert refused.exit_code == 1 and "choose your own first" in refused.output
    changed = CliRunner().invoke(app, ["--database", database.url, "users", "password", "--as", "admin.ada"],
                                 input=f"set by the admin\n{NEW}\n{NEW}\n")
    assert changed.exit_code == 0, changed.output
    assert CliRunner().invoke(app, ["--database", database.url, "users", "list", "--as", "admin.ada"]).exit_code == 0


def test_an_api_token_stops_working_when_it_expires(database):
    dana = make_user(database, "clerk", "dana")
    token = authentication.issue_api_token(UnitOfWork(database), user_id=dana.id, name="short", issuer_id=dana.id,
                                           days=1).token
    assert authentication.resolve_api_token(UnitOfWork(database), token) is not None
    with time_machine.travel(utcnow() + timedelta(days=1, minutes=1)):
        assert authentication.resolve_api_token(UnitOfWork(database), token) is None


def test_a_session_ends_after_a_shift_however_active_it_was(database):
    make_user(database, "clerk", "dana")
    ticket = authentication.login(UnitOfWork(database), username="dana", password=PASSWORD)
    start = utcnow()
    for step in range(1, 36):  # a request every twenty minutes: never idle
        with time_machine.travel(start + timedelta(minutes=20 * step)):
            assert authentication.resolve_session(UnitOfWork(database), ticket.token) is not None
    with time_machine.travel(start + timedelta(hours=12, minutes=1)):
        assert authentication.resolve_session(UnitOfWork(database), ticket.token) is None
