"""Messages leave through the outbox to a real mail server and a real HTTP gateway: once each, whatever fails.
Answers by link and by SMS book through the booking rules or stop appeals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bloodbank.adapters.db.models import AppealInvitation, Appointment, Donor, OutboxMessage
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.errors import LinkInvalid
from bloodbank.service_layer.crisis import appeal_replies, appeals, incidents
from bloodbank.service_layer.messaging import outbox
from tests.integration.appeal_fixtures import (
    appeal_params, booked_ten_hours_on, link_secret, make_appeal_donor, make_appeal_site, sms_gateway, smtp_server,
)
from tests.integration.crisis_fixtures import o_negative_only
from tests.integration.inventory_fixtures import clerk

__all__ = ["link_secret", "sms_gateway", "smtp_server", "booked_ten_hours_on"]

pytestmark = pytest.mark.usefixtures("booked_ten_hours_on")


def start_appeal(database, *, donors=3, channels="sms", severe=10, chairs=2):
    make_appeal_site(database, chairs=chairs)
    channels = [channels] * donors if isinstance(channels, str) else channels
    ids = [make_appeal_donor(database, km_north=k + 1, appeal_channels=c) for k, c in enumerate(channels)]
    incident = incidents.declare(clerk(database, "inventory"), place="Central station", kind="explosion",
                                 expected={"severe": severe}).id
    appeals.start(clerk(database, "inventory"), incident_id=incident,
                  params=appeal_params(response_rate=1.0, show_up_rate=1.0), forecast_params=o_negative_only())
    return incident, ids


def messages(database):
    with database.sessions() as s:
        return s.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()


def send(database):
    return outbox.send_pending(clerk(database, "outbox"))


def token_of(message: OutboxMessage) -> str:
    return message.body.split("/appeal/")[1].split()[0]


def test_every_invitation_reaches_the_gateway_and_the_mail_server_once(database, link_secret, sms_gateway,
                                                                       smtp_server):
    start_appeal(database, donors=3, channels=["sms", "email", "email,sms"])
    report = send(database)
    assert report.sent == 3 and report.failed == 0
    again = send(database)
    assert again.sent == 0
    assert all(m.status == "sent" for m in messages(database))
    assert len(sms_gateway.delivered) == 1 and len(smtp_server.messages) == 2
    assert all("stop appeals" in text and "no consequence" in text for _, text in smtp_server.messages)
    assert sms_gateway.posts == len(sms_gateway.delivered)
    assert all("STOP" in body["text"] for body in sms_gateway.delivered.values())


def test_a_failing_gateway_loses_nothing_and_sends_again_later(database, link_secret, sms_gateway):
    start_appeal(database)
    sms_gateway.mode = "fail"
    report = send(database)
    assert report.retrying == 3 and report.sent == 0
    assert all(m.status == "pending" and m.attempts == 1 and "503" in m.last_error for m in messages(database))
    sms_gateway.mode = "ok"
    assert send(database).sent == 0  # backing off: not yet due
    _make_due(database)
    assert send(database).sent == 3
    assert len(sms_gateway.delivered) == 3


def test_a_slow_gateway_times_out_and_the_second_attempt_is_not_a_second_message(database, link_secret,
                                                                                  sms_gateway):
    start_appeal(database, donors=1)
    sms_gateway.mode = "slow"  # it takes the message, but answers after the sender gave up
    report = send(database)
    assert report.retrying == 1
    sms_gateway.mode = "ok"
    _make_due(database)
    assert send(database).sent == 1
    assert sms_gateway.posts == 2 and len(sms_gateway.delivered) == 1


def test_a_sender_killed_mid_send_leaves_the_message_to_be_claimed_again_when_its_lease_ends(
        database, link_secret, sms_gateway):
    start_appeal(database, donors=1)
    # A sender claimed the message and died: the lease holds it from everyone until it ends.
    claims = outbox._claim(clerk(database, "outbox"), 10, utcnow())
    assert len(claims) == 1
    assert send(database).sent == 0
    with database.sessions() as s, s.begin():
        s.execute(update(OutboxMessage).values(lease_until=utcnow() - timedelta(seconds=1)))
    assert send(database).sent == 1
    # The dead sender's late report changes nothing.
    outbox._finish(clerk(database, "outbox"), claims[0], status="pending", error="late", retry_at=utcnow())
    assert [m.status for m in messages(database)] == ["sent"]
    assert len(sms_gateway.delivered) == 1


def test_no_configured_channel_leaves_messages_waiting_and_shown(database, link_secret):
    start_appeal(database, donors=1)
    report = outbox.send_pending(clerk(database, "outbox"), senders={})
    assert report.retrying == 1 and "no sms sender" in report.errors[0]
    assert outbox.outbox_status(clerk(database, "outbox")).retrying == 1


def _make_due(database):
    with database.sessions() as s, s.begin():
        s.execute(update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1)))


# ---------------------------------------------------------------- answers


def test_accepting_by_link_books_a_slot_through_the_booking_rules(database, link_secret, sms_gateway):
    start_appeal(database, donors=1)
    token = token_of(messages(database)[0])
    page = appeal_replies.open_invitation(clerk(database, "x"), token=token)
    assert page.status == "invited" and page.slots
    chosen = page.slots[0].starts_at
    page = appeal_replies.accept(appeal_replies.link_uow(database), token=token, starts_at=chosen)
    assert page.status == "accepted" and page.booked_at == chosen
    again = appeal_replies.accept(appeal_replies.link_uow(database), token=token, starts_at=page.slots[0].starts_at
                                  if page.slots else chosen)
    assert again.booked_at == chosen
    with database.sessions() as s:
        booked = s.execute(select(Appointment)).scalars().all()
        assert len(booked) == 1 and booked[0].booked_by == appeal_replies.LINK_ACTOR


def test_a_full_slot_is_refused_and_no_chair_is_taken_twice(database, link_secret):
    start_appeal(database, donors=2, chairs=1)
    first, second = (token_of(m) for m in messages(database))
    slot = appeal_replies.open_invitation(clerk(database, "x"), token=first).slots[0].starts_at
    appeal_replies.accept(appeal_replies.link_uow(database), token=first, starts_at=slot)
    from bloodbank.domain.errors import CapacityFull
    with pytest.raises(CapacityFull):
        appeal_replies.accept(appeal_replies.link_uow(database), token=second, starts_at=slot)
    with database.sessions() as s:
        statuses = s.execute(select(AppealInvitation.status).order_by(AppealInvitation.id)).scalars().all()
        assert statuses == ["accepted", "invited"]
        assert len(s.execute(select(Appointment)).scalars().all()) == 1


def test_an_altered_link_is_refused(database, link_secret):
    start_appeal(database, donors=1)
    token = token_of(messages(database)[0])
    with pytest.raises(LinkInvalid):
        appeal_replies.open_invitation(clerk(database, "x"), token=token[:-2] + "xx")


def test_sms_yes_books_the_earliest_slot_and_stop_opts_out(database, link_secret, sms_gateway):
    _, (yes_donor, stop_donor, no_donor) = start_appeal(database, donors=3)
    with database.sessions() as s:
        phones = {d: s.get(Donor, d).phone for d in (yes_donor, stop_donor, no_donor)}
    yes = appeal_replies.sms_reply(appeal_replies.sms_uow(database), sender=phones[yes_donor], text="Yes")
    assert yes.command == "YES" and yes.answer.startswith("Booked:")
    stop = appeal_replies.sms_reply(appeal_replies.sms_uow(database), sender=phones[stop_donor], text="STOP")
    assert stop.command == "STOP"
    appeal_replies.sms_reply(appeal_replies.sms_uow(database), sender=phones[no_donor], text="no")
    with database.sessions() as s:
        rows = {r.donor_id: r for r in s.execute(select(AppealInvitation)).scalars()}
        assert rows[yes_donor].status == "accepted" and rows[yes_donor].appointment_id is not None
        assert rows[stop_donor].status == "declined" and not s.get(Donor, stop_donor).appeals_opt_in
        assert rows[no_donor].status == "declined" and s.get(Donor, no_donor).appeals_opt_in
    send(database)
    texts = [b["text"] for b in sms_gateway.delivered.values()]
    assert any(t.startswith("Booked:") for t in texts) and any("no more appeals" in t for t in texts)


def test_a_message_to_a_donor_who_stopped_appeals_is_not_sent(database, link_secret, sms_gateway):
    _, (donor,) = start_appeal(database, donors=1)
    token = token_of(messages(database)[0])
    appeal_replies.stop_appeals(appeal_replies.link_uow(database), token=token)
    report = send(database)
    assert report.cancelled == 1 and sms_gateway.posts == 0


def test_a_reply_posted_twice_by_the_gateway_is_answered_once(database, link_secret):
    _, (donor,) = start_appeal(database, donors=1)
    with database.sessions() as s:
        phone = s.get(Donor, donor).phone
    for _ in range(2):
        appeal_replies.sms_reply(appeal_replies.sms_uow(database), sender=phone, text="STOP")
    answers = [m for m in messages(database) if m.invitation_id is None]
    assert len(answers) == 1 and "no more appeals" in answers[0].body


def test_a_reply_from_an_unknown_number_learns_nothing(database, link_secret):
    start_appeal(database, donors=1)
    outcome = appeal_replies.sms_reply(appeal_replies.sms_uow(database), sender="+1 555 0100", text="YES")
    assert outcome.answer == "" and all(m.invitation_id for m in messages(database))
