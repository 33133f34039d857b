"""Choosing the donors an appeal asks, over a register of millions.

The database prefilters through the index on (appeals_opt_in, blood_group,
grid_cell): around each site, rings of grid cells nearest first, opted-in
donors of the groups still short, not asked within the cool-down, until each
group has a short list a couple of times the invitations wanted. Only the short
list is read further, in a handful of batch queries (details and erasure,
invitations of the last 30 days, donations, deferrals) with the ids as one
parameter, and only the short list meets the limits, the contact hours and the
rule engine (`domain.eligibility`, with intervals and age; the day's
measurements are taken at the visit). `benchmarks/appeal_selection.py` times it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from functools import lru_cache

from sqlalchemy import Integer, String, any_, bindparam, func, or_, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import (
    AppealInvitation, Appointment, Deferral, Donation, Donor, DonorErasure, DonorPortalChoice,
)
from bloodbank.domain import appeal_selection as rules
from bloodbank.domain import eligibility, scheduling
from bloodbank.domain.appeal_rules import AppealParameters
from bloodbank.domain.appeal_sizing import by_usefulness
from bloodbank.domain.eligibility import DonationKind, DonorFacts, PastDonation
from bloodbank.service_layer.donors.appointments import HELD

MIN_SHORTLIST = 5


def _among(dialect: str, column):
    """`column IN :ids` with the ids as one parameter (a JSON text on SQLite, an array on PostgreSQL): a short
    list of thousands costs one bound value, not thousands."""
    if dialect == "postgresql":
        return column == any_(bindparam("ids", type_=postgresql.ARRAY(Integer)))
    listed = func.json_each(bindparam("ids", type_=String)).table_valued("value")
    return column.in_(select(listed.c.value))


def _ids(dialect: str, ids: Sequence[int]):
    return list(ids) if dialect == "postgresql" else json.dumps(list(ids))


@lru_cache(maxsize=16)
def _statements(dialect: str) -> dict:
    """The short list's batch reads, built once per database kind: each is then only executed."""
    return {
        "details": select(
            Donor.id, Donor.blood_group, Donor.latitude, Donor.longitude, Donor.last_appealed_at,
            Donor.appeal_monthly_limit, Donor.appeal_contact_from_hour, Donor.appeal_contact_until_hour,
            Donor.appeal_channels, Donor.phone, Donor.email, Donor.date_of_birth, Donor.sex,
            DonorErasure.id.label("erased"), DonorPortalChoice.available_until)
        .outerjoin(DonorErasure, DonorErasure.donor_id == Donor.id)
        .outerjoin(DonorPortalChoice, DonorPortalChoice.donor_id == Donor.id).where(_among(dialect, Donor.id)),
        "invited": select(AppealInvitation.donor_id, AppealInvitation.appeal_id, AppealInvitation.created_at)
        .where(_among(dialect, AppealInvitation.donor_id),
               or_(AppealInvitation.created_at >= bindparam("since"), AppealInvitation.appeal_id == bindparam("appeal"))),
        "merged": select(Donor.id, Donor.merged_into_id).where(_among(dialect, Donor.merged_into_id)),
        "donations": select(Donation.donor_id, Donation.started_at, Donation.kind)
        .where(_among(dialect, Donation.donor_id)),
        "deferrals": select(Deferral.donor_id, Deferral.kind, Deferral.starts_on, Deferral.ends_on)
        .where(_among(dialect, Deferral.donor_id), Deferral.lifted_at.is_(None),
               or_(Deferral.kind == "permanent", Deferral.ends_on >= bindparam("today"))),
        "booked": select(Appointment.donor_id)
        .where(_among(dialect, Appointment.donor_id), Appointment.status.in_(HELD),
               Appointment.starts_at >= bindparam("now")),
    }


def _read(s: Session, name: str, ids: Sequence[int], **values):
    dialect = s.get_bind().dialect.name
    return s.execute(_statements(dialect)[name], {"ids": _ids(dialect, ids), **values})


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
    # Donors are asked at their nearest site: each site's share of the short list.
    sizes = {g: max(MIN_SHORTLIST, math.ceil(wanted.get(g, 0) * params.shortlist_factor / max(len(sites), 1)))
             for g in groups}
    near: set[int] = set()
    for place in sites:
        near.update(_nearest(s, place.site, sizes, cutoff, params))
    # Who said "I can come now" is on the short list wherever they are in reach, not only if among the nearest.
    near.update(_available(s, groups, sites, sizes, cutoff, now, params))
    if not near:
        return []
    ids = sorted(near)
    found = {row.id: row for row in _read(s, "details", ids)}
    invited, this_appeal = _recent_invitations(s, ids, now, appeal_id)
    donations = _donations(s, ids)
    deferred = _deferrals(s, ids, now.date())
    # Someone already booked to come is not asked again: they are coming, and their booking would refuse the
    # appeal's slot on the same day.
    booked = set(_read(s, "booked", ids, now=now).scalars())
    people = []
    for donor_id in ids:
        row = found[donor_id]
        if row.erased is not None or donor_id in this_appeal or donor_id in booked:
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
            last_donation=max((p.date for p in past), default=None), available_until=row.available_until)
        people.append(Person(candidate, row.date_of_birth, row.sex, channel, past, deferred.get(donor_id, ())))
    return people


_PREFILTER = (
    select(Donor.id, Donor.latitude, Donor.longitude)
    .where(Donor.appeals_opt_in.is_(True), Donor.blood_group == bindparam("group"),
           Donor.grid_cell.in_(bindparam("cells", expanding=True)), Donor.merged_into_id.is_(None),
           or_(Donor.last_appealed_at.is_(None), Donor.last_appealed_at < bindparam("cutoff")))
    .limit(bindparam("limit"))
)

