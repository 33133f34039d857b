"""Choosing the donors an appeal asks, over a register of millions.

The database prefilters through the index on (appeals_opt_in, blood_group,
grid_cell): for each needed group and each site, opted-in donors in the grid
cells around the site, not asked within the cool-down, nearest first, a short
list a few times the invitations wanted. Only the short list is read further,
in a handful of batch queries (invitations of the last 30 days, donations,
deferrals, erasures), and only the short list meets the limits, the contact
hours and the rule engine (`domain.eligibility`, with intervals and age; the
day's measurements are taken at the visit).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import AppealInvitation, Deferral, Donation, Donor, DonorErasure
from bloodbank.domain import appeal_selection as rules
from bloodbank.domain import eligibility, scheduling
from bloodbank.domain.appeal_rules import AppealParameters
from bloodbank.domain.appeal_sizing import by_usefulness
from bloodbank.domain.eligibility import DonationKind, DonorFacts, PastDonation

MIN_SHORTLIST = 20


@dataclass(frozen=True)
class SiteForAppeal:
    site: rules.SiteInReach
    rule_set: str
    zone: tzinfo
    first_day: date  # the first day invitations book, on the site's clock


@dataclass(frozen=True)
class Person:
    candidate: rules.Candidate
    date_of_birth: date
    sex: str
    channel: str | None  # the first of the donor's channels with an address on file
    donations: tuple[PastDonation, ...]
    deferred: tuple[tuple[date, date | None], ...]  # active deferrals (from, until or None for good)


@dataclass(frozen=True)
class Pick:
    donor_id: int
    group: str
    site_id: int
    day: date
    channel: str
    reason: str


def shortlist(s: Session, *, groups: Sequence[str], sites: Sequence[SiteForAppeal], wanted: Mapping[str, int],
              params: AppealParameters, now: datetime, appeal_id: int | None = None) -> list[Person]:
    """Everyone the database offers for the groups, read in batches: the rule engine's input."""
    cutoff = now - timedelta(days=params.cooldown_days)
    found: dict[int, tuple] = {}
    for group in groups:
        # Donors are asked at their nearest site: each site's share of the short list.
        size = max(MIN_SHORTLIST, math.ceil(wanted.get(group, 0) * params.shortlist_factor / max(len(sites), 1)))
        for place in sites:
            for row in s.execute(_prefilter(place.site, group, size, cutoff, params)).all():
                found.setdefault(row.id, row)
    if not found:
        return []
    ids = sorted(found)
    invited = _recent_invitations(s, ids, now, appeal_id)
    donations = _donations(s, ids)
    deferred = _deferrals(s, ids, now.date())
    erased = set(s.execute(select(DonorErasure.donor_id).where(DonorErasure.donor_id.in_(ids))).scalars())
    people = []
    for donor_id in ids:
        row = found[donor_id]
        if donor_id in erased or donor_id in invited.get("this appeal", set()):
            continue
        channel = _channel(row)
        if channel is None or row.date_of_birth is None:
            continue
        past = donations.get(donor_id, ())
        candidate = rules.Candidate(
            donor_id=donor_id, group=row.blood_group, latitude=row.latitude, longitude=row.longitude,
            last_appealed_at=row.last_appealed_at, appeals_last_30_days=invited.get(donor_id, 0),
            monthly_limit=row.appeal_monthly_limit, contact_from_hour=row.appeal_contact_from_hour,
            contact_until_hour=row.appeal_contact_until_hour,
            last_donation=max((p.date for p in past), default=None))
        people.append(Person(candidate, row.date_of_birth, row.sex, channel, past, deferred.get(donor_id, ())))
    return people


def _prefilter(site: rules.SiteInReach, group: str, size: int, cutoff: datetime, params: AppealParameters):
    cells = rules.cells_within(site.latitude, site.longitude, params.radius_km, params.grid_degrees)
    stretch = math.cos(math.radians(site.latitude)) ** 2
    # Squared distance on a flat map: good enough to order the few cells around one site.
    near = ((Donor.latitude - site.latitude) * (Donor.latitude - site.latitude)
            + (Donor.longitude - site.longitude) * (Donor.longitude - site.longitude) * stretch)
    return (select(Donor.id, Donor.blood_group, Donor.latitude, Donor.longitude, Donor.last_appealed_at,
                   Donor.appeal_monthly_limit, Donor.appeal_contact_from_hour, Donor.appeal_contact_until_hour,
                   Donor.appeal_channels, Donor.phone, Donor.email, Donor.date_of_birth, Donor.sex)
            .where(Donor.appeals_opt_in.is_(True), Donor.blood_group == group, Donor.grid_cell.in_(cells),
                   Donor.merged_into_id.is_(None),
                   or_(Donor.last_appealed_at.is_(None), Donor.last_appealed_at < cutoff))
            .order_by(near).limit(size))


def _channel(row) -> str | None:
    order = [c.strip() for c in (row.appeal_channels or "sms,email").split(",") if c.strip()]
    for channel in order:
        if channel == "sms" and row.phone or channel == "email" and row.email:
            return channel
    return None


