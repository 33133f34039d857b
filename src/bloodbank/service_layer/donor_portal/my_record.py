"""What a donor reads about themselves: number, group once confirmed, donations, and when they may give again.

The next date per kind is the rule engine's own answer to "may I give this on
that day?", from the record alone (intervals, yearly limits, age, deferrals in
force), as booking asks it; a deferral shows as "not before", never its reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Donation, Donor, Site
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import eligibility, scheduling
from bloodbank.domain.eligibility import DeferralRecord, DonationKind
from bloodbank.domain.errors import NotFound
from bloodbank.service_layer.donor_portal.bookings import MyAppointment, mine
from bloodbank.service_layer.donors.appointments import upcoming_for_donor
from bloodbank.service_layer.donors.deferral_lookup import active_deferrals, donor_ids_of_person
from bloodbank.service_layer.donors.readiness import donor_facts
from bloodbank.service_layer.shared.clocks import site_clock, today_on
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class MyDonation:
    donated_on: date
    kind: str
    site_name: str


@dataclass(frozen=True)
class NextDate:
    kind: str
    # The first day from today a donation of this kind may be booked; None: no date can be promised.
    on: date | None


@dataclass(frozen=True)
class MyRecord:
    donor_id: int
    donor_number: str
    given_name: str
    family_name: str
    # Shown once the lab confirmed it, never a first guess.
    blood_group: str | None
    donations: tuple[MyDonation, ...]
    next_dates: tuple[NextDate, ...]
    appointments: tuple[MyAppointment, ...]
    language: str | None


def home_site(s: Session, donor: Donor) -> Site | None:
    """The site whose rules and clock answer the donor's questions: their own, else the first open one."""
    site = s.get(Site, donor.preferred_site_id) if donor.preferred_site_id else None
    if site is None or not site.active:
        site = s.execute(select(Site).where(Site.active.is_(True)).order_by(Site.id).limit(1)).scalar_one_or_none()
    return site


def own_donor(s: Session, donor_id: int) -> Donor:
    donor = s.get(Donor, donor_id)
    if donor is None or donor.erasure is not None:
        raise NotFound(f"No donor with id {donor_id}.")
    return donor


def next_dates(s: Session, donor: Donor, site: Site | None, now: datetime) -> tuple[NextDate, ...]:
    rules = eligibility.load_rule_set(site.rule_set if site else "who")
    today = today_on(site_clock(site), now) if site else now.date()
    deferrals = tuple(DeferralRecord(code=row.code, since=row.starts_on, until=row.ends_on)
                      for row in active_deferrals(s, donor.id, today))
    out = []
    for kind in DonationKind:
        facts = donor_facts(s, donor, on=today, kind=kind.value, deferrals=deferrals)
        decision = eligibility.evaluate_in_advance(facts, rules)
        out.append(NextDate(kind.value, today if decision.eligible else decision.next_eligible_date))
    return tuple(out)


def my_record(uow: UnitOfWork, *, donor_id: int) -> MyRecord:
    now = utcnow()
    with uow:
        s = uow.session
        donor = own_donor(s, donor_id)
        site = home_site(s, donor)
        sites = {site_id: (name, zone) for site_id, name, zone in s.execute(select(Site.id, Site.name, Site.time_zone))}
        rows = s.execute(select(Donation.started_at, Donation.kind, Donation.site_id)
                         .where(Donation.donor_id.in_(donor_ids_of_person(s, donor.id)))
                         .order_by(Donation.started_at.desc())).all()
        donations = tuple(MyDonation(started.astimezone(site_clock_of(sites, site_id)).date(), kind,
                                     sites.get(site_id, ("", "UTC"))[0]) for started, kind, site_id in rows)
        dates = next_dates(s, donor, site, now)
        view = dict(donor_id=donor.id, donor_number=donor.donor_number, given_name=donor.given_name,
                    family_name=donor.family_name,
                    blood_group=donor.blood_group if donor.blood_group_confirmed else None,
                    donations=donations, next_dates=dates, language=donor.language)
    return MyRecord(**view, appointments=tuple(mine(a) for a in upcoming_for_donor(uow.again(), donor_id)))


def site_clock_of(sites: dict, site_id: int):
    return scheduling.zone(sites.get(site_id, ("", "UTC"))[1])