@lru_cache(maxsize=256)
def _rings(latitude: float, longitude: float, radius_km: float, degrees: float, width_km: float):
    return rules.rings(latitude, longitude, radius_km, degrees, width_km)


def _nearest(s: Session, site: rules.SiteInReach, sizes: Mapping[str, int], cutoff: datetime,
             params: AppealParameters) -> list[int]:
    """The nearest donors of each group around one site, walking rings of grid cells outwards.

    Each ring is one indexed query per group still short, stopping at the rows it still needs, so a site in
    a town of a dense register reads about its short list, not its radius. The short list is thus the
    nearest to within a ring and a cell (a few km), which the ranking does not look finer than: it rounds
    distances to the km.
    """
    rings = _rings(site.latitude, site.longitude, params.radius_km, params.grid_degrees, params.ring_km)
    found: dict[str, list[tuple[float, int]]] = {g: [] for g in sizes}
    km = rules.flat_km(site.latitude, site.longitude)
    for _, cells in rings:
        short = [g for g in sizes if len(found[g]) < sizes[g]]
        if not short:
            break
        for group in short:
            for donor_id, latitude, longitude in s.execute(
                    _PREFILTER, {"group": group, "cells": cells, "cutoff": cutoff,
                                 "limit": sizes[group] - len(found[group])}):
                d = km(latitude, longitude)
                if d <= params.radius_km:
                    found[group].append((d, donor_id))
    out = []
    for group, near in found.items():
        near.sort(key=lambda item: item[0])
        out += [donor_id for _, donor_id in near[:sizes[group]]]
    return out


_AVAILABLE = (
    select(Donor.id, Donor.latitude, Donor.longitude)
    .join(DonorPortalChoice, DonorPortalChoice.donor_id == Donor.id)
    .where(DonorPortalChoice.available_until > bindparam("now"), Donor.appeals_opt_in.is_(True),
           Donor.blood_group == bindparam("group"), Donor.merged_into_id.is_(None),
           or_(Donor.last_appealed_at.is_(None), Donor.last_appealed_at < bindparam("cutoff")))
    .order_by(DonorPortalChoice.available_until.desc(), Donor.id)
    .limit(bindparam("limit"))
)


def _available(s: Session, groups: Sequence[str], sites: Sequence[SiteForAppeal], sizes: Mapping[str, int],
               cutoff: datetime, now: datetime, params: AppealParameters) -> list[int]:
    """Opted-in donors of the groups whose "I can come now" still holds, in reach of a site. Few say it, and it
    lapses in a day, so a group's read is bounded by its short list's size per site."""
    kms = [rules.flat_km(p.site.latitude, p.site.longitude) for p in sites]
    out = []
    for group in groups:
        limit = sizes.get(group, MIN_SHORTLIST) * max(len(sites), 1)
        for donor_id, latitude, longitude in s.execute(
                _AVAILABLE, {"now": now, "group": group, "cutoff": cutoff, "limit": limit}):
            if latitude is not None and any(km(latitude, longitude) <= params.radius_km for km in kms):
                out.append(donor_id)
    return out


def _channel(row) -> str | None:
    for channel in _channels(row.appeal_channels):
        if channel == "sms" and row.phone or channel == "email" and row.email:
            return channel
    return None


@lru_cache(maxsize=64)
def _channels(text: str | None) -> tuple[str, ...]:
    return tuple(c.strip() for c in (text or "sms,email").split(",") if c.strip())


def _recent_invitations(s: Session, ids: list[int], now: datetime,
                        appeal_id: int | None) -> tuple[dict[int, int], set[int]]:
    """Each donor's invitations of the last 30 days, and who this appeal has already asked (at any time)."""
    counts: dict[int, int] = {}
    asked: set[int] = set()
    since = now - timedelta(days=30)
    for donor_id, appeal, created in _read(s, "invited", ids, since=since, appeal=appeal_id or 0):
        if created >= since:
            counts[donor_id] = counts.get(donor_id, 0) + 1
        if appeal == appeal_id:
            asked.add(donor_id)
    return counts, asked


def _donations(s: Session, ids: list[int]) -> dict[int, tuple[PastDonation, ...]]:
    """Each person's collections, records merged into them included; the day on UTC's clock is close enough for
    a short list, and the booking use case checks the interval again on the site's clock."""
    merged = dict(_read(s, "merged", ids).all())
    owners = {**{i: i for i in ids}, **merged}
    out: dict[int, list[PastDonation]] = {}
    for donor_id, started, kind in _read(s, "donations", list(owners)):
        out.setdefault(owners[donor_id], []).append(PastDonation(date=started.date(), kind=DonationKind(kind)))
    return {k: tuple(v) for k, v in out.items()}


def _deferrals(s: Session, ids: list[int], today: date) -> dict[int, tuple]:
    out: dict[int, list] = {}
    for donor_id, kind, starts, ends in _read(s, "deferrals", ids, today=today):
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
    ranked = rules.rank([p.candidate for p in people], [p.site for p in sites], params.radius_km, today, now)
    hour_at = {site_id: scheduling.to_local(now, place.zone).hour for site_id, place in by_site.items()}
    queue: dict[str, list] = {}
    for candidate, site, distance in ranked:
        local_hour = hour_at[site.site_id]
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
                              rules.reason(candidate, site, distance, slot_day, place.rule_set, now)))
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
