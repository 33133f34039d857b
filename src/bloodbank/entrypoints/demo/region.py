"""A demo region: sites, synthetic donors with histories, upcoming appointments, and blood.

Histories (past visits, consents, donations, deferrals) are written in bulk:
they describe the past, so no use case could produce them today. Every donor
still gets its own audit entry, and the whole load one more, so the chain
says where the demo data came from. Upcoming appointments go through the
booking use case, capacity checks included. The blood side (stock, hospitals,
patients, orders) is `demo_blood`'s.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, insert, select, update

from bloodbank.adapters.db.models import Consent, Deferral, DinCounter, Donation, Donor, Visit
from bloodbank.config import get_settings
from bloodbank.domain import isbt128
from bloodbank.domain.donor_numbers import new_donor_number
from bloodbank.domain.errors import DomainError
from bloodbank.entrypoints.demo import blood as demo_blood
from bloodbank.service_layer.donors import appointments, sites
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.simulation.population import Person, generate

DEMO_ACTOR = "demo-loader"
# Fictitious facility codes: ISBT 128 FINs are assigned by ICCBBA, and a real
# service must use its own.
WEEKDAYS = {d: ["08:00", "16:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
DEMO_SITES = [
    dict(code="DERBY", name="Derby Donor Centre", kind="fixed", facility_code="Z0001",
         address="Bradshaw Way, Derby", latitude=52.9180, longitude=-1.4730, chairs=8,
         opening_hours={**WEEKDAYS, "sat": ["09:00", "13:00"]}),
    dict(code="NOTTM", name="Nottingham Donor Centre", kind="fixed", facility_code="Z0002",
         address="Hucknall Road, Nottingham", latitude=52.9690, longitude=-1.1650, chairs=10,
         opening_hours={**WEEKDAYS, "thu": [["08:00", "12:00"], ["13:00", "20:00"]]}),
    dict(code="CHEST", name="Chesterfield Donor Centre", kind="fixed", facility_code="Z0003",
         address="Saltergate, Chesterfield", latitude=53.2370, longitude=-1.4290, chairs=4,
         opening_hours=WEEKDAYS),
    dict(code="ASHBN", name="Ashbourne Town Hall (mobile)", kind="mobile", facility_code="Z0004",
         address="Market Place, Ashbourne", latitude=53.0160, longitude=-1.7310, chairs=6,
         opening_hours={"tue": ["13:00", "19:30"], "wed": ["09:30", "15:30"]}),
    dict(code="CAMPUS", name="University Park (mobile)", kind="mobile", facility_code="Z0005",
         address="University Park, Nottingham", latitude=52.9380, longitude=-1.1950, chairs=6,
         opening_hours={"mon": ["10:00", "16:00"], "thu": ["10:00", "16:00"]}),
]
# UK donor selection guidelines (JPAC): tattoo 4 months, malaria-area visit 12 months.
DEFERRAL_DAYS = {"tattoo": 4 * 30 + 2, "malaria_area_travel": 365}


@dataclass(frozen=True)
class DemoSummary:
    sites_created: int
    donors: int
    donations: int
    deferrals: int
    appointments: int
    blood: demo_blood.BloodSummary = field(default_factory=demo_blood.BloodSummary)


def has_donors(uow: UnitOfWork) -> bool:
    with uow:
        return uow.session.execute(select(func.count()).select_from(Donor)).scalar_one() > 0


def load_demo(make_uow: Callable[[], UnitOfWork], *, donors: int = 5000, seed: int = 2026,
              appointments_per_site_day: int = 6, progress: Callable[[str, int], None] | None = None,
              today: date | None = None, blood: bool = True) -> DemoSummary:
    tick = progress or (lambda _step, _n: None)
    today = today or datetime.now(timezone.utc).date()
    site_views, created = _ensure_sites(make_uow)
    with make_uow() as uow:
        # Adding to an existing region gives new people, not copies of the first ones.
        existing = uow.session.execute(select(func.count()).select_from(Donor)).scalar_one()
        first_donor_id = (uow.session.execute(select(func.max(Donor.id))).scalar_one() or 0) + 1
    people = generate(donors, seed=seed + existing, today=today,
                      sites=[(s.latitude, s.longitude) for s in site_views])
    totals = {"donations": 0, "deferrals": 0}
    for start in range(0, len(people), 500):
        batch = people[start:start + 500]
        counts = _write_batch(make_uow, batch, site_views, today)
        totals["donations"] += counts[0]
        totals["deferrals"] += counts[1]
        tick("donors", len(batch))
    booked = _book_upcoming(make_uow, site_views, today, appointments_per_site_day, seed, tick)
    stock = demo_blood.load_blood(make_uow, site_views=site_views, first_donor_id=first_donor_id,
                                  donors=len(people), seed=seed + existing, tick=tick) if blood else None
    summary = DemoSummary(created, len(people), totals["donations"], totals["deferrals"], booked,
                          stock or demo_blood.BloodSummary())
    with make_uow() as uow:
        uow.audit("load", "demo_data", None, new=asdict(summary), reason="synthetic demo region, seed %d" % seed)
        uow.commit()
    return summary


def _ensure_sites(make_uow) -> tuple[list[sites.SiteView], int]:
    have = {s.code: s for s in sites.list_sites(make_uow())}
    created = 0
    for spec in DEMO_SITES:
        if spec["code"] not in have:
            have[spec["code"]] = sites.create_site(make_uow(), rule_set="uk", **spec)
            created += 1
    return [have[spec["code"]] for spec in DEMO_SITES], created


def _write_batch(make_uow, people: list[Person], site_views, today: date) -> tuple[int, int]:
    with make_uow() as uow:
        s = uow.session
        donor_rows = [_donor_row(p, site_views) for p in people]
        ids = s.execute(insert(Donor).returning(Donor.id, sort_by_parameter_order=True), donor_rows).scalars().all()
        s.execute(update(Donor), [{"id": i, "donor_number": new_donor_number(i)} for i in ids])
        for donor_id, row in zip(ids, donor_rows):
            row = {**row, "donor_number": new_donor_number(donor_id)}
            uow.audit("create", "donor", donor_id, new=row, reason="demo data")
        donations = _write_histories(s, list(zip(ids, people)), site_views)
        deferrals = _write_deferrals(s, list(zip(ids, people)), today)
        uow.commit()
    return donations, deferrals


def _donor_row(p: Person, site_views) -> dict:
    return dict(
        donor_number=f"new-{uuid.uuid4().hex[:16]}", given_name=p.given_name, family_name=p.family_name,
        date_of_birth=p.date_of_birth, sex=p.sex, phone=p.phone, email=p.email, address=p.address,
        postcode=p.postcode, latitude=p.latitude, longitude=p.longitude,
        # The group is known once the lab has typed a first donation.
        blood_group=str(p.blood_group) if p.donation_dates else None,
        preferred_site_id=site_views[p.home_site].id, appeals_opt_in=p.appeals_opt_in,
    )


def _write_histories(s, pairs, site_views) -> int:
    visits, plans = [], []
    for donor_id, p in pairs:
        site = site_views[p.home_site]
        for day in p.donation_dates:
            at = datetime.combine(day, time(10, 0), tzinfo=timezone.utc)
            visits.append(dict(
                donor_id=donor_id, site_id=site.id, status="collected", kind="whole_blood",
                checked_in_at=at, checked_in_by=DEMO_ACTOR, rule_set=site.rule_set, questionnaire={},
                weight_kg=60 + (donor_id % 40), hemoglobin_g_dl=13.8 if p.sex == "M" else 13.1,
                systolic=125, diastolic=80, pulse=70, temperature_c=36.6, eligible=True,
                decision_reasons=[], screened_at=at, screened_by=DEMO_ACTOR,
            ))
            plans.append((donor_id, site, at))
    if not visits:
        return 0
    visit_ids = s.execute(insert(Visit).returning(Visit.id, sort_by_parameter_order=True), visits).scalars().all()
    version = get_settings().consent_text_version
    s.execute(insert(Consent), [
        dict(visit_id=v, donor_id=d, text_version=version, given_at=at, recorded_by=DEMO_ACTOR)
        for v, (d, _site, at) in zip(visit_ids, plans)
    ])
    serials = _SerialBook(s)
    s.execute(insert(Donation), [
        _donation_row(v, d, site, at, serials.next(site.facility_code, at.year))
        for v, (d, site, at) in zip(visit_ids, plans)
    ])
    serials.save()
    return len(visit_ids)


def _donation_row(visit_id, donor_id, site, at, serial) -> dict:
    din = isbt128.make_din(site.facility_code, at.year % 100, serial)
    return dict(
        din=str(din), facility_code=site.facility_code, din_year=at.year, serial=serial, visit_id=visit_id,
        donor_id=donor_id, site_id=site.id, kind="whole_blood", bag_type="quadruple", bag_lot="DEMO-LOT-1",
        phlebotomist=DEMO_ACTOR, planned_volume_ml=450, volume_ml=450 + (serial % 30) - 15,
        started_at=at, ended_at=at + timedelta(minutes=9), status="complete",
    )


class _SerialBook:
    """Serials for bulk history, continuing the live counters so no DIN is ever reused."""

    def __init__(self, session):
        self.s = session
        self.last = {(c.facility_code, c.year): c.last_serial for c in session.execute(select(DinCounter)).scalars()}
        self.touched: set[tuple[str, int]] = set()

    def next(self, facility: str, year: int) -> int:
        key = (facility, year)
        self.last[key] = self.last.get(key, 0) + 1
        self.touched.add(key)
        return self.last[key]

    def save(self) -> None:
        for facility, year in self.touched:
            row = self.s.get(DinCounter, (facility, year))
            if row is None:
                self.s.add(DinCounter(facility_code=facility, year=year, last_serial=self.last[(facility, year)]))
            else:
                row.last_serial = self.last[(facility, year)]
        self.s.flush()


def _write_deferrals(s, pairs, today: date) -> int:
    rows = [
        dict(donor_id=donor_id, code=code, kind="temporary", reason="declared at screening (demo data)",
             starts_on=since, ends_on=since + timedelta(days=DEFERRAL_DAYS[code]), decided_by=DEMO_ACTOR)
        for donor_id, p in pairs if p.deferral
        for code, since in [p.deferral]
    ]
    if rows:
        s.execute(insert(Deferral), rows)
    return len(rows)


def _book_upcoming(make_uow, site_views, today: date, per_site_day: int, seed: int, tick) -> int:
    """Book returning donors into the next two weeks, through the booking use case."""
    rng = random.Random(seed)
    with make_uow() as uow:
        candidates = uow.session.execute(
            select(Donor.id, Donor.preferred_site_id).where(Donor.blood_group.is_not(None))
            .order_by(Donor.id)
        ).all()
    by_site: dict[int, list[int]] = {}
    for donor_id, site_id in candidates:
        by_site.setdefault(site_id, []).append(donor_id)
    booked = 0
    for site in site_views:
        pool = by_site.get(site.id, [])
        rng.shuffle(pool)
        for offset in range(1, 15):
            day = today + timedelta(days=offset)
            free = [slot for slot in appointments.available_slots(make_uow(), site_id=site.id, on=day) if slot.free]
            for slot in rng.sample(free, min(per_site_day, len(free))):
                if not pool:
                    break
                try:
                    appointments.book(make_uow(), donor_id=pool.pop(), site_id=site.id, starts_at=slot.starts_at)
                    booked += 1
                except DomainError:
                    continue  # e.g. a donor deferred meanwhile: the demo simply books someone else
        tick("appointments", 1)
    return booked
