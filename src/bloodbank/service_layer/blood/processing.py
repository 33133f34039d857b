"""Processing: a completed whole blood donation becomes component units in quarantine.

Every unit made here starts `quarantined`: it waits for its tests and a
verified label before release (someone else's step). Its expiry follows the
site's regime on the site's clock. The buffy coat of the buffy-coat method is
not a unit: the donation's "created" events remember the method, and
`pooling.pool_platelets` takes buffy coats from donations processed that way.
The platelet-rich plasma method makes a platelet concentrate, a unit that is
never a dose on its own: `pooling.pool_platelets` pools it with others.

The other steps live beside this module and are re-exported here: pooling,
cryoprecipitate and aliquots, irradiation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Donation, Site, Titre, Unit, UnitParent
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import components, processing as rules, walking_blood_bank
from bloodbank.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from bloodbank.domain.isbt128 import parse_din
from bloodbank.domain.unit_status import UnitStatus
from bloodbank.service_layer.blood.donor_groups import recorded_group
from bloodbank.service_layer.blood.labels import LABEL_STATUSES
from bloodbank.service_layer.blood.site_rules import regime_of
from bloodbank.service_layer.shared.clocks import site_clock
from bloodbank.service_layer.blood.units import UnitView, create_unit, din_of, refuse_if_expired, unit_view
from bloodbank.service_layer.shared.sites import load_site
from bloodbank.service_layer.shared.unit_moves import load_unit
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


COMPLETE = "complete"


def process_donation(uow: UnitOfWork, *, donation_id: int, method: str, leucoreduced: bool | None = None,
                     low_titer: bool = False) -> list[UnitView]:
    """Make the donation's components. `leucoreduced=None` means the method's usual (filtered unless kept whole)."""
    rules.check_method(method)
    with uow:
        s = uow.session
        donation = _locked_donation(s, donation_id)
        _refuse_unless_processable(s, donation)
        group = recorded_group(s, donation.donor_id)
        kinds = rules.components_for(method, low_titer=low_titer, donor_group=group)
        if low_titer:
            _refuse_unless_low_titre(s, donation, group)
        filtered = rules.usual_leucoreduction(method) if leucoreduced is None else bool(leucoreduced)
        site = load_site(s, donation.site_id)
        # A component's days count from the collection day on the collecting site's clock.
        regime, collected = regime_of(site), donation.started_at.astimezone(site_clock(site))
        din, now = din_of(donation.din), utcnow()
        units = []
        for kind in kinds:
            product = rules.choose_product(kind, leucoreduced=filtered)
            expires = components.expiry(kind, collected, regime=regime)
            what = kind.value.replace('_', ' ').capitalize()
            refuse_if_expired(expires, now, f"{what} from DIN {din.eye_readable}")
            units.append(create_unit(
                uow, reason=f"processed DIN {din} by the {method.replace('_', ' ')} method",
                detail={"method": method, "donation_id": donation.id, "regime": regime},
                din=donation.din, product_code=product.code, division=rules.UNDIVIDED, kind=kind.value,
                donation_id=donation.id, blood_group=group,
                volume_ml=rules.component_volume_ml(kind, donation.volume_ml),
                collected_at=donation.started_at, expires_at=expires, site_id=donation.site_id,
                leucoreduced=product.leucoreduced, low_titer=kind is components.ComponentKind.LTOWB,
            ))
        uow.audit("process", "donation", donation.id, new={"method": method, "unit_ids": [u.id for u in units]},
                  reason=f"components made from DIN {din}")
        result = [unit_view(s, unit) for unit in units]
        uow.commit()
        return result


def _refuse_unless_low_titre(session: Session, donation: Donation, group: str | None) -> None:
    """LTOWB only from a donor whose recorded titre was low and current at this collection (a titre measured on
    this donation's sample counts from the day it was measured)."""
    titre = session.execute(
        select(Titre).where(Titre.donor_id == donation.donor_id,
                            or_(Titre.donation_id == donation.id, Titre.tested_at <= donation.started_at))
        .order_by((Titre.donation_id == donation.id).desc(), Titre.tested_at.desc(), Titre.id.desc())
    ).scalars().first()
    site = session.get(Site, donation.site_id)
    policy = walking_blood_bank.policy(titre_threshold=site.titre_threshold,
                                       titre_validity_days=site.titre_validity_days)
    found = walking_blood_bank.Titre(titre.anti_a, titre.anti_b, titre.tested_at) if titre else None
    at = max(donation.started_at, titre.tested_at) if titre else donation.started_at
    if not walking_blood_bank.is_low_titre(group, found, policy, at):
        seen = f" (anti-A 1:{titre.anti_a}, anti-B 1:{titre.anti_b}, {titre.tested_at:%Y-%m-%d})" if titre else ""
        raise InvalidInput(f"No low titre current at this collection is recorded for the donor{seen}: below "
                           f"1:{policy.titre_threshold} for both, within {policy.titre_validity.days} days. Record "
                           "the titre, or process it as whole blood.")


def _locked_donation(session: Session, donation_id: int) -> Donation:
    # Locked so two processors cannot both make components from one bag.
    row = session.execute(select(Donation).where(Donation.id == donation_id).with_for_update()).scalar_one_or_none()
    if row is None:
        raise NotFound(f"No donation with id {donation_id}.")
    return row


def _refuse_unless_processable(session: Session, donation: Donation) -> None:
    din = din_of(donation.din).eye_readable
    if donation.status != COMPLETE:
        state = "still in progress: finish the collection first" if donation.status == "in_progress" else (
            f"{donation.status}: an aborted collection is not made into components")
        raise Conflict(f"Donation {din} cannot be processed: it is {state}.")
    if donation.kind != rules.WHOLE_BLOOD:
        raise InvalidInput(
            f"Donation {din} is a {donation.kind.replace('_', ' ')} apheresis collection: "
            "only whole blood donations are processed here."
        )
    existing = session.execute(select(Unit.id).where(Unit.donation_id == donation.id)).first()
    if existing is not None:
        raise Conflict(
            f"Donation {din} has already been processed: see its units with 'processing show {donation.din}'."
        )


def get_unit(uow: UnitOfWork, unit_id: int) -> UnitView:
    with uow:
        return unit_view(uow.session, load_unit(uow.session, unit_id))


def find_units_by_din(uow: UnitOfWork, din_text: str) -> list[UnitView]:
    """Every unit carrying this DIN (scanned, or typed with or without spaces and check character)."""
    din = parse_din(din_text)
    with uow:
        rows = uow.session.execute(select(Unit).where(Unit.din == str(din)).order_by(Unit.id)).scalars().all()
        if not rows:
            raise NotFound(f"No unit with DIN {din.eye_readable}.")
        return [unit_view(uow.session, row) for row in rows]


# ---------------------------------------------------------------- what the processing bench reads


@dataclass(frozen=True)
class DonationWork:
    """A donation found by the DIN on its bag, with what has been made from it and whether it may be processed."""

    donation_id: int
    din: str
    din_eye_readable: str
    site_id: int
    kind: str
    status: str
    volume_ml: int | None
    volume_flag: str | None
    started_at: datetime
    ended_at: datetime | None
    blood_group: str | None
    processable: bool
    not_processable_reason: str | None
    methods: tuple[str, ...]
    units: tuple[UnitView, ...]


@dataclass(frozen=True)
class AwaitingDonation:
    donation_id: int
    din: str
    din_eye_readable: str
    site_id: int
    volume_ml: int | None
    volume_flag: str | None
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class UnitWork:
    """One unit at the bench: its label's state and which steps it can still take."""

    unit: UnitView
    label_printed_at: datetime | None
    label_verified_at: datetime | None
    label_verified_by: str | None
    labellable: bool
    irradiable: bool
    splittable: bool
    cryo_possible: bool
    children: tuple[UnitView, ...]


def _work(session: Session, donation: Donation) -> DonationWork:
    din = din_of(donation.din)
    try:
        _refuse_unless_processable(session, donation)
        reason = None
    except DomainError as error:
        reason = error.message
    units = session.execute(select(Unit).where(Unit.donation_id == donation.id).order_by(Unit.id)).scalars()
    return DonationWork(
        donation_id=donation.id, din=str(din), din_eye_readable=din.eye_readable, site_id=donation.site_id,
        kind=donation.kind, status=donation.status, volume_ml=donation.volume_ml, volume_flag=donation.volume_flag,
        started_at=donation.started_at, ended_at=donation.ended_at,
        blood_group=recorded_group(session, donation.donor_id), processable=reason is None,
        not_processable_reason=reason, methods=rules.METHODS,
        units=tuple(unit_view(session, unit) for unit in units),
    )


def donation_work(uow: UnitOfWork, *, din: str) -> DonationWork:
    """The donation behind a scanned or typed DIN, as the processing bench sees it."""
    wanted = parse_din(din)
    with uow:
        row = uow.session.execute(select(Donation).where(Donation.din == str(wanted))).scalar_one_or_none()
        if row is None:
            raise NotFound(f"No donation with DIN {wanted.eye_readable}.")
        return _work(uow.session, row)


def donation_work_by_id(uow: UnitOfWork, *, donation_id: int) -> DonationWork:
    with uow:
        row = uow.session.get(Donation, donation_id)
        if row is None:
            raise NotFound(f"No donation with id {donation_id}.")
        return _work(uow.session, row)


def process_donation_by_din(uow: UnitOfWork, *, din: str, method: str, leucoreduced: bool | None = None,
                            low_titer: bool = False) -> list[UnitView]:
    """`process_donation` for the DIN on the bag, scanned or typed."""
    rules.check_method(method)
    wanted = parse_din(din)
    with uow:
        donation_id = uow.session.execute(select(Donation.id).where(Donation.din == str(wanted))).scalar()
    if donation_id is None:
        raise NotFound(f"No donation with DIN {wanted.eye_readable}.")
    return process_donation(uow, donation_id=donation_id, method=method, leucoreduced=leucoreduced,
                            low_titer=low_titer)


AWAITING_DAYS = 3


def awaiting_processing(uow: UnitOfWork, *, site_id: int | None = None, days: int = AWAITING_DAYS,
                        limit: int = 50, offset: int = 0) -> tuple[list[AwaitingDonation], int]:
    """Finished whole blood donations of the last `days` days with no components yet, oldest first."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 60:
        raise InvalidInput("Look back 1 to 60 days.")
    since = utcnow() - timedelta(days=days)
    made = select(Unit.donation_id).where(Unit.donation_id.is_not(None))
    where = [Donation.status == COMPLETE, Donation.kind == rules.WHOLE_BLOOD, Donation.started_at >= since,
             Donation.id.not_in(made)]
    if site_id is not None:
        where.append(Donation.site_id == site_id)
    with uow:
        total = uow.session.scalar(select(func.count()).select_from(Donation).where(*where))
        rows = uow.session.execute(
            select(Donation).where(*where).order_by(Donation.started_at, Donation.id).limit(limit).offset(offset)
        ).scalars()
        items = [AwaitingDonation(donation_id=r.id, din=r.din, din_eye_readable=din_of(r.din).eye_readable,
                                  site_id=r.site_id, volume_ml=r.volume_ml, volume_flag=r.volume_flag,
                                  started_at=r.started_at, ended_at=r.ended_at) for r in rows]
        return items, int(total or 0)


def list_units(uow: UnitOfWork, *, din: str | None = None, donation_id: int | None = None,
               status: str | None = None, kind: str | None = None, site_id: int | None = None,
               label_verified: bool | None = None, limit: int = 50,
               offset: int = 0) -> tuple[list[UnitView], int]:
    """Units by any of these filters, newest first, with the total before paging."""
    if status is not None and status not in {s.value for s in UnitStatus}:
        raise InvalidInput(f"Unknown unit status {status!r}: use one of {', '.join(s.value for s in UnitStatus)}.")
    if kind is not None and kind not in {k.value for k in components.ComponentKind}:
        raise InvalidInput(f"Unknown component kind {kind!r}: use one of "
                           f"{', '.join(k.value for k in components.ComponentKind)}.")
    where = []
    if din:
        where.append(Unit.din == str(parse_din(din)))
    if donation_id is not None:
        where.append(Unit.donation_id == donation_id)
    if status is not None:
        where.append(Unit.status == status)
    if kind is not None:
        where.append(Unit.kind == kind)
    if site_id is not None:
        where.append(Unit.site_id == site_id)
    if label_verified is not None:
        where.append(Unit.label_verified_at.is_not(None) if label_verified else Unit.label_verified_at.is_(None))
    with uow:
        total = uow.session.scalar(select(func.count()).select_from(Unit).where(*where))
        rows = uow.session.execute(
            select(Unit).where(*where).order_by(Unit.id.desc()).limit(limit).offset(offset)
        ).scalars().all()
        return [unit_view(uow.session, row) for row in rows], int(total or 0)


def units_of_donation(uow: UnitOfWork, *, donation_id: int) -> list[UnitView]:
    """Every unit made from one donation (aliquots and cryo included), in the order they were made."""
    with uow:
        if uow.session.get(Donation, donation_id) is None:
            raise NotFound(f"No donation with id {donation_id}.")
        rows = uow.session.execute(
            select(Unit).where(Unit.donation_id == donation_id).order_by(Unit.id)
        ).scalars().all()
        return [unit_view(uow.session, row) for row in rows]


def unit_work(uow: UnitOfWork, *, unit_id: int) -> UnitWork:
    """A unit with its label state. The flags only offer the steps; each step's use case decides."""
    with uow:
        s = uow.session
        unit = load_unit(s, unit_id)
        in_hand = unit.status in (UnitStatus.QUARANTINED.value, UnitStatus.AVAILABLE.value)
        children = s.execute(
            select(Unit).join(UnitParent, UnitParent.child_id == Unit.id)
            .where(UnitParent.parent_id == unit.id).order_by(Unit.id)
        ).scalars().all()
        return UnitWork(
            unit=unit_view(s, unit), label_printed_at=unit.label_printed_at,
            label_verified_at=unit.label_verified_at, label_verified_by=unit.label_verified_by,
            labellable=unit.status in LABEL_STATUSES,
            irradiable=in_hand and not unit.irradiated and unit.kind in {k.value for k in rules.IRRADIABLE},
            splittable=in_hand and unit.division == rules.UNDIVIDED and components.dose_refusal(unit.kind) is None,
            cryo_possible=in_hand and components.can_derive(unit.kind, components.ComponentKind.CRYO),
            children=tuple(unit_view(s, child) for child in children),
        )
