"""A donor signs in from home by a link by email (a real mail server) or a code by SMS (a local gateway); a
stranger is answered exactly as a donor is; requests are throttled per contact and per address; a donor
session is its own kind and reaches no staff page or operation."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import update

from bloodbank.adapters.db.models import DonorSession, DonorSignIn
from bloodbank.adapters.db.models.base import utcnow
from tests.integration.appeal_fixtures import sms_gateway, smtp_server
from tests.integration.portal_fixtures import (
    CODE, LINK, ask, contact_of, home_browser, make_home_donor, messages, send_outbox, sign_in_by_sms,
)
from tests.integration.web_fixtures import api, browser

__all__ = ["sms_gateway", "smtp_server"]


def test_a_donor_signs_in_by_the_link_sent_to_the_email_on_file(database, smtp_server):
    donor = make_home_donor(database)
    client = home_browser(database)
    assert ask(client, database, donor, "email").status_code == 202
    assert send_outbox(database).sent == 1
    (recipients, text), = smtp_server.messages
    assert recipients[0].startswith("donor") and "/my/link/" in text
    token = LINK.search(text).group(1)
    signed = client.post("/api/my/sign-in/link", json={"token": token})
    assert signed.status_code == 200 and "bloodbank_donor" in signed.cookies
    me = client.get("/api/my").json()
    assert me["donor_id"] == donor
    # A link opens once.
    assert home_browser(database).post("/api/my/sign-in/link", json={"token": token}).status_code == 401


def test_a_donor_signs_in_by_the_code_sent_to_the_phone_on_file(database, sms_gateway):
    donor = make_home_donor(database)
    client = sign_in_by_sms(home_browser(database), database, donor, sms_gateway)
    assert client.get("/api/my").json()["donor_id"] == donor


def test_the_link_page_signs_the_browser_in_and_opens_the_donor_page(database, smtp_server):
    donor = make_home_donor(database)
    client = home_browser(database)
    ask(client, database, donor, "email")
    send_outbox(database)
    token = LINK.search(smtp_server.messages[0][1]).group(1)
    page = client.get(f"/my/link/{token}")
    assert page.status_code == 200 and 'name="token"' in page.text  # a GET changes nothing: mail scanners open links
    # Posted from another site (no form token), the link signs nobody in, and stays good.
    elsewhere = home_browser(database).post("/my/link", data={"token": token})
    assert elsewhere.status_code == 403 and "bloodbank_donor" not in elsewhere.cookies
    form_token = re.search(r'name="form_token" value="([^"]+)"', page.text).group(1)
    done = client.post("/my/link", data={"token": token, "form_token": form_token})
    assert done.status_code == 303 and done.headers["location"] == "/my"
    assert client.get("/my").status_code == 200


def test_a_stranger_a_wrong_birth_date_and_a_wrong_contact_get_the_donor_answer_and_nothing_is_sent(
        database, sms_gateway):
    donor = make_home_donor(database)
    client = home_browser(database)
    known = ask(client, database, donor, "sms")
    answers = [ask(client, database, donor, "sms", date_of_birth="1985-03-02"),
               ask(client, database, donor, "sms", contact="+44 7700 123456"),
               ask(client, database, donor, "sms", donor_number="AP99999999")]
    for answer in answers:
        assert answer.status_code == known.status_code == 202
        assert answer.json().keys() == known.json().keys()
        assert {k: v for k, v in answer.json().items() if k != "challenge"} == \
            {k: v for k, v in known.json().items() if k != "challenge"}
        assert len(answer.json()["challenge"]) == len(known.json()["challenge"])
    assert len(messages(database)) == 1
    # A stranger's challenge takes a code as a donor's does, and opens nothing.
    refused = client.post("/api/my/sign-in/code", json={"challenge": answers[2].json()["challenge"],
                                                        "code": "123456"})
    wrong = client.post("/api/my/sign-in/code", json={"challenge": known.json()["challenge"], "code": "000000"})
    assert refused.status_code == wrong.status_code == 401 and refused.json() == wrong.json()


def test_five_wrong_codes_spend_the_request_and_the_right_one_then_opens_nothing(database, sms_gateway):
    donor = make_home_donor(database)
    client = home_browser(database)
    challenge = ask(client, database, donor, "sms").json()["challenge"]
    send_outbox(database)
    code = CODE.search(list(sms_gateway.delivered.values())[0]["text"]).group(1)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert client.post("/api/my/sign-in/code", json={"challenge": challenge, "code": wrong}).status_code == 401
    assert client.post("/api/my/sign-in/code", json={"challenge": challenge, "code": code}).status_code == 401


def test_an_expired_code_opens_nothing(database, sms_gateway):
    donor = make_home_donor(database)
    client = home_browser(database)
    challenge = ask(client, database, donor, "sms").json()["challenge"]
    send_outbox(database)
    code = CODE.search(list(sms_gateway.delivered.values())[0]["text"]).group(1)
    with database.sessions() as s, s.begin():
        s.execute(update(DonorSignIn).values(created_at=utcnow() - timedelta(minutes=16)))
    assert client.post("/api/my/sign-in/code", json={"challenge": challenge, "code": code}).status_code == 401


def test_requests_are_throttled_per_contact_for_donors_and_strangers_alike(database):
    donor = make_home_donor(database)
    client = home_browser(database)
    for _ in range(3):
        assert ask(client, database, donor, "sms").status_code == 202
        assert ask(client, database, donor, "sms", donor_number="AP99999999",
                   contact="+44 7700 555555").status_code == 202
    known, stranger = ask(client, database, donor, "sms"), ask(client, database, donor, "sms",
                                                                donor_number="AP99999999", contact="+44 7700 555555")
    assert known.status_code == stranger.status_code == 429 and known.json() == stranger.json()


def test_requests_are_throttled_per_client_address_across_contacts(database):
    donor = make_home_donor(database)
    client = home_browser(database)
    statuses = [ask(client, database, donor, "sms", contact=f"+44 7700 9{n:05d}").status_code for n in range(11)]
    assert statuses[:10] == [202] * 10 and statuses[10] == 429


def test_a_donor_session_reaches_no_staff_operation_nor_page(database, sms_gateway):
    donor = make_home_donor(database)
    client = sign_in_by_sms(home_browser(database), database, donor, sms_gateway)
    assert client.get(f"/api/donors/{donor}").status_code == 401
    assert client.get("/api/me").status_code == 401
    assert client.get(f"/api/donors/{donor}/card.pdf").status_code == 401
    for page in ("/desk", "/", "/admin", f"/desk/donors/{donor}"):
        answer = client.get(page)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login"), page


def test_staff_sessions_and_tokens_reach_no_donor_operation_nor_page(database):
    donor = make_home_donor(database)
    token_client = api(database, "clerk")
    assert token_client.get("/api/my").status_code == 401
    assert token_client.post("/api/my/appointments", json={"site_id": 1, "starts_at": "2030-01-01T09:00"}
                             ).status_code == 401
    staff = browser(database, "medical_director")
    assert staff.get("/api/my").status_code == 401
    assert staff.get("/my").headers["location"] == "/my/sign-in"
    assert staff.get("/api/my/data").status_code == 401 and donor


def test_a_donor_session_ends_after_idling_and_on_sign_out(database, sms_gateway):
    donor = make_home_donor(database)
    client = sign_in_by_sms(home_browser(database), database, donor, sms_gateway)
    assert client.post("/api/my/sign-out").status_code == 204
    assert client.get("/api/my").status_code == 401
    client = sign_in_by_sms(home_browser(database), database, donor, sms_gateway)
    with database.sessions() as s, s.begin():
        s.execute(update(DonorSession).values(last_seen_at=utcnow() - timedelta(minutes=31)))
    assert client.get("/api/my").status_code == 401


def test_a_change_without_the_session_csrf_token_is_refused(database, sms_gateway):
    donor = make_home_donor(database)
    client = sign_in_by_sms(home_browser(database), database, donor, sms_gateway)
    del client.headers["X-CSRF-Token"]
    assert client.post("/api/my/erasure").status_code == 403


def test_an_erasure_ends_the_donors_sessions_and_forgets_their_sign_in_requests(database, sms_gateway):
    from datetime import date

    from sqlalchemy import func, select

    from bloodbank.service_layer.donors.erasure import erase_donor
    from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
    donor = make_home_donor(database)
    client = sign_in_by_sms(home_browser(database), database, donor, sms_gateway)
    erase_donor(UnitOfWork(database, actor="dr.who"), donor_ref=donor, requested_on=date.today(), channel="portal")
    assert client.get("/api/my").status_code == 401
    with database.sessions() as s:
        assert s.scalar(select(func.count()).select_from(DonorSignIn)) == 0
        assert s.scalar(select(func.count()).select_from(DonorSession)) == 0


def test_the_sign_in_pages_ask_and_take_the_sms_code(database, sms_gateway):
    donor = make_home_donor(database)
    number, phone = contact_of(database, donor, "sms")
    client = home_browser(database)
    token = re.search(r'name="form_token" value="([^"]+)"', client.get("/my/sign-in").text).group(1)
    sent = client.post("/my/sign-in", data={"form_token": token, "donor_number": number,
                                            "date_of_birth": "1985-03-01", "channel": "sms", "contact": phone})
    assert sent.status_code == 200 and 'name="challenge"' in sent.text
    send_outbox(database)
    code = CODE.search(list(sms_gateway.delivered.values())[-1]["text"]).group(1)
    fields = dict(re.findall(r'name="(form_token|challenge)" value="([^"]+)"', sent.text))
    done = client.post("/my/sign-in/code", data={**fields, "code": code})
    assert done.status_code == 303 and done.headers["location"] == "/my"
    assert client.get("/my").status_code == 200


def test_the_sign_in_message_is_written_in_the_donors_language(database, sms_gateway):
    donor = make_home_donor(database, language="fr")
    client = home_browser(database)
    assert ask(client, database, donor, "sms").status_code == 202
    send_outbox(database)
    text = list(sms_gateway.delivered.values())[-1]["text"]
    assert "Votre code de connexion bloodbank est" in text and re.search(r"\d{6}", text)


def test_the_sign_in_email_and_its_subject_are_in_the_donors_language(database):
    donor = make_home_donor(database, language="ar")
    # The page is read in English: the message still goes in the donor's own language.
    assert ask(home_browser(database), database, donor, "email").status_code == 202
    [message] = messages(database)
    assert message.subject == "رابط تسجيل الدخول إلى bloodbank"
    assert "Open this link" not in message.body and "/my/link/" in message.body
