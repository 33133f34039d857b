"""A demo region: sites, synthetic donors with histories, upcoming appointments, and blood.

Everything is written through use cases. The donors come with their past
(visits, consents, donations, deferrals) through the donor history import,
as a blood service moving from another system would bring its own: each
donor gets an audit entry listing the DINs of its past donations, and each
batch one more naming the demo as its source. Upcoming appointments go
through the booking use case, capacity and eligibility checks included. The
blood side (stock, hospitals, patients, orders) is `demo_blood`'s.

The demo remembers what it created (the import returns the ids): it offers
slots only to donors it knows may give that day, and hands its donors to the
blood side instead of reading them back.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from bloodbank.domain.errors import DomainError
from bloodbank.entrypoints.demo import blood as demo_blood
from bloodbank.entrypoints.demo.incidents import load_past_incident
from bloodbank.entrypoints.demo.field_hospital import load_field_hospital
from bloodbank.entrypoints.demo.panel import load_panel
from bloodbank.service_layer.donors import appointments, history_import, search, sites
from bloodbank.service_layer.donors.history_import import ImportedDonor, Measurements, PastDeferral, PastDonation
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.simulation.population import Person, generate

DEMO_ACTOR = "demo-loader"
# Fictitious facility codes: ISBT 128 FINs are assigned by ICCBBA, and a real
# service must use its own.
WEEKDAYS = {d: ["08:00", "16:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
# The demo region is the English East Midlands: its sites keep British time, summer time included.
DEMO_TIME_ZONE = "Europe/London"
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
    return search.find_donors(uow, limit=1).total > 0


def load_demo(make_uow: Callable[[], UnitOfWork], *, donors: int = 5000, seed: int = 2026,
              appointments_per_site_day: int = 6, progress: Callable[[str, int], None] | None = None,
              today: date | None = None, blood: bool = True) -> DemoSummary:
    tick = progress or (lambda _step, _n: None)
    today = today or datetime.now(timezone.utc).date()
    site_views, created = _ensure_sites(make_uow)
    # Adding to an existing region gives new people, not copies of the first ones.
    existing = search.count_donors(make_uow())
    people = generate(donors, seed=seed + existing, today=today,
                      sites=[(s.latitude, s.longitude) for s in site_views])
    made: list[demo_blood.DemoDonor] = []
    for start in range(0, len(people), 500):
        batch = people[start:start + 500]
        made += _import_batch(make_uow, batch, site_views, seed)
        tick("donors", len(batch))
    booked = _book_upcoming(make_uow, made, site_views, today, appointments_per_site_day, seed, tick)
    stock = demo_blood.load_blood(make_uow, site_views=site_views, donors=made, booked=booked,
                                  seed=seed + existing, tick=tick) if blood else None
    if blood:
        load_past_incident(make_uow, site_views[0].id)
        load_panel(make_uow, site_views[0].id, made)
        load_field_hospital(make_uow, site_views[0].id, made)
    return DemoSummary(created, len(people), sum(len(d.donations) for d in made),
                       sum(d.deferred_until is not None for d in made), len(booked),
                       stock or demo_blood.BloodSummary())


def _ensure_sites(make_uow) -> tuple[list[sites.SiteView], int]:
    have = {s.code: s for s in sites.list_sites(make_uow())}
    created = 0
    for spec in DEMO_SITES:
        if spec["code"] not in have:
            have[spec["code"]] = sites.create_site(make_uow(), rule_set="uk", time_zone=DEMO_TIME_ZONE, **spec)
            created += 1
    return [have[spec["code"]] for spec in DEMO_SITES], created


def _import_batch(make_uow, people: list[Person], site_views, seed: int) -> list[demo_blood.DemoDonor]:
    imported = history_import.import_donors(make_uow(), [_imported(p, site_views) for p in people],
                                            source=f"synthetic demo region, seed {seed}")
    return [
        demo_blood.DemoDonor(
            donor_id=ids.donor_id, sex=p.sex, site=site_views[p.home_site],
            blood_group=str(p.blood_group) if p.donation_dates else None,
            donations=tuple(zip(ids.donation_ids, (_needle_in(day) for day in p.donation_dates))),
            deferred_until=_deferral(p).ends_on if p.deferral else None,
        )
        for p, ids in zip(people, imported)
    ]


def _imported(p: Person, site_views) -> ImportedDonor:
    site = site_views[p.home_site]
    return ImportedDonor(
        given_name=p.given_name, family_name=p.family_name, date_of_birth=p.date_of_birth, sex=p.sex,
        phone=p.phone, email=p.email, address=p.address, postcode=p.postcode, latitude=p.latitude,
        longitude=p.longitude, preferred_site_id=site.id, appeals_opt_in=p.appeals_opt_in,
        # The group is known once the lab has typed a first donation.
        blood_group=str(p.blood_group) if p.donation_dates else None,
        donations=tuple(_past_donation(p, site.id, n, day) for n, day in enumerate(p.donation_dates)),
        deferrals=(_deferral(p),) if p.deferral else (),
    )


def _needle_in(day: date) -> datetime:
    return datetime.combine(day, time(10, 0), tzinfo=timezone.utc)


def _past_donation(p: Person, site_id: int, n: int, day: date) -> PastDonation:
    # Varied a little, and the same for the same seed.
    spread = (p.date_of_birth.toordinal() + n) % 30
    return PastDonation(
        site_id=site_id, needle_in=_needle_in(day), volume_ml=435 + spread, bag_type="quadruple",
        bag_lot="DEMO-LOT-1", minutes=9,
        measurements=Measurements(weight_kg=60 + p.date_of_birth.toordinal() % 40,
                                  hemoglobin_g_dl=13.8 if p.sex == "M" else 13.1,
                                  systolic=125, diastolic=80, pulse=70, temperature_c=36.6),
    )


def _deferral(p: Person) -> PastDeferral:
    code, since = p.deferral
    return PastDeferral(code=code, kind="temporary", starts_on=since,
                        ends_on=since + timedelta(days=DEFERRAL_DAYS[code]),
                        reason="declared at screening (demo data)")


def _book_upcoming(make_uow, donors: list[demo_blood.DemoDonor], site_views, today: date, per_site_day: int,
                   seed: int, tick) -> set[int]:
    """Book returning donors of this load into the next two weeks, through the booking use case."""
    rng = random.Random(seed)
    by_site: dict[int, list[demo_blood.DemoDonor]] = {}
    for donor in sorted(donors, key=lambda d: d.donor_id):
        if donor.blood_group is not None:
            by_site.setdefault(donor.site.id, []).append(donor)
    booked: set[int] = set()
    for site in site_views:
        pool = by_site.get(site.id, [])
        rng.shuffle(pool)
        for offset in range(1, 15):
            day = today + timedelta(days=offset)
            free = [slot for slot in appointments.available_slots(make_uow(), site_id=site.id, on=day) if slot.free]
            for slot in rng.sample(free, min(per_site_day, len(free))):
                donor = _next_who_may_give(pool, day)
                if donor is None:
                    break
                try:
                    appointments.book(make_uow(), donor_id=donor.donor_id, site_id=site.id, starts_at=slot.starts_at)
                    booked.add(donor.donor_id)
                except DomainError:
                    continue  # the booking's own checks said no: the demo simply books someone else
        tick("appointments", 1)
    return booked


def _next_who_may_give(pool: list[demo_blood.DemoDonor], day: date) -> demo_blood.DemoDonor | None:
    # Booking someone too soon after their last donation would only be refused.
    for i in range(len(pool) - 1, -1, -1):
        if pool[i].may_give(day):
            return pool.pop(i)
    return None
