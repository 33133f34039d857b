"""Pooling buffy coats, or platelet concentrates, into one adult platelet dose.

A pool is a new product with its own DIN (ISBT 128 practice): it has no
donation of its own, so it links to one unit of each source donation (the red
cell unit made alongside the buffy coat, or the donation's platelet
concentrate) and its "created" event lists the donation ids. Release must find
every source donation's tests negative; `unit_sources.source_donation_ids`
walks those links.

A platelet concentrate (platelet-rich plasma method) is a unit in stock but a
fraction of a dose (`components.dose_refusal`): pooling is the only way it
reaches a patient. Once pooled it is `processed`, living on in the pool.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from bloodbank.adapters.db.models import Donation, Unit, UnitEvent, UnitParent
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import components, processing as rules
from bloodbank.domain.components import ComponentKind
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.domain.isbt128 import parse_din
from bloodbank.service_layer.blood.donor_groups import group_disputed
from bloodbank.service_layer.blood.site_rules import regime_of
from bloodbank.service_layer.shared.clocks import site_clock
from bloodbank.service_layer.blood.units import UnitView, create_unit, din_of, refuse_if_expired, unit_view
from bloodbank.service_layer.donors.din_allocation import next_din
from bloodbank.service_layer.shared.sites import load_site
from bloodbank.service_layer.shared.unit_moves import move
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

POOLED = ComponentKind.PLATELETS_POOLED
CONCENTRATE = ComponentKind.PLATELET_CONCENTRATE
# A concentrate still on the shelf (released or not) can go into a pool.
_IN_HAND = ("quarantined", "available")


def pool_platelets(uow: UnitOfWork, *, donation_ids: list[int], site_id: int) -> UnitView:
    """One pool of 4-6 buffy coats, or 4-6 platelet concentrates, of one group, under a new DIN."""
    ids = sorted(rules.check_distinct(donation_ids))
    with uow:
        s = uow.session
        site = load_site(s, site_id)
        clock = site_clock(site)
        donations = _locked_donations(s, ids)
        found = [_source(s, donation) for donation in donations]
        method = rules.pool_method([(din_of(d.din).eye_readable, m) for d, (m, _) in zip(donations, found)])
        rules.check_pool_size(len(ids), method)
        sources = [unit for _, unit in found]
        group = rules.pool_group([(din_of(d.din).eye_readable, _confirmed_group(s, d, unit))
                                  for d, unit in zip(donations, sources)], method)
        concentrates = method == rules.PRP
        if concentrates:
            for unit in sources:
                _refuse_unless_poolable(unit)
        earliest = min(d.started_at for d in donations)
        # The pool is as old as its oldest source, and never outlives a concentrate in it.
        expires = components.expiry(POOLED, earliest.astimezone(clock), regime=regime_of(site))
        if concentrates:
            expires = min([expires, *(unit.expires_at for unit in sources)])
        what = rules.SOURCE_NAMES[method]
        refuse_if_expired(expires, utcnow(), f"A pool including the {what[:-1]} collected "
                                             f"{earliest.astimezone(clock):%Y-%m-%d}")
        leucoreduced = all(unit.leucoreduced for unit in sources) if concentrates else True
        choices = rules.CONCENTRATE_POOL_CHOICES if concentrates else rules.DEFAULT_CHOICES
        product = rules.choose_product(POOLED, leucoreduced=leucoreduced, choices=choices)
        din = next_din(s, site.facility_code, utcnow().year)
        source_dins = [d.din for d in donations]
        volume = (rules.concentrate_pool_volume_ml([unit.volume_ml for unit in sources]) if concentrates
                  else rules.pool_volume_ml(len(ids)))
        pool = create_unit(
            uow, parents=tuple(unit.id for unit in sources),
            reason=f"{len(ids)} {what} pooled into DIN {din}",
            detail={"source_donation_ids": ids, "source_dins": source_dins,
                    "method": "concentrate_pool" if concentrates else "buffy_coat_pool"},
            din=str(din), product_code=product.code, division=rules.UNDIVIDED, kind=POOLED.value,
            donation_id=None, blood_group=group, volume_ml=volume,
            collected_at=earliest, expires_at=expires, site_id=site.id, leucoreduced=product.leucoreduced,
            cmv_negative=all(unit.cmv_negative for unit in sources),
        )
        if concentrates:
            for unit in sources:
                move(uow, unit, "processed", event="pooled", reason=f"pooled into DIN {din}",
                     detail={"into_unit_id": pool.id, "into_din": str(din)})
        result = unit_view(s, pool)
        uow.commit()
        return result


def _locked_donations(session: Session, ids: list[int]) -> list[Donation]:
    # Locked in id order, so two pools claiming the same buffy coat queue instead of both taking it.
    rows = session.execute(
        select(Donation).where(Donation.id.in_(ids)).order_by(Donation.id).with_for_update()
    ).scalars().all()
    missing = sorted(set(ids) - {row.id for row in rows})
    if missing:
        raise NotFound(f"No donation with id {', '.join(map(str, missing))}.")
    return list(rows)


def _source(session: Session, donation: Donation) -> tuple[str, Unit]:
    """The method behind this donation's platelets and the unit a pool links to, once known to be free."""
    din = din_of(donation.din).eye_readable
    if _processed_by_buffy_coat(session, donation.id):
        pool = _pool_holding(session, donation.id)
        if pool is not None:
            raise Conflict(f"The buffy coat of {din} is already in pool {din_of(pool).eye_readable}.")
        return rules.BUFFY_COAT, session.execute(
            select(Unit).where(Unit.donation_id == donation.id)
            .order_by((Unit.kind == ComponentKind.RED_CELLS.value).desc(), Unit.id).limit(1)
        ).scalar_one()
    # Locked: two pools reaching for one concentrate queue, and the second finds it processed.
    concentrates = session.execute(
        select(Unit).where(Unit.donation_id == donation.id, Unit.kind == CONCENTRATE.value)
        .order_by(Unit.id).with_for_update()
    ).scalars().all()
    if not concentrates:
        raise Conflict(f"Donation {din} has no buffy coat or platelet concentrate: it was not processed by the "
                       "buffy-coat method nor by the platelet-rich plasma method.")
    in_hand = [unit for unit in concentrates if unit.status in _IN_HAND]
    if len(in_hand) == 1:
        return rules.PRP, in_hand[0]
    pool = _pool_holding(session, donation.id)
    if pool is not None:
        raise Conflict(f"The platelet concentrate of {din} is already in pool {din_of(pool).eye_readable}.")
    states = ", ".join(sorted({unit.status.replace("_", " ") for unit in concentrates}))
    raise Conflict(f"The platelet concentrate of {din} is {states}: only one in quarantine or available "
                   "goes into a pool.")