def _recent_invitations(s: Session, ids: list[int], now: datetime, appeal_id: int | None) -> dict:
    out: dict = dict(s.execute(
        select(AppealInvitation.donor_id, func.count())
        .where(AppealInvitation.donor_id.in_(ids), AppealInvitation.created_at >= now - timedelta(days=30))
        .group_by(AppealInvitation.donor_id)).all())
    if appeal_id is not None:
        out["this appeal"] = set(s.execute(select(AppealInvitation.donor_id).where(
            AppealInvitation.appeal_id == appeal_id, AppealInvitation.donor_id.in_(ids))).scalars())
    return out


def _donations(s: Session, ids: list[int]) -> dict[int, tuple[PastDonation, ...]]:
    """Each person's collections, records merged into them included; the day on UTC's clock is close enough for
    a short list, and the booking use case checks the interval again on the site's clock."""
    merged = dict(s.execute(select(Donor.id, Donor.merged_into_id).where(Donor.merged_into_id.in_(ids))).all())
    owners = {**{i: i for i in ids}, **merged}
    out: dict[int, list[PastDonation]] = {}
    for donor_id, started, kind in s.execute(
            select(Donation.donor_id, Donation.started_at, Donation.kind).where(Donation.donor_id.in_(list(owners)))):
        out.setdefault(owners[donor_id], []).append(PastDonation(date=started.date(), kind=DonationKind(kind)))
    return {k: tuple(v) for k, v in out.items()}


def _deferrals(s: Session, ids: list[int], today: date) -> dict[int, tuple]:
    out: dict[int, list] = {}
    for donor_id, kind, starts, ends in s.execute(
            select(Deferral.donor_id, Deferral.kind, Deferral.starts_on, Deferral.ends_on)
            .where(Deferral.donor_id.in_(ids), Deferral.lifted_at.is_(None),
                   or_(Deferral.kind == "permanent", Deferral.ends_on >= today))):
        out.setdefault(donor_id, []).append((starts, None if kind == "permanent" else ends))
    return {k: tuple(v) for k, v in out.items()}


def may_give_on(person: Person, day: date, rule_set: str) -> bool:
    if any(starts <= day and (ends is None or day <= ends) for starts, ends in person.deferred):
        return False
    facts = DonorFacts(on=day, date_of_birth=person.date_of_birth, sex=person.sex,  # type: ignore[arg-type]
                       weight_kg=None, hemoglobin_g_dl=None, systolic=None, diastolic=None, pulse=None,
                       temperature_c=None, first_time=not person.donations, kind=DonationKind.WHOLE_BLOOD,
                       donations=person.donations)
    return eligibility.evaluate_in_advance(facts, eligibility.load_rule_set(rule_set)).eligible


def choose(people: Sequence[Person], *, quotas: Mapping[tuple[str, date], int], sites: Sequence[SiteForAppeal],
           room: dict[tuple[int, date], int], params: AppealParameters, now: datetime,
           unplaced: Mapping[str, int] | None = None) -> list[Pick]:
    """Fill each day's quota of each group, most useful group first, with the best-ranked donors who may be
    asked now, may give that day, and whose nearest site still has room that day."""
    by_site = {p.site.site_id: p for p in sites}
    limits = rules.Limits(radius_km=params.radius_km, cooldown_days=params.cooldown_days,
                          monthly_limit=int(params.monthly_limit), contact_from_hour=int(params.contact_from_hour),
                          contact_until_hour=int(params.contact_until_hour))
    wanted = {g for g, _ in quotas} | {g for g, n in (unplaced or {}).items() if n > 0}
    person_of = {p.candidate.donor_id: p for p in people}
    today = now.date()
    ranked = rules.rank([p.candidate for p in people], [p.site for p in sites], params.radius_km, today)
    queue: dict[str, list] = {}
    for candidate, site, distance in ranked:
        local_hour = scheduling.to_local(now, by_site[site.site_id].zone).hour
        if rules.refusal(candidate, now=now, local_hour=local_hour, wanted=wanted, limits=limits) is None:
            queue.setdefault(candidate.group, []).append((candidate, site, distance))
    picks: list[Pick] = []
    taken: set[int] = set()
    days = sorted({d for _, d in quotas})

    def fill(group: str, day: date, want: int) -> int:
        for candidate, site, distance in queue.get(group, []):
            if want <= 0:
                break
            place = by_site[site.site_id]
            slot_day = max(day, place.first_day)
            if candidate.donor_id in taken or room.get((site.site_id, slot_day), 0) <= 0:
                continue
            person = person_of[candidate.donor_id]
            if not may_give_on(person, slot_day, place.rule_set):
                continue
            taken.add(candidate.donor_id)
            room[(site.site_id, slot_day)] -= 1
            want -= 1
            picks.append(Pick(candidate.donor_id, group, site.site_id, slot_day, person.channel,
                              rules.reason(candidate, site, distance, slot_day, place.rule_set)))
        return want

    short: dict[str, int] = dict(unplaced or {})
    for day in days:
        for group in by_usefulness({g for g, d in quotas if d == day}):
            left = fill(group, day, quotas[(group, day)])
            if left:
                short[group] = short.get(group, 0) + left
    # Chairs a group could not fill (too few of its donors in reach) go to the groups the plan left short, so
    # the total per group never exceeds what the plan sized.
    for day in days:
        for group in by_usefulness(g for g, n in short.items() if n > 0):
            short[group] = fill(group, day, short[group])
    return picks
