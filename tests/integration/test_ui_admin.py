"""The administrator's pages: users and API tokens, sites, the audit log viewer and its chain status."""

from __future__ import annotations

import html
import re

from sqlalchemy import func, select

from bloodbank.adapters.db.models import ApiToken, Site, User
from bloodbank.service_layer.blood import testing
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from tests.integration.test_audit_chain import tamper
from tests.integration.trace_fixtures import make_donation, make_donor, make_site
from tests.integration.web_fixtures import PASSWORD, browser, make_user, log_in

SITE_FORM = {
    "code": "north", "name": "North centre", "kind": "fixed", "facility_code": "A9999", "rule_set": "eu", "time_zone": "Europe/Paris",
    "chairs": "6", "slot_minutes": "20", "address": "1 High Street", "latitude": "", "longitude": "",
    "hours_mon": "08:00-12:00, 13:00-17:00", "hours_sat": "09:00-13:00",
    "test_panel": ["hiv", "hbv", "hcv", "syphilis", "htlv"],
}


def text_of(page: str) -> str:
    main = page[page.index("<main"):]
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", main)))


def alert(page: str) -> str:
    found = re.search(r'role="alert"[^>]*>(.*?)</div>|role="alert"[^>]*>(.*?)</', page, re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", found.group(1) or found.group(2)))).strip() \
        if found else ""


def selected(page: str, name: str) -> str:
    block = re.search(rf'<select id="f-{name}" name="{name}".*?</select>', page, re.S).group(0)
    found = re.search(r'<option value="([^"]*)" selected>', block)
    return found.group(1) if found else ""


def user_count(database) -> int:
    with database.sessions() as session:
        return session.scalar(select(func.count()).select_from(User))


def test_a_short_password_re_renders_the_new_user_form_with_the_message_and_the_other_fields(database):
    site_id = make_site(database)
    client = browser(database, "administrator", "admin")
    before = user_count(database)

    answer = client.post("/admin/users", data={"username": "dana.desk", "full_name": "Dana Desk",
                                               "role": "lab_technician", "site_id": str(site_id),
                                               "password": "short", "csrf_token": client.csrf})

    assert answer.status_code == 422
    assert alert(answer.text) == "A password needs at least 10 characters."
    assert 'value="dana.desk"' in answer.text and 'value="Dana Desk"' in answer.text
    assert selected(answer.text, "role") == "lab_technician" and selected(answer.text, "site_id") == str(site_id)
    assert 'name="password" type="password" value=""' in answer.text
    assert user_count(database) == before


def test_an_administrator_creates_a_user_changes_the_role_disables_and_enables_it_and_resets_the_password(database):
    client = browser(database, "administrator", "admin")

    created = client.post("/admin/users", data={"username": "dana", "full_name": "Dana Desk", "role": "clerk",
                                                "site_id": "", "password": "long enough pw", "csrf_token": client.csrf})
    assert created.status_code == 303
    page = created.headers["location"].split("?")[0]
    assert "The account was created." in text_of(client.get(created.headers["location"]).text)

    assert client.post(f"{page}/role", data={"role": "phlebotomist", "csrf_token": client.csrf}).status_code == 303
    refused = client.post(f"{page}/active", data={"active": "0", "reason": " ", "csrf_token": client.csrf})
    assert refused.status_code == 422 and alert(refused.text).startswith("Give the reason")
    assert client.post(f"{page}/active", data={"active": "0", "reason": "left", "csrf_token": client.csrf}) \
        .status_code == 303
    assert log_in(browser(database), "dana", "long enough pw").status_code == 401
    assert client.post(f"{page}/active", data={"active": "1", "reason": "back", "csrf_token": client.csrf}) \
        .status_code == 303
    reset = client.post(f"{page}/password", data={"password": "a fresh password", "password_reason": "forgot",
                                                  "csrf_token": client.csrf})
    assert reset.status_code == 303

    shown = text_of(client.get(page).text)
    assert "Phlebotomist" in shown and "account enabled" in shown
    assert log_in(browser(database), "dana", "a fresh password") \
        .status_code == 303


def test_an_api_token_is_shown_once_and_can_be_revoked(database):
    person = make_user(database, "lab_technician", "analyser", service=True)
    client = browser(database, "administrator", "admin")

    answer = client.post(f"/admin/users/{person.id}/tokens", data={"name": "analyser 3", "csrf_token": client.csrf})

    assert answer.status_code == 201
    token = re.search(r'id="issued-token">([^<]+)<', answer.text).group(1)
    later = client.get(f"/admin/users/{person.id}").text
    assert token not in later and "analyser 3" in text_of(later) and "active" in text_of(later)
    assert browser(database).get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    token_id = re.search(r"/admin/tokens/(\d+)/revoke", later).group(1)
    assert client.post(f"/admin/tokens/{token_id}/revoke", data={"csrf_token": client.csrf}).status_code == 303
    assert browser(database).get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    with database.sessions() as session:
        assert session.scalar(select(ApiToken.revoked_at).where(ApiToken.id == int(token_id))) is not None


def test_the_audit_page_says_the_chain_is_intact_and_after_tampering_names_the_first_broken_entry(database):
    for name in ("amy", "bob", "cal"):
        make_user(database, "clerk", name)
    client = browser(database, "administrator", "admin")

    intact = client.get("/admin/audit")

    assert intact.status_code == 200
    assert "Audit chain intact:" in text_of(intact.text) and "chain BROKEN" not in intact.text
    tamper(database, "UPDATE audit_payload SET reason = 'nothing happened' WHERE entry_id = 2")
    broken = client.get("/admin/audit")
    assert alert(broken.text).startswith(
        "✗ Audit chain BROKEN at entry 2: its content was changed after it was written.")
    assert "Entry 2 as stored now" in alert(broken.text)


def test_the_audit_page_filters_by_actor_action_and_record_and_pages(database):
    for name in ("amy", "bob"):
        make_user(database, "clerk", name)
    client = browser(database, "administrator", "admin")

    creates = text_of(client.get("/admin/audit", params={"action": "create", "entity": "user"}).text)
    by_web = text_of(client.get("/admin/audit", params={"actor": "web"}).text)
    nobody = text_of(client.get("/admin/audit", params={"actor": "nobody"}).text)

    assert "of 3, newest first" in creates and "username amy" in creates and "login" not in creates.split("Entries")[1]
    assert "login" in by_web and "of 1, newest first" in by_web
    assert "No entry matches." in nobody
    second = client.get("/admin/audit", params={"offset": 50})
    assert second.status_code == 200 and "Newer entries" in second.text


def test_the_audit_page_shows_an_administrator_that_a_result_was_recorded_but_not_the_result(database):
    donation, _ = make_donation(database, make_site(database), make_donor(database)[0])
    testing.record_result(UnitOfWork(database, actor="lab"), donation_id=donation, test="hiv", outcome="negative")

    as_admin = text_of(browser(database, "administrator", "admin").get(
        "/admin/audit", params={"entity": "test_result"}).text)
    as_director = text_of(browser(database, "medical_director", "director").get(
        "/admin/audit", params={"entity": "test_result"}).text)

    assert "not shown: your role does not read these records" in as_admin and "negative" not in as_admin
    assert "outcome negative" in as_director


def test_a_site_is_created_and_edited_from_the_admin_pages(database):
    client = browser(database, "administrator", "admin")

    created = client.post("/admin/sites", data={**SITE_FORM, "csrf_token": client.csrf})

    assert created.status_code == 303
    page = created.headers["location"].split("?")[0]
    form = client.get(page).text
    assert 'value="08:00-12:00, 13:00-17:00"' in form and 'value="htlv" checked' in form
    changed = client.post(page, data={**SITE_FORM, "chairs": "8", "test_panel": SITE_FORM["test_panel"] + ["nat_hiv"],
                                      "hours_sat": "", "reason": "new wing", "csrf_token": client.csrf})
    assert changed.status_code == 303
    with database.sessions() as session:
        site = session.execute(select(Site)).scalar_one()
        assert (site.code, site.rule_set, site.chairs) == ("NORTH", "eu", 8)
        assert site.opening_hours == {"mon": [["08:00", "12:00"], ["13:00", "17:00"]]}
        assert site.test_panel[-1] == "nat_hiv"
    assert "North centre" in text_of(client.get("/admin/sites").text)
    off = client.post(f"{page}/active", data={"active": "0", "active_reason": "roof repairs",
                                              "csrf_token": client.csrf})
    assert off.status_code == 303 and "deactivated" in text_of(client.get(off.headers["location"]).text)


def test_a_site_with_an_unknown_rule_set_or_a_short_panel_is_refused_and_the_form_kept(database):
    client = browser(database, "administrator", "admin")

    rules = client.post("/admin/sites", data={**SITE_FORM, "rule_set": "mars", "csrf_token": client.csrf})
    panel = client.post("/admin/sites", data={**SITE_FORM, "test_panel": ["hiv"], "csrf_token": client.csrf})

    assert rules.status_code == 422 and alert(rules.text) == "Unknown rule set 'mars'. Use one of: who, eu, us-fda, uk."
    assert 'value="North centre"' in rules.text and 'value="08:00-12:00, 13:00-17:00"' in rules.text
    assert panel.status_code == 422 and alert(panel.text).startswith("The test panel must include hiv, hbv, hcv")
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Site)) == 0


