"""Appointments: a donor booked into a chair in one of a site's slots.

Capacity is held by the database, not by counting rows in Python: each slot
has a `slot_counter` row, and a booking takes a chair with
``UPDATE ... SET booked = booked + 1 WHERE booked < chairs``. The row lock
that UPDATE takes queues concurrent bookings of the same slot, and the WHERE
is re-checked once the lock is granted, so the last chair goes to exactly one
clerk on PostgreSQL (SQLite already serialises writers).

Times: each site keeps local wall-clock hours in its own zone; appointments
are stored as UTC instants and views give them back on their site's clock. Check-in of an appointment belongs
to the visit use case, which marks it checked_in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Appointment, Donor, Site, SlotCounter
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import scheduling
from bloodbank.domain.eligibility import DonationKind
from bloodbank.domain.errors import CapacityFull, Conflict, InvalidInput, InvalidTransition, NotFound, OutOfHours
from bloodbank.service_layer.donors.deferral_lookup import donor_ids_of_person, ensure_not_deferred
from bloodbank.service_layer.donors.readiness import ensure_may_give
from bloodbank.service_layer.donors.deferrals import current_donor
from bloodbank.service_layer.shared.audit_snapshots import changes, snapshot
from bloodbank.service_layer.shared.clocks import site_clock, today_on
from bloodbank.service_layer.shared.sites import load_site
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

# A donor holding either of these on a day has that day taken.
HELD = ("booked", "checked_in")
NEXT_FREE_SEARCH_DAYS = 14
# The local day begins at most 14 hours before UTC's (Pacific/Kiritimati, UTC+14).
EARLIEST_DAY_HOURS = 14
KINDS = tuple(kind.value for kind in DonationKind)


@dataclass(frozen=True)
class SlotView:
    starts_at: datetime  # aware, on the site's clock
    free: int


@dataclass(frozen=True)
class AppointmentView:
    id: int
    site_id: int
    site_code: str
    donor_id: int
    donor_number: str
    donor_name: str
    starts_at: datetime  # aware, on the site's clock
    kind: str
    status: str
    booked_by: str
    status_changed_at: datetime | None


def _view(row: Appointment, site: Site, donor: Donor, zone: tzinfo) -> AppointmentView:
    return AppointmentView(
        id=row.id, site_id=site.id, site_code=site.code, donor_id=donor.id, donor_number=donor.donor_number,
        donor_name=f"{donor.given_name} {donor.family_name}", starts_at=row.starts_at.astimezone(zone),
        kind=row.kind, status=row.status, booked_by=row.booked_by, status_changed_at=row.status_changed_at,
    )


# ---------------------------------------------------------------- reading slots


def available_slots(uow: UnitOfWork, *, site_id: int, on: date) -> list[SlotView]:
    """Every slot of the day not yet started, with its free chairs (0 when full)."""
    with uow:
        site = _open_site(uow.session, site_id)
        return _slots_with_room(uow.session, site, on, site_clock(site), after=utcnow())


def free_slots_within(s: Session, *, site_id: int, on: date) -> list[SlotView]:
    """`available_slots` with a free chair, inside a unit of work the caller has open."""
    site = _open_site(s, site_id)
    return [slot for slot in _slots_with_room(s, site, on, site_clock(site), after=utcnow()) if slot.free > 0]


def _slots_with_room(s: Session, site: Site, on: date, zone: tzinfo, *, after: datetime) -> list[SlotView]:
    instants = [i for i in scheduling.slot_instants(site.opening_hours, on, site.slot_minutes, zone) if i > after]
    if not instants:
        return []
    booked = dict(s.execute(
        select(SlotCounter.starts_at, SlotCounter.booked)
        .where(SlotCounter.site_id == site.id, SlotCounter.starts_at.between(instants[0], instants[-1]))
    ).all())
    # Chairs may have been reduced below the bookings already held: never show a negative.
    return [SlotView(i.astimezone(zone), max(0, site.chairs - booked.get(i, 0))) for i in instants]


# ---------------------------------------------------------------- booking


def book(uow: UnitOfWork, *, donor_id: int, site_id: int, starts_at: datetime,
         kind: str = "whole_blood") -> AppointmentView:
    """Book the donor into the slot starting at `starts_at` (naive = the site's wall clock)."""
    with uow:
        result = book_within(uow, donor_id=donor_id, site_id=site_id, starts_at=starts_at, kind=kind)
        uow.commit()
        return result


def book_within(uow: UnitOfWork, *, donor_id: int, site_id: int, starts_at: datetime,
                kind: str = "whole_blood") -> AppointmentView:
    """`book`'s rules inside a unit of work the caller has open and commits (an appeal's acceptance)."""
    if kind not in KINDS:
        raise InvalidInput(f"Unknown donation kind {kind!r}: use one of {', '.join(KINDS)}.")
    s = uow.session
    site = _open_site(s, site_id)
    zone = site_clock(site)
    wall = scheduling.as_site_wall_clock(starts_at, zone)
    instant = _slot_instant(site, wall, zone)
    now = utcnow()
    if instant <= now:
        raise InvalidInput(f"{wall:%H:%M} on {wall:%a %Y-%m-%d} has already passed: choose a later slot.")
    donor = current_donor(s, donor_id)
    # Locking the donor queues two desks booking the same person, so the clash check holds.
    s.execute(select(Donor.id).where(Donor.id == donor.id).with_for_update())
    # Booking someone who may not give that day only wastes a chair and their journey.
    ensure_not_deferred(s, donor.id, wall.date())
    ensure_may_give(s, donor, on=wall.date(), kind=kind, rule_set=site.rule_set)
    _refuse_clash(s, donor_ids_of_person(s, donor.id), instant, site.slot_minutes, zone)
    _take_chair(s, site, instant, zone)
    row = Appointment(site_id=site.id, donor_id=donor.id, starts_at=instant, kind=kind, status="booked",
                      booked_by=uow.actor, status_changed_at=now)
    s.add(row)
    s.flush()
    uow.audit("create", "appointment", row.id, new=snapshot(row), reason="booked")
    return _view(row, site, donor, zone)


def _open_site(s: Session, site_id: int) -> Site:
    site = load_site(s, site_id)
    if not site.active:
        raise Conflict(f"Site {site.code} ({site.name}) is not active: it takes no bookings.")
    return site


def _slot_instant(site: Site, wall: datetime, zone: tzinfo) -> datetime:
    hours = scheduling.describe_hours(site.opening_hours)
    if not scheduling.slots(site.opening_hours, wall.date(), site.slot_minutes):
        raise OutOfHours(f"{site.code} is closed on {wall:%A %Y-%m-%d}. Opening hours: {hours}.")
    if not scheduling.is_bookable(site.opening_hours, wall, site.slot_minutes):
        raise OutOfHours(
            f"{wall:%H:%M} on {wall:%a %Y-%m-%d} is not a slot at {site.code}: slots start every "
            f"{site.slot_minutes} minutes within the opening hours ({hours})."
        )
    instant = scheduling.local_to_utc(wall, zone)
    if instant is None:
        raise OutOfHours(f"{wall:%H:%M} on {wall:%Y-%m-%d} does not exist on the site's clock (clocks go forward).")
    return instant


def _refuse_clash(s: Session, person: list[int], instant: datetime, slot_minutes: int, zone: tzinfo) -> None:
    """One held appointment per donor per local day, and never two that overlap."""
    ends = instant + timedelta(minutes=slot_minutes)
    day = instant.astimezone(zone).date()
    rows = s.execute(
        select(Appointment, Site).join(Site, Site.id == Appointment.site_id)
        .where(Appointment.donor_id.in_(person), Appointment.status.in_(HELD),
               Appointment.starts_at > instant - timedelta(days=2),
               Appointment.starts_at < instant + timedelta(days=2))
    ).all()
    for other, site in rows:
        other_ends = other.starts_at + timedelta(minutes=site.slot_minutes)
        local = other.starts_at.astimezone(zone)
        where = f"{site.code} at {local:%H:%M} on {local:%a %Y-%m-%d} (appointment {other.id})"
        if other.starts_at < ends and instant < other_ends:
            raise Conflict(f"This donor already has an appointment at that time: {where}.")
        if local.date() == day:
            raise Conflict(f"This donor already has an appointment that day: {where}. Cancel it first to move it.")


def _take_chair(s: Session, site: Site, instant: datetime, zone: tzinfo) -> None:
    _ensure_counter(s, site.id, instant)
    if _add_to_counter(s, site.id, instant, +1, SlotCounter.booked < site.chairs) != 1:
        taken_by = f"All {site.chairs} chairs are" if site.chairs > 1 else "The only chair is"
        raise CapacityFull(
            f"{taken_by} booked at {instant.astimezone(zone):%H:%M}; next free slot: "
            f"{_next_free(s, site, instant, zone)}."
        )


def _ensure_counter(s: Session, site_id: int, instant: datetime) -> None:
    # Insert-or-ignore: two first bookings of a slot both see the row afterwards, neither fails.
    module = postgresql if s.get_bind().dialect.name == "postgresql" else sqlite
    s.execute(
        module.insert(SlotCounter).values(site_id=site_id, starts_at=instant, booked=0)
        .on_conflict_do_nothing(index_elements=["site_id", "starts_at"])
    )


def _add_to_counter(s: Session, site_id: int, starts_at: datetime, step: int, guard) -> int:
    """Add `step` to the slot's bookings if `guard` holds; the rows changed (0 or 1)."""
    return s.execute(
        update(SlotCounter)
        .where(SlotCounter.site_id == site_id, SlotCounter.starts_at == starts_at, guard)
        .values(booked=SlotCounter.booked + step)
        .execution_options(synchronize_session=False)
    ).rowcount


def _next_free(s: Session, site: Site, after: datetime, zone: tzinfo) -> str:
    day = after.astimezone(zone).date()
    for offset in range(NEXT_FREE_SEARCH_DAYS + 1):
        for slot in _slots_with_room(s, site, day + timedelta(days=offset), zone, after=after):
            if slot.free > 0:
                return f"{slot.starts_at:%H:%M}" if offset == 0 else f"{slot.starts_at:%a %Y-%m-%d %H:%M}"
    return f"none in the next {NEXT_FREE_SEARCH_DAYS} days"


# ---------------------------------------------------------------- after booking


def cancel(uow: UnitOfWork, *, appointment_id: int, reason: str = "") -> AppointmentView:
    """Cancel a booked appointment and give its chair back."""
    with uow:
        result = cancel_within(uow, appointment_id=appointment_id, reason=reason)
        uow.commit()
        return result


def cancel_within(uow: UnitOfWork, *, appointment_id: int, reason: str = "") -> AppointmentView:
    """`cancel`'s rules inside a unit of work the caller has open and commits (a donor moving their booking)."""
    s = uow.session
    row = _locked_appointment(s, appointment_id, doing="cancelled")
    give_chair_back(s, row)
    return _change_status(uow, row, "cancelled", (reason or "").strip() or "cancelled")


def give_chair_back(s: Session, row: Appointment) -> None:
    """The chair a booked appointment held is free again (a cancellation, or the donor's erasure)."""
    _add_to_counter(s, row.site_id, row.starts_at, -1, SlotCounter.booked > 0)


def mark_no_show(uow: UnitOfWork, *, appointment_id: int) -> AppointmentView:
    """The donor did not come. The chair stays counted: the slot is in the past."""
    with uow:
        row = _locked_appointment(uow.session, appointment_id, doing="marked as a no-show")
        if utcnow() <= row.starts_at:
            local = row.starts_at.astimezone(site_clock(uow.session.get(Site, row.site_id)))
            raise InvalidTransition(
                f"Appointment {row.id} starts at {local:%H:%M} on {local:%a %Y-%m-%d}: "
                "it cannot be a no-show before its start time."
            )
        result = _change_status(uow, row, "no_show", "donor did not attend")
        uow.commit()
        return result


def _locked_appointment(s: Session, appointment_id: int, *, doing: str) -> Appointment:
    row = s.execute(
        select(Appointment).where(Appointment.id == appointment_id).with_for_update()
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"No appointment with id {appointment_id}.")
    if row.status != "booked":
        raise InvalidTransition(
            f"Appointment {row.id} is {row.status.replace('_', ' ')}: only a booked appointment can be {doing}."
        )
    return row


def _change_status(uow: UnitOfWork, row: Appointment, status: str, reason: str) -> AppointmentView:
    before = snapshot(row)
    row.status, row.status_changed_at = status, utcnow()
    old, new = changes(before, snapshot(row))
    uow.audit("update", "appointment", row.id, old=old, new=new, reason=reason)
    site = uow.session.get(Site, row.site_id)
    return _view(row, site, uow.session.get(Donor, row.donor_id), site_clock(site))


# ---------------------------------------------------------------- lists


def upcoming_for_donor(uow: UnitOfWork, donor_id: int) -> list[AppointmentView]:
    """Booked appointments from the start of today on, merged records included.

    Today's earlier ones stay listed so a donor who arrives late can still be checked in. "Today" is
    each appointment's own site's day: the earliest zone on Earth starts the search, each row then
    kept if it is today or later on its site's clock.
    """
    with uow:
        s = uow.session
        if s.get(Donor, donor_id) is None:
            raise NotFound(f"No donor with id {donor_id}.")
        now = utcnow()
        rows = _listed(s, Appointment.donor_id.in_(donor_ids_of_person(s, donor_id)),
                       Appointment.status == "booked", Appointment.starts_at >= now - timedelta(hours=EARLIEST_DAY_HOURS))
        return [row for row in rows if row.starts_at.date() >= today_on(row.starts_at.tzinfo, now)]


def list_for_site_day(uow: UnitOfWork, *, site_id: int, on: date) -> list[AppointmentView]:
    """Every appointment at the site that day (on its clock), whatever its status, in slot order."""
    with uow:
        s = uow.session
        site = load_site(s, site_id)
        starts, ends = scheduling.day_bounds_utc(on, site_clock(site))
        return _listed(s, Appointment.site_id == site_id,
                       Appointment.starts_at >= starts, Appointment.starts_at < ends)


def _listed(s: Session, *conditions) -> list[AppointmentView]:
    rows = s.execute(
        select(Appointment, Site, Donor)
        .join(Site, Site.id == Appointment.site_id).join(Donor, Donor.id == Appointment.donor_id)
        .where(*conditions).order_by(Appointment.starts_at, Appointment.id)
    ).all()
    return [_view(row, site, donor, site_clock(site)) for row, site, donor in rows]


def donor_id_for(uow: UnitOfWork, ref: str) -> int:
    """A donor's id from what a clerk types: the donor number, or the numeric id."""
    text = (ref or "").strip().upper().replace(" ", "").replace("-", "")
    with uow:
        found = uow.session.execute(select(Donor.id).where(Donor.donor_number == text)).scalar_one_or_none()
        if found is None and text.isdigit():
            found = uow.session.execute(select(Donor.id).where(Donor.id == int(text))).scalar_one_or_none()
        if found is None:
            raise NotFound(f"No donor with number or id {ref!r}.")
        return found


def book_for(uow: UnitOfWork, *, donor_ref: str, site_id: int, starts_at: datetime,
             kind: str = "whole_blood") -> AppointmentView:
    """Book from what the clerk typed at the desk: the donor number (or the record id)."""
    return book(uow, donor_id=donor_id_for(uow, donor_ref), site_id=site_id, starts_at=starts_at, kind=kind)


def next_booked_day(uow: UnitOfWork, *, site_id: int, after: date) -> date | None:
    """The first day after `after` with a booked appointment at the site: where an empty day's list points."""
    with uow:
        site = load_site(uow.session, site_id)
        zone = site_clock(site)
        _, starts = scheduling.day_bounds_utc(after, zone)
        first = uow.session.execute(
            select(Appointment.starts_at).where(Appointment.site_id == site_id, Appointment.status == "booked",
                                                Appointment.starts_at >= starts)
            .order_by(Appointment.starts_at).limit(1)
        ).scalar_one_or_none()
        return None if first is None else scheduling.to_local(first, zone).date()
