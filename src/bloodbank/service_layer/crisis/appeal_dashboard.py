"""The live dashboard of an incident's appeal: need, supply and the appeal's donors by group and window.

Each window (0-6 h, 6-24 h, 24-72 h, and after 72 h, when the appeal restores stock) shows the red cell
units needed, what is usable in it before any appeal, the gap, the donors that would cover it where an appeal
reaches it, and the donors invited, accepted, arrived, collected and released whose blood serves it. The
appeal's figures are sums over the database's aggregate tally (`appeal_figures`); the need and the supply are
the shortfall's. The gap is closed once each group's donations collected reach the donors it needs: from then
on a top-up invites nobody, and a gap that opens again (more casualties counted) is topped up again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bloodbank.adapters.db.models import Appeal
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import appeal_sizing as sizing
from bloodbank.domain import mass_casualty as forecast
from bloodbank.domain.appeal_rules import AppealParameters, default_parameters
from bloodbank.domain.incidents import Severity
from bloodbank.domain.messages import N_, Text
from bloodbank.service_layer.crisis import appeal_figures as figures
from bloodbank.service_layer.crisis import appeals
from bloodbank.service_layer.crisis.appeals import AppealView
from bloodbank.service_layer.crisis.shortfall import ShortfallView, shortfall
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

RED_CELLS = "red_cells"


def _window_name(label: str) -> Text | str:
    window = forecast.WINDOW_BY_LABEL.get(label)
    return window.name if window else label


@dataclass(frozen=True)
class Statement:
    text: str  # the English template, looked up in the reader's catalogue where it is shown
    params: dict[str, str | int]
    message: str  # in English, filled in (a messages.Text: a page shows it translated); what a program reads


def statement(text: str, **params: str | int) -> Statement:
    return Statement(text, params, Text(text, **params))


@dataclass(frozen=True)
class Cell:
    window: str
    group: str
    need: int  # red cell units
    on_hand: int  # red cell units usable in the window before any appeal, carried over included
    gap: int  # red cell units short before any appeal
    donors_to_cover: int  # donors the window's gap needs, where an appeal reaches it (its scarcest kind)
    invited: int
    accepted: int
    arrived: int
    collected: int
    released: int


@dataclass(frozen=True)
class WindowLine:
    window: str
    passed: bool
    appeal_reaches: bool
    need: int
    on_hand: int
    gap: int
    donors_to_cover: int
    invited: int
    accepted: int
    arrived: int
    collected: int
    released: int


@dataclass(frozen=True)
class GroupProgress:
    group: str
    donors_needed: int
    collected: int
    still_to_collect: int


@dataclass(frozen=True)
class ChartPoint:
    hours: int  # after the incident: the end of a window
    need: int  # red cell units needed up to then
    on_hand: int  # red cell units usable up to then before any appeal
    with_appeal: float  # plus the appeal's donations collected and expected, in usable red cell units


@dataclass(frozen=True)
class Dashboard:
    incident_id: int
    incident_status: str  # declared or closed
    at: datetime
    status: str  # the appeal's: none, running, paused, stopped
    usable_from: datetime
    first_booking: datetime  # the earliest an invited donor gives
    appeal_usable_from: datetime  # an invited donor's blood is usable from about then
    closed: bool  # every group's need is collected
    still_to_collect: int
    windows: tuple[WindowLine, ...]
    cells: tuple[Cell, ...]
    groups: tuple[GroupProgress, ...]
    points: tuple[ChartPoint, ...]
    statements: tuple[Statement, ...]
    appeal: AppealView


def dashboard(uow: UnitOfWork, *, incident_id: int, params: AppealParameters | None = None,
              forecast_params: forecast.Parameters | None = None) -> Dashboard:
    params = params or default_parameters()
    mc = forecast_params or forecast.default_parameters()
    gap = shortfall(uow.again(), incident_id=incident_id, params=mc)
    view = appeals.get_appeal(uow.again(), incident_id=incident_id, params=params, forecast_params=mc, gap=gap)
    now = utcnow()
    with uow.again() as work:
        appeal_id = work.session.execute(select(Appeal.id).where(Appeal.incident_id == incident_id)).scalar()
        rows = figures.tally(work.session, appeal_id, now, figures.bounds(
            gap.incident.occurred_at, mc.usable_after_hours.value)) if appeal_id else []
    rated = figures.rates(rows, sizing.Rates(params.response_rate, params.show_up_rate), params.prior_weight)
    flows = figures.flows(rows, lambda r: (r.window, r.group))
    cells = _cells(gap, flows, params, mc)
    # Before an appeal starts, the donors each group would need are shown all the same.
    needed = {g.group: (g.donors_needed, g.collected) for g in view.groups} or {
        g: (n, 0) for g, n in appeals.donors_needed(gap, params, mc).items() if n}
    progress = tuple(GroupProgress(g, n, done, max(0, n - done)) for g, (n, done) in needed.items())
    missing = sum(p.still_to_collect for p in progress)
    closed = view.status != "none" and any(p.donors_needed for p in progress) and missing == 0
    per_donor = mc.yield_per_donation[RED_CELLS].value * mc.usable_share.value
    coming = figures.expected(rows, rated, key=lambda r: r.window)
    windows = _windows(gap, cells)
    return Dashboard(
        incident_id=incident_id, incident_status=gap.incident.status, at=now, status=view.status,
        usable_from=gap.usable_from, first_booking=gap.first_booking, appeal_usable_from=gap.appeal_usable_from,
        closed=closed,
        still_to_collect=missing, windows=windows, cells=cells, groups=progress,
        points=_points(gap, mc, {w: v * per_donor for w, v in coming.items()}),
        statements=_statements(view.status, closed, progress, windows, gap), appeal=view)


def _cells(gap: ShortfallView, flows, params: AppealParameters, mc: forecast.Parameters) -> tuple[Cell, ...]:
    donors: dict[tuple[str, str], int] = {}
    for line in gap.lines:
        key = (line.window, line.group)
        donors[key] = max(donors.get(key, 0), line.donors_to_cover)
    out = []
    for line in gap.lines:
        if line.kind == RED_CELLS:
            out.append(_cell(line.window, line.group, line.need, line.stock + line.quarantine + line.transfer +
                             line.carried_in, line.gap, donors[(line.window, line.group)], flows))
    last = forecast.WINDOWS[-1].label
    left = {line.group: line.left_over for line in gap.lines if line.window == last and line.kind == RED_CELLS}
    restock = sizing.restock_units(params.target_days_of_supply, params.usual_daily_use, mc.population, left)
    per_donor = mc.yield_per_donation[RED_CELLS].value * mc.usable_share.value
    for group in sizing.GROUPS:
        out.append(_cell(figures.LATER, group, restock[group] + left.get(group, 0), left.get(group, 0),
                         restock[group], sizing.donors_for_units(restock[group], per_donor), flows))
    return tuple(c for c in out if c.need or c.gap or c.on_hand or c.invited)


def _cell(window: str, group: str, need: int, on_hand: int, short: int, donors: int, flows) -> Cell:
    flow = flows.get((window, group), figures.Flow())
    return Cell(window, group, need, on_hand, short, donors, flow.invited, flow.accepted, flow.arrived,
                flow.collected, flow.released)


def _windows(gap: ShortfallView, cells: tuple[Cell, ...]) -> tuple[WindowLine, ...]:
    summary = {w.window.label: w for w in gap.windows}
    out = []
    for label in figures.WINDOW_LABELS:
        mine = [c for c in cells if c.window == label]
        known = summary.get(label)
        out.append(WindowLine(
            label, bool(known and known.passed), known.appeal_reaches if known else True,
            *(sum(getattr(c, name) for c in mine) for name in ("need", "on_hand", "gap", "donors_to_cover",
                                                               "invited", "accepted", "arrived", "collected",
                                                               "released"))))
    return tuple(out)


def _points(gap: ShortfallView, mc: forecast.Parameters, appeal_units: dict[str, float]) -> tuple[ChartPoint, ...]:
    """Cumulative red cells at the end of each window: the forecast's need, the supply, the supply with the appeal."""
    needs = forecast.need({Severity(k): n for k, n in gap.casualties.items()}, mc)
    points = [ChartPoint(0, 0, 0, 0.0)]
    need = on_hand = 0
    appeal = 0.0
    for window in forecast.WINDOWS:
        need += sum(n for (kind, _), n in needs[window.label].items() if kind == RED_CELLS)
        on_hand += sum(line.stock + line.quarantine + line.transfer for line in gap.lines
                       if line.window == window.label and line.kind == RED_CELLS)
        appeal += appeal_units.get(window.label, 0.0)
        points.append(ChartPoint(window.end, need, on_hand, round(on_hand + appeal, 1)))
    return tuple(points)


