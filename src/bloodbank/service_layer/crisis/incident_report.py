"""An incident's report, afterwards: forecast against what was issued, invitations against donations, and the
fate of every unit the appeal brought in (`domain.appeal_fates`), the unused share first.

Every figure is a count the database makes (grouped queries): issues tagged with the incident, the appeal's
aggregate tally, the appeal donations' units by status and expiry. The fates move as units are used, expire
or are discarded, so the report can be read again at any time and says how much is still undecided.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select

from bloodbank.adapters.db.models import Appeal, AppealInvitation, Donation, Issue, Unit, Visit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import appeal_fates, appeal_sizing as sizing
from bloodbank.domain import mass_casualty as forecast
from bloodbank.service_layer.crisis import appeal_figures as figures
from bloodbank.service_layer.crisis.incidents import IncidentSummary, casualties, load_incident, summary_of
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class ForecastLine:
    kind: str  # a forecast kind: red_cells, plasma, platelets
    group: str
    forecast: int  # units the forecast expected over 72 h
    issued: int  # units issued for the incident's patients


@dataclass(frozen=True)
class InvitationLine:
    group: str
    invited: int
    accepted: int
    declined: int
    arrived: int
    collected: int


@dataclass(frozen=True)
class FateLine:
    kind: str  # the unit's component kind
    group: str
    used: int
    in_stock: int
    expired: int
    discarded: int
    in_quarantine: int

    @property
    def total(self) -> int:
        return self.used + self.in_stock + self.expired + self.discarded + self.in_quarantine


@dataclass(frozen=True)
class IncidentReport:
    incident: IncidentSummary
    at: datetime
    casualties: dict[str, int]
    forecast: tuple[ForecastLine, ...]
    forecast_total: int
    issued_total: int
    invitations: tuple[InvitationLine, ...]
    invited_total: int
    collected_total: int
    fates: tuple[FateLine, ...]
    fate_totals: dict[str, int]
    units_total: int
    unused: int  # units expired or discarded
    unused_share: float | None  # of every unit the appeal brought in; None before any unit
    undecided: int  # units still in stock or in quarantine: their fate is not known yet


def incident_report(uow: UnitOfWork, *, incident_id: int,
                    forecast_params: forecast.Parameters | None = None) -> IncidentReport:
    mc = forecast_params or forecast.default_parameters()
    now = utcnow()
    with uow:
        s = uow.session
        row = load_incident(s, incident_id)
        incident, counted = summary_of(row), casualties(s, row.id)
        issued = _issued(s, row.id)
        appeal_id = s.execute(select(Appeal.id).where(Appeal.incident_id == row.id)).scalar()
        rows = figures.tally(s, appeal_id, now, figures.bounds(row.occurred_at, mc.usable_after_hours.value)) \
            if appeal_id else []
        fates = _fates(s, row.id, now)
    needs = forecast.need(counted, mc)
    planned: dict[tuple[str, str], int] = {}
    for window in needs.values():
        for key, n in window.items():
            planned[key] = planned.get(key, 0) + n
    lines = tuple(ForecastLine(k, g, planned.get((k, g), 0), issued.get((k, g), 0))
                  for k in forecast.KINDS for g in forecast.GROUPS if planned.get((k, g)) or issued.get((k, g)))
    by_group = figures.flows(rows, lambda r: r.group)
    invitations = tuple(InvitationLine(g, f.invited, f.accepted, f.declined, f.arrived, f.collected)
                        for g, f in sorted(by_group.items(), key=lambda item: sizing.GROUPS.index(item[0])))
    totals = {f: sum(getattr(line, f) for line in fates) for f in appeal_fates.FATES}
    return IncidentReport(
        incident=incident, at=now, casualties={s.value: n for s, n in counted.items()}, forecast=lines,
        forecast_total=sum(line.forecast for line in lines), issued_total=sum(line.issued for line in lines),
        invitations=invitations, invited_total=sum(i.invited for i in invitations),
        collected_total=sum(i.collected for i in invitations), fates=fates, fate_totals=totals,
        units_total=sum(totals.values()), unused=sum(totals[f] for f in appeal_fates.UNUSED),
        unused_share=appeal_fates.unused_share(totals), undecided=totals["in_stock"] + totals["in_quarantine"])


def _issued(s, incident_id: int) -> dict[tuple[str, str], int]:
    """Units issued for the incident's patients, by forecast kind and group (a single platelet concentrate is
    no dose and is left out, as in the forecast)."""
    out: dict[tuple[str, str], int] = {}
    rows = s.execute(select(Unit.kind, Unit.blood_group, func.count(func.distinct(Issue.unit_id)))
                     .join(Unit, Unit.id == Issue.unit_id).where(Issue.incident_id == incident_id)
                     .group_by(Unit.kind, Unit.blood_group)).all()
    for kind, group, n in rows:
        mapped = forecast.FORECAST_KIND_OF.get(kind)
        if mapped and group:
            out[(mapped, group)] = out.get((mapped, group), 0) + int(n)
    return out


def _fates(s, incident_id: int, now: datetime) -> tuple[FateLine, ...]:
    past = case((Unit.expires_at <= now, 1), else_=0)
    after = case((Unit.status_changed_at >= Unit.expires_at, 1), else_=0)
    columns = (Unit.kind, Unit.blood_group, Unit.status, past, after)
    rows = s.execute(
        select(*columns, func.count(Unit.id))
        .join(Donation, Donation.id == Unit.donation_id)
        .join(Visit, Visit.id == Donation.visit_id)
        .join(AppealInvitation, AppealInvitation.appointment_id == Visit.appointment_id)
        .join(Appeal, Appeal.id == AppealInvitation.appeal_id)
        .where(Appeal.incident_id == incident_id)
        .group_by(*columns)).all()
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for kind, group, status, is_past, discarded_after, n in rows:
        what = appeal_fates.fate(status, past_expiry=bool(is_past), discarded_after_expiry=bool(discarded_after))
        if what is not None:
            line = counts.setdefault((kind, group or ""), dict.fromkeys(appeal_fates.FATES, 0))
            line[what] += int(n)
    return tuple(FateLine(kind, group, **line) for (kind, group), line in sorted(counts.items()))


SECTIONS = ("forecast", "invitations", "fates")


def tables(report: IncidentReport) -> dict[str, tuple[tuple[str, ...], list[tuple]]]:
    """Each section as a header and rows, for a CSV file or a spreadsheet."""
    n = report.incident.id
    return {
        "forecast": (("incident", "component", "blood_group", "forecast", "issued"),
                     [(n, f.kind, f.group, f.forecast, f.issued) for f in report.forecast]),
        "invitations": (("incident", "blood_group", "invited", "accepted", "declined", "arrived", "collected"),
                        [(n, i.group, i.invited, i.accepted, i.declined, i.arrived, i.collected)
                         for i in report.invitations]),
        "fates": (("incident", "component", "blood_group") + appeal_fates.FATES + ("total",),
                  [(n, f.kind, f.group, f.used, f.in_stock, f.expired, f.discarded, f.in_quarantine, f.total)
                   for f in report.fates]),
    }


def csv_text(report: IncidentReport, section: str) -> str:
    header, rows = tables(report)[section]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()
