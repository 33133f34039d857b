"""An appeal's figures counted by the database: one aggregate query, never a row per donor.

Each row of the tally is a count of invitations sharing a group, a day asked to come, an answer, a booking's
state and the window their blood serves; every figure of the dashboard, the sizing and the report is a sum
over those rows. A donation serves the window in which it becomes usable (collected, plus processing and
testing); a booking not yet kept is placed by its time, an unanswered invitation by its day at noon.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import case, exists, func, select

from bloodbank.adapters.db.models import AppealInvitation, Appointment, Donation, Unit, Visit
from bloodbank.domain import appeal_sizing as sizing
from bloodbank.domain import mass_casualty as forecast

RELEASED = ("available", "reserved", "issued", "transfused", "in_transit", "returned")
LATER = forecast.AFTER_HORIZON  # blood usable after the forecast's horizon: it restores stock
WINDOW_LABELS = tuple(w.label for w in forecast.WINDOWS) + (LATER,)


@dataclass(frozen=True)
class Tally:
    group: str
    slot_day: date
    status: str  # the invitation's: invited, accepted, declined, expired
    lapsed: bool  # still "invited" but its link has expired
    booking: str | None  # the booking's status, if the donor accepted
    due: bool  # the booking's time has come
    window: str  # the window the blood serves
    invitations: int
    donations: int
    released: int  # donations with a unit released from quarantine


def bounds(occurred_at: datetime, usable_after_hours: float) -> list[tuple[str, datetime]]:
    """(window, latest donation time) pairs: blood given before that time is usable within the window."""
    delay = timedelta(hours=usable_after_hours)
    return [(w.label, occurred_at + timedelta(hours=w.end) - delay) for w in forecast.WINDOWS]


def window_of(at: datetime, limits: Sequence[tuple[str, datetime]]) -> str:
    for label, end in limits:
        if at < end:
            return label
    return LATER


def tally(s, appeal_id: int, now: datetime, limits: Sequence[tuple[str, datetime]]) -> list[Tally]:
    released = exists().where(Unit.donation_id == Donation.id, Unit.status.in_(RELEASED))
    at = func.coalesce(Donation.started_at, Appointment.starts_at)
    window = case((at.is_(None), ""), *[(at < end, label) for label, end in limits], else_=LATER)
    lapsed = case((AppealInvitation.expires_at <= now, 1), else_=0)
    due = case((Appointment.starts_at <= now, 1), else_=0)
    columns = (AppealInvitation.blood_group, AppealInvitation.slot_day, AppealInvitation.status, lapsed,
               Appointment.status, due, window)
    rows = s.execute(
        select(*columns, func.count(AppealInvitation.id), func.count(Donation.id),
               func.coalesce(func.sum(case((released, 1), else_=0)), 0))
        .outerjoin(Appointment, Appointment.id == AppealInvitation.appointment_id)
        .outerjoin(Visit, Visit.appointment_id == Appointment.id)
        .outerjoin(Donation, Donation.visit_id == Visit.id)
        .where(AppealInvitation.appeal_id == appeal_id)
        .group_by(*columns)).all()
    out = []
    for group, day, status, was_lapsed, booking, was_due, where, n, donations, done in rows:
        if not where:  # nothing booked yet: the day asked to come, at noon
            where = window_of(datetime.combine(day, time(12), tzinfo=timezone.utc), limits)
        out.append(Tally(group, day, status, bool(was_lapsed and status == "invited"), booking, bool(was_due),
                         where, int(n), int(donations), int(done or 0)))
    return out


def rates(rows: Iterable[Tally], prior: sizing.Rates, weight: float) -> sizing.Rates:
    rows = list(rows)
    settled = sum(r.invitations for r in rows if r.status != "invited" or r.lapsed)
    accepted = sum(r.invitations for r in rows if r.status == "accepted")
    due = sum(r.invitations for r in rows if r.status == "accepted" and r.booking is not None and r.due)
    arrived = sum(r.invitations for r in rows if r.status == "accepted" and r.booking == "checked_in" and r.due)
    return sizing.learned(prior, weight, settled=settled, accepted=accepted, due=due, arrived=arrived)


def expected(rows: Iterable[Tally], rated: sizing.Rates, key=lambda r: r.group) -> dict:
    """Donors the invitations are expected to bring, by group (or by `key(row)`): a donor who came counts whole."""
    out: dict = {}
    for r in rows:
        if r.status == "invited" and not r.lapsed:
            value = rated.per_invitation
        elif r.status == "accepted" and r.booking == "checked_in":
            value = 1.0
        elif r.status == "accepted" and r.booking == "booked":
            value = rated.show_up
        else:
            value = 0.0
        out[key(r)] = out.get(key(r), 0.0) + value * r.invitations
    return out


@dataclass(frozen=True)
class Flow:
    invited: int = 0
    accepted: int = 0
    declined: int = 0  # a count only: who declined is never shown
    arrived: int = 0
    collected: int = 0
    released: int = 0

    def plus(self, r: Tally) -> Flow:
        return Flow(self.invited + r.invitations, self.accepted + r.invitations * (r.status == "accepted"),
                    self.declined + r.invitations * (r.status == "declined"),
                    self.arrived + r.invitations * (r.booking == "checked_in"),
                    self.collected + r.donations, self.released + r.released)


def flows(rows: Iterable[Tally], key) -> dict:
    """The stages summed by `key(row)`: by group, by (window, group), by day."""
    out: dict = {}
    for r in rows:
        k = key(r)
        out[k] = out.get(k, Flow()).plus(r)
    return out
