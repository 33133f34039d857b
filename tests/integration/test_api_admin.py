"""Administration through the REST API: users, their API tokens, password resets, the audit log."""

from __future__ import annotations

from sqlalchemy import select

from bloodbank.adapters.db.models import AuditEntry
from bloodbank.service_layer.blood import testing
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from tests.integration.trace_fixtures import make_donation, make_donor, make_site
from tests.integration.web_fixtures import PASSWORD, api, browser, make_user, log_in


def test_a_users_api_tokens_are_listed_by_name_and_use_never_with_the_secret(database):
    admin = api(database, "administrator", "admin")
    clerk = make_user(database, "clerk", "dana", service=True)
    issued = admin.post(f"/api/users/{clerk.id}/tokens", json={"name": "booking kiosk"}).json()
    admin.post(f"/api/users/{clerk.id}/tokens", json={"name": "old kiosk"})
    old = admin.get(f"/api/users/{clerk.id}/tokens").json()[0]
    assert admin.delete(f"/api/tokens/{old['id']}").status_code == 204

    tokens = admin.get(f"/api/users/{clerk.id}/tokens").json()

    assert sorted((t["name"], t["revoked_at"] is None) for t in tokens) == [("booking kiosk", True),
                                                                            ("old kiosk", False)]
    assert all(set(t) == {"id", "user_id", "name", "created_at", "last_used_at", "revoked_at", "expires_at"}
               for t in tokens)
    assert issued["token"] not in str(tokens)
    assert admin.get("/api/users/9999/tokens").status_code == 404


def test_an_administrator_resets_a_password_and_the_persons_sessions_end(database):
    admin = api(database, "administrator", "admin")
    person = browser(database, "lab_technician", "lab")
    assert person.get("/").status_code == 200

    answer = admin.put(f"/api/users/{person_id(admin, 'lab')}/password",
                       json={"password": "a brand new secret", "reason": "forgot it"})

    assert answer.status_code == 200 and answer.json()["username"] == "lab"
    assert person.get("/").status_code == 303  # the old session is over
    fresh = browser(database)
    assert log_in(fresh, "lab", PASSWORD).status_code == 401
    assert log_in(fresh, "lab", "a brand new secret").status_code == 303
    with database.sessions() as session:
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "reset_password")).scalar_one()
    assert entry.actor == "admin" and entry.reason == "forgot it" and "secret" not in str(entry.new)


def person_id(admin, username: str) -> int:
    return next(u["id"] for u in admin.get("/api/users").json() if u["username"] == username)


def test_a_short_password_reset_is_refused_and_the_old_password_still_works(database):
    admin = api(database, "administrator", "admin")
    make_user(database, "clerk", "dana")

    answer = admin.put(f"/api/users/{person_id(admin, 'dana')}/password", json={"password": "short"})

    assert answer.status_code == 422 and answer.json()["message"] == "A password needs at least 10 characters."
    assert log_in(browser(database), "dana", PASSWORD).status_code == 303


def test_a_clerk_gets_403_on_every_administration_endpoint(database):
    target = make_user(database, "phlebotomist", "pat")
    client = api(database, "clerk")

    for answer in (
        client.get("/api/users"), client.get(f"/api/users/{target.id}"),
        client.post("/api/users", json={"username": "eve", "full_name": "Eve", "role": "administrator",
                                        "password": "long enough pw"}),
        client.put(f"/api/users/{target.id}/role", json={"role": "administrator"}),
        client.put(f"/api/users/{target.id}/password", json={"password": "taken over now"}),
        client.get(f"/api/users/{target.id}/tokens"),
        client.post(f"/api/users/{target.id}/tokens", json={"name": "mine"}),
        client.get("/api/audit"), client.get("/api/audit/verify"),
    ):
        assert answer.status_code == 403, answer.request.url
        assert answer.json()["code"] == "forbidden"
    assert log_in(browser(database), "pat", PASSWORD).status_code == 303


def test_the_audit_list_filters_and_pages(database):
    admin = api(database, "administrator", "admin")
    for name in ("amy", "bob", "cal"):
        make_user(database, "clerk", name)

    page = admin.get("/api/audit", params={"action": "create", "entity": "user", "limit": 2}).json()
    rest = admin.get("/api/audit", params={"action": "create", "entity": "user", "limit": 2, "offset": 2}).json()

    assert page["total"] == 4  # the administrator and three clerks
    assert [e["new"]["username"] for e in page["items"] + rest["items"]] == ["cal", "bob", "amy", "admin"]
    assert admin.get("/api/audit", params={"actor": "nobody"}).json()["total"] == 0


def test_an_administrator_sees_that_a_result_was_recorded_but_not_the_result(database):
    site = make_site(database)
    donor, _ = make_donor(database)
    donation, _ = make_donation(database, site, donor)
    testing.record_result(UnitOfWork(database, actor="lab"), donation_id=donation, test="hiv", outcome="negative")

    seen_by_admin = api(database, "administrator", "admin").get("/api/audit", params={"entity": "test_result"}).json()
    seen_by_director = api(database, "medical_director", "director").get(
        "/api/audit", params={"entity": "test_result"}).json()

    [hidden] = seen_by_admin["items"]
    assert hidden["actor"] == "lab" and hidden["new"] is None and hidden["old"] is None
    assert hidden["withheld"] == "not shown: your role does not read these records"
    [shown] = seen_by_director["items"]
    assert shown["new"]["outcome"] == "negative" and shown["withheld"] is None