def _refuse_unless_poolable(unit: Unit) -> None:
    if not components.can_derive(unit.kind, POOLED):
        raise InvalidInput(f"Unit {din_of(unit.din).eye_readable} {unit.product_code} is "
                           f"{unit.kind.replace('_', ' ')}: it is not pooled into platelets.")


def _confirmed_group(session: Session, donation: Donation, unit: Unit) -> str | None:
    # A donor whose grouping is disputed gives no confirmed group, whatever the unit says.
    return None if group_disputed(session, donation.donor_id) else unit.blood_group


def _processed_by_buffy_coat(session: Session, donation_id: int) -> bool:
    details = session.execute(
        select(UnitEvent.detail).join(Unit, Unit.id == UnitEvent.unit_id)
        .where(Unit.donation_id == donation_id, UnitEvent.event == "created")
    ).scalars()
    return any((detail or {}).get("method") == rules.BUFFY_COAT for detail in details)


def _pool_holding(session: Session, donation_id: int) -> str | None:
    child, parent = aliased(Unit), aliased(Unit)
    return session.execute(
        select(child.din).join(UnitParent, UnitParent.child_id == child.id)
        .join(parent, parent.id == UnitParent.parent_id)
        .where(parent.donation_id == donation_id, child.kind == POOLED.value, child.donation_id.is_(None))
        .limit(1)
    ).scalar_one_or_none()


