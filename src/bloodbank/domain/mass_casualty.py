"""How much blood a mass-casualty incident needs, when, and how much of it can be on hand in time.

Need: red cell units per casualty by severity, the other components as a ratio
of red cells, spread over three windows after the incident (0-6 h, 6-24 h,
24-72 h). Before patients are grouped, a share of the first window's units is
of the universal group (O red cells, AB plasma); the rest, and every later
window, follows the population's group mix. Every figure is data
(`rules/mass_casualty.toml`) with its source.

Supply arrives as lots: a count of units of one kind and group usable from a
given hour (stock now, a quarantined unit when its results are expected, a
transfer when it arrives). Windows count from the incident's time: one that
has ended is shown but not planned for, the one under way is planned for in
full. Each lot falls in exactly one window; what a window
does not use is carried to the next, so no unit is counted twice. An appeal is
kept apart: an invited donor gives no earlier than the first booking an
invitation offers, and the donation is usable only after processing and
testing, so an appeal never reaches a window that ends before that. Of a window
it reaches part-way, it can serve only the need of the hours after that time
(the need falls evenly over a window's hours, as the window shares assume);
what is on hand serves the earlier hours first. That part of the gap before any
appeal is what an appeal must be sized against, by the live appeal and the
simulator alike.

The gap is counted group by group: a unit of another, compatible group (O for
anyone) is the allocation's choice at issue, not a planning assumption.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from bloodbank.domain.blood_groups import ALL_GROUPS, parse_group
from bloodbank.domain.incidents import Severity
from bloodbank.domain.messages import N_, Text
from bloodbank.domain.components import kind_name

KINDS = ("red_cells", "plasma", "platelets")
KIND_LABELS = {"red_cells": N_("red cells"), "plasma": N_("plasma"), "platelets": N_("platelet doses")}
GROUPS = tuple(str(g) for g in ALL_GROUPS)
# Units in stock counted as each forecast kind; a single platelet concentrate is no dose.
FORECAST_KIND_OF = {"red_cells": "red_cells", "plasma": "plasma", "platelets_apheresis": "platelets",
                    "platelets_pooled": "platelets"}


@dataclass(frozen=True)
class Window:
    label: str
    start: int  # hours after the incident
    end: int

    @property
    def name(self) -> Text:
        """How a person reads the window (its `label` is the rule file's key)."""
        return Text(N_("%(start)s-%(end)sh"), start=self.start, end=self.end)


WINDOWS = (Window("0-6h", 0, 6), Window("6-24h", 6, 24), Window("24-72h", 24, 72))
WINDOW_BY_LABEL = {w.label: w for w in WINDOWS}
HORIZON = WINDOWS[-1].end
# Blood usable after the forecast's horizon restores stock: its key and how it reads.
AFTER_HORIZON = f"after {HORIZON}h"
AFTER_HORIZON_NAME = Text(N_("after %(hours)sh"), hours=HORIZON)


class MassCasualtyRulesError(ValueError):
    """The planning figures are malformed: refuse to start."""


@dataclass(frozen=True)
class Figure:
    value: float
    source: str


@dataclass(frozen=True)
class Parameters:
    red_cells_per_casualty: Mapping[Severity, Figure]
    per_red_cell_unit: Mapping[str, Figure]  # plasma, platelets
    window_share: Mapping[str, Figure]
    first_window_universal_share: Figure
    universal_group: Mapping[str, str]  # kind -> ABO, "" for none
    universal_group_source: str
    population: Mapping[str, float]
    population_source: str
    usable_after_hours: Figure
    results_after_collection_hours: Figure
    transfer_hours: Figure
    donations_per_hour: Figure
    usable_share: Figure
    yield_per_donation: Mapping[str, Figure]

    def sources(self) -> list[tuple[str, str, float | str]]:
        """(what, source, value) for every figure: shown beside the forecast."""
        rows = [(Text(N_("red cells per %(severity)s casualty"), severity=Text(s.value)), f.source, f.value)
                for s, f in self.red_cells_per_casualty.items()]
        rows += [(Text(N_("%(kind)s per red cell unit"), kind=Text(kind_name(k))), f.source, f.value)
                 for k, f in self.per_red_cell_unit.items()]
        rows += [(Text(N_("share of need in %(window)s"), window=WINDOW_BY_LABEL[w].name if w in WINDOW_BY_LABEL else w), f.source, f.value)
                 for w, f in self.window_share.items()]
        rows.append((Text(N_("universal-group share of the first window")), self.first_window_universal_share.source,
                     self.first_window_universal_share.value))
        rows.append((Text(N_("universal groups")), self.universal_group_source,
                     ", ".join(f"{k} {g}" for k, g in self.universal_group.items() if g)))
        rows.append((Text(N_("population group mix")), self.population_source,
                     ", ".join(f"{g} {v:g}" for g, v in self.population.items())))
        for what, figure in ((N_("hours from collection to a usable unit"), self.usable_after_hours),
                             (N_("hours from collection to results"), self.results_after_collection_hours),
                             (N_("hours of a transfer on the road"), self.transfer_hours),
                             (N_("donations an hour, all sites"), self.donations_per_hour),
                             (N_("share of donations that become usable units"), self.usable_share)):
            rows.append((Text(what), figure.source, figure.value))
        rows += [(Text(N_("%(kind)s per donation"), kind=Text(kind_name(k))), f.source, f.value)
                 for k, f in self.yield_per_donation.items()]
        return rows


def _figure(table: Mapping, key: str, where: str, *, low: float = 0.0, high: float = 1e6) -> Figure:
    entry = table.get(key)
    if not isinstance(entry, Mapping) or "value" not in entry or not str(entry.get("source", "")).strip():
        raise MassCasualtyRulesError(f"mass_casualty.toml: {where}.{key} needs a value and its source")
    value = entry["value"]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise MassCasualtyRulesError(f"mass_casualty.toml: {where}.{key} must be a number from {low} to {high}")
    return Figure(float(value), str(entry["source"]))


def parameters_from(document: Mapping) -> Parameters:
    try:
        need, groups, supply, appeal = document["need"], document["groups"], document["supply"], document["appeal"]
        per_casualty = {s: _figure(need["red_cells_per_casualty"], s.value, "need.red_cells_per_casualty", high=100)
                        for s in Severity}
        per_unit = {k: _figure(need["per_red_cell_unit"], k, "need.per_red_cell_unit", high=10)
                    for k in ("plasma", "platelets")}
        shares = {w.label: _figure(document["windows"], w.label, "windows", high=1) for w in WINDOWS}
        universal = dict(groups["universal_group"])
        population = dict(groups["population"])
    except (KeyError, TypeError) as missing:
        raise MassCasualtyRulesError(f"mass_casualty.toml: missing {missing}") from None
    if abs(sum(f.value for f in shares.values()) - 1) > 1e-9:
        raise MassCasualtyRulesError("mass_casualty.toml: the window shares must add up to 1")
    population_source = str(population.pop("source", "")).strip()
    mix = {str(parse_group(g)): float(v) for g, v in population.items()}
    if set(mix) != set(GROUPS) or not population_source or any(v < 0 for v in mix.values()) \
            or abs(sum(mix.values()) - 1) > 1e-6:
        raise MassCasualtyRulesError("mass_casualty.toml: the population mix names all eight groups, adds up to 1 "
                                     "and gives its source")
    universal_source = str(universal.pop("source", "")).strip()
    if set(universal) != set(KINDS) or not universal_source or \
            any(g not in ("", "O", "A", "B", "AB") for g in universal.values()):
        raise MassCasualtyRulesError("mass_casualty.toml: groups.universal_group names an ABO group (or '') "
                                     "for each kind, with its source")
    return Parameters(
        red_cells_per_casualty=per_casualty, per_red_cell_unit=per_unit, window_share=shares,
        first_window_universal_share=_figure(groups, "first_window_universal_share", "groups", high=1),
        universal_group=universal, universal_group_source=universal_source,
        population={g: mix[g] for g in GROUPS}, population_source=population_source,
        usable_after_hours=_figure(supply, "usable_after_hours", "supply", high=24 * 14),
        results_after_collection_hours=_figure(supply, "results_after_collection_hours", "supply", high=24 * 14),
        transfer_hours=_figure(supply, "transfer_hours", "supply", high=24 * 7),
        donations_per_hour=_figure(appeal, "donations_per_hour", "appeal", high=10_000),
        usable_share=_figure(appeal, "usable_share", "appeal", high=1),
        yield_per_donation={k: _figure(appeal["yield_per_donation"], k, "appeal.yield_per_donation", high=10)
                            for k in KINDS},
    )


@lru_cache(maxsize=1)
def default_parameters() -> Parameters:
    path = resources.files("bloodbank.domain") / "rules" / "mass_casualty.toml"
    return parameters_from(tomllib.loads(path.read_text(encoding="utf-8")))


# ---- need ---------------------------------------------------------------------------------------------------

Key = tuple[str, str]  # (kind, group)


def _group_split(kind: str, window_index: int, params: Parameters) -> dict[str, float]:
    mix = dict(params.population)
    universal = params.universal_group.get(kind, "")
    if window_index != 0 or not universal:
        return mix
    share = params.first_window_universal_share.value
    within = {g: v for g, v in mix.items() if g.rstrip("+-") == universal}
    total = sum(within.values())
    # The universal group's RhD split follows the population's within that group.
    return {g: (1 - share) * v + (share * within[g] / total if g in within and total else 0) for g, v in mix.items()}


def need(casualties: Mapping[Severity, int], params: Parameters) -> dict[str, dict[Key, int]]:
    """Units needed per window, kind and group: whole units, a fraction rounded up."""
    red_cells = sum(max(casualties.get(s, 0), 0) * params.red_cells_per_casualty[s].value for s in Severity)
    per_kind = {"red_cells": red_cells, **{k: red_cells * f.value for k, f in params.per_red_cell_unit.items()}}
    out: dict[str, dict[Key, int]] = {}
    for index, window in enumerate(WINDOWS):
        share = params.window_share[window.label].value
        out[window.label] = {
            (kind, group): math.ceil(round(per_kind[kind] * share * part, 6))
            for kind in KINDS for group, part in _group_split(kind, index, params).items()
        }
    return out


# ---- supply ---------------------------------------------------------------------------------------------------

SOURCES = ("stock", "quarantine", "transfer")


@dataclass(frozen=True)
class Lot:
    kind: str  # a forecast kind
    group: str
    units: int
    usable_at: float  # hours after the incident
    source: str  # one of SOURCES


def window_index(hours: float, now_hours: float) -> int | None:
    """The window a unit usable at `hours` first serves; nothing is usable before now; None past the horizon."""
    at = max(hours, now_hours, 0)
    for index, window in enumerate(WINDOWS):
        if at < window.end:
            return index
    return None


def appeal_usable_from(now_hours: float, first_booking_hours: float, params: Parameters) -> float:
    """The hour after the incident from which an invited donor's unit can be used.

    An invited donor gives at the first booking the invitations offer (never before now); the unit is usable
    after processing and testing.
    """
    return max(now_hours, first_booking_hours) + params.usable_after_hours.value


def appeal_share(window: Window, usable_from: float) -> float:
    """The share of a window's need an appeal can serve: that of its hours from `usable_from` on.

    The need is spread evenly over the window's hours, as the window shares assume; 0 for a window that ends
    before then, 1 for one that starts after.
    """
    if window.end <= usable_from:
        return 0.0
    return (window.end - max(window.start, usable_from)) / (window.end - window.start)


def reachable_gap(need: int, gap: int, share: float) -> int:
    """The part of a window's gap an appeal can serve: no more than the need of the hours it reaches.

    What is on hand serves the window's earlier hours first (an appeal cannot), so the gap falls on the later
    hours as far as it can: an appeal covers the gap up to the need in the hours it reaches, never more.
    """
    if share <= 0 or gap <= 0:
        return 0
    return min(gap, math.ceil(round(need * share, 6)))


def appeal_donations(window: Window, usable_from: float, params: Parameters) -> float:
    """Usable donations an appeal can add to this window: those usable from `usable_from` to the window's end.

    A donation given at hour t is usable at t + delay; it serves the window that hour falls in.
    """
    hours = max(0.0, window.end - max(window.start, usable_from))
    return hours * params.donations_per_hour.value * params.usable_share.value


@dataclass(frozen=True)
class GapLine:
    window: str
    kind: str
    group: str
    need: int
    stock: int
    quarantine: int
    transfer: int
    carried_in: int  # units left over from the windows before
    gap: int  # short of need before any appeal
    left_over: int  # carried to the next window
    appeal_gap: int  # the part of the gap an appeal can serve (the need of the hours it reaches, at most)
    donors_to_cover: int  # donors to invite to cover that part


@dataclass(frozen=True)
class WindowSummary:
    window: Window
    passed: bool  # ended before now: shown, not planned for
    appeal_reaches: bool  # an invited donor's blood is usable before the window ends
    appeal_share: float  # the share of the window's hours (and need) from then on
    need: int
    supply: int
    gap: int
    appeal_gap: int  # the part of the gap an appeal can serve
    appeal_donations: int  # usable donations the sites could add by the window's end, at capacity
    donors_to_cover: int


@dataclass(frozen=True)
class Shortfall:
    now_hours: float
    usable_from_hours: float  # a donation given now is usable from this hour after the incident
    first_booking_hours: float  # the earliest an invited donor gives
    appeal_usable_from_hours: float  # an invited donor's unit is usable from this hour
    lines: tuple[GapLine, ...]
    windows: tuple[WindowSummary, ...]
    statements: tuple[str, ...]

    def appeal_gap(self) -> dict[Key, int]:
        """The gap an appeal is to be sized against: the part of each window's gap it can serve."""
        out: dict[Key, int] = {}
        for line in self.lines:
            if line.appeal_gap:
                out[(line.kind, line.group)] = out.get((line.kind, line.group), 0) + line.appeal_gap
        return out


def donors_for(kind: str, units: int, params: Parameters) -> int:
    per_donor = params.yield_per_donation[kind].value * params.usable_share.value
    if units <= 0:
        return 0
    return math.ceil(units / per_donor) if per_donor > 0 else 0


def shortfall(needs: Mapping[str, Mapping[Key, int]], lots: Iterable[Lot], now_hours: float,
              params: Parameters, first_booking_hours: float | None = None) -> Shortfall:
    """The gap by window before any appeal, and the part of it an appeal can serve.

    `first_booking_hours` is the earliest hour after the incident an invited donor gives (the first booking the
    invitations offer); None for a donor giving now.
    """
    supply: dict[tuple[int, Key, str], int] = {}
    for lot in lots:
        index = window_index(lot.usable_at, now_hours)
        if index is None or lot.units <= 0:
            continue
        slot = (index, (lot.kind, lot.group), lot.source)
        supply[slot] = supply.get(slot, 0) + lot.units
    usable_from = now_hours + params.usable_after_hours.value
    booking = now_hours if first_booking_hours is None else max(now_hours, first_booking_hours)
    appeal_from = appeal_usable_from(now_hours, booking, params)
    carried: dict[Key, int] = {}
    lines: list[GapLine] = []
    summaries: list[WindowSummary] = []
    for index, window in enumerate(WINDOWS):
        passed = window.end <= now_hours
        share = 0.0 if passed else appeal_share(window, appeal_from)
        reaches = share > 0
        window_lines = []
        for kind in KINDS:
            for group in GROUPS:
                key = (kind, group)
                need_here = 0 if passed else needs.get(window.label, {}).get(key, 0)
                came = {s: supply.get((index, key, s), 0) for s in SOURCES}
                carried_in = carried.get(key, 0)
                on_hand = carried_in + sum(came.values())
                gap = max(0, need_here - on_hand)
                carried[key] = max(0, on_hand - need_here)
                reachable = reachable_gap(need_here, gap, share)
                window_lines.append(GapLine(
                    window=window.label, kind=kind, group=group, need=need_here, stock=came["stock"],
                    quarantine=came["quarantine"], transfer=came["transfer"], carried_in=carried_in, gap=gap,
                    left_over=carried[key], appeal_gap=reachable, donors_to_cover=donors_for(kind, reachable, params),
                ))
        lines += window_lines
        summaries.append(WindowSummary(
            window=window, passed=passed, appeal_reaches=reaches, appeal_share=share,
            need=sum(line.need for line in window_lines),
            supply=sum(line.stock + line.quarantine + line.transfer for line in window_lines),
            gap=sum(line.gap for line in window_lines), appeal_gap=sum(line.appeal_gap for line in window_lines),
            appeal_donations=math.floor(appeal_donations(window, appeal_from, params)),
            donors_to_cover=_donors_by_group(window_lines),
        ))
    result = Shortfall(now_hours=now_hours, usable_from_hours=usable_from, first_booking_hours=booking,
                       appeal_usable_from_hours=appeal_from, lines=tuple(lines), windows=tuple(summaries),
                       statements=())
    return dataclasses.replace(result, statements=tuple(statements(result, params)))


def _donors_by_group(lines: Iterable[GapLine]) -> int:
    """One whole blood donation gives every kind: a group's donors are those its scarcest kind needs."""
    by_group: dict[str, int] = {}
    for line in lines:
        by_group[line.group] = max(by_group.get(line.group, 0), line.donors_to_cover)
    return sum(by_group.values())


def statements(result: Shortfall, params: Parameters) -> list[Text]:
    """What an appeal can and cannot cover, in plain words."""
    out = []
    delay = params.usable_after_hours.value
    ahead = [w for w in result.windows if not w.passed]
    short = [w for w in ahead if w.gap]
    if not short:
        out.append(Text(N_("Stock on hand, units clearing quarantine and transfers on the road cover the forecast "
                           "need in every window: no appeal is needed for this incident.")))
    unreachable = [w for w in short if not w.appeal_reaches]
    if unreachable:
        labels = Text(N_("%(first)s and %(second)s"), first=unreachable[0].window.name,
                      second=unreachable[1].window.name) if len(unreachable) == 2 else unreachable[0].window.name
        if len(unreachable) > 2:
            labels = Text(", ".join("%%(w%d)s" % i for i in range(len(unreachable))),
                          **{f"w{i}": w.window.name for i, w in enumerate(unreachable)})
        total = sum(w.gap for w in unreachable)
        out.append(Text(N_("An appeal cannot cover the %(windows)s gap (%(units)s units): invited donors give from "
                           "about %(booked)s h after the incident, and their blood is usable only after processing "
                           "and testing (%(delay)s h), from about %(hours)s h. Cover it from other services' stock, "
                           "transfers and group O units."),
                        windows=labels, units=total, booked=round(result.first_booking_hours),
                        hours=round(result.appeal_usable_from_hours), delay=f"{delay:g}"))
    for summary in short:
        if not summary.appeal_reaches:
            continue
        label = summary.window.label
        whole = summary.appeal_gap == summary.gap
        if not whole:
            out.append(Text(N_("An appeal reaches only the last %(hours)s h of the %(window)s window: of its gap of "
                               "%(units)s units it can cover about %(covered)s, the need of those hours. Cover the "
                               "rest from other services' stock, transfers and group O units."),
                            hours=round(summary.window.end - result.appeal_usable_from_hours),
                            window=summary.window.name, units=summary.gap, covered=summary.appeal_gap))
        for kind in KINDS:
            gaps = [line for line in result.lines if line.window == label and line.kind == kind and line.appeal_gap]
            if gaps:
                listed = ", ".join(f"{line.appeal_gap} {line.group}" for line in gaps)
                donors = sum(line.donors_to_cover for line in gaps)
                if whole:
                    out.append(Text(N_("The %(window)s gap of %(kind)s (%(listed)s) can be covered by about "
                                       "%(donors)s donors of those groups giving now."),
                                    window=summary.window.name, kind=Text(KIND_LABELS[kind]), listed=listed,
                                    donors=donors))
                else:
                    out.append(Text(N_("The part of the %(window)s gap of %(kind)s an appeal can cover (%(listed)s) "
                                       "takes about %(donors)s donors of those groups."),
                                    window=summary.window.name, kind=Text(KIND_LABELS[kind]), listed=listed,
                                    donors=donors))
        if whole:
            out.append(Text(N_("One whole blood donation gives every kind: about %(donors)s donors cover the whole "
                               "%(window)s gap."), donors=summary.donors_to_cover, window=summary.window.name))
        elif summary.appeal_gap:
            out.append(Text(N_("One whole blood donation gives every kind: about %(donors)s donors cover the part of "
                               "the %(window)s gap an appeal can reach."),
                            donors=summary.donors_to_cover, window=summary.window.name))
        if summary.donors_to_cover > summary.appeal_donations:
            out.append(Text(N_("The sites can take about %(usable)s usable donations in time for the %(window)s "
                               "window, fewer than the %(needed)s needed: ask other services too."),
                            usable=summary.appeal_donations, window=summary.window.name,
                            needed=summary.donors_to_cover))
    return out


