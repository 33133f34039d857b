"""An incident's appeal to donors: start, pause, resume, top up, and what it has brought so far.

Sizing is the domain's (`domain.appeal_sizing`): the gap an appeal can reach
(`shortfall.appeal_gap`) plus what restores red cell stock to its target days,
in donors per group, less what the invitations already out are expected to
bring at the rates learned so far. Selection is `appeal_selection`'s. Each
top-up writes its invitations, their reasons and their messages (the outbox)
in one transaction: a message leaves only for an invitation that exists, and
an invitation is never without its message. A running appeal tops itself up
as answers come in and invites nobody once the gap is covered; a closed
incident stops it; a person pauses it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import astuple, dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from bloodbank.adapters.db.models import Appeal, AppealInvitation, Donation, Donor, Incident, Site
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import appeal_links, appeal_messages
from bloodbank.domain import appeal_sizing as sizing
from bloodbank.domain import mass_casualty as forecast
from bloodbank.domain.appeal_rules import AppealParameters, default_parameters
from bloodbank.domain.appeal_selection import SiteInReach
from bloodbank.domain.errors import AppealRefused
from bloodbank.service_layer.crisis import appeal_figures as figures
from bloodbank.service_layer.crisis import appeal_selection as selection
from bloodbank.service_layer.crisis.appeal_links import link_base, link_secret
from bloodbank.service_layer.crisis.incidents import load_incident
from bloodbank.service_layer.crisis.shortfall import ShortfallView, shortfall
from bloodbank.service_layer.donors.appointments import available_slots
from bloodbank.service_layer.messaging.outbox import enqueue
from bloodbank.service_layer.shared.clocks import site_clock, today_on
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class GroupLine:
    group: str
    donors_needed: int  # donors the gap and restocking need
    expected: float  # donors the invitations out are expected to bring
    invited: int
    accepted: int
    declined: int  # a count only: who declined is never shown
    arrived: int
    collected: int
    released: int


@dataclass(frozen=True)
class DayLine:
    day: date
    invited: int
    accepted: int


@dataclass(frozen=True)
class AppealView:
    incident_id: int
    status: str  # none, running, paused, stopped
    started_at: datetime | None
    started_by: str | None
    changed_at: datetime | None
    changed_by: str | None
    sized_at: datetime | None
    response_rate: float
    show_up_rate: float
    groups: tuple[GroupLine, ...]
    days: tuple[DayLine, ...]
    statements: tuple[str, ...]
    sources: tuple[tuple[str, str, str], ...]


# ---------------------------------------------------------------- acts


def start(uow: UnitOfWork, *, incident_id: int, params: AppealParameters | None = None,
          forecast_params: forecast.Parameters | None = None) -> AppealView:
    link_secret()  # refuse at once, before anything is written, when links cannot be signed
    now = utcnow()
    with uow:
        incident = load_incident(uow.session, incident_id)
        if incident.status != "declared":
            raise AppealRefused(f"Incident {incident.id} is closed: no appeal is started for it.")
        if _appeal(uow.session, incident.id) is not None:
            raise AppealRefused(f"Incident {incident.id} already has an appeal: pause or resume it.")
        row = Appeal(incident_id=incident.id, status="running", started_at=now, started_by=uow.actor,
                     changed_at=now, changed_by=uow.actor)
        uow.session.add(row)
        uow.session.flush()
        uow.audit("start", "appeal", row.id, new={"incident_id": incident.id, "status": "running"})
        uow.commit()
    return top_up(uow.again(), incident_id=incident_id, params=params, forecast_params=forecast_params)


def pause(uow: UnitOfWork, *, incident_id: int) -> AppealView:
    return _set_status(uow, incident_id, "paused", allowed_from=("running",))


def resume(uow: UnitOfWork, *, incident_id: int, params: AppealParameters | None = None,
           forecast_params: forecast.Parameters | None = None) -> AppealView:
    _set_status(uow, incident_id, "running", allowed_from=("paused",))
    return top_up(uow.again(), incident_id=incident_id, params=params, forecast_params=forecast_params)


def _set_status(uow: UnitOfWork, incident_id: int, status: str, *, allowed_from: tuple[str, ...]) -> AppealView:
    with uow:
        incident = load_incident(uow.session, incident_id)
        row = _appeal(uow.session, incident.id)
        if row is None:
            raise AppealRefused(f"Incident {incident.id} has no appeal: start one first.")
        if status == "running" and incident.status != "declared":
            raise AppealRefused(f"Incident {incident.id} is closed: its appeal cannot be resumed.")
        if row.status not in allowed_from:
            raise AppealRefused(f"The appeal of incident {incident.id} is {row.status}: it cannot be "
                                f"{'resumed' if status == 'running' else status}.")
        old = row.status
        row.status, row.changed_at, row.changed_by = status, utcnow(), uow.actor
        uow.audit("update", "appeal", row.id, old={"status": old}, new={"status": status})
        uow.commit()
    return get_appeal(uow.again(), incident_id=incident_id)


def top_up(uow: UnitOfWork, *, incident_id: int, params: AppealParameters | None = None,
           forecast_params: forecast.Parameters | None = None) -> AppealView:
    """Invite what the gap still needs, if the appeal runs; stop it if the incident is closed."""
    params = params or default_parameters()
    with uow:
        incident = load_incident(uow.session, incident_id)
        row = _appeal(uow.session, incident.id)
        if row is None:
            raise AppealRefused(f"Incident {incident.id} has no appeal: start one first.")
        if incident.status != "declared" and row.status != "stopped":
            row.status, row.changed_at, row.changed_by = "stopped", utcnow(), uow.actor
            uow.audit("update", "appeal", row.id, old={"status": "running"}, new={"status": "stopped"},
                      reason="the incident was closed")
            uow.commit()
        running = row.status == "running"
    if not running:
        return get_appeal(uow.again(), incident_id=incident_id, params=params, forecast_params=forecast_params)
    gap = shortfall(uow.again(), incident_id=incident_id, params=forecast_params)
    sites = _sites(uow.again(), params)
    capacity = _free_chairs(uow.again(), sites, params)
    now = utcnow()
    secret = link_secret()
    with uow.again() as work:
        s = work.session
        row = _appeal(s, incident_id)
        if row is None or row.status != "running":
            return get_appeal(uow.again(), incident_id=incident_id, params=params, forecast_params=forecast_params)
        rows = _tally(s, row.id, now, gap.incident.occurred_at, forecast_params)
        rates = figures.rates(rows, sizing.Rates(params.response_rate, params.show_up_rate), params.prior_weight)
        needed = donors_needed(gap, params, forecast_params)
        expected = figures.expected(rows, rates)
        days = sorted({d for _, d in capacity})
        by_day = [sizing.DayCapacity(d, sum(n for (_, day), n in capacity.items() if day == d)) for d in days]
        plan = sizing.size(needed, expected, rates, by_day)
        room = {key: sizing.day_room(n, rates) for key, n in capacity.items()}
        chairs = sum(room.values())
        wanted = {g: min(plan.needed[g], chairs) for g in sizing.GROUPS if plan.needed[g]}
        people = selection.shortlist(s, groups=list(wanted), sites=sites, wanted=wanted, params=params, now=now,
                                     appeal_id=row.id) if wanted else []
        picks = selection.choose(people, quotas=plan.invitations, sites=sites, room=room, params=params, now=now,
                                 unplaced=plan.unplaced)
        _invite(work, row, picks, {p.site.site_id: p for p in sites}, secret, now, params)
        row.sized_at = now
        if picks:
            work.audit("invite", "appeal", row.id, new={"invited": len(picks), "by_group": _count_by_group(picks),
                                                        "unplaced": dict(plan.unplaced)})
        work.commit()
    return get_appeal(uow.again(), incident_id=incident_id, params=params, forecast_params=forecast_params)


def top_up_running(uow: UnitOfWork) -> int:
    """Top up every running appeal (and stop those whose incident was closed): the appeal follows the gap."""
    with uow:
        incident_ids = uow.session.execute(select(Appeal.incident_id).where(Appeal.status == "running")).scalars().all()
    for incident_id in incident_ids:
        top_up(uow.again(), incident_id=incident_id)
    return len(incident_ids)


def _count_by_group(picks) -> dict[str, int]:
    out: dict[str, int] = {}
    for pick in picks:
        out[pick.group] = out.get(pick.group, 0) + 1
    return out


def _invite(uow: UnitOfWork, appeal: Appeal, picks, sites: Mapping[int, selection.SiteForAppeal], secret: bytes,
            now: datetime, params: AppealParameters) -> None:
    s = uow.session
    expires = now + timedelta(hours=params.link_hours)
    names = dict(s.execute(select(Site.id, Site.name).where(Site.id.in_(list(sites) or [0]))).all())
    for pick in picks:
        invitation = AppealInvitation(appeal_id=appeal.id, donor_id=pick.donor_id, blood_group=pick.group,
                                      site_id=pick.site_id, slot_day=pick.day, channel=pick.channel,
                                      reason=pick.reason, status="invited", created_at=now, expires_at=expires)
        s.add(invitation)
        s.flush()
        link = link_base() + appeal_links.make_token(secret, invitation.id, expires)
        site_name = names.get(pick.site_id, "")
        if pick.channel == "sms":
            body = appeal_messages.sms_text(site_name=site_name, day=pick.day, link=link)
        else:
            body = appeal_messages.email_text(site_name=site_name, day=pick.day, link=link)
        enqueue(s, channel=pick.channel, donor_id=pick.donor_id, body=body, subject=appeal_messages.SUBJECT,
                key=f"appeal-invitation-{invitation.id}", invitation_id=invitation.id, now=now)
        s.get(Donor, pick.donor_id).last_appealed_at = now


# ---------------------------------------------------------------- figures


def donors_needed(gap: ShortfallView, params: AppealParameters,
                  mc: forecast.Parameters | None = None) -> dict[str, int]:
    """Donors per group: the reachable gap plus restoring red cell stock, the scarcest kind deciding."""
    mc = mc or forecast.default_parameters()
    last = forecast.WINDOWS[-1].label
    left_over = {line.group: line.left_over for line in gap.lines if line.window == last and line.kind == "red_cells"}
    per_donor = {kind: mc.yield_per_donation[kind].value * mc.usable_share.value for kind in forecast.KINDS}
    return sizing.donors_needed({(k, g): n for k, g, n in gap.appeal_gap}, left_over, params.target_days_of_supply,
                                params.usual_daily_use, mc.population, per_donor)


def _tally(s, appeal_id: int, now: datetime, occurred_at: datetime,
           mc: forecast.Parameters | None = None) -> list[figures.Tally]:
    mc = mc or forecast.default_parameters()
    return figures.tally(s, appeal_id, now, figures.bounds(occurred_at, mc.usable_after_hours.value))


def _sites(uow: UnitOfWork, params: AppealParameters) -> list[selection.SiteForAppeal]:
    with uow:
        rows = uow.session.execute(select(Site).where(Site.active.is_(True), Site.latitude.is_not(None),
                                                      Site.longitude.is_not(None)).order_by(Site.id)).scalars()
        out = []
        for site in rows:
            zone = site_clock(site)
            out.append(selection.SiteForAppeal(SiteInReach(site.id, site.code, site.latitude, site.longitude),
                                               site.rule_set, zone,
                                               today_on(zone) + timedelta(days=int(params.first_day_offset))))
        return out


def _free_chairs(uow: UnitOfWork, sites, params: AppealParameters) -> dict[tuple[int, date], int]:
    out = {}
    for place in sites:
        for offset in range(int(params.days)):
            day = place.first_day + timedelta(days=offset)
            out[(place.site.site_id, day)] = sum(slot.free for slot in
                                                 available_slots(uow.again(), site_id=place.site.site_id, on=day))
    return out


def _appeal(s, incident_id: int) -> Appeal | None:
    return s.execute(select(Appeal).where(Appeal.incident_id == incident_id)).scalar_one_or_none()


# ---------------------------------------------------------------- the dashboard


def get_appeal(uow: UnitOfWork, *, incident_id: int, params: AppealParameters | None = None,
               forecast_params: forecast.Parameters | None = None, gap: ShortfallView | None = None) -> AppealView:
    """The appeal's figures; `gap` spares a page that has just read the shortfall from reading it again."""
    params = params or default_parameters()
    now = utcnow()
    with uow:
        s = uow.session
        incident = load_incident(s, incident_id)
        row = _appeal(s, incident.id)
        if row is None:
            prior = sizing.Rates(params.response_rate, params.show_up_rate)
            return _empty(incident, prior, params)
        rows = _tally(s, row.id, now, incident.occurred_at, forecast_params)
        rates = figures.rates(rows, sizing.Rates(params.response_rate, params.show_up_rate), params.prior_weight)
        expected = figures.expected(rows, rates)
        counts = figures.flows(rows, lambda r: r.group)
        days = figures.flows(rows, lambda r: r.slot_day)
        status, started = row.status, (row.started_at, row.started_by, row.changed_at, row.changed_by, row.sized_at)
        collected_today = _collected_today(s, now)

    gap = gap or shortfall(uow.again(), incident_id=incident_id, params=forecast_params)
    needed = donors_needed(gap, params, forecast_params)
    groups = tuple(GroupLine(g, needed.get(g, 0), round(expected.get(g, 0.0), 1),
                             *astuple(counts.get(g, figures.Flow())))
                   for g in sizing.GROUPS if needed.get(g) or g in counts)
    statements = _statements(status, groups, collected_today)
    return AppealView(incident_id, status, *started, round(rates.response, 3), round(rates.show_up, 3), groups,
                      tuple(DayLine(d, f.invited, f.accepted) for d, f in sorted(days.items())), statements,
                      tuple((what, f"{value:g}", source) for what, source, value in params.sources()))


