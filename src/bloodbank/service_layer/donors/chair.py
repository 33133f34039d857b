"""The chair's view: donors ready to bleed at a site, donations filling and done today, one visit as the phlebotomist sees it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Consent, Donation, Donor, Site, Visit
from bloodbank.domain import collection as rules
from bloodbank.domain.eligibility import load_rule_set, max_collection_volume_ml
from bloodbank.domain.errors import (
    DomainError, NotFound,
)
from bloodbank.service_layer.donors.collection import (
    IN_PROGRESS, CollectionView, ReactionView, donation_din, donation_view, reactions_at, refuse_ineligible,
)
from bloodbank.service_layer.donors.consent import consent_of, ensure_consent_for_collection
from bloodbank.service_layer.donors.deferral_lookup import ensure_not_deferred
from bloodbank.service_layer.shared.clocks import UTC, clock_of_site, day_bounds, site_day_bounds, today_on
from bloodbank.service_layer.shared.sites import load_site
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class ReadyVisitView:
    """A visit waiting at the chair: screened eligible, the donor's consent given and not withdrawn."""

    visit_id: int
    donor_id: int
    donor_number: str
    donor_name: str
    site_id: int
    kind: str
    checked_in_at: datetime
    consented_at: datetime
    weight_kg: float | None


@dataclass(frozen=True)
class DonationLine:
    donation_id: int
    visit_id: int
    din: str
    din_eye_readable: str
    donor_number: str
    donor_name: str
    kind: str
    status: str
    started_at: datetime
    ended_at: datetime | None
    volume_ml: int | None
    volume_flag: str | None


@dataclass(frozen=True)
class BagChoice:
    code: str
    description: str
    nominal_ml: int | None


@dataclass(frozen=True)
class CollectionVisitView:
    """Everything the phlebotomist needs at the chair for one visit, and whether the needle may go in."""

    visit_id: int
    donor_id: int
    donor_number: str
    donor_name: str
    date_of_birth: date
    site_id: int
    site_name: str
    kind: str
    visit_status: str
    weight_kg: float | None
    eligible: bool | None
    consent_given: bool
    consent_withdrawn: bool
    ready: bool
    not_ready_reason: str | None
    max_volume_ml: int | None
    default_planned_volume_ml: int | None
    bag_types: tuple[BagChoice, ...]
    donation: CollectionView | None
    reactions: tuple[ReactionView, ...]


@dataclass(frozen=True)
class SiteChoice:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class CollectionBoard:
    site: SiteChoice | None
    sites: tuple[SiteChoice, ...]
    ready: tuple[ReadyVisitView, ...]
    in_progress: tuple[DonationLine, ...]
    today: tuple[DonationLine, ...]


def _donor_name(donor: Donor) -> str:
    return f"{donor.given_name} {donor.family_name}"


def _today_bounds(session: Session, site_id: int) -> tuple[datetime, datetime]:
    # The desk's "today" (visits.list_open_visits), on the site's clock: the same visits on both screens.
    site = session.get(Site, site_id)
    return site_day_bounds(site) if site is not None else day_bounds(today_on(UTC), UTC)


def _ready_query(session: Session, site_id: int):
    start, end = _today_bounds(session, site_id)
    return (
        select(Visit, Donor, Consent.given_at)
        .join(Donor, Donor.id == Visit.donor_id)
        .join(Consent, Consent.visit_id == Visit.id)
        .outerjoin(Donation, Donation.visit_id == Visit.id)
        .where(Visit.site_id == site_id, Visit.status == "consented", Visit.eligible.is_(True),
               Consent.withdrawn_at.is_(None), Donation.id.is_(None),
               Visit.checked_in_at >= start, Visit.checked_in_at < end)
        .order_by(Consent.given_at, Visit.id)
    )


def _ready_view(visit: Visit, donor: Donor, consented_at: datetime) -> ReadyVisitView:
    return ReadyVisitView(
        visit_id=visit.id, donor_id=donor.id, donor_number=donor.donor_number, donor_name=_donor_name(donor),
        site_id=visit.site_id, kind=visit.kind, checked_in_at=visit.checked_in_at, consented_at=consented_at,
        weight_kg=visit.weight_kg,
    )


def ready_for_collection(uow: UnitOfWork, *, site_id: int) -> list[ReadyVisitView]:
    """Today's visits at the site that may go to the chair, first consented first."""
    with uow:
        load_site(uow.session, site_id)
        rows = uow.session.execute(_ready_query(uow.session, site_id)).all()
        return [_ready_view(visit, donor, at) for visit, donor, at in rows]


def _line(row: Donation, donor: Donor) -> DonationLine:
    din = donation_din(row)
    return DonationLine(
        donation_id=row.id, visit_id=row.visit_id, din=str(din), din_eye_readable=din.eye_readable,
        donor_number=donor.donor_number, donor_name=_donor_name(donor), kind=row.kind, status=row.status,
        started_at=row.started_at, ended_at=row.ended_at, volume_ml=row.volume_ml, volume_flag=row.volume_flag,
    )


