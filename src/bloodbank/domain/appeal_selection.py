"""Whom an appeal asks: opted in, of a group the gap needs, near a site with free chairs, not asked lately,
inside their contact hours and monthly limit, eligible on the day of their slot; ranked by usefulness,
distance and time since their last donation.

The database narrows a register of millions to a short list with an index on
(appeals_opt_in, blood_group, grid_cell); the grid cell is computed here from
latitude and longitude, so the cells around a site are a short IN list. The
exact distance, the limits and the rule engine then run on the short list only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from bloodbank.domain.appeal_sizing import usefulness

EARTH_KM = 6371.0088
KM_PER_DEGREE = 111.2
_LON_CELLS = 100_000  # cells along a parallel, room for any grid of 0.01 degrees or more


def grid_cell(latitude: float | None, longitude: float | None, degrees: float) -> int | None:
    if latitude is None or longitude is None:
        return None
    row = math.floor((latitude + 90) / degrees)
    column = math.floor((longitude + 180) / degrees)
    return row * _LON_CELLS + column


def cells_within(latitude: float, longitude: float, radius_km: float, degrees: float) -> list[int]:
    """Every cell a point within the radius can fall in: the bounding box's cells."""
    dlat = radius_km / KM_PER_DEGREE
    dlon = radius_km / (KM_PER_DEGREE * max(math.cos(math.radians(min(abs(latitude) + dlat, 89.9))), 0.01))
    rows = range(math.floor((max(-90, latitude - dlat) + 90) / degrees),
                 math.floor((min(90, latitude + dlat) + 90) / degrees) + 1)
    columns = range(math.floor((longitude - dlon + 180) / degrees), math.floor((longitude + dlon + 180) / degrees) + 1)
    return sorted({row * _LON_CELLS + (column % round(360 / degrees)) for row in rows for column in columns})


def cell_distance_km(cell: int, latitude: float, longitude: float, degrees: float) -> float:
    """The distance from a point to the nearest point of a cell (0 inside it)."""
    row, column = divmod(cell, _LON_CELLS)
    south, west = row * degrees - 90, column * degrees - 180
    lat = min(max(latitude, south), south + degrees)
    lon = min(max(longitude, west), west + degrees)
    return distance_km(latitude, longitude, lat, lon)


def rings(latitude: float, longitude: float, radius_km: float, degrees: float,
          width_km: float) -> list[tuple[float, list[int]]]:
    """The cells within the radius in rings of `width_km`, nearest first: (the ring's inner distance, its cells).

    A search that has found enough donors closer than the next ring's inner distance can stop there.
    """
    by_ring: dict[int, list[int]] = {}
    for cell in cells_within(latitude, longitude, radius_km, degrees):
        d = cell_distance_km(cell, latitude, longitude, degrees)
        if d <= radius_km:
            by_ring.setdefault(int(d // width_km), []).append(cell)
    return [(index * width_km, by_ring[index]) for index in sorted(by_ring)]


def flat_km(latitude: float, longitude: float):
    """Distance from one point, on a flat map around it: within a travel radius, off by well under 1 %,
    and a few times cheaper than the great circle, for ranking thousands of donors."""
    x_scale = KM_PER_DEGREE * math.cos(math.radians(latitude))

    def km(lat: float, lon: float) -> float:
        return math.hypot((lat - latitude) * KM_PER_DEGREE, (lon - longitude) * x_scale)
    return km


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(a)))


def within_contact_hours(local_hour: int, from_hour: int, until_hour: int) -> bool:
    """Hours [from, until) on the donor's clock; a window past midnight (22 to 7) wraps."""
    if from_hour == until_hour:
        return False
    if from_hour < until_hour:
        return from_hour <= local_hour < until_hour
    return local_hour >= from_hour or local_hour < until_hour