def _statements(status: str, groups, collected_today: Mapping[str, int]) -> tuple[str, ...]:
    out = []
    if status == "paused":
        out.append("The appeal is paused: nobody new is invited until it is resumed.")
    if status == "stopped":
        out.append("The appeal stopped when the incident was closed.")
    covered = [g.group for g in groups if g.donors_needed and g.expected >= g.donors_needed]
    if covered:
        out.append(f"Invitations out are expected to cover {', '.join(covered)}: no more are sent for "
                   f"{'that group' if len(covered) == 1 else 'those groups'}.")
    # What walk-ins still help with today is what the invitations out will not bring.
    later = [g.group for g in groups
             if sizing.walk_in_advice(collected_today.get(g.group, 0),
                                      max(0, math.ceil(g.donors_needed - g.expected))) == "book_later"]
    if later and status != "none":
        out.append(f"Walk-ins of {', '.join(later)}: the need is met; offer a booking on a later day instead "
                   "of collecting today.")
    return tuple(out)


def _collected_today(s, now: datetime) -> dict[str, int]:
    """Whole blood collected since the start of the UTC day, by the donor's group: walk-ins and bookings alike."""
    since = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return dict(s.execute(select(Donor.blood_group, func.count()).join(Donation, Donation.donor_id == Donor.id)
                          .where(Donation.started_at >= since, Donation.kind == "whole_blood")
                          .group_by(Donor.blood_group)).all())


def _empty(incident: Incident, prior: sizing.Rates, params: AppealParameters) -> AppealView:
    return AppealView(incident.id, "none", None, None, None, None, None, prior.response, prior.show_up, (), (),
                      ("No appeal has been started for this incident.",),
                      tuple((what, f"{value:g}", source) for what, source, value in params.sources()))
