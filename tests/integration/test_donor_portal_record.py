"""What a signed-in donor sees and does: their own record only, bookings through the desk's rules, the quiz
(nothing kept), preferences, the private answer as private as the kiosk's, their data and an erasure request."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from bloodbank.adapters.db.models import (
    Appointment, AuditEntry, ConfidentialAnswer, Deferral, Donor, DonorErasureRequest, Visit,
)
from bloodbank.adapters.db.models.base import utcnow
from tests.integration.appeal_fixtures import make_appeal_site, sms_gateway, tomorrow
from tests.integration.inventory_fixtures import insert
from tests.integration.portal_fixtures import home_browser, make_donation, make_home_donor, sign_in_by_sms
from tests.integration.web_fixtures import api, browser

__all__ = ["sms_gateway"]


def at(hour: int) -> str:
    day = tomorrow()
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc).isoformat()


def signed_in(database, gateway, **donor):
    donor_id = make_home_donor(database, **donor)
    return donor_id, sign_in_by_sms(home_browser(database), database, donor_id, gateway)


def count(database, model) -> int:
    with database.sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_a_donor_reads_their_record_and_the_group_only_once_confirmed(database, sms_gateway):
    donor, client = signed_in(database, sms_gateway)
    with database.sessions() as s, s.begin():
        s.get(Donor, donor).blood_group_confirmed = False
    me = client.get("/api/my").json()
    assert me["blood_group"] is None and me["donations"] == []
    assert {n["kind"] for n in me["next_dates"]} == {"whole_blood", "double_red_cells", "plasma", "platelets"}
    with database.sessions() as s, s.begin():
        s.get(Donor, donor).blood_group_confirmed = True
    assert client.get("/api/my").json()["blood_group"] == "O-"
    page = client.get("/my")
    assert page.status_code == 200 and me["donor_number"] in page.text


def test_a_recent_donation_pushes_the_next_whole_blood_date(database, sms_gateway):
    donor, client = signed_in(database, sms_gateway)
    make_donation(database, donor, make_appeal_site(database), days_ago=3)
    me = client.get("/api/my").json()
    assert len(me["donations"]) == 1
    whole = next(n for n in me["next_dates"] if n["kind"] == "whole_blood")
    assert whole["on"] > (utcnow().date() + timedelta(days=30)).isoformat()


def test_a_donor_books_moves_and_cancels_their_own_appointment(database, sms_gateway):
    donor, client = signed_in(database, sms_gateway)
    site = make_appeal_site(database)
    booked = client.post("/api/my/appointments", json={"site_id": site, "starts_at": at(10)})
    assert booked.status_code == 201, booked.text
    assert "booked_by" not in booked.json() and "booked_by" not in client.get("/api/my").text  # no staff names
    moved = client.post(f"/api/my/appointments/{booked.json()['id']}/move", json={"site_id": site, "starts_at": at(12)})
    assert moved.status_code == 200, moved.text
    with database.sessions() as s:
        rows = {a.id: a.status for a in s.execute(select(Appointment)).scalars()}
    assert rows == {booked.json()["id"]: "cancelled", moved.json()["id"]: "booked"}
    assert client.post(f"/api/my/appointments/{moved.json()['id']}/cancel").json()["status"] == "cancelled"


def test_a_refused_move_keeps_the_booking(database, sms_gateway):
    donor, client = signed_in(database, sms_gateway)
    site = make_appeal_site(database)
    booked = client.post("/api/my/appointments", json={"site_id": site, "starts_at": at(10)}).json()
    refused = client.post(f"/api/my/appointments/{booked['id']}/move", json={"site_id": site, "starts_at": at(3)})
    assert refused.status_code == 422
    with database.sessions() as s:
        assert s.get(Appointment, booked["id"]).status == "booked"


def test_a_booking_is_refused_exactly_as_at_the_desk(database, sms_gateway):
    donor, client = signed_in(database, sms_gateway)
    site = make_appeal_site(database)
    insert(database, Deferral(donor_id=donor, code="tattoo", kind="temporary", starts_on=utcnow().date(),
                              ends_on=utcnow().date() + timedelta(days=120), decided_by="dr.who"))
    desk = api(database, "clerk").post("/api/appointments", json={"donor_id": donor, "site_id": site,
                                                                  "starts_at": at(10)})
    mine = client.post("/api/my/appointments", json={"site_id": site, "starts_at": at(10)})
    assert desk.status_code == mine.status_code == 422 and desk.json() == mine.json()
    assert count(database, Appointment) == 0


def test_a_donor_never_reaches_another_donors_appointment(database, sms_gateway):
    other = make_home_donor(database)
    donor, client = signed_in(database, sms_gateway)
    site = make_appeal_site(database)
    theirs = api(database, "clerk").post("/api/appointments", json={"donor_id": other, "site_id": site,
                                                                    "starts_at": at(10)}).json()["id"]
    missing = 999_999
    for path, body in ((f"/api/my/appointments/{{}}/cancel", None),
                       (f"/api/my/appointments/{{}}/move", {"site_id": site, "starts_at": at(11)})):
        answer = client.post(path.format(theirs), json=body)
        nobody = client.post(path.format(missing), json=body)
        assert answer.status_code == nobody.status_code == 404
        assert answer.json()["message"].replace(str(theirs), "#") == nobody.json()["message"].replace(str(missing), "#")
    assert client.post(f"/my/appointments/{theirs}/cancel", data={"csrf_token": client.csrf}).status_code == 404
    with database.sessions() as s:
        assert s.get(Appointment, theirs).status == "booked"
    # Nothing in the donor's own answers names the other donor.
    with database.sessions() as s:
        number = s.get(Donor, other).donor_number
    assert number not in client.get("/api/my").text and number not in client.get("/my").text


def test_the_quiz_answers_with_the_desks_rules_and_keeps_nothing(database, sms_gateway):
    donor, client = signed_in(database, sms_gateway)
    make_appeal_site(database)
    questions = client.get("/api/my/quiz").json()
    well = {q["id"]: ("yes" if q["id"] == "feeling_well" else "no") for q in questions}
    assert client.post("/api/my/quiz", json={"answers": well}).json()["eligible"] is True
    tattoo = {**well, "tattoo": utcnow().date().isoformat()}
    answer = client.post("/api/my/quiz", json={"answers": tattoo}).json()
    assert answer["eligible"] is False and answer["from_date"] > utcnow().date().isoformat()
    assert client.post("/api/my/quiz", json={"answers": {"nonsense": "yes"}}).status_code == 422
    assert count(database, Visit) == 0 and count(database, Deferral) == 0


def test_preferences_are_the_appeal_preferences_and_the_portals_own_choices(database, sms_gateway):
    donor, client = signed_in(database, sms_gateway)
    saved = client.put("/api/my/preferences", json={
        "appeals_opt_in": True, "contact_from_hour": 9, "contact_until_hour": 18, "monthly_limit": 2,
        "channels": ["email"], "blood_used_opt_in": True, "available_now": True})
    assert saved.status_code == 200, saved.text
    assert saved.json()["blood_used_opt_in"] and saved.json()["available_until"]
    with database.sessions() as s:
        row = s.get(Donor, donor)
        assert (row.appeal_contact_from_hour, row.appeal_monthly_limit, row.appeal_channels) == (9, 2, "email")
    bad = client.put("/api/my/preferences", json={"appeals_opt_in": True, "contact_from_hour": 9})
    assert bad.status_code == 422
    listed = api(database, "clerk").get("/api/available-donors").json()
    assert [d["donor_id"] for d in listed] == [donor]
    client.put("/api/my/preferences", json={"appeals_opt_in": False, "available_now": False})
    assert api(database, "clerk", "clerk2").get("/api/available-donors").json() == []


def test_the_private_answer_is_kept_like_the_kiosks_and_both_answers_look_the_same(database, sms_gateway):
    donor, client = signed_in(database, sms_gateway)
    make_donation(database, donor, make_appeal_site(database))
    use = client.post("/my/private", data={"csrf_token": client.csrf, "choice": "use"})
    not_ = client.post("/my/private", data={"csrf_token": client.csrf, "choice": "not"})
    assert use.status_code == not_.status_code == 303 and use.headers["location"] == not_.headers["location"]
    assert count(database, ConfidentialAnswer) == 1
    with database.sessions() as s:
        entries = s.execute(select(AuditEntry).where(AuditEntry.entity == "confidential")).scalars().all()
        assert {(e.actor, e.entity_id) for e in entries} == {("kiosk", None)}
    assert client.post("/api/my/private-answer", json={"choice": "use"}).status_code == 204


def test_the_donor_gets_their_data_and_files_an_erasure_request_staff_see(database, sms_gateway):
    donor, client = signed_in(database, sms_gateway)
    data = client.get("/api/my/data").json()
    assert data["donor_number"] and client.get("/my/data.pdf").content.startswith(b"%PDF")
    assert [r["channel"] for r in data["sections"]["donor_page"] if "sign_in_asked_at" in r] == ["sms"]
    assert client.get("/my/data.json").json()["donor_number"] == data["donor_number"]
    preview = client.get("/api/my/erasure").json()
    assert preview["requested_at"] is None and any(i["disposition"] for i in preview["statement"]["items"])
    refused = client.post("/my/erasure", data={"csrf_token": client.csrf})
    assert refused.status_code == 422 and count(database, DonorErasureRequest) == 0
    filed = client.post("/my/erasure", data={"csrf_token": client.csrf, "understood": "yes"})
    assert filed.status_code == 200 and count(database, DonorErasureRequest) == 1
    assert client.post("/api/my/erasure").json()["requested_at"]
    assert count(database, DonorErasureRequest) == 1
    listed = api(database, "medical_director").get("/api/erasure-requests").json()
    assert [r["donor_id"] for r in listed] == [donor] and listed[0]["channel"] == "portal"
    assert api(database, "clerk", "clerk2").get("/api/erasure-requests").status_code == 403
    desk = browser(database, "medical_director", "dr.erase").get(f"/desk/donors/{donor}/erasure").text
    assert f'value="{utcnow().date().isoformat()}"' in desk and 'value="portal" selected' in desk
    with database.sessions() as s:
        assert s.execute(select(AuditEntry).where(AuditEntry.action == "request_erasure")).scalar_one()


def test_the_card_is_a_pdf_and_every_page_answers(database, sms_gateway):
    donor, client = signed_in(database, sms_gateway)
    make_appeal_site(database)
    assert client.get("/my/card.pdf").content.startswith(b"%PDF")
    assert client.get("/api/my/card.pdf").content.startswith(b"%PDF")
    for page in ("/my", "/my/book", "/my/quiz", "/my/preferences", "/my/private", "/my/data"):
        answer = client.get(page)
        assert answer.status_code == 200 and "/my/sign-out" in answer.text, page


def test_the_pages_follow_the_donors_language(database, sms_gateway):
    donor, client = signed_in(database, sms_gateway, language="ar")
    page = client.get("/my")
    assert 'dir="rtl"' in page.text and 'lang="ar"' in page.text


def test_the_card_is_printed_in_the_donors_language_with_a_qr_code(database, sms_gateway):
    donor, client = signed_in(database, sms_gateway, language="fr")
    card = client.get("/my/card.pdf").content
    assert b"DONNEUR DE SANG" in card and b"BLOOD DONOR" not in card
    english = signed_in(database, sms_gateway)[1].get("/api/my/card.pdf").content
    assert b"BLOOD DONOR" in english
