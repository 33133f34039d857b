""""Your blood was used": written in the transaction that issues or transfuses a component, once per donation.

Only a donor who asked for it is told, through the channel they prefer, and
only where (the hospital) and when: nothing about the patient is read here,
so nothing can be written. The idempotency key is the donation's: the second
component of a donation, or its transfusion after its issue, adds nothing.
The message is in the donor's own language, its days written as that language
writes them, whoever's action (in whatever language) wrote it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bloodbank.adapters import catalogues
from bloodbank.adapters.db.models import Donation, Donor, DonorPortalChoice, Hospital, OutboxMessage, Site, Unit
from bloodbank.domain import donor_portal as portal, scheduling
from bloodbank.service_layer.messaging.outbox import enqueue


def _channel(donor: Donor) -> str | None:
    preferred = [c for c in (donor.appeal_channels or "").split(",") if c]
    for channel in (*preferred, "email", "sms"):
        if (channel == "email" and donor.email) or (channel == "sms" and donor.phone):
            return channel
    return None


def note_blood_used(session: Session, *, unit: Unit, hospital_id: int | None, now: datetime) -> None:
    """Called by the issue and transfusion use cases, inside their transaction."""
    if unit.donation_id is None:
        return
    key = portal.blood_used_key(unit.donation_id)
    if session.execute(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)).first():
        return
    donation = session.get(Donation, unit.donation_id)
    donor = session.get(Donor, donation.donor_id) if donation else None
    choice = session.get(DonorPortalChoice, donor.id) if donor else None
    if donor is None or choice is None or not choice.blood_used_opt_in or donor.erasure is not None:
        return
    channel = _channel(donor)
    if channel is None:
        return
    hospital = session.get(Hospital, hospital_id) if hospital_id else None
    site = session.get(Site, hospital.site_id) if hospital and hospital.site_id else None
    zone = scheduling.zone((hospital.time_zone if hospital else None) or (site.time_zone if site else "UTC"))
    translate = catalogues.translator(donor.language)
    body = portal.blood_used_text(where=hospital.name if hospital else None, on=now.astimezone(zone).date(),
                                  donated_on=donation.started_at.astimezone(zone).date(), translate=translate,
                                  day=catalogues.day_writer(donor.language))
    try:
        # Two components of one donation issued at once: the second finds the first's message and adds none.
        with session.begin_nested():
            enqueue(session, channel=channel, donor_id=donor.id, body=body, key=key, now=now,
                    subject=translate(portal.BLOOD_USED_SUBJECT) if channel == "email" else "")
    except IntegrityError:
        pass
