"""Rows processing needs, written directly: a site, a grouped donor, a finished donation.

Plain model rows, so processing tests do not depend on how visits and
collections are carried out.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from itertools import count

from sqlalchemy import func, select

from bloodbank.adapters.db.database import Database
from bloodbank.adapters.db.models import (
    AuditEntry, DinCounter, Donation, Donor, Site, Unit, UnitEvent, UnitParent, Visit,
)
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.isbt128 import make_din
from bloodbank.service_layer.blood import processing, units
from bloodbank.service_layer.shared.audit_snapshots import snapshot
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

FACILITY = "G1234"
# Far from the serials the DIN counter hands out, so a pool's new DIN never meets a fixture's.
_serials = count(900_001)
_numbers = count(1)


def clerk(database: Database, actor: str = "clerk.ann") -> UnitOfWork:
    return UnitOfWork(database, actor=actor)


def make_site(database: Database, *, rule_set: str = "eu", facility_code: str = FACILITY) -> int:
    with database.sessions() as session, session.begin():
        site = Site(code=f"P{next(_numbers)}", name="Central processing centre",
                    facility_code=facility_code, rule_set=rule_set, time_zone="UTC")
        session.add(site)
        session.flush()
        return site.id


def make_donor(database: Database, *, group: str | None = "O+", discrepancy: bool = False,
               confirmed: bool | None = None) -> int:
    n = next(_numbers)
    with database.sessions() as session, session.begin():
        donor = Donor(donor_number=f"PD{n:06d}", given_name="Grace", family_name=f"Hopper{n}",
                      date_of_birth=date(1985, 3, 9), sex="F", blood_group=group, group_discrepancy=discrepancy,
                      blood_group_confirmed=group is not None if confirmed is None else confirmed)
        session.add(donor)
        session.flush()
        return donor.id


def make_donation(database: Database, *, site_id: int, donor_id: int | None = None, group: str | None = "O+",
                  status: str = "complete", kind: str = "whole_blood", volume_ml: int | None = 450,
                  age: timedelta = timedelta(hours=3)) -> int:
    """A donation collected `age` ago, finished (or as `status` says)."""
    donor_id = donor_id or make_donor(database, group=group)
    started = utcnow() - age
    din = make_din(FACILITY, started.year % 100, next(_serials))
    with database.sessions() as session, session.begin():
        visit = Visit(donor_id=donor_id, site_id=site_id, status="collected", kind=kind,
                      checked_in_at=started - timedelta(minutes=30), checked_in_by="clerk.bea",
                      eligible=True, screened_at=started - timedelta(minutes=20), screened_by="nurse.cai")
        session.add(visit)
        session.flush()
        donation = Donation(
            din=str(din), facility_code=din.facility, din_year=int(din.year), serial=int(din.serial),
            visit_id=visit.id, donor_id=donor_id, site_id=site_id, kind=kind, bag_type="quadruple",
            bag_lot="LOT-1", phlebotomist="phleb.dan", planned_volume_ml=450, max_volume_ml=500,
            volume_ml=volume_ml if status != "in_progress" else None, started_at=started,
            ended_at=None if status == "in_progress" else started + timedelta(minutes=10), status=status,
        )
        session.add(donation)
        session.flush()
        return donation.id


def processed(database: Database, *, site_id: int, method: str = "buffy_coat", group: str | None = "O+",
              age: timedelta = timedelta(hours=3)) -> tuple[int, list[units.UnitView]]:
    donation_id = make_donation(database, site_id=site_id, group=group, age=age)
    return donation_id, processing.process_donation(clerk(database), donation_id=donation_id, method=method)


def unit_of(views: list[units.UnitView], kind: str) -> units.UnitView:
    return next(view for view in views if view.kind == kind)


def printed(pdf: bytes) -> dict[str, str]:
    """The four barcodes of a unit label, read from the data printed under each one, by the box each is
    scanned into."""
    text = pdf.decode("latin-1")

    def one(pattern: str) -> str:
        [found] = re.findall(pattern, text)
        return found

    return {"scanned_din": one(r"\((=[A-Z1-9]\d{14})\)"), "scanned_group": one(r"\((=%\w{4})\)"),
            "scanned_product": one(r"\((=<\w{8})\)"), "scanned_expiry": one(r"\((&>\d{10})\)")}


def as_printed(when: datetime) -> str:
    """A date and time as the label prints them: 05 MAR 2026 23:59."""
    month = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()[when.month - 1]
    return f"{when.day:02d} {month} {when.year} {when:%H:%M}"


def donation_row(database: Database, donation_id: int) -> dict:
    with database.sessions() as session:
        return snapshot(session.get(Donation, donation_id))


def unit_row(database: Database, unit_id: int) -> dict:
    with database.sessions() as session:
        return snapshot(session.get(Unit, unit_id))


def set_unit(database: Database, unit_id: int, **values) -> None:
    """What another module (the laboratory, release) would have recorded on the unit."""
    with database.sessions() as session, session.begin():
        unit = session.get(Unit, unit_id)
        for key, value in values.items():
            setattr(unit, key, value)


def events(database: Database, unit_id: int) -> list[tuple[str, dict]]:
    with database.sessions() as session:
        rows = session.execute(select(UnitEvent).where(UnitEvent.unit_id == unit_id).order_by(UnitEvent.id))
        return [(row.event, row.detail) for row in rows.scalars()]


def counts(database: Database) -> dict[str, object]:
    """What a refused step must leave untouched."""
    with database.sessions() as session:
        def n(model) -> int:
            return session.scalar(select(func.count()).select_from(model))

        return {
            "units": n(Unit), "events": n(UnitEvent), "links": n(UnitParent), "audit": n(AuditEntry),
            "din_counter": sorted(tuple(row) for row in session.execute(
                select(DinCounter.facility_code, DinCounter.year, DinCounter.last_serial))),
            "statuses": sorted(tuple(row) for row in session.execute(select(Unit.id, Unit.status))),
        }


def end_of_day(moment: datetime, days: int) -> datetime:
    """23:59 UTC on the day `days` after `moment` (the default site clock is UTC)."""
    day = moment.astimezone(timezone.utc).date() + timedelta(days=days)
    return datetime.combine(day, time(23, 59), tzinfo=timezone.utc)