def collection_board(uow: UnitOfWork, *, site_id: int | None = None, recent: int = 30) -> CollectionBoard:
    """The phlebotomist's home: who is waiting, which bags are filling, what was collected today, at one site.

    Without a site, the first active site with someone waiting (or a bag filling) is shown, so the
    screen opens on work to do.
    """
    with uow:
        s = uow.session
        sites = tuple(SiteChoice(id=row.id, code=row.code, name=row.name) for row in
                      s.execute(select(Site).where(Site.active).order_by(Site.code)).scalars())
        if site_id is not None:
            row = load_site(s, site_id)
            site = SiteChoice(id=row.id, code=row.code, name=row.name)
        else:
            site = _busiest(s, sites)
        if site is None:
            return CollectionBoard(site=None, sites=sites, ready=(), in_progress=(), today=())
        ready = tuple(_ready_view(v, d, at) for v, d, at in s.execute(_ready_query(s, site.id)).all())
        filling = s.execute(
            select(Donation, Donor).join(Donor, Donor.id == Donation.donor_id)
            .where(Donation.site_id == site.id, Donation.status == IN_PROGRESS)
            .order_by(Donation.started_at, Donation.id)
        ).all()
        start, end = _today_bounds(s, site.id)
        done = s.execute(
            select(Donation, Donor).join(Donor, Donor.id == Donation.donor_id)
            .where(Donation.site_id == site.id, Donation.status != IN_PROGRESS,
                   Donation.started_at >= start, Donation.started_at < end)
            .order_by(Donation.started_at.desc(), Donation.id.desc()).limit(recent)
        ).all()
        return CollectionBoard(site=site, sites=sites, ready=ready,
                               in_progress=tuple(_line(r, d) for r, d in filling),
                               today=tuple(_line(r, d) for r, d in done))


def _busiest(session: Session, sites: tuple[SiteChoice, ...]) -> SiteChoice | None:
    for site in sites:
        if session.execute(_ready_query(session, site.id).limit(1)).first() is not None:
            return site
    for site in sites:
        filling = select(Donation.id).where(Donation.site_id == site.id, Donation.status == IN_PROGRESS).limit(1)
        if session.execute(filling).first() is not None:
            return site
    return sites[0] if sites else None


def collection_visit(uow: UnitOfWork, *, visit_id: int) -> CollectionVisitView:
    """One visit as the chair sees it. `ready` repeats the gates of `start_collection` to explain, never to decide."""
    with uow:
        s = uow.session
        visit = s.get(Visit, visit_id)
        if visit is None:
            raise NotFound(f"No visit with id {visit_id}.")
        donor = s.get(Donor, visit.donor_id)
        site = s.get(Site, visit.site_id)
        consent = consent_of(s, visit.id)
        donation = s.execute(select(Donation).where(Donation.visit_id == visit.id)).scalar_one_or_none()
        reason = _not_ready_reason(s, visit) if donation is None else None
        maximum = _shown_maximum(visit, donor, site)
        bags = tuple(BagChoice(code=b.code, description=b.description, nominal_ml=b.nominal_ml)
                     for b in rules.BAG_TYPES if b.fits(visit.kind))
        reactions = () if donation is None else tuple(reactions_at(s, donation))
        return CollectionVisitView(
            visit_id=visit.id, donor_id=donor.id, donor_number=donor.donor_number, donor_name=_donor_name(donor),
            date_of_birth=donor.date_of_birth, site_id=site.id, site_name=site.name, kind=visit.kind,
            visit_status=visit.status, weight_kg=visit.weight_kg, eligible=visit.eligible,
            consent_given=consent is not None,
            consent_withdrawn=consent is not None and consent.withdrawn_at is not None,
            ready=donation is None and reason is None, not_ready_reason=reason, max_volume_ml=maximum,
            default_planned_volume_ml=_default_planned(visit.kind), bag_types=bags,
            donation=None if donation is None else donation_view(donation), reactions=reactions,
        )


def _not_ready_reason(session: Session, visit: Visit) -> str | None:
    try:
        ensure_not_deferred(session, visit.donor_id, today_on(clock_of_site(session, visit.site_id)))
        ensure_consent_for_collection(session, visit)
        refuse_ineligible(visit)
    except DomainError as error:
        return error.message
    return None


def _shown_maximum(visit: Visit, donor: Donor, site: Site) -> int | None:
    if visit.kind != rules.WHOLE_BLOOD or visit.weight_kg is None:
        return None
    try:
        return int(max_collection_volume_ml(visit.weight_kg, donor.sex, load_rule_set(visit.rule_set or site.rule_set)))
    except DomainError:
        return None  # start_collection says why when it is asked


def _default_planned(kind: str) -> int | None:
    try:
        return rules.planned_volume_for(kind)
    except DomainError:
        return None
