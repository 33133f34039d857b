"""The figures an appeal is sized and aimed with (`rules/appeals.toml`), each with its source."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from bloodbank.domain.messages import N_, Text


class AppealRulesError(ValueError):
    """The appeal figures are malformed: refuse to start."""


@dataclass(frozen=True)
class Figure:
    value: float
    source: str


# (section, key, low, high): every figure the file must give, and its range.
_FIGURES = (
    ("rates", "response_rate", 0.01, 1), ("rates", "show_up_rate", 0.01, 1), ("rates", "prior_weight", 0, 10_000),
    ("stock", "target_days_of_supply", 0, 60), ("stock", "usual_daily_use", 0, 100_000),
    ("spread", "days", 1, 14), ("spread", "first_day_offset", 0, 7),
    ("contact", "cooldown_days", 0, 365), ("contact", "contact_from_hour", 0, 23),
    ("contact", "contact_until_hour", 1, 24), ("contact", "monthly_limit", 1, 31), ("contact", "link_hours", 1, 24 * 14),
    ("travel", "radius_km", 0.5, 500), ("travel", "grid_degrees", 0.01, 5), ("travel", "ring_km", 0.5, 100), ("travel", "shortlist_factor", 1, 50),
)

# How each figure reads beside its value and source.
FIGURE_NAMES = {
    "response_rate": N_("response rate"), "show_up_rate": N_("show-up rate"), "prior_weight": N_("prior weight"),
    "target_days_of_supply": N_("target days of supply"), "usual_daily_use": N_("usual daily use"),
    "days": N_("days an appeal is spread over"), "first_day_offset": N_("first day offset"),
    "cooldown_days": N_("cool-down days"), "contact_from_hour": N_("contact from hour"),
    "contact_until_hour": N_("contact until hour"), "monthly_limit": N_("monthly limit"),
    "link_hours": N_("link hours"), "radius_km": N_("radius (km)"), "grid_degrees": N_("grid (degrees)"),
    "ring_km": N_("ring (km)"), "shortlist_factor": N_("short-list factor"),
}


@dataclass(frozen=True)
class AppealParameters:
    figures: Mapping[str, Figure]

    def __getattr__(self, name: str) -> float:
        try:
            return self.figures[name].value
        except KeyError:
            raise AttributeError(name) from None

    def sources(self) -> list[tuple[str, str, float]]:
        return [(Text(FIGURE_NAMES.get(name, name.replace("_", " "))), f.source, f.value)
                for name, f in self.figures.items()]


def parameters_from(document: Mapping) -> AppealParameters:
    figures = {}
    for section, key, low, high in _FIGURES:
        entry = document.get(section, {}).get(key) if isinstance(document.get(section), Mapping) else None
        if not isinstance(entry, Mapping) or not str(entry.get("source", "")).strip():
            raise AppealRulesError(f"appeals.toml: {section}.{key} needs a value and its source")
        value = entry.get("value")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise AppealRulesError(f"appeals.toml: {section}.{key} must be a number from {low} to {high}")
        figures[key] = Figure(float(value), str(entry["source"]))
    return AppealParameters(figures)


@lru_cache(maxsize=1)
def default_parameters() -> AppealParameters:
    path = resources.files("bloodbank.domain") / "rules" / "appeals.toml"
    return parameters_from(tomllib.loads(path.read_text(encoding="utf-8")))
