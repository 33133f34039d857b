"""Each site's clock: days, "today", opening hours and end-of-day expiry are cut on it.

Times are stored as UTC instants. A site names its IANA zone; a hospital names
its own or keeps the zone of the blood bank that serves it.
"""

from __future__ import annotations

from datetime import date, datetime, timezone, tzinfo

from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Hospital, Site
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import scheduling

UTC = timezone.utc


def site_clock(site: Site) -> tzinfo:
    return scheduling.zone(site.time_zone)


def clock_of_site(session: Session, site_id: int | None) -> tzinfo:
    """The site's clock; a record tied to no site is cut in UTC."""
    site = session.get(Site, site_id) if site_id is not None else None
    return site_clock(site) if site is not None else UTC


def hospital_clock(session: Session, hospital: Hospital | None) -> tzinfo:
    if hospital is None:
        return UTC
    if hospital.time_zone:
        return scheduling.zone(hospital.time_zone)
    return clock_of_site(session, hospital.site_id)


def clock_of_hospital(session: Session, hospital_id: int | None) -> tzinfo:
    return hospital_clock(session, session.get(Hospital, hospital_id) if hospital_id is not None else None)


def today_on(clock: tzinfo, now: datetime | None = None) -> date:
    """The calendar day it is now on that clock."""
    return (now or utcnow()).astimezone(clock).date()


def day_bounds(day: date, clock: tzinfo) -> tuple[datetime, datetime]:
    """The UTC instants where that local day begins and the next one begins (23 or 25 hours apart on DST days)."""
    return scheduling.day_bounds_utc(day, clock)


def site_day_bounds(site: Site, now: datetime | None = None) -> tuple[datetime, datetime]:
    """Where the site's today begins and ends, as UTC instants: the desk's and the chair's day."""
    clock = site_clock(site)
    return day_bounds(today_on(clock, now), clock)


def local_date(instant: datetime, clock: tzinfo) -> date:
    return instant.astimezone(clock).date()
