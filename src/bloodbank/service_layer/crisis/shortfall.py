"""The incident's time-phased shortfall: need by window against stock, quarantine and transfers.

The stock report, the quarantine board and the transfers on the road are the
blood side's own use cases, read as they are; this module only turns each into
lots usable from a given hour, and finds when an invited donor can first give
(the sites' opening on the first day invitations book, `first_day_offset` of
the appeal rules); the domain (`domain.mass_casualty`) does the rest. A
quarantined unit held for review or blocked is left out: nobody can say when,
or whether, it will clear.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from bloodbank.adapters.db.models import Site, Unit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import mass_casualty as forecast
from bloodbank.domain import scheduling
from bloodbank.domain.appeal_rules import AppealParameters
from bloodbank.domain.appeal_rules import default_parameters as appeal_parameters
from bloodbank.domain.incidents import Severity
from bloodbank.service_layer.blood import inventory, quarantine, transfers
from bloodbank.service_layer.crisis.incidents import IncidentSummary, summary_of, casualties, load_incident
from bloodbank.service_layer.shared.clocks import site_clock, today_on
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

# Quarantine states whose clearing can be planned for: those waiting for results clear when they are expected.
_AWAITING = ("awaiting results", "awaiting second entry")


@dataclass(frozen=True)
class ShortfallView:
    incident: IncidentSummary
    at: datetime
    casualties: dict[str, int]
    usable_from: datetime  # a donation given now is usable from about then
    first_booking: datetime  # the earliest an invited donor gives: the sites' opening on the first day offered
    appeal_usable_from: datetime  # an invited donor's blood is usable from about then
    windows: tuple[forecast.WindowSummary, ...]
    lines: tuple[forecast.GapLine, ...]
    statements: tuple[str, ...]
    appeal_gap: tuple[tuple[str, str, int], ...]  # (kind, group, units) an appeal is to be sized against
    sources: tuple[tuple[str, str, str], ...]  # (figure, value, source)


def shortfall(uow: UnitOfWork, *, incident_id: int, params: forecast.Parameters | None = None,
              appeal: AppealParameters | None = None) -> ShortfallView:
    params = params or forecast.default_parameters()
    now = utcnow()
    with uow:
        row = load_incident(uow.session, incident_id)
        incident, counted = summary_of(row), casualties(uow.session, row.id)
        booking = first_booking(uow.session, now, appeal or appeal_parameters())
    since = (now - incident.occurred_at).total_seconds() / 3600

    def hours(at: datetime) -> float:
        return (at - incident.occurred_at).total_seconds() / 3600

    lots = _stock_lots(uow, since) + _quarantine_lots(uow, params, hours) + _transfer_lots(uow, params, hours)
    result = forecast.shortfall(forecast.need(counted, params), lots, since, params, hours(booking))
    return ShortfallView(
        incident=incident, at=now, casualties={s.value: counted[s] for s in Severity},
        usable_from=incident.occurred_at + timedelta(hours=result.usable_from_hours),
        first_booking=incident.occurred_at + timedelta(hours=result.first_booking_hours),
        appeal_usable_from=incident.occurred_at + timedelta(hours=result.appeal_usable_from_hours),
        windows=result.windows, lines=result.lines, statements=result.statements,
        appeal_gap=tuple((k, g, n) for (k, g), n in sorted(result.appeal_gap().items())),
        sources=tuple((what, str(value), source) for what, source, value in params.sources()),
    )


def first_booking(s, now: datetime, params: AppealParameters) -> datetime:
    """The earliest an invited donor can give: the first opening, from the first day invitations book, of a site
    an appeal invites to (as `appeals._sites` picks them), within the days it is spread over.

    With no such opening, the same hour on the first day: the appeal can place nobody anyway.
    """
    sites = s.execute(select(Site).where(Site.active.is_(True), Site.latitude.is_not(None),
                                         Site.longitude.is_not(None))).scalars().all()
    earliest = []
    for site in sites:
        zone = site_clock(site)
        first_day = today_on(zone, now) + timedelta(days=int(params.first_day_offset))
        for offset in range(int(params.days)):
            opens = [i for i in scheduling.slot_instants(site.opening_hours, first_day + timedelta(days=offset),
                                                         site.slot_minutes, zone) if i > now]
            if opens:
                earliest.append(opens[0])
                break
    if earliest:
        return min(earliest)
    return now + timedelta(days=int(params.first_day_offset))


def _stock_lots(uow: UnitOfWork, since: float) -> list[forecast.Lot]:
    lots = []
    for line in inventory.stock_lines(uow):
        kind = forecast.FORECAST_KIND_OF.get(line.kind)
        if kind and line.blood_group and line.available:
            lots.append(forecast.Lot(kind, line.blood_group, line.available, since, "stock"))
    return lots


def _quarantine_lots(uow: UnitOfWork, params: forecast.Parameters, hours) -> list[forecast.Lot]:
    # "held" without a review is a routine step (a label to scan back); "blocked" and a review are not planned on.
    items = [i for i in quarantine.quarantine_list(uow)
             if (i.state in _AWAITING or i.state == "ready for release" or (i.state == "held" and not i.held_for_review))
             and forecast.FORECAST_KIND_OF.get(i.kind) and i.blood_group]
    if not items:
        return []
    with uow:
        collected = dict(uow.session.execute(
            select(Unit.id, Unit.collected_at).where(Unit.id.in_([i.unit_id for i in items]))).all())
    wait = timedelta(hours=params.results_after_collection_hours.value)
    lots = []
    for item in items:
        # A unit whose results are all in clears now; otherwise when its results are expected.
        at = hours(collected[item.unit_id] + wait) if item.state in _AWAITING else 0.0
        lots.append(forecast.Lot(forecast.FORECAST_KIND_OF[item.kind], item.blood_group, 1, at, "quarantine"))
    return lots


def _transfer_lots(uow: UnitOfWork, params: forecast.Parameters, hours) -> list[forecast.Lot]:
    road = timedelta(hours=params.transfer_hours.value)
    lots = []
    for transfer in transfers.list_in_transit(uow):
        if transfer.status != "dispatched":
            continue  # received: what is still "on the road" is missing, not coming
        arrives = hours(transfer.dispatched_at + road)
        for unit in transfer.units:
            kind = forecast.FORECAST_KIND_OF.get(unit.kind)
            if unit.unit_id in transfer.in_transit and kind and unit.blood_group:
                lots.append(forecast.Lot(kind, unit.blood_group, 1, arrives, "transfer"))
    return lots