@dataclass(frozen=True)
class SiteInReach:
    site_id: int
    code: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Candidate:
    donor_id: int
    group: str
    latitude: float
    longitude: float
    last_appealed_at: datetime | None = None
    appeals_last_30_days: int = 0
    monthly_limit: int | None = None
    contact_from_hour: int | None = None
    contact_until_hour: int | None = None
    last_donation: date | None = None
    # "I can come now", said on the donor's page, holds until this instant; None: not said.
    available_until: datetime | None = None


def available_now(candidate: Candidate, now: datetime) -> bool:
    return candidate.available_until is not None and candidate.available_until > now


@dataclass(frozen=True)
class Limits:
    radius_km: float
    cooldown_days: float
    monthly_limit: int
    contact_from_hour: int
    contact_until_hour: int


@dataclass(frozen=True)
class Choice:
    candidate: Candidate
    site: SiteInReach
    distance_km: float
    reason: str


def nearest_site(candidate: Candidate, sites: Iterable[SiteInReach], radius_km: float) -> tuple[SiteInReach, float] | None:
    best = None
    for site in sites:
        d = _site_km(site)(candidate.latitude, candidate.longitude)
        if d <= radius_km and (best is None or d < best[1]):
            best = (site, d)
    return best


def _site_km(site: SiteInReach):
    return _flat_km_cached(site.latitude, site.longitude)


@lru_cache(maxsize=256)
def _flat_km_cached(latitude: float, longitude: float):
    return flat_km(latitude, longitude)


def refusal(candidate: Candidate, *, now: datetime, local_hour: int, wanted: Iterable[str], limits: Limits) -> str | None:
    """Why this donor may not be asked now (None: they may).

    "I can come now" changes none of it: it moves a donor up the queue, never past a limit. Not even past their
    quiet hours: those are a standing wish, the switch lasts a day and a night, and a donor woken at three in the
    morning by a mass message is a donor lost. Staff who judge a night's need worth it call them in person from the
    list of donors who can come now.
    """
    if candidate.group not in set(wanted):
        return "group not needed"
    if candidate.last_appealed_at is not None and now - candidate.last_appealed_at < timedelta(days=limits.cooldown_days):
        return "asked recently"
    if candidate.appeals_last_30_days >= (candidate.monthly_limit or limits.monthly_limit):
        return "monthly limit reached"
    start = limits.contact_from_hour if candidate.contact_from_hour is None else candidate.contact_from_hour
    end = limits.contact_until_hour if candidate.contact_until_hour is None else candidate.contact_until_hour
    if not within_contact_hours(local_hour, start, end):
        return "outside contact hours"
    return None


def rank_key(candidate: Candidate, distance: float, today: date, now: datetime | None = None) -> tuple:
    """Most useful group first; within a group, who said "I can come now" (as of `now`) first; then nearer (to the
    kilometre), then longest since their last donation."""
    since = (today - candidate.last_donation).days if candidate.last_donation else 100_000
    ready = now is not None and available_now(candidate, now)
    return (-usefulness(candidate.group), not ready, round(distance), -since, candidate.donor_id)


def rank(candidates: Iterable[Candidate], sites: Sequence[SiteInReach], radius_km: float,
         today: date, now: datetime | None = None) -> list[tuple[Candidate, SiteInReach, float]]:
    placed = []
    for candidate in candidates:
        found = nearest_site(candidate, sites, radius_km)
        if found is not None:
            placed.append((candidate, found[0], found[1]))
    placed.sort(key=lambda item: rank_key(item[0], item[2], today, now))
    return placed


def reason(candidate: Candidate, site: SiteInReach, distance: float, slot_day: date, rule_set: str,
           now: datetime | None = None) -> str:
    last = f"last gave {candidate.last_donation.isoformat()}" if candidate.last_donation else "no donation on record"
    ready = "; said they can come now" if now is not None and available_now(candidate, now) else ""
    return (f"{candidate.group} for the {candidate.group} gap; {distance:.1f} km from {site.code}; {last}; "
            f"eligible on {slot_day.isoformat()} ({rule_set} rules); opted in to appeals{ready}")
