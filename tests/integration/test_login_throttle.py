"""Guessing a password: five tries per name whatever the timing, a limit per computer, and a form from this site only."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from bloodbank.adapters.db.models import LoginAttempt
from bloodbank.domain import access
from bloodbank.domain.errors import LoginRefused, LoginThrottled
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.staff import authentication
from tests.integration.web_fixtures import PASSWORD, browser, log_in, make_user


def attempt(database, username: str, password: str, client: str = "10.0.0.9") -> str:
    try:
        authentication.login(UnitOfWork(database, actor="web"), username=username, password=password, client=client)
    except LoginThrottled:
        return "throttled"
    except LoginRefused:
        return "refused"
    return "in"


def test_twenty_guesses_at_once_get_five_password_checks_before_the_lock(database):
    make_user(database, "lab_technician", "lab")
    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(lambda n: attempt(database, "lab", f"guess number {n}", client=f"10.0.1.{n}"),
                                 range(20)))
    assert outcomes.count("refused") == access.LOGIN_FAILURE_LIMIT
    assert outcomes.count("throttled") == 20 - access.LOGIN_FAILURE_LIMIT
    with database.sessions() as session:
        assert session.query(LoginAttempt).count() == access.LOGIN_FAILURE_LIMIT


def test_one_computer_guessing_across_many_names_is_throttled(database):
    outcomes = [attempt(database, f"name{n}", "guess guess guess", client="10.0.0.66")
                for n in range(access.CLIENT_FAILURE_LIMIT + 2)]
    assert outcomes[:access.CLIENT_FAILURE_LIMIT] == ["refused"] * access.CLIENT_FAILURE_LIMIT
    assert outcomes[access.CLIENT_FAILURE_LIMIT:] == ["throttled", "throttled"]
    assert attempt(database, "name0", "guess guess guess", client="10.0.0.67") == "refused"


def test_locking_a_name_out_leaves_its_open_session_working(database):
    client = browser(database, "clerk", "dana")
    for n in range(access.LOGIN_FAILURE_LIMIT):
        assert attempt(database, "dana", f"wrong {n}") == "refused"
    assert attempt(database, "dana", PASSWORD) == "throttled"
    assert client.get("/desk").status_code == 200


def test_a_login_posted_without_the_forms_token_is_refused(database):
    make_user(database, "clerk", "dana")
    client = browser(database)
    answer = client.post("/login", data={"username": "dana", "password": PASSWORD})
    assert answer.status_code == 403 and "log in again" in answer.text
    assert "bloodbank_session" not in answer.cookies
    assert log_in(client, "dana", PASSWORD).status_code == 303


def test_a_login_token_from_another_browser_is_refused(database):
    make_user(database, "clerk", "dana")
    mine, theirs = browser(database), browser(database)
    token = theirs.get("/login").text.split('name="login_token" value="')[1].split('"')[0]
    mine.get("/login")
    answer = mine.post("/login", data={"username": "dana", "password": PASSWORD, "login_token": token})
    assert answer.status_code == 403