def _statements(status: str, closed: bool, progress, windows, gap: ShortfallView) -> tuple[Statement, ...]:
    out = []
    if closed:
        out.append(statement(N_("The gap is closed: the donations collected cover every group's need, and the "
                                "appeal invites nobody more.")))
    elif status in ("running", "paused") and progress:
        short = ", ".join(f"{p.still_to_collect} {p.group}" for p in progress if p.still_to_collect)
        out.append(statement(N_("Still to collect: %(count)s donations (%(groups)s)."),
                             count=sum(p.still_to_collect for p in progress), groups=short))
    for line in windows:
        if line.gap and not line.passed and not line.appeal_reaches:
            out.append(statement(N_("No appeal reaches the %(window)s window: its gap of %(units)s red cell units "
                                    "is for stock, transfers and other services."),
                                 window=_window_name(line.window), units=line.gap))
    usable_from = (gap.appeal_usable_from - gap.incident.occurred_at).total_seconds() / 3600
    for line in windows:
        covered = sum(g.appeal_gap for g in gap.lines if g.window == line.window and g.kind == RED_CELLS)
        if line.window in forecast.WINDOW_BY_LABEL and line.gap and not line.passed and line.appeal_reaches \
                and covered < line.gap:
            window = forecast.WINDOW_BY_LABEL[line.window]
            out.append(statement(N_("An appeal reaches only the last %(hours)s h of the %(window)s window: of its gap "
                                    "of %(units)s red cell units, about %(covered)s are for an appeal, the rest for "
                                    "stock, transfers and other services."),
                                 hours=round(window.end - usable_from), window=_window_name(line.window),
                                 units=line.gap, covered=covered))
    return tuple(out)

