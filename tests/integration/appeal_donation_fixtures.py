"""An appeal's donors answering, coming and giving, and their units' fates: what the dashboard and the report
count. A donation is written as the chair would write it, on the day of the booking or now."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from sqlalchemy import select

from bloodbank.adapters.db.models import (
    AppealInvitation, Appointment, Donation, Issue, OutboxMessage, Patient, Unit, Visit,
)
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.isbt128 import make_din
from bloodbank.service_layer.crisis import appeal_replies

FACILITY = "G1234"
_serials = itertools.count(990_001)


def tokens(database) -> dict[int, str]:
    """Invitation id -> the token of its personal link, read from the message that carries it."""
    with database.sessions() as s:
        rows = s.execute(select(OutboxMessage.invitation_id, OutboxMessage.body)).all()
    return {i: body.split("/appeal/")[1].split()[0] for i, body in rows if i}


def invitation_ids(database) -> list[int]:
    with database.sessions() as s:
        return list(s.execute(select(AppealInvitation.id).order_by(AppealInvitation.id)).scalars())


def accept(database, invitation_id: int) -> None:
    appeal_replies.accept(appeal_replies.link_uow(database), token=tokens(database)[invitation_id])


def decline(database, invitation_id: int) -> None:
    appeal_replies.decline(appeal_replies.link_uow(database), token=tokens(database)[invitation_id])


def give_blood(database, invitation_id: int, *, units: tuple[dict, ...] = ({},), at: datetime | None = None) -> int:
    """The accepted donor arrives and gives: the booking is kept, a visit and a donation are written, and each
    unit of `units` (kind, status, expires_in, changed_at) is made from it. Returns the donation's id."""
    now = at or utcnow()
    with database.sessions() as s, s.begin():
        invitation = s.get(AppealInvitation, invitation_id)
        booking = s.get(Appointment, invitation.appointment_id)
        booking.status, booking.status_changed_at = "checked_in", now
        visit = Visit(donor_id=invitation.donor_id, site_id=invitation.site_id, status="collected",
                      checked_in_at=now, checked_in_by="clerk.bea", eligible=True, appointment_id=booking.id)
        s.add(visit)
        s.flush()
        serial = next(_serials)
        donation = Donation(din=str(make_din(FACILITY, 26, serial)), facility_code=FACILITY, din_year=26,
                            serial=serial, visit_id=visit.id, donor_id=invitation.donor_id,
                            site_id=invitation.site_id, kind="whole_blood", bag_type="quad", bag_lot="LOT1",
                            phlebotomist="nurse.cai", volume_ml=470, started_at=now,
                            ended_at=now + timedelta(minutes=10), status="complete")
        s.add(donation)
        s.flush()
        for division, spec in enumerate(units):
            expires = now + spec.get("expires_in", timedelta(days=35))
            s.add(Unit(din=donation.din, product_code={"red_cells": "E0001", "plasma": "E0002"}[
                spec.get("kind", "red_cells")], division=f"{division:02d}", kind=spec.get("kind", "red_cells"),
                donation_id=donation.id, blood_group=invitation.blood_group,
                status=spec.get("status", "quarantined"), volume_ml=280, collected_at=now, expires_at=expires,
                site_id=invitation.site_id, status_changed_at=spec.get("changed_at", now)))
        return donation.id


def issue_for(database, incident_id: int, unit_id: int) -> None:
    """A unit issued for one of the incident's patients."""
    with database.sessions() as s, s.begin():
        patient = Patient(given_name="Casualty", family_name="Unknown", sex="M")
        s.add(patient)
        s.flush()
        s.get(Unit, unit_id).status = "issued"
        s.add(Issue(unit_id=unit_id, patient_id=patient.id, issued_at=utcnow(), issued_by="bms.lee",
                    scanned_unit="=G1234", scanned_patient="mrn:1", incident_id=incident_id))
