"""Clients for the web app: a browser-like one with a session, and an API client with a bearer token."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from bloodbank.entrypoints.web.app import create_app
from bloodbank.service_layer.hospital import hospitals
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.staff import authentication, users

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LOGIN_TOKEN = re.compile(r'name="login_token" value="([^"]+)"')


def make_user(database, role: str, username: str | None = None, *, site_id: int | None = None,
              service: bool = False, hospitals: tuple = ()) -> users.UserView:
    """`hospitals`: the ids or codes of the hospitals a hospital staff account belongs to (it sees only theirs)."""
    name = username or role.replace("_", "-")
    return users.create_user(UnitOfWork(database, actor="admin"), username=name, full_name=f"Test {role}",
                             role=role, password=PASSWORD, site_id=site_id, service_account=service,
                             hospitals=hospitals)


def join_hospitals(database, user, *hospitals) -> users.UserView:
    """The account (a user name, a view, or a client made by `api`/`browser`) belongs to these hospitals from now
    on, and to those it already did: each request reads its person's hospitals afresh."""
    if isinstance(user, str):
        user = next(u for u in users.list_users(UnitOfWork(database)) if u.username == user)
    user_id = getattr(user, "user", user).id
    now = users.get_user(UnitOfWork(database), user_id).hospital_ids
    return users.set_hospitals(UnitOfWork(database, actor="admin"), user_id=user_id, hospitals=[*now, *hospitals])


def browser(database, role: str | None = None, username: str | None = None, *,
            site_id: int | None = None, hospitals: tuple = ()) -> TestClient:
    """A client logged in through the login form, like a person; `client.csrf` holds the page's token."""
    client = TestClient(create_app(database.url), follow_redirects=False)
    client.csrf = None
    if role is not None:
        user = make_user(database, role, username, site_id=site_id, hospitals=hospitals)
        client.user = user
        answer = log_in(client, user.username, PASSWORD)
        assert answer.status_code == 303, answer.text
        client.csrf = csrf_of(client.get("/").text)
    return client


def log_in(client: TestClient, username: str, password: str, **fields):
    """Through the login form as a browser does: fetch it (its token and cookie), then post it."""
    page = client.get("/login")
    token = LOGIN_TOKEN.search(page.text)
    assert token, "the login form carries no token"
    return client.post("/login", data={"username": username, "password": password,
                                       "login_token": token.group(1), **fields})


def csrf_of(page: str) -> str:
    found = CSRF.search(page)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def api(database, role: str, username: str | None = None, *, site_id: int | None = None,
        hospitals: tuple = ()) -> TestClient:
    """A machine client: bearer token of a user holding `role` (of `hospitals`, for hospital staff)."""
    user = make_user(database, role, username, site_id=site_id, hospitals=hospitals)
    issued = authentication.issue_api_token(UnitOfWork(database, actor="admin"), user_id=user.id, name="tests",
                                            issuer_id=user.id)
    client = TestClient(create_app(database.url), headers={"Authorization": f"Bearer {issued.token}"})
    client.user = user
    client.token_id = issued.id
    return client


def every_hospital(database) -> tuple[int, ...]:
    """The ids of every hospital on file: for an account that works at all of a test's hospitals."""
    return tuple(h.id for h in hospitals.list_hospitals(UnitOfWork(database)))