@dataclass(frozen=True)
class PoolCandidate:
    """A donation whose buffy coat or platelet concentrate is free and young enough to go into a pool today."""

    donation_id: int
    din: str
    din_eye_readable: str
    blood_group: str | None
    site_id: int
    collected_at: datetime
    pool_expires_at: datetime
    source: str = "buffy_coat"  # or "prp": a pool takes one or the other, never both


# No pooled platelet outlives a week, screened or not: older buffy coats are never candidates.
CANDIDATE_DAYS = 8
_OUT_OF_USE = ("discarded", "recalled")


def pool_candidates(uow: UnitOfWork, *, site_id: int | None = None, limit: int = 100) -> list[PoolCandidate]:
    """Buffy coats and platelet concentrates free for a pool, grouped for the bench: by group and source,
    then oldest first.

    Only a list to choose from: `pool_platelets` checks every condition again.
    """
    now = utcnow()
    with uow:
        s = uow.session
        where = [Donation.started_at >= now - timedelta(days=CANDIDATE_DAYS), Donation.status == "complete"]
        if site_id is not None:
            where.append(Donation.site_id == site_id)
        donations = {d.id: d for d in s.execute(select(Donation).where(*where)).scalars()}
        if not donations:
            return []
        made = s.execute(
            select(Unit.donation_id, Unit.status, UnitEvent.detail).join(UnitEvent, UnitEvent.unit_id == Unit.id)
            .where(Unit.donation_id.in_(donations), UnitEvent.event == "created")
        ).all()
        buffy, in_use = set(), set()
        for donation_id, status, detail in made:
            if (detail or {}).get("method") == rules.BUFFY_COAT:
                buffy.add(donation_id)
            if status not in _OUT_OF_USE:
                in_use.add(donation_id)
        child, parent = aliased(Unit), aliased(Unit)
        pooled = set(s.execute(
            select(parent.donation_id).join(UnitParent, UnitParent.parent_id == parent.id)
            .join(child, child.id == UnitParent.child_id)
            .where(parent.donation_id.in_(buffy), child.kind == POOLED.value, child.donation_id.is_(None))
        ).scalars())
        # A concentrate on the shelf is free: once pooled it is processed.
        concentrates = dict(s.execute(
            select(Unit.donation_id, Unit.expires_at)
            .where(Unit.donation_id.in_(donations), Unit.kind == CONCENTRATE.value, Unit.status.in_(_IN_HAND))
        ).all())
        sources = {**{d: rules.BUFFY_COAT for d in buffy & in_use - pooled},
                   **{d: rules.PRP for d in set(concentrates) - buffy}}
        found = []
        for donation_id in sorted(sources):
            donation = donations[donation_id]
            site = load_site(s, donation.site_id)
            expires = components.expiry(POOLED, donation.started_at.astimezone(site_clock(site)),
                                        regime=regime_of(site))
            if donation_id in concentrates and sources[donation_id] == rules.PRP:
                expires = min(expires, concentrates[donation_id])
            if expires <= now:
                continue
            group = None if group_disputed(s, donation.donor_id) else s.execute(
                select(Unit.blood_group).where(Unit.donation_id == donation_id).order_by(Unit.id).limit(1)
            ).scalar()
            found.append(PoolCandidate(
                donation_id=donation_id, din=donation.din, din_eye_readable=din_of(donation.din).eye_readable,
                blood_group=group, site_id=donation.site_id, collected_at=donation.started_at,
                pool_expires_at=expires, source=sources[donation_id],
            ))
        found.sort(key=lambda c: (c.blood_group or "~", c.source, c.collected_at, c.donation_id))
        return found[:limit]


def pool_platelets_by_din(uow: UnitOfWork, *, dins: list[str], site_id: int) -> UnitView:
    """`pool_platelets` for the DINs scanned from the buffy coat or platelet concentrate bags."""
    wanted = [parse_din(text) for text in dins if (text or "").strip()]
    with uow:
        found = dict(uow.session.execute(
            select(Donation.din, Donation.id).where(Donation.din.in_([str(d) for d in wanted]))
        ).all())
    missing = [d.eye_readable for d in wanted if str(d) not in found]
    if missing:
        raise NotFound(f"No donation with DIN {', '.join(missing)}.")
    return pool_platelets(uow, donation_ids=[found[str(d)] for d in wanted], site_id=site_id)
