"""An administrator says which hospitals a hospital staff account belongs to, on the pages, through the API and
from the command line; each change is audited, and the account sees those hospitals' records from its next
request on."""

from __future__ import annotations

import html
import re

from sqlalchemy import select
from typer.testing import CliRunner

from bloodbank.adapters.db.models import AuditEntry, HospitalMembership
from bloodbank.entrypoints.cli.app import app
from bloodbank.entrypoints.demo.accounts import DEMO_MEMBERSHIPS, ensure_demo_users
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.staff import users
from tests.integration.patient_fixtures import make_hospital
from tests.integration.scope_fixtures import two_hospitals
from tests.integration.web_fixtures import PASSWORD, api, browser, log_in, make_user


def audited(database, action="update") -> list[AuditEntry]:
    with database.sessions() as session:
        return list(session.execute(select(AuditEntry).where(AuditEntry.entity == "user",
                                                             AuditEntry.action == action)
                                    .order_by(AuditEntry.id)).scalars())


def memberships(database) -> set[tuple[int, int]]:
    with database.sessions() as session:
        return set(session.execute(select(HospitalMembership.user_id, HospitalMembership.hospital_id)).all())


def test_an_account_made_through_the_api_with_its_hospitals_sees_them_from_its_next_request(database):
    a, b = two_hospitals(database)
    admin = api(database, "administrator")
    made = admin.post("/api/users", json={"username": "ward.ann", "full_name": "Ann Ward", "role": "hospital_staff",
                                          "password": PASSWORD, "hospital_ids": [a.hospital]})
    assert made.status_code == 201, made.text
    assert made.json()["hospitals"] == [a.code] and made.json()["hospital_ids"] == [a.hospital]
    [created] = [e for e in audited(database, "create") if e.new["username"] == "ward.ann"]
    assert created.new["hospitals"] == [a.code] and created.actor == admin.user.username

    ann = browser(database)
    assert log_in(ann, "ward.ann", PASSWORD).status_code == 303
    assert ann.get(f"/hospital/patients/{a.patient}").status_code == 200
    assert ann.get(f"/hospital/patients/{b.patient}").status_code == 404

    changed = admin.put(f"/api/users/{made.json()['id']}/hospitals",
                        json={"hospital_ids": [b.hospital], "reason": "moved to Bravo"})
    assert changed.status_code == 200 and changed.json()["hospitals"] == [b.code]
    assert ann.get(f"/hospital/patients/{a.patient}").status_code == 404  # the same session, from now on
    assert ann.get(f"/hospital/patients/{b.patient}").status_code == 200
    [change] = audited(database)
    assert (change.old, change.new, change.reason) == (
        {"hospitals": [a.code]}, {"hospitals": [b.code]}, "moved to Bravo")


def test_only_hospital_staff_belong_to_hospitals_and_an_unknown_hospital_is_refused(database):
    hospital = make_hospital(database)
    admin = api(database, "administrator")
    refused = admin.post("/api/users", json={"username": "lab.lee", "full_name": "Lee Lab", "role": "lab_technician",
                                             "password": PASSWORD, "hospital_ids": [hospital]})
    assert refused.status_code == 422 and "Only hospital staff accounts belong to hospitals" in refused.text
    unknown = admin.post("/api/users", json={"username": "ward.bo", "full_name": "Bo Ward", "role": "hospital_staff",
                                             "password": PASSWORD, "hospital_ids": [999999]})
    assert unknown.status_code == 404 and "There is no hospital 999999" in unknown.text
    assert {u.username for u in users.list_users(UnitOfWork(database))} == {admin.user.username}
    clerk = api(database, "clerk")
    assert clerk.put(f"/api/users/{admin.user.id}/hospitals", json={"hospital_ids": []}).status_code == 403


def test_an_account_leaving_hospital_staff_leaves_its_hospitals_and_the_audit_says_so(database):
    hospital = make_hospital(database, code="RXH")
    person = make_user(database, "hospital_staff", "ward.cy", hospitals=(hospital,))
    admin = api(database, "administrator")
    moved = admin.put(f"/api/users/{person.id}/role", json={"role": "lab_technician"})
    assert moved.status_code == 200 and moved.json()["hospitals"] == []
    assert memberships(database) == set()
    [change] = audited(database)
    assert change.old == {"role": "hospital_staff", "hospitals": ["RXH"]}
    assert change.new == {"role": "lab_technician", "hospitals": []}


