"""Clients for the web app: a browser-like one with a session, and an API client with a bearer token."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from bloodbank.entrypoints.web.app import create_app
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.staff import authentication, users

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LOGIN_TOKEN = re.compile(r'name="login_token" value="([^"]+)"')


def make_user(database, role: str, username: str | None = None, *, site_id: int | None = None,
              service: bool = False) -> users.UserView:
    name = username or role.replace("_", "-")
    return users.create_user(UnitOfWork(database, actor="admin"), username=name, full_name=f"Test {role}",
                             role=role, password=PASSWORD, site_id=site_id, service_account=service)


def browser(database, role: str | None = None, username: str | None = None, *,
            site_id: int | None = None) -> TestClient:
    """A client logged in through the login form, like a person; `client.csrf` holds the page's token."""
    client = TestClient(create_app(database.url), follow_redirects=False)
    client.csrf = None
    if role is not None:
        user = make_user(database, role, username, site_id=site_id)
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


def api(database, role: str, username: str | None = None, *, site_id: int | None = None) -> TestClient:
    """A machine client: bearer token of a user holding `role`."""
    user = make_user(database, role, username, site_id=site_id)
    issued = authentication.issue_api_token(UnitOfWork(database, actor="admin"), user_id=user.id, name="tests",
                                            issuer_id=user.id)
    client = TestClient(create_app(database.url), headers={"Authorization": f"Bearer {issued.token}"})
    client.user = user
    client.token_id = issued.id
    return client