def test_a_clerk_gets_403_on_every_admin_page(database):
    target = make_user(database, "phlebotomist", "pat")
    client = browser(database, "clerk")

    for answer in (client.get("/admin"), client.get(f"/admin/users/{target.id}"), client.get("/admin/audit"),
                   client.get("/admin/sites"),
                   client.post("/admin/users", data={"username": "eve", "full_name": "Eve", "role": "administrator",
                                                     "password": "long enough pw", "csrf_token": client.csrf}),
                   client.post(f"/admin/users/{target.id}/password", data={"password": "taken over now",
                                                                           "csrf_token": client.csrf})):
        assert answer.status_code == 403
        assert "does not allow this" in answer.text
    assert log_in(browser(database), "pat", PASSWORD).status_code == 303


def test_the_medical_director_reads_the_audit_log_but_does_not_manage_accounts(database):
    client = browser(database, "medical_director", "director")

    assert client.get("/admin/audit").status_code == 200
    assert client.get("/admin").status_code == 403
    assert client.get("/admin/sites").status_code == 403


def test_every_form_on_the_admin_pages_carries_the_sessions_csrf_token(database):
    person = make_user(database, "clerk", "dana")
    client = browser(database, "administrator", "admin")
    site = client.post("/admin/sites", data={**SITE_FORM, "csrf_token": client.csrf}).headers["location"]
    client.post(f"/admin/users/{person.id}/tokens", data={"name": "kiosk", "csrf_token": client.csrf})

    for path in ("/admin", f"/admin/users/{person.id}", "/admin/sites/new", site):
        page = client.get(path).text
        forms = re.findall(r'<form[^>]*method="post".*?</form>', page, re.S)
        assert forms and all(f'name="csrf_token" value="{client.csrf}"' in form for form in forms), path
