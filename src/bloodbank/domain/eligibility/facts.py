"""What is known about a donor on the day: the input of every eligibility decision.

`facts_from_mapping` reads the JSON shape that the command line and the API
accept. It refuses anything it cannot read with certainty (a mistyped field,
a date in the wrong form, an unknown deferral code) because a silently
dropped fact is a donor accepted on incomplete information. Missing
measurements are allowed here: they become reasons at evaluation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any, Mapping

from bloodbank.domain.eligibility.rules import DEFERRAL_VOCABULARY, KINDS, DonationKind, Sex
from bloodbank.domain.errors import InvalidInput


@dataclass(frozen=True)
class PastDonation:
    date: date
    kind: DonationKind


@dataclass(frozen=True)
class DeferralRecord:
    code: str
    since: date
    # A date set by a physician (e.g. "until recovered"); the deferral lasts
    # until the later of this and the regime's own period.
    until: date | None = None


@dataclass(frozen=True)
class DonorFacts:
    on: date
    date_of_birth: date | None
    sex: Sex | None
    weight_kg: float | None
    hemoglobin_g_dl: float | None
    systolic: float | None
    diastolic: float | None
    pulse: float | None
    temperature_c: float | None
    first_time: bool
    kind: DonationKind
    donations: tuple[PastDonation, ...] = ()
    deferrals: tuple[DeferralRecord, ...] = ()
    planned_volume_ml: float | None = None


_MEASUREMENTS = ("weight_kg", "hemoglobin_g_dl", "systolic", "diastolic", "pulse", "temperature_c")
_FIELDS = frozenset({
    "on", "date_of_birth", "sex", "first_time", "kind", "donations", "deferrals", "planned_volume_ml",
    *_MEASUREMENTS,
})


def facts_from_mapping(data: Mapping[str, Any]) -> DonorFacts:
    """Read donor facts from their JSON shape; raises InvalidInput saying what is wrong."""
    if not isinstance(data, Mapping):
        raise InvalidInput("The donor facts must be a JSON object.")
    unknown = sorted(str(key) for key in data if key not in _FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown field(s): {', '.join(unknown)}. Known fields: {', '.join(sorted(_FIELDS))}.")
    on = _date(_required(data, "on"), "on")
    facts = DonorFacts(
        on=on,
        date_of_birth=_optional_date(data.get("date_of_birth"), "date_of_birth"),
        sex=_sex(data.get("sex")),
        first_time=_first_time(_required(data, "first_time")),
        kind=_kind(_required(data, "kind"), "kind"),
        donations=_donations(data.get("donations", []), on),
        deferrals=_deferrals(data.get("deferrals", [])),
        planned_volume_ml=_measurement(data.get("planned_volume_ml"), "planned_volume_ml"),
        **{name: _measurement(data.get(name), name) for name in _MEASUREMENTS},
    )
    if facts.date_of_birth is not None and facts.date_of_birth > on:
        raise InvalidInput(f"date_of_birth {facts.date_of_birth.isoformat()} is after the visit date {on.isoformat()}.")
    if facts.first_time and facts.donations:
        raise InvalidInput("first_time is true but past donations are listed: one of them is wrong.")
    return facts


def _required(data: Mapping[str, Any], key: str) -> Any:
    if data.get(key) is None:
        raise InvalidInput(f"The field {key!r} is required.")
    return data[key]


def _date(value: Any, field: str) -> date:
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be a date written YYYY-MM-DD (got {value!r}).")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{field} must be a date written YYYY-MM-DD (got {value!r}).") from None


def _optional_date(value: Any, field: str) -> date | None:
    return None if value is None else _date(value, field)


def _sex(value: Any) -> Sex | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip().upper() in ("F", "M"):
        return value.strip().upper()  # type: ignore[return-value]
    raise InvalidInput(f"sex must be \"F\", \"M\" or null (got {value!r}).")


def _first_time(value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"first_time must be true or false (got {value!r}).")
    return value


def _kind(value: Any, field: str) -> DonationKind:
    if isinstance(value, str) and value.strip().lower() in KINDS:
        return DonationKind(value.strip().lower())
    raise InvalidInput(f"{field} must be one of {', '.join(KINDS)} (got {value!r}).")


def _measurement(value: Any, field: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidInput(f"{field} must be a number or null (got {value!r}).")
    if value <= 0:
        raise InvalidInput(f"{field} must be more than 0 (got {value!r}).")
    return float(value)


def _items(value: Any, field: str) -> list[Mapping[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise InvalidInput(f"{field} must be a list of objects.")
    return value


def _only(item: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(str(key) for key in item if key not in allowed)
    if unknown:
        raise InvalidInput(f"{where}: unknown field(s) {', '.join(unknown)}.")


def _donations(value: Any, on: date) -> tuple[PastDonation, ...]:
    donations = []
    for index, item in enumerate(_items(value, "donations")):
        where = f"donations[{index}]"
        _only(item, {"date", "kind"}, where)
        donation = PastDonation(_date(_required(item, "date"), f"{where}.date"), _kind(_required(item, "kind"), f"{where}.kind"))
        if donation.date > on:
            raise InvalidInput(f"{where}.date {donation.date.isoformat()} is after the visit date {on.isoformat()}.")
        donations.append(donation)
    return tuple(donations)


def _deferrals(value: Any) -> tuple[DeferralRecord, ...]:
    records = []
    for index, item in enumerate(_items(value, "deferrals")):
        where = f"deferrals[{index}]"
        _only(item, {"code", "since", "until"}, where)
        code = _required(item, "code")
        if not isinstance(code, str) or code.strip().lower() not in DEFERRAL_VOCABULARY:
            raise InvalidInput(
                f"{where}.code {code!r} is not a known deferral code. Known codes: {', '.join(DEFERRAL_VOCABULARY)}."
            )
        records.append(DeferralRecord(
            code=code.strip().lower(),
            since=_date(_required(item, "since"), f"{where}.since"),
            until=_optional_date(item.get("until"), f"{where}.until"),
        ))
    return tuple(records)
