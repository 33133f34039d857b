"""Opening hours and appointment slots, in a site's local wall-clock time.

Opening hours are data, one entry per day the site stands:
``{"mon": ["08:00", "16:00"], "tue": [["08:00", "12:00"], ["13:00", "17:00"]]}``.
A day missing (or given as an empty list) is a closed day. "24:00" may close
a day, nothing may run past midnight.

Every interval starts its own grid of slots at its opening time, so a site
reopening at 13:05 after lunch still offers 13:05, not 13:15. A slot is only
offered if it ends by closing time: a donor is never booked into a chair the
site cannot staff.

Sites keep wall-clock hours while appointments are stored as UTC instants, so
the conversion lives here too; a local time skipped by a daylight-saving jump
does not exist and is never offered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.messages import N_

DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = dict(zip(DAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")))
# The clock of a record tied to no site; every site names its own zone.
DEFAULT_TIMEZONE = "UTC"
MAX_SLOT_MINUTES = 24 * 60

_MINUTES_PER_DAY = 24 * 60
_HHMM = re.compile(r"^([01][0-9]|2[0-4]):([0-5][0-9])$")


@dataclass(frozen=True, order=True)
class Interval:
    """Open from `opens` to `closes`, in minutes after local midnight (closes may be 1440)."""

    opens: int
    closes: int

    def __str__(self) -> str:
        return f"{_hhmm(self.opens)}-{_hhmm(self.closes)}"


# ---------------------------------------------------------------- reading opening hours


def parse_opening_hours(raw: object) -> dict[str, tuple[Interval, ...]]:
    """The opening hours as sorted intervals per day; refuses anything ambiguous."""
    if not isinstance(raw, Mapping):
        raise InvalidInput(
            'Opening hours are given per day, e.g. {"mon": ["08:00", "16:00"]}; '
            f"got {type(raw).__name__}."
        )
    unknown = [key for key in raw if key not in DAYS]
    if unknown:
        raise InvalidInput(
            f"Unknown day {unknown[0]!r} in the opening hours: use {', '.join(DAYS)}."
        )
    return {day: _day_intervals(day, raw[day]) for day in DAYS if day in raw}


def normalise_opening_hours(raw: object) -> dict[str, list]:
    """The canonical form to store: one interval as a pair, several as a list of pairs."""
    parsed = parse_opening_hours(raw)
    result: dict[str, list] = {}
    for day, intervals in parsed.items():
        pairs = [[_hhmm(i.opens), _hhmm(i.closes)] for i in intervals]
        if len(pairs) == 1:
            result[day] = pairs[0]
        elif pairs:
            result[day] = pairs
    return result


def _day_intervals(day: str, value: object) -> tuple[Interval, ...]:
    if not isinstance(value, (list, tuple)):
        raise InvalidInput(
            f'Opening hours for {day} must be a pair like ["08:00", "16:00"] or a list of pairs; '
            f"got {value!r}."
        )
    if not value:
        return ()
    # One pair of strings, or a list of pairs: the shapes are told apart by the first item.
    pairs = [value] if isinstance(value[0], str) else list(value)
    intervals = sorted(_interval(day, pair) for pair in pairs)
    for earlier, later in zip(intervals, intervals[1:]):
        if later.opens < earlier.closes:
            raise InvalidInput(f"The opening hours for {day} overlap: {earlier} and {later}.")
    return tuple(intervals)


def _interval(day: str, pair: object) -> Interval:
    if not isinstance(pair, (list, tuple)) or len(pair) != 2:
        raise InvalidInput(f'Each interval for {day} is an opening and a closing time, like ["08:00", "12:00"]; got {pair!r}.')
    opens, closes = (_minutes(day, text) for text in pair)
    if opens >= _MINUTES_PER_DAY:
        raise InvalidInput(f"A site cannot open at 24:00 ({day}); use 00:00 of the next day.")
    if opens >= closes:
        raise InvalidInput(
            f"On {day} the site must open before it closes; got {pair[0]} to {pair[1]}."
        )
    return Interval(opens, closes)


def _minutes(day: str, text: object) -> int:
    match = _HHMM.match(text) if isinstance(text, str) else None
    if match is None:
        raise InvalidInput(f"Times are written HH:MM on a 24-hour clock (e.g. 08:00); got {text!r} for {day}.")
    minutes = int(match[1]) * 60 + int(match[2])
    if minutes > _MINUTES_PER_DAY:
        raise InvalidInput(f"There is no time {text} ({day}); the latest closing time is 24:00.")
    return minutes


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def hours_from_text(specs: Iterable[str]) -> dict[str, list]:
    """Opening hours typed at a command line: ``mon-fri=08:00-12:00,13:00-17:00``, ``sat=09:00-13:00``."""
    raw: dict[str, list] = {}
    for spec in specs:
        days_text, _, hours_text = spec.partition("=")
        days = _day_range(days_text.strip().lower(), spec)
        pairs = [_pair_from_text(part, spec) for part in hours_text.split(",") if part.strip()]
        if not pairs:
            raise InvalidInput(f"No hours given in {spec!r}: write e.g. mon=08:00-16:00.")
        for day in days:
            if day in raw:
                raise InvalidInput(f"{day} is given twice in the opening hours.")
            raw[day] = pairs
    return normalise_opening_hours(raw)


def _day_range(text: str, spec: str) -> list[str]:
    first, _, last = text.partition("-")
    last = last or first
    if first not in DAYS or last not in DAYS:
        raise InvalidInput(f"Cannot read the days in {spec!r}: use {', '.join(DAYS)} or a range like mon-fri.")
    start, end = DAYS.index(first), DAYS.index(last)
    if end < start:
        raise InvalidInput(f"The day range in {spec!r} runs backwards: write it from the earlier day.")
    return list(DAYS[start:end + 1])


def _pair_from_text(text: str, spec: str) -> list[str]:
    opens, sep, closes = text.strip().partition("-")
    if not sep:
        raise InvalidInput(f"Cannot read the hours in {spec!r}: write each interval as HH:MM-HH:MM.")
    return [opens.strip(), closes.strip()]


def describe_hours(opening_hours: object) -> str:
    """For a clerk: ``Mon 08:00-12:00, 13:00-17:00; Tue 08:00-16:00``."""
    parsed = parse_opening_hours(opening_hours)
    days = [
        f"{DAY_NAMES[day]} {', '.join(str(i) for i in intervals)}"
        for day, intervals in parsed.items() if intervals
    ]
    return "; ".join(days) if days else N_("closed every day")


def check_slot_minutes(slot_minutes: object) -> int:
    if isinstance(slot_minutes, bool) or not isinstance(slot_minutes, int):
        raise InvalidInput(f"The slot length is a whole number of minutes; got {slot_minutes!r}.")
    if not 1 <= slot_minutes <= MAX_SLOT_MINUTES:
        raise InvalidInput(f"The slot length must be 1 to {MAX_SLOT_MINUTES} minutes; got {slot_minutes}.")
    return slot_minutes


# ---------------------------------------------------------------- slots


def day_key(on: date) -> str:
    return DAYS[on.weekday()]


def slots(opening_hours: object, on: date, slot_minutes: int) -> list[time]:
    """Start times of every slot on `on` that ends by closing time, earliest first."""
    check_slot_minutes(slot_minutes)
    intervals = parse_opening_hours(opening_hours).get(day_key(on), ())
    starts: list[time] = []
    for interval in intervals:
        start = interval.opens
        while start + slot_minutes <= interval.closes:
            starts.append(time(start // 60, start % 60))
            start += slot_minutes
    return starts


def is_bookable(opening_hours: object, starts_at_local: datetime, slot_minutes: int) -> bool:
    """True if the wall-clock time is the start of one of that day's slots."""
    check_slot_minutes(slot_minutes)
    wall = starts_at_local.replace(tzinfo=None)
    if wall.second or wall.microsecond:
        return False
    minute = wall.hour * 60 + wall.minute
    return any(
        i.opens <= minute and minute + slot_minutes <= i.closes and (minute - i.opens) % slot_minutes == 0
        for i in parse_opening_hours(opening_hours).get(day_key(wall.date()), ())
    )


