"""Stock arithmetic and cold-chain rules: ages, days of supply, expiring soon, excursions.

Pure functions over plain values; the service layer feeds them rows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, time, timedelta
from types import MappingProxyType

from bloodbank.domain import components
from bloodbank.domain.components import ComponentKind
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.messages import N_

# Days since collection (collection day = day 0, as for expiry). Weekly bands
# show at a glance whether red cells are being used in age order.
AGE_BUCKETS: tuple[tuple[int, int | None, str], ...] = (
    (0, 7, "0-7"),
    (8, 14, "8-14"),
    (15, 21, "15-21"),
    (22, 28, "22-28"),
    (29, None, "29+"),
)
AGE_LABELS = tuple(label for _, _, label in AGE_BUCKETS)

# Mean daily use is averaged over four weeks: long enough to smooth the
# weekly cycle of elective surgery, short enough to follow a change in demand.
USE_WINDOW_DAYS = 28

# How close to expiry a unit is listed as "use first". A local operational
# choice, not a regulatory figure: a few days for red cells and whole blood
# (35-42 day shelf life), one day for platelets (5-7 days), a month for
# frozen components (1-3 years). Change here to suit the site's turnover.
EXPIRING_SOON: Mapping[ComponentKind, timedelta] = MappingProxyType({
    ComponentKind.WHOLE_BLOOD: timedelta(days=3),
    ComponentKind.LTOWB: timedelta(days=3),
    ComponentKind.RED_CELLS: timedelta(days=3),
    ComponentKind.PLATELETS_APHERESIS: timedelta(days=1),
    ComponentKind.PLATELETS_POOLED: timedelta(days=1),
    ComponentKind.PLATELET_CONCENTRATE: timedelta(days=1),  # to pool first
    ComponentKind.PLASMA: timedelta(days=30),
    ComponentKind.CRYO: timedelta(days=30),
})

# Site.rule_set names the eligibility rules; shelf lives and storage ranges use
# the matching component regime.
_REGIME_OF_RULE_SET = MappingProxyType({"who": "who", "eu": "eu", "uk": "uk", "us-fda": "us"})


def regime_for(rule_set: str) -> str:
    try:
        return _REGIME_OF_RULE_SET[rule_set]
    except KeyError:
        raise InvalidInput(f"The site's rule set '{rule_set}' has no component regime: expected one of "
                           f"{', '.join(_REGIME_OF_RULE_SET)}.") from None


def age_days(collected_at: datetime, now: datetime) -> int:
    """Whole calendar days since collection, collection day being day 0 (never negative)."""
    return max(0, (now.date() - collected_at.astimezone(now.tzinfo).date()).days)


def age_bucket(days: int) -> str:
    if days < 0:
        raise InvalidInput("A unit's age cannot be negative.")
    for low, high, label in AGE_BUCKETS:
        if days >= low and (high is None or days <= high):
            return label
    raise AssertionError("AGE_BUCKETS cover every age")  # pragma: no cover


def age_bucket_starts(now: datetime) -> tuple[tuple[str, datetime | None], ...]:
    """Each age band with the earliest collection time it holds (None: no limit), youngest band first.

    The same calendar-day ages as `age_days`, as instants a database can compare collection times with.
    """
    midnight = datetime.combine(now.date(), time(0), tzinfo=now.tzinfo)
    return tuple((label, None if high is None else midnight - timedelta(days=high))
                 for _low, high, label in AGE_BUCKETS)


def mean_daily_use(units_issued: int, window_days: int = USE_WINDOW_DAYS) -> float:
    if units_issued < 0 or window_days <= 0:
        raise InvalidInput("Units issued cannot be negative and the window must be at least one day.")
    return units_issued / window_days


def days_of_supply(units_on_hand: int, mean_daily_use: float) -> float | None:
    """How many days the stock lasts at the current rate of use; None when nothing is used."""
    if units_on_hand < 0 or mean_daily_use < 0 or math.isnan(mean_daily_use):
        raise InvalidInput("Units on hand and daily use cannot be negative.")
    if mean_daily_use == 0:
        return None
    return units_on_hand / mean_daily_use


def days_in_words(days: float | None) -> str:
    """Days of supply as a person reads them: whole days while they count, weeks beyond a fortnight, and always
    rounded down, so a screen never promises a day that is not on the shelf."""
    template, params = days_in_words_template(days)
    return template % params


def days_in_words_template(days: float | None) -> tuple[str, dict]:
    """The words of `days_in_words` as a message and its figures, for a page to say in its reader's language."""
    if days is None:
        return N_("no recent use"), {}
    if days < 0 or math.isnan(days):
        raise InvalidInput("Days of supply cannot be negative.")
    if days < 1:
        return N_("less than a day"), {}
    if days < 14:
        whole = math.floor(days)
        return (N_("%(count)s day") if whole == 1 else N_("%(count)s days")), {"count": whole}
    if days < 8 * 7:
        return N_("%(count)s weeks"), {"count": math.floor(days / 7)}
    return N_("more than 8 weeks"), {}


def expiring_soon(kind: ComponentKind | str, expires_at: datetime, now: datetime) -> bool:
    """Within the kind's threshold of expiry, or already expired."""
    return expires_at - now <= EXPIRING_SOON[ComponentKind(kind)]


def excursion_affects(kind: ComponentKind | str, lowest_c: float, highest_c: float, minutes: float,
                      *, regime: str = components.DEFAULT_REGIME) -> bool:
    """Whether an excursion breached the kind's storage range, for however long.

    Any reading outside the range counts, whatever `minutes` says: the
    regulations in components.toml give storage ranges, not tolerated times
    outside them, so no grace period is applied. The unit is quarantined and
    the lab decides (the "30-minute rule" some hospitals use concerns red
    cells returned after time out of controlled storage, not a storage alarm,
    and no source here sets a tolerance for one).
    """
    check_readings(lowest_c, highest_c)
    if minutes < 0 or math.isnan(minutes):
        raise InvalidInput("An excursion cannot last a negative time.")
    return not (components.storage_ok(kind, lowest_c, regime=regime)
                and components.storage_ok(kind, highest_c, regime=regime))


def check_readings(lowest_c: float, highest_c: float) -> None:
    if any(math.isnan(v) or math.isinf(v) for v in (lowest_c, highest_c)):
        raise InvalidInput("The lowest and highest temperatures must be numbers in °C.")
    if lowest_c > highest_c:
        raise InvalidInput(f"The lowest temperature ({lowest_c} °C) is above the highest ({highest_c} °C): "
                           "check the readings.")


def check_excursion_times(started_at: datetime, ended_at: datetime, now: datetime) -> timedelta:
    """The excursion's length, after refusing times that cannot be a past reading."""
    if started_at.tzinfo is None or ended_at.tzinfo is None:
        raise InvalidInput("Give the excursion's start and end with their time zone.")
    if ended_at < started_at:
        raise InvalidInput(f"The excursion ends ({ended_at:%Y-%m-%d %H:%M}) before it starts "
                           f"({started_at:%Y-%m-%d %H:%M}): check the monitor's times.")
    if ended_at > now:
        raise InvalidInput("The excursion ends in the future: record it once it is over, "
                           "with the monitor's times.")
    return ended_at - started_at