def test_the_administrators_pages_show_and_set_each_accounts_hospitals(database):
    a, b = two_hospitals(database)
    make_user(database, "hospital_staff", "ward.dee", hospitals=(a.hospital,))
    make_user(database, "hospital_staff", "ward.new")
    admin = browser(database, "administrator")
    listed = html.unescape(admin.get("/admin").text)
    assert re.search(rf"ward\.dee</a></td>\s*<td>[^<]*</td><td>[^<]*</td>\s*<td>{a.code}</td>", listed)
    assert re.search(r"ward\.new</a></td>\s*<td>[^<]*</td><td>[^<]*</td>\s*<td>none: sees nothing</td>", listed)
    assert "every hospital" in listed  # the administrator's own account

    created = admin.post("/admin/users", data={
        "csrf_token": admin.csrf, "username": "ward.eve", "full_name": "Eve Ward", "role": "hospital_staff",
        "password": PASSWORD, "hospital_id": [str(a.hospital), str(b.hospital)]})
    assert created.status_code == 303, created.text
    eve = next(u for u in users.list_users(UnitOfWork(database)) if u.username == "ward.eve")
    assert set(eve.hospitals) == {a.code, b.code}

    page = admin.get(f"/admin/users/{eve.id}")
    assert "Bravo General Hospital" in html.unescape(page.text) and 'name="hospital_id"' in page.text
    saved = admin.post(f"/admin/users/{eve.id}/hospitals", data={
        "csrf_token": admin.csrf, "hospital_id": [str(b.hospital)], "hospitals_reason": "Bravo only"})
    assert saved.status_code == 303 and "done=hospitals" in saved.headers["location"]
    assert users.get_user(UnitOfWork(database), eve.id).hospitals == (b.code,)
    cleared = admin.post(f"/admin/users/{eve.id}/hospitals", data={"csrf_token": admin.csrf})
    assert cleared.status_code == 303
    assert "Belongs to no hospital" in html.unescape(admin.get(f"/admin/users/{eve.id}").text)

    lab = make_user(database, "lab_technician", "lab.lou")
    refused = admin.post(f"/admin/users/{lab.id}/hospitals", data={
        "csrf_token": admin.csrf, "hospital_id": [str(a.hospital)]})
    assert refused.status_code == 422 and "Only hospital staff accounts belong to hospitals" in refused.text


def test_the_command_line_gives_an_account_its_hospitals_when_made_and_after(database):
    a, b = two_hospitals(database)
    make_user(database, "administrator", "root.ada")
    run = lambda *args: CliRunner().invoke(app, ["--database", database.url, *args, "--as", "root.ada"],  # noqa
                                           env={"COLUMNS": "200"})
    made = run("users", "create", "ward.fay", "--name", "Fay Ward", "--role", "hospital_staff", "--password",
               PASSWORD, "--hospital", a.code, "--hospital", b.code.lower())
    assert made.exit_code == 0, made.output
    assert f"of {a.code}, {b.code}" in made.output
    shown = run("users", "hospitals", "ward.fay")
    assert shown.exit_code == 0 and f"of {a.code}, {b.code}" in shown.output
    narrowed = run("users", "hospitals", "ward.fay", "--hospital", b.code, "--reason", "Bravo only")
    assert narrowed.exit_code == 0 and f"of {b.code}" in narrowed.output and a.code not in narrowed.output
    cleared = run("users", "hospitals", "ward.fay", "--clear")
    assert cleared.exit_code == 0 and "of no hospital" in cleared.output
    unknown = run("users", "hospitals", "ward.fay", "--hospital", "NOPE")
    assert unknown.exit_code == 1 and "There is no hospital NOPE" in unknown.output
    assert "ward.fay" in run("users", "list").output
    assert [e.actor for e in audited(database)] == ["root.ada", "root.ada"]


def test_the_demos_hospital_accounts_belong_to_the_demo_hospitals_once_these_exist(database):
    make_uow = lambda: UnitOfWork(database, actor="demo")  # noqa: E731
    ensure_demo_users(make_uow)
    assert memberships(database) == set()  # no hospital yet: the accounts see nothing, never everything
    for codes in DEMO_MEMBERSHIPS.values():
        for code in codes:
            make_hospital(database, code=code)
    ensure_demo_users(make_uow)
    by_name = {u.username: u for u in users.list_users(UnitOfWork(database))}
    assert {name: by_name[name].hospitals for name in DEMO_MEMBERSHIPS} == {
        name: tuple(sorted(codes)) for name, codes in DEMO_MEMBERSHIPS.items()}
    assert not set(DEMO_MEMBERSHIPS["hospital"]) & set(DEMO_MEMBERSHIPS["hospital2"])