# ---------------------------------------------------------------- time zones


def zone(tz: str | tzinfo | None = None) -> tzinfo:
    """A time zone from its IANA name (or one given as is); None is the default zone."""
    if tz is None:
        tz = DEFAULT_TIMEZONE
    if isinstance(tz, tzinfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"Unknown time zone {tz!r}: use an IANA name such as Europe/Paris or UTC.") from None


def check_time_zone(value: object) -> str:
    """An IANA zone name as stored for a site; "Etc/..." offsets and abbreviations are refused.

    A fixed offset would be wrong half the year wherever clocks change, so only a place's zone is taken.
    """
    name = value.strip() if isinstance(value, str) else ""
    if not name:
        raise InvalidInput("Give the site's time zone, an IANA name such as Asia/Damascus or Europe/Paris.")
    if name not in TIME_ZONES:
        raise InvalidInput(f"Unknown time zone {name!r}: use an IANA name such as Asia/Damascus, "
                           "Europe/Paris or America/New_York.")
    return name


def _zone_names() -> frozenset[str]:
    names = {n for n in available_timezones() if "/" in n and not n.startswith(("Etc/", "SystemV/", "posix/", "right/"))}
    return frozenset(names | {"UTC"})


TIME_ZONES = _zone_names()


def local_to_utc(wall: datetime, tz: str | tzinfo | None = None) -> datetime | None:
    """The UTC instant of a naive wall-clock time, or None if the clocks skipped it.

    A time repeated when clocks go back is read as its first occurrence.
    """
    zone_ = zone(tz)
    local = wall.replace(tzinfo=zone_, fold=0)
    instant = local.astimezone(timezone.utc)
    if instant.astimezone(zone_).replace(tzinfo=None) != wall.replace(fold=0):
        return None
    return instant


def to_local(instant: datetime, tz: str | tzinfo | None = None) -> datetime:
    """An aware instant as an aware datetime on the site's clock."""
    if instant.tzinfo is None:
        raise InvalidInput("A time without a time zone cannot be placed on the site's clock.")
    return instant.astimezone(zone(tz))


def as_site_wall_clock(when: datetime, tz: str | tzinfo | None = None) -> datetime:
    """A naive wall-clock time on the site's clock: aware times are converted, naive ones taken as local."""
    if when.tzinfo is None:
        return when
    return to_local(when, tz).replace(tzinfo=None)


def day_bounds_utc(on: date, tz: str | tzinfo | None = None) -> tuple[datetime, datetime]:
    """The UTC instants where the site's local day `on` begins and the next one begins."""
    zone_ = zone(tz)
    start = datetime.combine(on, time(0), tzinfo=zone_).astimezone(timezone.utc)
    end = datetime.combine(on + timedelta(days=1), time(0), tzinfo=zone_).astimezone(timezone.utc)
    return start, end


def slot_instants(opening_hours: object, on: date, slot_minutes: int,
                  tz: str | tzinfo | None = None) -> list[datetime]:
    """The day's slots as UTC instants; wall-clock times the clocks skip are left out."""
    result = []
    for start in slots(opening_hours, on, slot_minutes):
        instant = local_to_utc(datetime.combine(on, start), tz)
        if instant is not None:
            result.append(instant)
    return result
