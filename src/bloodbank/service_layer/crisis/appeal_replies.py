"""A donor's answer to an appeal: through their personal link (no login) or an SMS reply.

Accepting books through the booking use case's own rules (no chair taken
twice, eligibility on the day, one appointment a day) in the same transaction
that marks the invitation accepted. YES by SMS takes the earliest slot that
fits from the invitation's day; NO declines (no consequence, and only counted);
STOP opts the donor out of every appeal. Whoever answers through a link acts as
"the donor, by appeal link", which the audit log shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from bloodbank.adapters.db.models import AppealInvitation, Appointment, Donor, OutboxMessage, Site
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import appeal_links, appeal_messages
from bloodbank.domain.appeal_rules import default_parameters
from bloodbank.domain.errors import CapacityFull, Conflict, DomainError, InvalidInput, LinkInvalid
from bloodbank.domain.search_keys import phone_digits_last_first
from bloodbank.service_layer.crisis.appeal_links import link_secret
from bloodbank.service_layer.donors.appointments import SlotView, book_within, free_slots_within
from bloodbank.service_layer.messaging.outbox import enqueue
from bloodbank.service_layer.shared.clocks import site_clock
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

LINK_ACTOR = "donor (appeal link)"
SMS_ACTOR = "donor (SMS reply)"


def link_uow(database) -> UnitOfWork:
    """The unit of work of a donor answering through their link: no account, named as such in the audit log."""
    return UnitOfWork(database, actor=LINK_ACTOR)


def sms_uow(database) -> UnitOfWork:
    return UnitOfWork(database, actor=SMS_ACTOR)


@dataclass(frozen=True)
class InvitationPage:
    invitation_id: int
    status: str
    site_name: str
    site_address: str
    first_day: date
    slots: tuple[SlotView, ...]  # free slots from the invitation's day, on the site's clock
    booked_at: datetime | None  # the appointment, once accepted


def _invitation(uow: UnitOfWork, token: str) -> AppealInvitation:
    invitation_id = appeal_links.read_token(link_secret(), token, utcnow())
    row = uow.session.get(AppealInvitation, invitation_id)
    if row is None:
        raise LinkInvalid("This link is not a valid appeal link.")
    return row


def open_invitation(uow: UnitOfWork, *, token: str) -> InvitationPage:
    with uow:
        row = _invitation(uow, token)
        return _page(uow, row)


def _page(uow: UnitOfWork, row: AppealInvitation) -> InvitationPage:
    s = uow.session
    site = s.get(Site, row.site_id)
    zone = site_clock(site)
    slots: list[SlotView] = []
    if row.status == "invited":
        for offset in range(int(default_parameters().days)):
            slots += free_slots_within(s, site_id=site.id, on=row.slot_day + timedelta(days=offset))
    booked = s.get(Appointment, row.appointment_id) if row.appointment_id else None
    return InvitationPage(row.id, row.status, site.name, site.address, row.slot_day, tuple(slots),
                          booked.starts_at.astimezone(zone) if booked else None)


def accept(uow: UnitOfWork, *, token: str, starts_at: datetime | None = None) -> InvitationPage:
    """Book the slot chosen (or the earliest that fits) and mark the invitation accepted, in one transaction."""
    with uow:
        row = _invitation(uow, token)
        if row.status == "accepted":
            return _page(uow, row)  # a second click changes nothing
        _book(uow, row, starts_at)
        page = _page(uow, row)
        uow.commit()
        return page


def _book(uow: UnitOfWork, row: AppealInvitation, starts_at: datetime | None) -> None:
    if row.status != "invited":
        raise Conflict(f"This invitation was {row.status}: nothing was booked.")
    if row.expires_at <= utcnow():
        raise LinkInvalid("This invitation has expired. Thank you: no action is needed.")
    if starts_at is not None:
        view = book_within(uow, donor_id=row.donor_id, site_id=row.site_id, starts_at=starts_at)
    else:
        view = _earliest(uow, row)
    row.status, row.responded_at, row.appointment_id = "accepted", utcnow(), view.id
    uow.audit("accept", "appeal_invitation", row.id, new={"appointment_id": view.id})


def _earliest(uow: UnitOfWork, row: AppealInvitation):
    s = uow.session
    site = s.get(Site, row.site_id)
    for offset in range(int(default_parameters().days)):
        for slot in free_slots_within(s, site_id=site.id, on=row.slot_day + timedelta(days=offset)):
            try:
                with s.begin_nested():
                    return book_within(uow, donor_id=row.donor_id, site_id=row.site_id, starts_at=slot.starts_at)
            except CapacityFull:
                continue  # taken a moment ago: the next slot
    raise CapacityFull(f"Every slot at {site.name} is taken for now. Thank you: no action is needed.")


def decline(uow: UnitOfWork, *, token: str) -> InvitationPage:
    with uow:
        row = _invitation(uow, token)
        _decline(uow, row)
        page = _page(uow, row)
        uow.commit()
        return page


def _decline(uow: UnitOfWork, row: AppealInvitation) -> None:
    if row.status == "invited":
        # Not audited by name beyond this line: declining has no consequence and staff see only counts.
        row.status, row.responded_at = "declined", utcnow()


def stop_appeals(uow: UnitOfWork, *, token: str) -> InvitationPage:
    with uow:
        row = _invitation(uow, token)
        _stop(uow, uow.session.get(Donor, row.donor_id))
        _decline(uow, row)
        page = _page(uow, row)
        uow.commit()
        return page


def _stop(uow: UnitOfWork, donor: Donor) -> None:
    if donor.appeals_opt_in:
        donor.appeals_opt_in = False
        uow.audit("appeals_opt_in", "donor", donor.id, old={"appeals_opt_in": True}, new={"appeals_opt_in": False},
                  reason="donor asked to receive no appeals")


@dataclass(frozen=True)
class ReplyOutcome:
    command: str | None
    answer: str  # what was texted back


def sms_reply(uow: UnitOfWork, *, sender: str, text: str) -> ReplyOutcome:
    """A reply from a phone: YES books the earliest fitting slot, NO declines, STOP opts out of appeals."""
    command = appeal_messages.reply_command(text)
    key = phone_digits_last_first(sender)
    if not key:
        raise InvalidInput("The reply carries no sender number.")
    now = utcnow()
    with uow:
        s = uow.session
        donors = s.execute(select(Donor).where(Donor.phone_key == key, Donor.merged_into_id.is_(None))).scalars().all()
        if not donors:
            return ReplyOutcome(command, "")  # an unknown number learns nothing
        ids = [d.id for d in donors]
        row = s.execute(select(AppealInvitation).where(AppealInvitation.donor_id.in_(ids),
                                                       AppealInvitation.status == "invited",
                                                       AppealInvitation.expires_at > now)
                        .order_by(AppealInvitation.created_at.desc()).limit(1)).scalar_one_or_none()
        answer = _answer(uow, command, row, donors)
        donor_id = row.donor_id if row is not None else donors[0].id
        # A gateway that posts the same reply twice within the minute gets one answer.
        key = f"reply-{donor_id}-{command}-{now:%Y%m%d%H%M}"
        if answer and s.execute(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)).first() is None:
            enqueue(s, channel="sms", donor_id=donor_id, body=answer, now=now, key=key)
        uow.commit()
        return ReplyOutcome(command, answer)


def _answer(uow: UnitOfWork, command: str | None, row: AppealInvitation | None, donors: list[Donor]) -> str:
    if command == "STOP":
        for donor in donors:
            _stop(uow, donor)
        if row is not None:
            _decline(uow, row)
        return "You will receive no more appeals. Thank you for having been there."
    if row is None:
        return ""
    if command == "NO":
        _decline(uow, row)
        return "Thank you for letting us know. No action is needed."
    if command == "YES":
        try:
            with uow.session.begin_nested():
                _book(uow, row, None)
        except (CapacityFull, Conflict) as refused:
            return f"We could not book you: {refused.message} Use the link to choose another time."
        except DomainError:
            # Why a donor may not give is for the desk to explain, never for a text message.
            return "We could not book you a time: please contact your donor centre."
        site = uow.session.get(Site, row.site_id)
        at = uow.session.get(Appointment, row.appointment_id).starts_at.astimezone(site_clock(site))
        return f"Booked: {site.name}, {at:%a %d %b %H:%M}. Thank you. To cancel, use the link in our message."
    return "Reply YES to book the earliest time, NO to decline, STOP for no more appeals."
